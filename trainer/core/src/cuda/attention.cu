// Fused gated attention with pair bias, flash-attention style (reference:
// ops/attention.cpp, which states the algorithm and layouts). Nothing of size
// [B, H, Q, K] is ever written: the forward keeps a running max and sum per
// query (online softmax) and saves lse; the backward recomputes p from lse.
//   forward:  one thread per query, 128 queries per block, one (b, h) per
//             block row; K/V tiles of 32 keys and the bias tile staged in
//             shared memory (the bias tile transposed through a padded array
//             so its global reads are coalesced).
//   backward: prep (dO = dout * sigmoid(g), dgate, delta = dO·o), then
//             dq (one thread per query, as the forward) and dk/dv/dbias (one
//             thread per key, query tiles in shared memory; dbias is summed
//             over the batch rows with coalesced float atomics).
// Head dims 4, 8, 16, 32 and 64 are compiled (AlphaFold2 uses 8, 16 and 32;
// the tiny test model 4 and 8). Path per call, first match:
//   bf16 + cuBLASLt + head dim a multiple of 8 + Q*K >= 4096: the GEMM path of
//     attention_gemm.cuh (unless SF_ATTENTION_GEMM=0; SF_ATTENTION_GEMM_FWD=0
//     keeps only its backward);
//   bf16 + head dim 16 or 32: the tensor-core kernels of attention_tc.cuh
//     (unless SF_ATTENTION_TC=0);
//   otherwise (float32, other head dims, small shapes): these SIMT kernels.
#include <cmath>
#include <cstdlib>

#include "common.cuh"
#include "kernels.h"

