// Tensor-core path of the fused gated attention (bfloat16, head dim 16 or 32;
// included by attention.cu, which keeps the float32 SIMT kernels as the path
// for every other case). Same algorithm and layouts as attention.cu /
// ops/attention.cpp (AlphaFold2 suppl. Alg. 7 with OpenFold's pair bias and
// mask bias, flash-attention style): 64 x 64 tiles, four warps per CTA, each
// warp owns 16 rows; the products run on WMMA bf16 16x16x16 fragments with
// float32 accumulation, and the softmax / gradient elementwise steps run on
// float32 tiles staged in shared memory.
// Precision: q, k, v are bf16 already (exact operands); p, dS and dO (float32
// values) enter the products as a bf16 pair hi + lo (hi = bf16(x), lo =
// bf16(x - hi)), so they carry ~16 mantissa bits and the result stays at the
// float32-accumulation error of the SIMT kernels rather than adding a bf16
// rounding of p per term.
//   forward: CTA per (b, h, 64 queries), loop over 64-key tiles (online softmax).
//   dq:      CTA per (b, h, 64 queries), loop over key tiles (recomputes p from lse).
//   dk/dv:   CTA per (h, 64 keys, group of batch rows), loop over rows b of the
//            group and query tiles; dS of each (b, tile) is added into a
//            float32 partial dbias owned by the group (plain read-modify-write,
//            no atomics), and one reduction kernel sums the groups into dbias.
#pragma once
#include <cuda_bf16.h>
#include <mma.h>