namespace sf {

constexpr int kRows = 128;  // queries (forward, dq) or keys (dk/dv) per block
constexpr int kTileKeys = 32;
constexpr float kMaskScale = 1e9f;  // OpenFold's inf for mask biases

struct AttnPtrs {
  const void *q, *k, *v, *bias, *mask, *gate, *outRaw, *lse, *dout;
  void *out, *outRawW, *lseW, *dq, *dk, *dv, *dbias, *dgate, *doutRaw, *delta;
};

template <typename T, int D>
__global__ void __launch_bounds__(kRows) attentionForwardKernel(AttentionParams p, AttnPtrs ptr) {
  using A = typename Acc<T>::type;
  __shared__ A ks[kTileKeys][D];
  __shared__ A vs[kTileKeys][D];
  __shared__ A bs[kRows][kTileKeys + 1];
  __shared__ A ms[kTileKeys];
  const T* q = static_cast<const T*>(ptr.q);
  const T* k = static_cast<const T*>(ptr.k);
  const T* v = static_cast<const T*>(ptr.v);
  const T* bias = static_cast<const T*>(ptr.bias);
  const T* mask = static_cast<const T*>(ptr.mask);
  int64_t bh = blockIdx.y, b = bh / p.heads, h = bh % p.heads;
  int64_t i0 = static_cast<int64_t>(blockIdx.x) * kRows, i = i0 + threadIdx.x;
  bool live = i < p.q;
  int64_t rowStride = p.heads * D;
  A qr[D], o[D];
  A m = -INFINITY, l = 0;
  if (live) {
    const T* qp = q + ((b * p.q + i) * p.heads + h) * D;
#pragma unroll
    for (int c = 0; c < D; ++c) {
      qr[c] = load(qp[c]) * static_cast<A>(p.scale);
      o[c] = 0;
    }
  }
  for (int64_t j0 = 0; j0 < p.k; j0 += kTileKeys) {
    for (int e = threadIdx.x; e < kTileKeys * D; e += kRows) {
      int jj = e / D, c = e % D;
      int64_t j = j0 + jj;
      ks[jj][c] = j < p.k ? load(k[(b * p.k + j) * rowStride + h * D + c]) : A(0);
      vs[jj][c] = j < p.k ? load(v[(b * p.k + j) * rowStride + h * D + c]) : A(0);
    }
    if (p.hasBias) {
      for (int e = threadIdx.x; e < kRows * kTileKeys; e += kRows) {
        int r = e / kTileKeys, jj = e % kTileKeys;
        int64_t ii = i0 + r, j = j0 + jj;
        bs[r][jj] = (ii < p.q && j < p.k) ? load(bias[(h * p.q + ii) * p.k + j]) : A(0);
      }
    }
    if (threadIdx.x < kTileKeys) {
      int64_t j = j0 + threadIdx.x;
      ms[threadIdx.x] = j >= p.k ? A(-INFINITY) : p.hasMask ? static_cast<A>(kMaskScale) * (load(mask[b * p.k + j]) - A(1)) : A(0);
    }
    __syncthreads();
    if (live) {
      A s[kTileKeys];
      A tileMax = -INFINITY;
#pragma unroll
      for (int jj = 0; jj < kTileKeys; ++jj) {
        A dot4[4] = {0, 0, 0, 0};
#pragma unroll
        for (int c = 0; c < D; ++c) dot4[c & 3] += qr[c] * ks[jj][c];
        A dot = (dot4[0] + dot4[1]) + (dot4[2] + dot4[3]);
        s[jj] = dot + (p.hasBias ? bs[threadIdx.x][jj] : A(0)) + ms[jj];
        tileMax = fmax(tileMax, s[jj]);
      }
      A mNew = fmax(m, tileMax);
      A corr = exp(m - mNew);
      l *= corr;
#pragma unroll
      for (int c = 0; c < D; ++c) o[c] *= corr;
#pragma unroll
      for (int jj = 0; jj < kTileKeys; ++jj) {
        A w = exp(s[jj] - mNew);
        l += w;
#pragma unroll
        for (int c = 0; c < D; ++c) o[c] += w * vs[jj][c];
      }
      m = mNew;
    }
    __syncthreads();
  }
  if (!live) return;
  int64_t at = ((b * p.q + i) * p.heads + h) * D;
  A inv = A(1) / l;
  T* outRaw = static_cast<T*>(ptr.outRawW);
  T* out = static_cast<T*>(ptr.out);
  const T* gate = static_cast<const T*>(ptr.gate);
#pragma unroll
  for (int c = 0; c < D; ++c) {
    A oc = o[c] * inv;
    outRaw[at + c] = store<T>(oc);
    if (p.hasGate) out[at + c] = store<T>(oc / (A(1) + exp(-load(gate[at + c]))));
  }
  static_cast<A*>(ptr.lseW)[bh * p.q + i] = m + log(l);
}

// dO = dout * sigmoid(g) (float32), dgate, delta[b,h,i] = dO·o. One thread per (b, i, h).
template <typename T, int D>
__global__ void attentionPrepKernel(AttentionParams p, AttnPtrs ptr) {
  using A = typename Acc<T>::type;
  int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (e >= p.batch * p.q * p.heads) return;
  int64_t h = e % p.heads, i = (e / p.heads) % p.q, b = e / (p.heads * p.q);
  const T* dout = static_cast<const T*>(ptr.dout);
  const T* outRaw = static_cast<const T*>(ptr.outRaw);
  const T* gate = static_cast<const T*>(ptr.gate);
  float* dO = static_cast<float*>(ptr.doutRaw);
  A delta = 0;
  for (int c = 0; c < D; ++c) {
    int64_t at = e * D + c;
    A g = load(dout[at]), o = load(outRaw[at]);
    if (p.hasGate) {
      A sg = A(1) / (A(1) + exp(-load(gate[at])));
      static_cast<T*>(ptr.dgate)[at] = store<T>(g * o * sg * (A(1) - sg));
      g *= sg;
    }
    dO[at] = static_cast<float>(g);
    delta += g * o;
  }
  static_cast<float*>(ptr.delta)[(b * p.heads + h) * p.q + i] = static_cast<float>(delta);
}

template <typename T, int D>
__global__ void __launch_bounds__(kRows) attentionDqKernel(AttentionParams p, AttnPtrs ptr) {
  using A = typename Acc<T>::type;
  __shared__ A ks[kTileKeys][D];
  __shared__ A vs[kTileKeys][D];
  __shared__ A bs[kRows][kTileKeys + 1];
  __shared__ A ms[kTileKeys];
  const T* q = static_cast<const T*>(ptr.q);
  const T* k = static_cast<const T*>(ptr.k);
  const T* v = static_cast<const T*>(ptr.v);
  const T* bias = static_cast<const T*>(ptr.bias);
  const T* mask = static_cast<const T*>(ptr.mask);
  const A* lse = static_cast<const A*>(ptr.lse);
  const float* dO = static_cast<const float*>(ptr.doutRaw);
  const float* delta = static_cast<const float*>(ptr.delta);
  int64_t bh = blockIdx.y, b = bh / p.heads, h = bh % p.heads;
  int64_t i0 = static_cast<int64_t>(blockIdx.x) * kRows, i = i0 + threadIdx.x;
  bool live = i < p.q;
  int64_t rowStride = p.heads * D;
  int64_t at = ((b * p.q + i) * p.heads + h) * D;
  A qr[D], gr[D], dq[D];
  A li = 0, di = 0;
  if (live) {
#pragma unroll
    for (int c = 0; c < D; ++c) {
      qr[c] = load(q[at + c]) * static_cast<A>(p.scale);
      gr[c] = dO[at + c];
      dq[c] = 0;
    }
    li = lse[bh * p.q + i];
    di = delta[bh * p.q + i];
  }
  for (int64_t j0 = 0; j0 < p.k; j0 += kTileKeys) {
    for (int e = threadIdx.x; e < kTileKeys * D; e += kRows) {
      int jj = e / D, c = e % D;
      int64_t j = j0 + jj;
      ks[jj][c] = j < p.k ? load(k[(b * p.k + j) * rowStride + h * D + c]) : A(0);
      vs[jj][c] = j < p.k ? load(v[(b * p.k + j) * rowStride + h * D + c]) : A(0);
    }
    if (p.hasBias) {
      for (int e = threadIdx.x; e < kRows * kTileKeys; e += kRows) {
        int r = e / kTileKeys, jj = e % kTileKeys;
        int64_t ii = i0 + r, j = j0 + jj;
        bs[r][jj] = (ii < p.q && j < p.k) ? load(bias[(h * p.q + ii) * p.k + j]) : A(0);
      }
    }
    if (threadIdx.x < kTileKeys) {
      int64_t j = j0 + threadIdx.x;
      ms[threadIdx.x] = j >= p.k ? A(-INFINITY) : p.hasMask ? static_cast<A>(kMaskScale) * (load(mask[b * p.k + j]) - A(1)) : A(0);
    }
    __syncthreads();
    if (live) {
#pragma unroll 4
      for (int jj = 0; jj < kTileKeys; ++jj) {
        // four partial sums per dot product: independent FMA chains (ILP)
        A dot4[4] = {0, 0, 0, 0}, dP4[4] = {0, 0, 0, 0};
#pragma unroll
        for (int c = 0; c < D; ++c) {
          dot4[c & 3] += qr[c] * ks[jj][c];
          dP4[c & 3] += gr[c] * vs[jj][c];
        }
        A dot = (dot4[0] + dot4[1]) + (dot4[2] + dot4[3]);
        A dP = (dP4[0] + dP4[1]) + (dP4[2] + dP4[3]);
        A pr = exp(dot + (p.hasBias ? bs[threadIdx.x][jj] : A(0)) + ms[jj] - li);
        A dS = pr * (dP - di);
#pragma unroll
        for (int c = 0; c < D; ++c) dq[c] += dS * ks[jj][c];
      }
    }
    __syncthreads();
  }
  if (!live) return;
  T* out = static_cast<T*>(ptr.dq);
#pragma unroll
  for (int c = 0; c < D; ++c) out[at + c] = store<T>(dq[c] * static_cast<A>(p.scale));
}

template <typename T, int D>
__global__ void __launch_bounds__(kRows) attentionDkvKernel(AttentionParams p, AttnPtrs ptr) {
  using A = typename Acc<T>::type;
  constexpr int kTileQ = 32;
  __shared__ A qs[kTileQ][D];
  __shared__ A gs[kTileQ][D];
  __shared__ A ls[kTileQ];
  __shared__ A dls[kTileQ];
  const T* q = static_cast<const T*>(ptr.q);
  const T* k = static_cast<const T*>(ptr.k);
  const T* v = static_cast<const T*>(ptr.v);
  const T* bias = static_cast<const T*>(ptr.bias);
  const T* mask = static_cast<const T*>(ptr.mask);
  const A* lse = static_cast<const A*>(ptr.lse);
  const float* dO = static_cast<const float*>(ptr.doutRaw);
  const float* delta = static_cast<const float*>(ptr.delta);
  A* dbias = static_cast<A*>(ptr.dbias);
  int64_t bh = blockIdx.y, b = bh / p.heads, h = bh % p.heads;
  int64_t j = static_cast<int64_t>(blockIdx.x) * kRows + threadIdx.x;
  bool live = j < p.k;
  int64_t rowStride = p.heads * D;
  int64_t at = ((b * p.k + j) * p.heads + h) * D;
  A kr[D], vr[D], dk[D], dv[D];
  A mb = 0;
  if (live) {
#pragma unroll
    for (int c = 0; c < D; ++c) {
      kr[c] = load(k[at + c]) * static_cast<A>(p.scale);
      vr[c] = load(v[at + c]);
      dk[c] = 0;
      dv[c] = 0;
    }
    if (p.hasMask) mb = static_cast<A>(kMaskScale) * (load(mask[b * p.k + j]) - A(1));
  }
  for (int64_t i0 = 0; i0 < p.q; i0 += kTileQ) {
    for (int e = threadIdx.x; e < kTileQ * D; e += kRows) {
      int ii = e / D, c = e % D;
      int64_t i = i0 + ii;
      qs[ii][c] = i < p.q ? load(q[(b * p.q + i) * rowStride + h * D + c]) : A(0);
      gs[ii][c] = i < p.q ? static_cast<A>(dO[(b * p.q + i) * rowStride + h * D + c]) : A(0);
    }
    if (threadIdx.x < kTileQ) {
      int64_t i = i0 + threadIdx.x;
      ls[threadIdx.x] = i < p.q ? lse[bh * p.q + i] : A(INFINITY);
      dls[threadIdx.x] = i < p.q ? static_cast<A>(delta[bh * p.q + i]) : A(0);
    }
    __syncthreads();
    if (live) {
      int iend = static_cast<int>(p.q - i0 < kTileQ ? p.q - i0 : kTileQ);
#pragma unroll 2
      for (int ii = 0; ii < iend; ++ii) {
        int64_t i = i0 + ii;
        A dot4[4] = {0, 0, 0, 0}, dP4[4] = {0, 0, 0, 0};
#pragma unroll
        for (int c = 0; c < D; ++c) {
          dot4[c & 3] += qs[ii][c] * kr[c];
          dP4[c & 3] += gs[ii][c] * vr[c];
        }
        A dot = (dot4[0] + dot4[1]) + (dot4[2] + dot4[3]);
        A dP = (dP4[0] + dP4[1]) + (dP4[2] + dP4[3]);
        A bij = p.hasBias ? load(bias[(h * p.q + i) * p.k + j]) : A(0);
        A pr = exp(dot + bij + mb - ls[ii]);
        A dS = pr * (dP - dls[ii]);
#pragma unroll
        for (int c = 0; c < D; ++c) {
          dv[c] += pr * gs[ii][c];
          dk[c] += dS * qs[ii][c];
        }
        if (p.hasBias) atomicAdd(&dbias[(h * p.q + i) * p.k + j], dS);
      }
    }
    __syncthreads();
  }
  if (!live) return;
  T* outK = static_cast<T*>(ptr.dk);
  T* outV = static_cast<T*>(ptr.dv);
#pragma unroll
  for (int c = 0; c < D; ++c) {
    outK[at + c] = store<T>(dk[c] * static_cast<A>(p.scale));
    outV[at + c] = store<T>(dv[c]);
  }
}

}  // namespace sf

#include "attention_tc.cuh"
#include "attention_gemm.cuh"

namespace sf {

// float32 and bfloat16 only: float64 attention is for the CPU gradient checks.
#define SF_ATTN_DTYPE_SWITCH(op, dt, T, ...)                                                  \
  switch (dt) {                                                                             \
    case DType::F32: { using T = float; __VA_ARGS__; break; }                               \
    case DType::BF16: { using T = bf16; __VA_ARGS__; break; }                               \
    default: throw CoreError(std::string(op) + " on CUDA: float32 or bfloat16 only, got " + dtypeName(dt)); \
  }

#define SF_HEAD_DIM_SWITCH(d, D, ...)                                      \
  switch (d) {                                                             \
    case 4: { constexpr int D = 4; __VA_ARGS__; break; }                   \
    case 8: { constexpr int D = 8; __VA_ARGS__; break; }                   \
    case 16: { constexpr int D = 16; __VA_ARGS__; break; }                 \
    case 32: { constexpr int D = 32; __VA_ARGS__; break; }                 \
    case 64: { constexpr int D = 64; __VA_ARGS__; break; }                 \
    default: throw CoreError("attention on CUDA: head dim " + std::to_string(d) + " not compiled (4, 8, 16, 32, 64)"); \
  }

static const void* ptrOrNull(const Tensor& t) { return t.defined() ? t.raw() : nullptr; }
static void* wptrOrNull(const Tensor& t) { return t.defined() ? t.raw() : nullptr; }

void attentionForwardCuda(const AttentionParams& p, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                          const Tensor& mask, const Tensor& gate, const Tensor& out, const Tensor& outRaw, const Tensor& lse) {
  SF_CHECK(q.numel() == p.batch * p.q * p.heads * p.d && lse.numel() == p.batch * p.heads * p.q, "attention launcher: shape mismatch");
  SF_CHECK(p.batch * p.heads <= 65535, "attention launcher: B * H above 65535");
  AttnPtrs ptr{};
  ptr.q = q.raw();
  ptr.k = k.raw();
  ptr.v = v.raw();
  ptr.bias = ptrOrNull(bias);
  ptr.mask = ptrOrNull(mask);
  ptr.gate = ptrOrNull(gate);
  ptr.out = out.raw();
  ptr.outRawW = outRaw.raw();
  ptr.lseW = lse.raw();
  if (attentionGemmForward(p, q.dtype)) {  // bf16 with cuBLASLt: GEMMs + softmax kernel (attention_gemm.cuh)
    attentionForwardGemm(p, ptr);
    checkLastLaunch("attention");
    return;
  }
  if (attentionTcCovers(p, q.dtype, ptr.q, ptr.k, ptr.v)) {  // bf16, head dim 16 or 32: tensor cores (attention_tc.cuh)
    if (p.d == 16) attentionForwardTc<16>(p, ptr);
    else attentionForwardTc<32>(p, ptr);
    checkLastLaunch("attention");
    return;
  }
  dim3 grid(blocksFor(p.q, kRows), static_cast<unsigned>(p.batch * p.heads));
  SF_ATTN_DTYPE_SWITCH("attention", q.dtype, T, {
    SF_HEAD_DIM_SWITCH(static_cast<int>(p.d), D, { attentionForwardKernel<T, D><<<grid, kRows, 0, stream()>>>(p, ptr); });
  });
  checkLastLaunch("attention");
}

void attentionBackwardCuda(const AttentionParams& p, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                           const Tensor& mask, const Tensor& gate, const Tensor& outRaw, const Tensor& lse, const Tensor& dout,
                           const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& dbiasAcc, const Tensor& dgate,
                           const Tensor& doutRaw, const Tensor& delta) {
  SF_CHECK(doutRaw.dtype == DType::F32 && delta.dtype == DType::F32 && doutRaw.numel() == q.numel(),
           "attention_backward launcher: scratch buffers mismatch");
  SF_CHECK(p.batch * p.heads <= 65535, "attention_backward launcher: B * H above 65535");
  AttnPtrs ptr{};
  ptr.q = q.raw();
  ptr.k = k.raw();
  ptr.v = v.raw();
  ptr.bias = ptrOrNull(bias);
  ptr.mask = ptrOrNull(mask);
  ptr.gate = ptrOrNull(gate);
  ptr.outRaw = outRaw.raw();
  ptr.lse = lse.raw();
  ptr.dout = dout.raw();
  ptr.dq = dq.raw();
  ptr.dk = dk.raw();
  ptr.dv = dv.raw();
  ptr.dbias = wptrOrNull(dbiasAcc);
  ptr.dgate = wptrOrNull(dgate);
  ptr.doutRaw = doutRaw.raw();
  ptr.delta = delta.raw();
  int64_t rows = p.batch * p.q * p.heads;
  if (attentionGemmCovers(p, q.dtype)) {  // bf16 with cuBLASLt: GEMMs + one elementwise/dbias kernel (attention_gemm.cuh)
    attentionBackwardGemm(p, ptr);
    checkLastLaunch("attention_backward");
    return;
  }
  if (attentionTcCovers(p, q.dtype, ptr.q, ptr.k, ptr.v)) {  // bf16, head dim 16 or 32: tensor cores (attention_tc.cuh)
    if (p.d == 16) {
      attentionPrepKernel<bf16, 16><<<blocksFor(rows, 256), 256, 0, stream()>>>(p, ptr);
      attentionBackwardTc<16>(p, ptr);
    } else {
      attentionPrepKernel<bf16, 32><<<blocksFor(rows, 256), 256, 0, stream()>>>(p, ptr);
      attentionBackwardTc<32>(p, ptr);
    }
    checkLastLaunch("attention_backward");
    return;
  }
  SF_ATTN_DTYPE_SWITCH("attention_backward", q.dtype, T, {
    SF_HEAD_DIM_SWITCH(static_cast<int>(p.d), D, {
      attentionPrepKernel<T, D><<<blocksFor(rows, 256), 256, 0, stream()>>>(p, ptr);
      attentionDqKernel<T, D><<<dim3(blocksFor(p.q, kRows), static_cast<unsigned>(p.batch * p.heads)), kRows, 0, stream()>>>(p, ptr);
      attentionDkvKernel<T, D><<<dim3(blocksFor(p.k, kRows), static_cast<unsigned>(p.batch * p.heads)), kRows, 0, stream()>>>(p, ptr);
    });
  });
  checkLastLaunch("attention_backward");
}

}  // namespace sf