namespace sf {
namespace tc {

using namespace nvcuda;
using bf = __nv_bfloat16;
constexpr int kT = 64;          // queries and keys per tile
constexpr int kThreads = 128;   // four warps, 16 rows each
constexpr int kLdS = kT + 4;    // float32 tile rows (WMMA: multiple of 4)
constexpr int kLdP = kT + 8;    // bf16 tile rows (WMMA: multiple of 8)
constexpr int kLdB = kT + 2;    // staged bias tile rows
constexpr float kMaskScale = 1e9f;

using FragA = wmma::fragment<wmma::matrix_a, 16, 16, 16, bf, wmma::row_major>;
using FragBc = wmma::fragment<wmma::matrix_b, 16, 16, 16, bf, wmma::col_major>;
using FragBr = wmma::fragment<wmma::matrix_b, 16, 16, 16, bf, wmma::row_major>;
using FragC = wmma::fragment<wmma::accumulator, 16, 16, 16, float>;

__device__ __forceinline__ void splitStore(float x, bf* hi, bf* lo) {
  bf h = __float2bfloat16(x);
  *hi = h;
  *lo = __float2bfloat16(x - __bfloat162float(h));
}

__device__ __forceinline__ float maskBias(const AttentionParams& p, const bf* mask, int64_t b, int64_t j) {
  if (j >= p.k) return -INFINITY;
  return p.hasMask ? kMaskScale * (__bfloat162float(mask[b * p.k + j]) - 1.f) : 0.f;
}

// rows [r0, r0 + kT) of a [rows, H, D] tensor (row-major over (b, row, h)) into a kT x D tile, zeros past
// `rows`. 16-byte vectors, all of a thread's loads issued before its shared-memory stores (the launcher
// checks that q, k, v are 16-byte aligned).
template <int D>
__device__ __forceinline__ void loadTile(bf* dst, const bf* src, int64_t b, int64_t r0, int64_t rows, int64_t heads, int64_t h) {
  constexpr int VR = D / 8, N = kT * VR / kThreads;
  uint4 buf[N];
#pragma unroll
  for (int u = 0; u < N; ++u) {
    int e = threadIdx.x + u * kThreads, r = e / VR, c = e % VR;
    int64_t i = r0 + r;
    buf[u] = i < rows ? *reinterpret_cast<const uint4*>(src + ((b * rows + i) * heads + h) * D + c * 8) : make_uint4(0, 0, 0, 0);
  }
#pragma unroll
  for (int u = 0; u < N; ++u) reinterpret_cast<uint4*>(dst)[threadIdx.x + u * kThreads] = buf[u];
}

// bias[h, i0 + r, j0 + t] into dst[r * kLdB + t] (r query, t key), zeros outside [Q, K]; 16-byte loads where
// K is a multiple of 8 and bias is aligned, 4-byte shared stores (kLdB = 66 keeps column reads conflict-free).
__device__ __forceinline__ void loadBiasTile(bf* dst, const bf* bias, const AttentionParams& p, int64_t h, int64_t i0, int64_t j0) {
  constexpr int VR = kT / 8, N = kT * VR / kThreads;
  const bool vec = p.k % 8 == 0 && (reinterpret_cast<uintptr_t>(bias) & 15) == 0;
  uint4 buf[N];
#pragma unroll
  for (int u = 0; u < N; ++u) {
    int e = threadIdx.x + u * kThreads, r = e / VR, c = e % VR;
    int64_t i = i0 + r, j = j0 + c * 8;
    const bf* src = bias + (h * p.q + i) * p.k + j;
    if (i < p.q && vec && j + 8 <= p.k) {
      buf[u] = *reinterpret_cast<const uint4*>(src);
    } else {
      bf tmp[8];
#pragma unroll
      for (int x = 0; x < 8; ++x) tmp[x] = (i < p.q && j + x < p.k) ? src[x] : __float2bfloat16(0.f);
      memcpy(&buf[u], tmp, 16);
    }
  }
#pragma unroll
  for (int u = 0; u < N; ++u) {
    int e = threadIdx.x + u * kThreads, r = e / VR, c = e % VR;
    uint32_t* d = reinterpret_cast<uint32_t*>(dst + r * kLdB + c * 8);
    d[0] = buf[u].x;
    d[1] = buf[u].y;
    d[2] = buf[u].z;
    d[3] = buf[u].w;
  }
}

// S[16 x 64] = A[16 rows of a, D] * B[64 rows of b, D]^T (+ A2 * B^T when a2), into s (ldm kLdS)
template <int D>
__device__ __forceinline__ void productABt(float* s, const bf* a, const bf* a2, const bf* bm) {
#pragma unroll
  for (int n = 0; n < kT / 16; ++n) {
    FragC acc;
    wmma::fill_fragment(acc, 0.f);
#pragma unroll
    for (int c = 0; c < D / 16; ++c) {
      FragA fa;
      FragBc fb;
      wmma::load_matrix_sync(fb, bm + n * 16 * D + c * 16, D);
      wmma::load_matrix_sync(fa, a + c * 16, D);
      wmma::mma_sync(acc, fa, fb, acc);
      if (a2) {
        wmma::load_matrix_sync(fa, a2 + c * 16, D);
        wmma::mma_sync(acc, fa, fb, acc);
      }
    }
    wmma::store_matrix_sync(s + n * 16, acc, kLdS, wmma::mem_row_major);
  }
}

// S[16 x 64] = A[16, D] * (Bhi + Blo)[64, D]^T
template <int D>
__device__ __forceinline__ void productABtSplitB(float* s, const bf* a, const bf* bhi, const bf* blo) {
#pragma unroll
  for (int n = 0; n < kT / 16; ++n) {
    FragC acc;
    wmma::fill_fragment(acc, 0.f);
#pragma unroll
    for (int c = 0; c < D / 16; ++c) {
      FragA fa;
      FragBc fb;
      wmma::load_matrix_sync(fa, a + c * 16, D);
      wmma::load_matrix_sync(fb, bhi + n * 16 * D + c * 16, D);
      wmma::mma_sync(acc, fa, fb, acc);
      wmma::load_matrix_sync(fb, blo + n * 16 * D + c * 16, D);
      wmma::mma_sync(acc, fa, fb, acc);
    }
    wmma::store_matrix_sync(s + n * 16, acc, kLdS, wmma::mem_row_major);
  }
}

// acc[n] += (Phi + Plo)[16 x 64] * (Bhi + Blo)[64 x D] (Blo optional; lo x lo skipped)
template <int D>
__device__ __forceinline__ void accumulatePB(FragC* acc, const bf* phi, const bf* plo, const bf* bhi, const bf* blo) {
#pragma unroll
  for (int kk = 0; kk < kT / 16; ++kk) {
    FragA ah, al;
    wmma::load_matrix_sync(ah, phi + kk * 16, kLdP);
    wmma::load_matrix_sync(al, plo + kk * 16, kLdP);
#pragma unroll
    for (int n = 0; n < D / 16; ++n) {
      FragBr fb;
      wmma::load_matrix_sync(fb, bhi + kk * 16 * D + n * 16, D);
      wmma::mma_sync(acc[n], ah, fb, acc[n]);
      wmma::mma_sync(acc[n], al, fb, acc[n]);
      if (blo) {
        wmma::load_matrix_sync(fb, blo + kk * 16 * D + n * 16, D);
        wmma::mma_sync(acc[n], ah, fb, acc[n]);
      }
    }
  }
}

template <int D>
constexpr size_t forwardSmem() {
  return 3 * kT * D * sizeof(bf) + 4 * 16 * kLdS * sizeof(float) + 2 * 4 * 16 * kLdP * sizeof(bf) + kT * kLdB * sizeof(bf) +
         2 * kT * sizeof(float);
}

template <int D>
__global__ void __launch_bounds__(kThreads) forwardKernel(AttentionParams p, AttnPtrs ptr) {
  extern __shared__ __align__(128) unsigned char smem[];
  bf* Qs = reinterpret_cast<bf*>(smem);
  bf* Ks = Qs + kT * D;
  bf* Vs = Ks + kT * D;
  float* Ss = reinterpret_cast<float*>(Vs + kT * D);
  bf* Ph = reinterpret_cast<bf*>(Ss + 4 * 16 * kLdS);
  bf* Pl = Ph + 4 * 16 * kLdP;
  bf* Bs = Pl + 4 * 16 * kLdP;
  float* rowScale = reinterpret_cast<float*>(Bs + kT * kLdB);
  float* mbs = rowScale + kT;
  const bf* q = static_cast<const bf*>(ptr.q);
  const bf* k = static_cast<const bf*>(ptr.k);
  const bf* v = static_cast<const bf*>(ptr.v);
  const bf* bias = static_cast<const bf*>(ptr.bias);
  const bf* mask = static_cast<const bf*>(ptr.mask);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t bh = blockIdx.y, b = bh / p.heads, h = bh % p.heads;
  const int64_t q0 = static_cast<int64_t>(blockIdx.x) * kT;
  float* S = Ss + warp * 16 * kLdS;
  bf* ph = Ph + warp * 16 * kLdP;
  bf* pl = Pl + warp * 16 * kLdP;
  loadTile<D>(Qs, q, b, q0, p.q, p.heads, h);
  float m[16], l[16];
#pragma unroll
  for (int r = 0; r < 16; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.f;
  }
  const int rr = lane >> 1, half = lane & 1;
  float o[D / 2];
#pragma unroll
  for (int c = 0; c < D / 2; ++c) o[c] = 0.f;
  for (int64_t j0 = 0; j0 < p.k; j0 += kT) {
    __syncthreads();
    loadTile<D>(Ks, k, b, j0, p.k, p.heads, h);
    loadTile<D>(Vs, v, b, j0, p.k, p.heads, h);
    if (p.hasBias) loadBiasTile(Bs, bias, p, h, q0, j0);
    if (threadIdx.x < kT) mbs[threadIdx.x] = maskBias(p, mask, b, j0 + threadIdx.x);
    __syncthreads();
    productABt<D>(S, Qs + warp * 16 * D, nullptr, Ks);
    __syncwarp();
#pragma unroll
    for (int r = 0; r < 16; ++r) {
      float s0 = S[r * kLdS + lane] * p.scale + mbs[lane];
      float s1 = S[r * kLdS + lane + 32] * p.scale + mbs[lane + 32];
      if (p.hasBias) {
        const bf* br = Bs + (warp * 16 + r) * kLdB;
        s0 += __bfloat162float(br[lane]);
        s1 += __bfloat162float(br[lane + 32]);
      }
      float mNew = fmaxf(m[r], warpMax(fmaxf(s0, s1)));
      float corr = expf(m[r] - mNew);
      float p0 = expf(s0 - mNew), p1 = expf(s1 - mNew);
      l[r] = l[r] * corr + p0 + p1;
      m[r] = mNew;
      if (lane == r) rowScale[warp * 16 + r] = corr;
      splitStore(p0, ph + r * kLdP + lane, pl + r * kLdP + lane);
      splitStore(p1, ph + r * kLdP + lane + 32, pl + r * kLdP + lane + 32);
    }
    __syncwarp();
    FragC acc[D / 16];
#pragma unroll
    for (int n = 0; n < D / 16; ++n) wmma::fill_fragment(acc[n], 0.f);
    accumulatePB<D>(acc, ph, pl, Vs, nullptr);
#pragma unroll
    for (int n = 0; n < D / 16; ++n) wmma::store_matrix_sync(S + n * 16, acc[n], kLdS, wmma::mem_row_major);
    __syncwarp();
    float corr = rowScale[warp * 16 + rr];
#pragma unroll
    for (int c = 0; c < D / 2; ++c) o[c] = o[c] * corr + S[rr * kLdS + half * (D / 2) + c];
    __syncwarp();
  }
  float* lseOut = static_cast<float*>(ptr.lseW);
#pragma unroll
  for (int r = 0; r < 16; ++r) {
    float lt = warpSum(l[r]);
    int64_t i = q0 + warp * 16 + r;
    if (lane == r) {
      rowScale[warp * 16 + r] = 1.f / lt;
      if (i < p.q) lseOut[bh * p.q + i] = m[r] + logf(lt);
    }
  }
  __syncwarp();
  int64_t i = q0 + warp * 16 + rr;
  if (i >= p.q) return;
  float inv = rowScale[warp * 16 + rr];
  int64_t at = ((b * p.q + i) * p.heads + h) * D + half * (D / 2);
  bf* outRaw = static_cast<bf*>(ptr.outRawW);
  bf* out = static_cast<bf*>(ptr.out);
  const bf* gate = static_cast<const bf*>(ptr.gate);
#pragma unroll
  for (int c = 0; c < D / 2; ++c) {
    float oc = o[c] * inv;
    outRaw[at + c] = __float2bfloat16(oc);
    if (p.hasGate) out[at + c] = __float2bfloat16(oc / (1.f + expf(-__bfloat162float(gate[at + c]))));
  }
}

// dO (float32 scratch, allocated by the op: aligned) rows [r0, r0 + kT) as a bf16 pair; loads batched as in loadTile
template <int D>
__device__ __forceinline__ void loadSplitTile(bf* hi, bf* lo, const float* src, int64_t b, int64_t r0, int64_t rows, int64_t heads, int64_t h) {
  constexpr int VR = D / 4, N = kT * VR / kThreads;
  float4 buf[N];
#pragma unroll
  for (int u = 0; u < N; ++u) {
    int e = threadIdx.x + u * kThreads, r = e / VR, c = e % VR;
    int64_t i = r0 + r;
    buf[u] = i < rows ? *reinterpret_cast<const float4*>(src + ((b * rows + i) * heads + h) * D + c * 4) : make_float4(0.f, 0.f, 0.f, 0.f);
  }
#pragma unroll
  for (int u = 0; u < N; ++u) {
    int e = (threadIdx.x + u * kThreads) * 4;
    splitStore(buf[u].x, hi + e, lo + e);
    splitStore(buf[u].y, hi + e + 1, lo + e + 1);
    splitStore(buf[u].z, hi + e + 2, lo + e + 2);
    splitStore(buf[u].w, hi + e + 3, lo + e + 3);
  }
}

template <int D>
constexpr size_t dqSmem() {
  return 5 * kT * D * sizeof(bf) + 2 * 4 * 16 * kLdS * sizeof(float) + 2 * 4 * 16 * kLdP * sizeof(bf) + kT * kLdB * sizeof(bf) +
         3 * kT * sizeof(float);
}

template <int D>
__global__ void __launch_bounds__(kThreads) dqKernel(AttentionParams p, AttnPtrs ptr) {
  extern __shared__ __align__(128) unsigned char smem[];
  bf* Qs = reinterpret_cast<bf*>(smem);
  bf* Gh = Qs + kT * D;
  bf* Gl = Gh + kT * D;
  bf* Ks = Gl + kT * D;
  bf* Vs = Ks + kT * D;
  float* Ss = reinterpret_cast<float*>(Vs + kT * D);
  float* DPs = Ss + 4 * 16 * kLdS;
  bf* Dh = reinterpret_cast<bf*>(DPs + 4 * 16 * kLdS);
  bf* Dl = Dh + 4 * 16 * kLdP;
  bf* Bs = Dl + 4 * 16 * kLdP;
  float* lseS = reinterpret_cast<float*>(Bs + kT * kLdB);
  float* dlS = lseS + kT;
  float* mbs = dlS + kT;
  const bf* q = static_cast<const bf*>(ptr.q);
  const bf* k = static_cast<const bf*>(ptr.k);
  const bf* v = static_cast<const bf*>(ptr.v);
  const bf* bias = static_cast<const bf*>(ptr.bias);
  const bf* mask = static_cast<const bf*>(ptr.mask);
  const float* lse = static_cast<const float*>(ptr.lse);
  const float* delta = static_cast<const float*>(ptr.delta);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t bh = blockIdx.y, b = bh / p.heads, h = bh % p.heads;
  const int64_t q0 = static_cast<int64_t>(blockIdx.x) * kT;
  float* S = Ss + warp * 16 * kLdS;
  float* DP = DPs + warp * 16 * kLdS;
  bf* dh = Dh + warp * 16 * kLdP;
  bf* dl = Dl + warp * 16 * kLdP;
  loadTile<D>(Qs, q, b, q0, p.q, p.heads, h);
  loadSplitTile<D>(Gh, Gl, static_cast<const float*>(ptr.doutRaw), b, q0, p.q, p.heads, h);
  if (threadIdx.x < kT) {
    int64_t i = q0 + threadIdx.x;
    lseS[threadIdx.x] = i < p.q ? lse[bh * p.q + i] : 0.f;
    dlS[threadIdx.x] = i < p.q ? delta[bh * p.q + i] : 0.f;
  }
  FragC dqf[D / 16];
#pragma unroll
  for (int n = 0; n < D / 16; ++n) wmma::fill_fragment(dqf[n], 0.f);
  for (int64_t j0 = 0; j0 < p.k; j0 += kT) {
    __syncthreads();
    loadTile<D>(Ks, k, b, j0, p.k, p.heads, h);
    loadTile<D>(Vs, v, b, j0, p.k, p.heads, h);
    if (p.hasBias) loadBiasTile(Bs, bias, p, h, q0, j0);
    if (threadIdx.x < kT) mbs[threadIdx.x] = maskBias(p, mask, b, j0 + threadIdx.x);
    __syncthreads();
    productABt<D>(S, Qs + warp * 16 * D, nullptr, Ks);
    productABt<D>(DP, Gh + warp * 16 * D, Gl + warp * 16 * D, Vs);
    __syncwarp();
#pragma unroll 4
    for (int r = 0; r < 16; ++r) {
      float li = lseS[warp * 16 + r], di = dlS[warp * 16 + r];
#pragma unroll
      for (int u = 0; u < 2; ++u) {
        int t = lane + 32 * u;
        float s = S[r * kLdS + t] * p.scale + mbs[t];
        if (p.hasBias) s += __bfloat162float(Bs[(warp * 16 + r) * kLdB + t]);
        float pr = expf(s - li);
        splitStore(pr * (DP[r * kLdS + t] - di), dh + r * kLdP + t, dl + r * kLdP + t);
      }
    }
    __syncwarp();
    accumulatePB<D>(dqf, dh, dl, Ks, nullptr);
  }
#pragma unroll
  for (int n = 0; n < D / 16; ++n) wmma::store_matrix_sync(S + n * 16, dqf[n], kLdS, wmma::mem_row_major);
  __syncwarp();
  const int rr = lane >> 1, half = lane & 1;
  int64_t i = q0 + warp * 16 + rr;
  if (i >= p.q) return;
  bf* dq = static_cast<bf*>(ptr.dq);
  int64_t at = ((b * p.q + i) * p.heads + h) * D + half * (D / 2);
#pragma unroll
  for (int c = 0; c < D / 2; ++c) dq[at + c] = __float2bfloat16(S[rr * kLdS + half * (D / 2) + c] * p.scale);
}

template <int D>
constexpr size_t dkvSmem() {
  return 5 * kT * D * sizeof(bf) + 2 * 4 * 16 * kLdS * sizeof(float) + 4 * 4 * 16 * kLdP * sizeof(bf) + kT * kLdB * sizeof(bf) +
         3 * kT * sizeof(float);
}

// grid (key tiles, heads, batch groups of nb rows); partial: [groups, H, Q, K] float32
template <int D>
__global__ void __launch_bounds__(kThreads) dkvKernel(AttentionParams p, AttnPtrs ptr, float* partial, int nb) {
  extern __shared__ __align__(128) unsigned char smem[];
  bf* Ks = reinterpret_cast<bf*>(smem);
  bf* Vs = Ks + kT * D;
  bf* Qs = Vs + kT * D;
  bf* Gh = Qs + kT * D;
  bf* Gl = Gh + kT * D;
  float* Sts = reinterpret_cast<float*>(Gl + kT * D);
  float* DPts = Sts + 4 * 16 * kLdS;
  bf* Ph = reinterpret_cast<bf*>(DPts + 4 * 16 * kLdS);
  bf* Pl = Ph + 4 * 16 * kLdP;
  bf* Dh = Pl + 4 * 16 * kLdP;
  bf* Dl = Dh + 4 * 16 * kLdP;
  bf* Bs = Dl + 4 * 16 * kLdP;
  float* lseS = reinterpret_cast<float*>(Bs + kT * kLdB);
  float* dlS = lseS + kT;
  float* mbs = dlS + kT;
  const bf* q = static_cast<const bf*>(ptr.q);
  const bf* k = static_cast<const bf*>(ptr.k);
  const bf* v = static_cast<const bf*>(ptr.v);
  const bf* bias = static_cast<const bf*>(ptr.bias);
  const bf* mask = static_cast<const bf*>(ptr.mask);
  const float* lse = static_cast<const float*>(ptr.lse);
  const float* delta = static_cast<const float*>(ptr.delta);
  const float* dO = static_cast<const float*>(ptr.doutRaw);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t j0 = static_cast<int64_t>(blockIdx.x) * kT, h = blockIdx.y, g = blockIdx.z;
  const int64_t bStart = g * nb, bEnd = bStart + nb < p.batch ? bStart + nb : p.batch;
  float* St = Sts + warp * 16 * kLdS;
  float* DPt = DPts + warp * 16 * kLdS;
  bf* ph = Ph + warp * 16 * kLdP;
  bf* pl = Pl + warp * 16 * kLdP;
  bf* dh = Dh + warp * 16 * kLdP;
  bf* dl = Dl + warp * 16 * kLdP;
  const int rr = lane >> 1, half = lane & 1;
  for (int64_t b = bStart; b < bEnd; ++b) {
    const int64_t bh = b * p.heads + h;
    __syncthreads();
    loadTile<D>(Ks, k, b, j0, p.k, p.heads, h);
    loadTile<D>(Vs, v, b, j0, p.k, p.heads, h);
    if (threadIdx.x < kT) mbs[threadIdx.x] = maskBias(p, mask, b, j0 + threadIdx.x);
    FragC dkf[D / 16], dvf[D / 16];
#pragma unroll
    for (int n = 0; n < D / 16; ++n) {
      wmma::fill_fragment(dkf[n], 0.f);
      wmma::fill_fragment(dvf[n], 0.f);
    }
    for (int64_t i0 = 0; i0 < p.q; i0 += kT) {
      __syncthreads();
      loadTile<D>(Qs, q, b, i0, p.q, p.heads, h);
      loadSplitTile<D>(Gh, Gl, dO, b, i0, p.q, p.heads, h);
      if (threadIdx.x < kT) {
        int64_t i = i0 + threadIdx.x;
        lseS[threadIdx.x] = i < p.q ? lse[bh * p.q + i] : INFINITY;
        dlS[threadIdx.x] = i < p.q ? delta[bh * p.q + i] : 0.f;
      }
      if (p.hasBias) loadBiasTile(Bs, bias, p, h, i0, j0);
      __syncthreads();
      productABt<D>(St, Ks + warp * 16 * D, nullptr, Qs);
      productABtSplitB<D>(DPt, Vs + warp * 16 * D, Gh, Gl);
      __syncwarp();
#pragma unroll 4
      for (int r = 0; r < 16; ++r) {
        int jl = warp * 16 + r;
        float mb = mbs[jl];
#pragma unroll
        for (int u = 0; u < 2; ++u) {
          int t = lane + 32 * u;
          float s = St[r * kLdS + t] * p.scale + mb;
          if (p.hasBias) s += __bfloat162float(Bs[t * kLdB + jl]);
          float pr = expf(s - lseS[t]);
          float ds = pr * (DPt[r * kLdS + t] - dlS[t]);
          splitStore(pr, ph + r * kLdP + t, pl + r * kLdP + t);
          splitStore(ds, dh + r * kLdP + t, dl + r * kLdP + t);
          St[r * kLdS + t] = ds;
        }
      }
      __syncwarp();
      accumulatePB<D>(dvf, ph, pl, Gh, Gl);
      accumulatePB<D>(dkf, dh, dl, Qs, nullptr);
      if (p.hasBias) {
        __syncthreads();
        int jl = threadIdx.x & (kT - 1);
        int64_t j = j0 + jl;
        if (j < p.k) {
          const float* src = Sts + (jl >> 4) * 16 * kLdS + (jl & 15) * kLdS;
          for (int ii = threadIdx.x >> 6; ii < kT; ii += kThreads / kT) {
            int64_t i = i0 + ii;
            if (i >= p.q) break;
            float* dst = partial + ((g * p.heads + h) * p.q + i) * p.k + j;
            *dst = b == bStart ? src[ii] : *dst + src[ii];
          }
        }
      }
    }
    __syncthreads();
    bf* dk = static_cast<bf*>(ptr.dk);
    bf* dv = static_cast<bf*>(ptr.dv);
    int64_t j = j0 + warp * 16 + rr;
    int64_t at = ((b * p.k + j) * p.heads + h) * D + half * (D / 2);
#pragma unroll
    for (int n = 0; n < D / 16; ++n) wmma::store_matrix_sync(St + n * 16, dkf[n], kLdS, wmma::mem_row_major);
    __syncwarp();
    if (j < p.k) {
#pragma unroll
      for (int c = 0; c < D / 2; ++c) dk[at + c] = __float2bfloat16(St[rr * kLdS + half * (D / 2) + c] * p.scale);
    }
    __syncwarp();
#pragma unroll
    for (int n = 0; n < D / 16; ++n) wmma::store_matrix_sync(St + n * 16, dvf[n], kLdS, wmma::mem_row_major);
    __syncwarp();
    if (j < p.k) {
#pragma unroll
      for (int c = 0; c < D / 2; ++c) dv[at + c] = __float2bfloat16(St[rr * kLdS + half * (D / 2) + c]);
    }
  }
}

// dbias[h, i, j] = sum over groups of partial[g, h, i, j]
__global__ void dbiasReduceKernel(const float* __restrict__ partial, float* __restrict__ dbias, int64_t n, int groups) {
  int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (e >= n) return;
  float s = 0.f;
  for (int g = 0; g < groups; ++g) s += partial[g * n + e];
  dbias[e] = s;
}

}  // namespace tc

// On by default (H200, test/gpu/results/h200_2026-11-28_tc_attention_v2.txt: every GPU test passes on both
// paths; fwd+bwd 2.79 ms vs 2.95 ms SIMT at the MSA-row shape, still above PyTorch SDPA's 1.21 ms).
// SF_ATTENTION_TC=0 in the environment turns them off (read at each launch, so tests and benchmarks can
// compare both paths in one process).
inline bool attentionTcEnabled() {
  const char* e = std::getenv("SF_ATTENTION_TC");
  return !(e && e[0] == '0');
}

inline bool attentionTcCovers(const AttentionParams& p, DType dt, const void* q, const void* k, const void* v) {
  auto aligned = [](const void* x) { return (reinterpret_cast<uintptr_t>(x) & 15) == 0; };  // 16-byte tile loads
  return dt == DType::BF16 && (p.d == 16 || p.d == 32) && aligned(q) && aligned(k) && aligned(v) && attentionTcEnabled();
}

template <typename Kern>
static void allowSmem(Kern kern, size_t bytes) {
  cudaError_t e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
  if (e != cudaSuccess) throw CoreError(std::string("attention: shared memory attribute: ") + cudaGetErrorString(e));
}

template <int D>
void attentionForwardTc(const AttentionParams& p, const AttnPtrs& ptr) {
  size_t bytes = tc::forwardSmem<D>();
  allowSmem(tc::forwardKernel<D>, bytes);
  dim3 grid(blocksFor(p.q, tc::kT), static_cast<unsigned>(p.batch * p.heads));
  tc::forwardKernel<D><<<grid, tc::kThreads, bytes, stream()>>>(p, ptr);
}

template <int D>
void attentionBackwardTc(const AttentionParams& p, const AttnPtrs& ptr) {
  size_t dqBytes = tc::dqSmem<D>(), dkvBytes = tc::dkvSmem<D>();
  allowSmem(tc::dqKernel<D>, dqBytes);
  allowSmem(tc::dkvKernel<D>, dkvBytes);
  tc::dqKernel<D><<<dim3(blocksFor(p.q, tc::kT), static_cast<unsigned>(p.batch * p.heads)), tc::kThreads, dqBytes, stream()>>>(p, ptr);
  // batch groups: enough CTAs for about four per SM of an H100/H200 (132 SMs)
  int64_t keyTiles = (p.k + tc::kT - 1) / tc::kT;
  int64_t wantGroups = (528 + p.heads * keyTiles - 1) / (p.heads * keyTiles);
  if (wantGroups > p.batch) wantGroups = p.batch;
  if (wantGroups < 1) wantGroups = 1;
  int nb = static_cast<int>((p.batch + wantGroups - 1) / wantGroups);
  int groups = static_cast<int>((p.batch + nb - 1) / nb);
  float* partial = nullptr;
  int64_t n = p.heads * p.q * p.k;
  if (p.hasBias) partial = static_cast<float*>(deviceAlloc(static_cast<size_t>(groups) * n * sizeof(float)));
  tc::dkvKernel<D><<<dim3(static_cast<unsigned>(keyTiles), static_cast<unsigned>(p.heads), static_cast<unsigned>(groups)), tc::kThreads,
                     dkvBytes, stream()>>>(p, ptr, partial, nb);
  if (p.hasBias) {
    tc::dbiasReduceKernel<<<blocksFor(n, 256), 256, 0, stream()>>>(partial, static_cast<float*>(ptr.dbias), n, groups);
    deviceFree(partial);
  }
}

}  // namespace sf
