// GEMM path of the fused gated attention (bfloat16, cuBLASLt builds; included
// by attention.cu after attention_tc.cuh). Same algorithm and layouts as
// ops/attention.cpp (AlphaFold2 suppl. Alg. 7/8/13/14 with OpenFold's pair
// bias, mask bias and gate), written the way PyTorch's eager attention runs
// it: the products are strided-batched cuBLASLt GEMMs (gemmBf16Cuda in
// matmul.cu, one call per head over the batch rows, since q, k, v are
// [B, L, H, D]) and the softmax / gradient steps are elementwise kernels over
// [B, H, Q, K] scratch that is freed at the end of the op.
//   forward:  S = q k^T (float32) -> softmax rows (+ scale, bias, mask) give
//             P (bf16) and lse -> O = P v (float32) -> outRaw, out = sig(g) O.
//   backward: dO = dout sig(g) (bf16), dgate, delta = dO·outRaw (prep);
//             S = q k^T, dP = dO v^T (float32) -> one kernel per (h, i, j)
//             looping over the batch rows: P = exp(S scale + bias + mask - lse),
//             dS = P (dP - delta) (both bf16), dbias[h,i,j] += sum_b dS
//             (coalesced, no atomics) -> dq = scale dS k, dk = scale dS^T q,
//             dv = P^T dO (bf16 out).
// Precision: q, k, v are exact bf16 operands; lse, delta and dbias stay
// float32; P, dS and dO are rounded to bf16 once each before they enter a
// product (as PyTorch's bf16 eager attention and FlashAttention do). The
// scores S and dP stay float32 by default; SF_ATTENTION_SCORES=bf16 has
// their GEMMs write bf16 (fp32 accumulation, one rounding: what OpenFold's
// attention under bf16 autocast does, its q k^T and dO v^T being bf16
// matmuls), which halves the scratch traffic that bounds this path (about
// 0.3 ms of an Evoformer block on the H200) at the cost of dq/dk errors of
// 2.0-2.2x a same-precision reference's, where float32 scores give 1.7x.
// The scratch is processed in chunks of batch rows (at most kScratchBytes).
#pragma once
#include <cuda_bf16.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace sf {
namespace gemm_attn {

using bf = __nv_bfloat16;
constexpr float kMaskScale = 1e9f;
constexpr int64_t kScratchBytes = int64_t(1) << 30;

__device__ __forceinline__ float toF(float x) { return x; }
__device__ __forceinline__ float toF(bf x) { return __bfloat162float(x); }

// 8 consecutive scores (16-byte aligned for float, 16-byte for 8 bf16) as floats
__device__ __forceinline__ void load8(const float* s, float* x) {
  float4 a = reinterpret_cast<const float4*>(s)[0], b = reinterpret_cast<const float4*>(s)[1];
  x[0] = a.x, x[1] = a.y, x[2] = a.z, x[3] = a.w, x[4] = b.x, x[5] = b.y, x[6] = b.z, x[7] = b.w;
}
__device__ __forceinline__ void load8(const bf* s, float* x) {
  alignas(16) bf v[8];
  *reinterpret_cast<uint4*>(v) = *reinterpret_cast<const uint4*>(s);
#pragma unroll
  for (int e = 0; e < 8; ++e) x[e] = __bfloat162float(v[e]);
}
// 4 consecutive scores (16-byte aligned for float, 8-byte for bf16)
__device__ __forceinline__ void load4(const float* s, float* x) {
  float4 a = *reinterpret_cast<const float4*>(s);
  x[0] = a.x, x[1] = a.y, x[2] = a.z, x[3] = a.w;
}
__device__ __forceinline__ void load4(const bf* s, float* x) {
  alignas(8) bf v[4];
  *reinterpret_cast<uint2*>(v) = *reinterpret_cast<const uint2*>(s);
#pragma unroll
  for (int e = 0; e < 4; ++e) x[e] = __bfloat162float(v[e]);
}

__device__ __forceinline__ float maskBias(const AttentionParams& p, const bf* mask, int64_t b, int64_t j) {
  return p.hasMask ? kMaskScale * (__bfloat162float(mask[b * p.k + j]) - 1.f) : 0.f;
}

// The row of S a warp of the softmax kernels takes: (bb, h, i) flat, and b = b0 + bb (the chunk's first entry).
struct SoftmaxRow {
  int64_t row, i, h, b;
};
__device__ __forceinline__ SoftmaxRow softmaxRowOf(const AttentionParams& p, int64_t b0) {
  const int64_t row = (blockIdx.x * 256ll + threadIdx.x) >> 5;
  return {row, row % p.q, (row / p.q) % p.heads, b0 + row / (p.q * p.heads)};
}

// One warp per row (b, h, i) of S (chunk-relative b): p = softmax_j(S scale + bias + mask), P in bf16, lse.
// Rows of up to 32 * N keys are held in registers (one read of S); longer rows take N = 0 (three passes).
template <int N, typename TS>
__global__ void __launch_bounds__(256) softmaxRowsKernel(AttentionParams p, const TS* __restrict__ S, const bf* __restrict__ bias,
                                                         const bf* __restrict__ mask, bf* __restrict__ P, float* __restrict__ lse,
                                                         int64_t b0, int64_t nb) {
  const int lane = threadIdx.x & 31;
  const SoftmaxRow r = softmaxRowOf(p, b0);
  if (r.row >= nb * p.heads * p.q) return;
  const int64_t row = r.row, i = r.i, h = r.h, b = r.b;
  const TS* s = S + row * p.k;
  const bf* br = p.hasBias ? bias + (h * p.q + i) * p.k : nullptr;
  auto logit = [&](int64_t j) {
    float x = toF(s[j]) * p.scale + maskBias(p, mask, b, j);
    return br ? x + __bfloat162float(br[j]) : x;
  };
  bf* pr = P + row * p.k;
  float m = -INFINITY, l = 0.f;
  if constexpr (N > 0) {
    float x[N];
#pragma unroll
    for (int u = 0; u < N; ++u) {
      int64_t j = lane + 32 * u;
      x[u] = j < p.k ? logit(j) : -INFINITY;
      m = fmaxf(m, x[u]);
    }
    m = warpMax(m);
#pragma unroll
    for (int u = 0; u < N; ++u) l += lane + 32 * u < p.k ? expf(x[u] - m) : 0.f;
    l = warpSum(l);
    const float lr = m + logf(l);
#pragma unroll
    for (int u = 0; u < N; ++u) {
      int64_t j = lane + 32 * u;
      if (j < p.k) pr[j] = __float2bfloat16(expf(x[u] - lr));
    }
    if (lane == 0) lse[(b * p.heads + h) * p.q + i] = lr;
  } else {
    for (int64_t j = lane; j < p.k; j += 32) m = fmaxf(m, logit(j));
    m = warpMax(m);
    for (int64_t j = lane; j < p.k; j += 32) l += expf(logit(j) - m);
    l = warpSum(l);
    const float lr = m + logf(l);
    for (int64_t j = lane; j < p.k; j += 32) pr[j] = __float2bfloat16(expf(logit(j) - lr));
    if (lane == 0) lse[(b * p.heads + h) * p.q + i] = lr;
  }
}

// softmaxRowsKernel for K % 8 == 0 with 16-byte aligned bias and mask rows: each lane holds NC chunks of 8
// consecutive keys (chunk c = lane + 32 u), loaded and stored as 16-byte vectors.
template <int NC, typename TS>
__global__ void __launch_bounds__(256) softmaxRowsVecKernel(AttentionParams p, const TS* __restrict__ S, const bf* __restrict__ bias,
                                                            const bf* __restrict__ mask, bf* __restrict__ P, float* __restrict__ lse,
                                                            int64_t b0, int64_t nb) {
  const int lane = threadIdx.x & 31;
  const SoftmaxRow r = softmaxRowOf(p, b0);
  if (r.row >= nb * p.heads * p.q) return;
  const int64_t row = r.row, i = r.i, h = r.h, b = r.b;
  const int64_t chunks = p.k / 8;
  float x[NC][8];
  float m = -INFINITY;
#pragma unroll
  for (int u = 0; u < NC; ++u) {
    const int64_t c = lane + 32 * u;
    if (c < chunks) {
      load8(S + row * p.k + c * 8, x[u]);
      alignas(16) bf bb[8], mm[8];
      if (p.hasBias) *reinterpret_cast<uint4*>(bb) = *reinterpret_cast<const uint4*>(bias + (h * p.q + i) * p.k + c * 8);
      if (p.hasMask) *reinterpret_cast<uint4*>(mm) = *reinterpret_cast<const uint4*>(mask + b * p.k + c * 8);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        float v = x[u][e] * p.scale;
        if (p.hasBias) v += __bfloat162float(bb[e]);
        if (p.hasMask) v += kMaskScale * (__bfloat162float(mm[e]) - 1.f);
        x[u][e] = v;
        m = fmaxf(m, v);
      }
    }
  }
  m = warpMax(m);
  float l = 0.f;
#pragma unroll
  for (int u = 0; u < NC; ++u)
    if (lane + 32 * u < chunks) {
#pragma unroll
      for (int e = 0; e < 8; ++e) l += expf(x[u][e] - m);
    }
  l = warpSum(l);
  const float lr = m + logf(l);
#pragma unroll
  for (int u = 0; u < NC; ++u) {
    const int64_t c = lane + 32 * u;
    if (c < chunks) {
      alignas(16) bf out[8];
#pragma unroll
      for (int e = 0; e < 8; ++e) out[e] = __float2bfloat16(expf(x[u][e] - lr));
      *reinterpret_cast<uint4*>(P + row * p.k + c * 8) = *reinterpret_cast<const uint4*>(out);
    }
  }
  if (lane == 0) lse[(b * p.heads + h) * p.q + i] = lr;
}

// outRaw = O (float32 [B, Q, H, D]) in bf16, out = sigmoid(g) O.
__global__ void finishForwardKernel(AttentionParams p, const float* __restrict__ O, const bf* __restrict__ gate, bf* __restrict__ outRaw,
                                    bf* __restrict__ out, int64_t n) {
  int64_t e = blockIdx.x * 256ll + threadIdx.x;
  if (e >= n) return;
  float o = O[e];
  outRaw[e] = __float2bfloat16(o);
  if (p.hasGate) out[e] = __float2bfloat16(o / (1.f + expf(-__bfloat162float(gate[e]))));
}

// dO = dout * sigmoid(g) rounded to bf16, dgate, delta[b,h,i] = dO·outRaw (the rounded dO, so that delta
// matches sum_j P dP). One thread per (b, i, h).
__global__ void prepKernel(AttentionParams p, const bf* __restrict__ dout, const bf* __restrict__ outRaw, const bf* __restrict__ gate,
                           bf* __restrict__ dO, bf* __restrict__ dgate, float* __restrict__ delta) {
  int64_t e = blockIdx.x * 256ll + threadIdx.x;
  if (e >= p.batch * p.q * p.heads) return;
  int64_t h = e % p.heads, i = (e / p.heads) % p.q, b = e / (p.heads * p.q);
  float acc = 0.f;
  for (int64_t c = 0; c < p.d; ++c) {
    int64_t at = e * p.d + c;
    float g = __bfloat162float(dout[at]), o = __bfloat162float(outRaw[at]);
    if (p.hasGate) {
      float sg = 1.f / (1.f + expf(-__bfloat162float(gate[at])));
      dgate[at] = __float2bfloat16(g * o * sg * (1.f - sg));
      g *= sg;
    }
    bf gr = __float2bfloat16(g);
    dO[at] = gr;
    acc += __bfloat162float(gr) * o;
  }
  delta[(b * p.heads + h) * p.q + i] = acc;
}

// prepKernel with 8 consecutive elements per thread (16-byte loads and stores); the G = D / 8 threads of one
// (b, i, h) sum delta with shuffles (G a power of two <= 32; the launcher checks it and the 16-byte alignment).
__global__ void __launch_bounds__(256) prepVecKernel(AttentionParams p, const bf* __restrict__ dout, const bf* __restrict__ outRaw,
                                                     const bf* __restrict__ gate, bf* __restrict__ dO, bf* __restrict__ dgate,
                                                     float* __restrict__ delta, int G) {
  const int64_t t = blockIdx.x * 256ll + threadIdx.x;
  const bool live = t < p.batch * p.q * p.heads * p.d / 8;
  float acc = 0.f;
  if (live) {
    alignas(16) bf g8[8], o8[8], s8[8], d8[8], dg8[8];
    *reinterpret_cast<uint4*>(g8) = reinterpret_cast<const uint4*>(dout)[t];
    *reinterpret_cast<uint4*>(o8) = reinterpret_cast<const uint4*>(outRaw)[t];
    if (p.hasGate) *reinterpret_cast<uint4*>(s8) = reinterpret_cast<const uint4*>(gate)[t];
#pragma unroll
    for (int u = 0; u < 8; ++u) {
      float g = __bfloat162float(g8[u]), o = __bfloat162float(o8[u]);
      if (p.hasGate) {
        float sg = 1.f / (1.f + expf(-__bfloat162float(s8[u])));
        dg8[u] = __float2bfloat16(g * o * sg * (1.f - sg));
        g *= sg;
      }
      d8[u] = __float2bfloat16(g);
      acc += __bfloat162float(d8[u]) * o;
    }
    reinterpret_cast<uint4*>(dO)[t] = *reinterpret_cast<const uint4*>(d8);
    if (p.hasGate) reinterpret_cast<uint4*>(dgate)[t] = *reinterpret_cast<const uint4*>(dg8);
  }
  for (int off = G / 2; off > 0; off >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, off);
  if (live && t % G == 0) {
    const int64_t r = t / G, h = r % p.heads, bi = r / p.heads, i = bi % p.q, b = bi / p.q;
    delta[(b * p.heads + h) * p.q + i] = acc;
  }
}

// Thread per (h, i, j..j+V-1), looping over the chunk's batch rows: P, dS (bf16) and dbias += sum_b dS.
template <int V, typename TS>
__global__ void __launch_bounds__(256) scoresGradKernel(AttentionParams p, const TS* __restrict__ S, const TS* __restrict__ dP,
                                                        const bf* __restrict__ bias, const bf* __restrict__ mask,
                                                        const float* __restrict__ lse, const float* __restrict__ delta, bf* __restrict__ P,
                                                        bf* __restrict__ dS, float* __restrict__ dbias, int64_t b0, int64_t nb) {
  const int64_t e = (blockIdx.x * 256ll + threadIdx.x) * V;
  const int64_t hq = p.heads * p.q;
  if (e >= hq * p.k) return;
  const int64_t j = e % p.k, hi = e / p.k, h = hi / p.q, i = hi % p.q;
  float bv[V], acc[V];
#pragma unroll
  for (int u = 0; u < V; ++u) {
    bv[u] = p.hasBias ? __bfloat162float(bias[e + u]) : 0.f;
    acc[u] = 0.f;
  }
#pragma unroll 2
  for (int64_t bb = 0; bb < nb; ++bb) {
    const int64_t b = b0 + bb, r = (b * p.heads + h) * p.q + i;
    const float l = lse[r], dl = delta[r];
    const int64_t at = (bb * hq + hi) * p.k + j;
    float s[V], g[V];
    if constexpr (V == 4) {
      load4(S + at, s);
      load4(dP + at, g);
    } else {
#pragma unroll
      for (int u = 0; u < V; ++u) s[u] = toF(S[at + u]), g[u] = toF(dP[at + u]);
    }
    bf pr[V], ds[V];
#pragma unroll
    for (int u = 0; u < V; ++u) {
      float x = expf(s[u] * p.scale + bv[u] + maskBias(p, mask, b, j + u) - l);
      float d = x * (g[u] - dl);
      acc[u] += d;
      pr[u] = __float2bfloat16(x);
      ds[u] = __float2bfloat16(d);
    }
    if constexpr (V == 4) {
      *reinterpret_cast<uint2*>(P + at) = *reinterpret_cast<const uint2*>(pr);
      *reinterpret_cast<uint2*>(dS + at) = *reinterpret_cast<const uint2*>(ds);
    } else {
#pragma unroll
      for (int u = 0; u < V; ++u) P[at + u] = pr[u], dS[at + u] = ds[u];
    }
  }
  if (p.hasBias) {
#pragma unroll
    for (int u = 0; u < V; ++u) dbias[e + u] += acc[u];
  }
}

// rows of one head h inside a [B, L, H, D] tensor, from batch row b0: ld H*D, batch stride L*H*D
struct HeadView {
  const AttentionParams& p;
  int64_t b0;
  const bf* of(const void* base, int64_t len, int64_t h) const { return static_cast<const bf*>(base) + (b0 * len * p.heads + h) * p.d; }
  bf* of(void* base, int64_t len, int64_t h) const { return static_cast<bf*>(base) + (b0 * len * p.heads + h) * p.d; }
};

// C = alpha op(A) op(B) per head over nb batch rows
inline void gemm(const void* a, const void* b, void* c, int64_t nb, int64_t m, int64_t n, int64_t k, bool tA, bool tB, int64_t lda,
                 int64_t ldb, int64_t ldc, int64_t sA, int64_t sB, int64_t sC, bool cF32, float alpha) {
  GemmBf16Params g{nb, m, n, k, tA, tB, lda, ldb, ldc, sA, sB, sC, cF32, alpha};
  gemmBf16Cuda(a, b, c, g);
}

// scratch freed (stream-ordered) when the launcher returns or throws
struct Scratch {
  void* ptr;
  explicit Scratch(size_t bytes) : ptr(deviceAlloc(bytes)) {}
  ~Scratch() { cudaFreeAsync(ptr, stream()); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const { return static_cast<T*>(ptr); }
};

// SF_ATTENTION_PROFILE=1: CUDA events between the phases of one call, printed to stdout (the benchmark's
// breakdown; off otherwise, and then it costs one getenv per call)
struct PhaseTimer {
  bool on;
  std::vector<std::pair<const char*, cudaEvent_t>> marks;
  PhaseTimer() {
    const char* e = std::getenv("SF_ATTENTION_PROFILE");
    on = e && e[0] == '1';
    mark("start");
  }
  void mark(const char* name) {
    if (!on) return;
    cudaEvent_t ev;
    cudaEventCreate(&ev);
    cudaEventRecord(ev, stream());
    marks.emplace_back(name, ev);
  }
  void report(const char* what) {
    if (!on) return;
    cudaEventSynchronize(marks.back().second);
    std::string line = std::string("attention profile ") + what;
    for (size_t i = 1; i < marks.size(); ++i) {
      float ms = 0.f;
      cudaEventElapsedTime(&ms, marks[i - 1].second, marks[i].second);
      line += std::string("\t") + marks[i].first + " " + std::to_string(ms) + " ms";
    }
    for (auto& m : marks) cudaEventDestroy(m.second);
    marks.clear();
    printf("%s\n", line.c_str());
    fflush(stdout);
  }
};

inline int64_t chunkRows(const AttentionParams& p, int64_t bytesPerEntry) {
  int64_t perRow = p.heads * p.q * p.k * bytesPerEntry;
  int64_t nb = kScratchBytes / (perRow > 0 ? perRow : 1);
  return nb < 1 ? 1 : nb > p.batch ? p.batch : nb;
}

}  // namespace gemm_attn

// Selected for bfloat16 where cuBLASLt is compiled, head dims and key counts that are multiples of 8 (every
// GEMM operand row and batch entry then starts on 16 bytes), and Q * K >= 64 * 64 (below that the fused
// kernels' single launch wins); SF_ATTENTION_GEMM=0 in the environment turns it off (then attention_tc.cuh /
// the SIMT kernels run, as before). H200 figures: README.md.
inline bool attentionGemmCovers(const AttentionParams& p, DType dt) {
  const char* e = std::getenv("SF_ATTENTION_GEMM");
  if (e && e[0] == '0') return false;
  return dt == DType::BF16 && cublasLtCompiled() && p.batch > 0 && p.heads > 0 && p.d > 0 && p.d % 8 == 0 && p.k % 8 == 0 &&
         p.q * p.k >= 64 * 64;
}

// The forward alone can be sent back to the fused kernels with SF_ATTENTION_GEMM_FWD=0 (benchmarks compare).
inline bool attentionGemmForward(const AttentionParams& p, DType dt) {
  const char* e = std::getenv("SF_ATTENTION_GEMM_FWD");
  return !(e && e[0] == '0') && attentionGemmCovers(p, dt);
}

// SF_ATTENTION_SCORES=bf16: S and dP in bf16 (see the header comment); float32 otherwise.
inline bool attentionScoresF32() {
  const char* e = std::getenv("SF_ATTENTION_SCORES");
  return !(e && std::string(e) == "bf16");
}

template <typename TS>
inline void attentionForwardGemmT(const AttentionParams& p, const AttnPtrs& ptr) {
  using namespace gemm_attn;
  const int64_t H = p.heads, Q = p.q, K = p.k, D = p.d, HD = H * D;
  constexpr bool sF32 = sizeof(TS) == 4;
  const int64_t nbMax = chunkRows(p, sizeof(TS) + 2);
  Scratch sS(static_cast<size_t>(nbMax * H * Q * K) * sizeof(TS)), sP(static_cast<size_t>(nbMax * H * Q * K) * 2),
      sO(static_cast<size_t>(p.batch * Q * HD) * 4);
  TS* S = sS.as<TS>();
  bf* P = sP.as<bf>();
  float* O = sO.as<float>();
  PhaseTimer timer;
  for (int64_t b0 = 0; b0 < p.batch; b0 += nbMax) {
    const int64_t nb = b0 + nbMax <= p.batch ? nbMax : p.batch - b0;
    HeadView hv{p, b0};
    for (int64_t h = 0; h < H; ++h)
      gemm(hv.of(ptr.q, Q, h), hv.of(ptr.k, K, h), S + h * Q * K, nb, Q, K, D, false, true, HD, HD, K, Q * HD, K * HD, H * Q * K, sF32, 1.f);
    timer.mark("S=qk^T");
    const int64_t rows = nb * H * Q;
    const bf* bias = static_cast<const bf*>(ptr.bias);
    const bf* mask = static_cast<const bf*>(ptr.mask);
    float* lse = static_cast<float*>(ptr.lseW);
    const unsigned blocks = blocksFor(rows * 32, 256);
    const bool vec = K % 8 == 0 && (!p.hasBias || (reinterpret_cast<uintptr_t>(bias) & 15) == 0) &&
                     (!p.hasMask || (reinterpret_cast<uintptr_t>(mask) & 15) == 0);
    if (vec && K <= 256) softmaxRowsVecKernel<1, TS><<<blocks, 256, 0, stream()>>>(p, S, bias, mask, P, lse, b0, nb);
    else if (vec && K <= 512) softmaxRowsVecKernel<2, TS><<<blocks, 256, 0, stream()>>>(p, S, bias, mask, P, lse, b0, nb);
    else if (K <= 128) softmaxRowsKernel<4, TS><<<blocks, 256, 0, stream()>>>(p, S, bias, mask, P, lse, b0, nb);
    else if (K <= 256) softmaxRowsKernel<8, TS><<<blocks, 256, 0, stream()>>>(p, S, bias, mask, P, lse, b0, nb);
    else if (K <= 512) softmaxRowsKernel<16, TS><<<blocks, 256, 0, stream()>>>(p, S, bias, mask, P, lse, b0, nb);
    else softmaxRowsKernel<0, TS><<<blocks, 256, 0, stream()>>>(p, S, bias, mask, P, lse, b0, nb);
    timer.mark("softmax");
    for (int64_t h = 0; h < H; ++h)
      gemm(P + h * Q * K, hv.of(ptr.v, K, h), O + (b0 * Q * H + h) * D, nb, Q, D, K, false, false, K, HD, HD, H * Q * K, K * HD, Q * HD, true,
           1.f);
    timer.mark("O=Pv");
  }
  int64_t n = p.batch * Q * HD;
  finishForwardKernel<<<blocksFor(n, 256), 256, 0, stream()>>>(p, O, static_cast<const bf*>(ptr.gate), static_cast<bf*>(ptr.outRawW),
                                                               static_cast<bf*>(ptr.out), n);
  timer.mark("gate");
  timer.report("forward");
}

inline void attentionForwardGemm(const AttentionParams& p, const AttnPtrs& ptr) {
  if (attentionScoresF32()) attentionForwardGemmT<float>(p, ptr);
  else attentionForwardGemmT<gemm_attn::bf>(p, ptr);
}

// ptr.doutRaw: the op's float32 [B, Q, H, D] scratch, reused here for dO in bf16.
template <typename TS>
inline void attentionBackwardGemmT(const AttentionParams& p, const AttnPtrs& ptr) {
  using namespace gemm_attn;
  constexpr bool sF32 = sizeof(TS) == 4;
  const int64_t H = p.heads, Q = p.q, K = p.k, D = p.d, HD = H * D;
  bf* dO = static_cast<bf*>(ptr.doutRaw);
  float* delta = static_cast<float*>(ptr.delta);
  PhaseTimer timer;
  {
    auto a16 = [](const void* x) { return (reinterpret_cast<uintptr_t>(x) & 15) == 0; };
    const int G = static_cast<int>(D / 8);
    const bool vec = D % 8 == 0 && G <= 32 && (G & (G - 1)) == 0 && a16(ptr.dout) && a16(ptr.outRaw) && a16(dO) &&
                     (!p.hasGate || (a16(ptr.gate) && a16(ptr.dgate)));
    if (vec)
      prepVecKernel<<<blocksFor(p.batch * Q * HD / 8, 256), 256, 0, stream()>>>(p, static_cast<const bf*>(ptr.dout),
                                                                                static_cast<const bf*>(ptr.outRaw),
                                                                                static_cast<const bf*>(ptr.gate), dO,
                                                                                static_cast<bf*>(ptr.dgate), delta, G);
    else
      prepKernel<<<blocksFor(p.batch * Q * H, 256), 256, 0, stream()>>>(p, static_cast<const bf*>(ptr.dout), static_cast<const bf*>(ptr.outRaw),
                                                                        static_cast<const bf*>(ptr.gate), dO, static_cast<bf*>(ptr.dgate), delta);
  }
  timer.mark("prep");
  const int64_t nbMax = chunkRows(p, 2 * sizeof(TS) + 4);
  const size_t entries = static_cast<size_t>(nbMax * H * Q * K);
  Scratch sS(entries * sizeof(TS)), sdP(entries * sizeof(TS)), sP(entries * 2), sdS(entries * 2);
  TS* S = sS.as<TS>();
  TS* dP = sdP.as<TS>();
  bf* P = sP.as<bf>();
  bf* dS = sdS.as<bf>();
  const bool vec4 = K % 4 == 0 && (!p.hasBias || (reinterpret_cast<uintptr_t>(ptr.bias) & 7) == 0);
  const int64_t threads = H * Q * K / (vec4 ? 4 : 1);
  const int64_t hqk = H * Q * K;
  for (int64_t b0 = 0; b0 < p.batch; b0 += nbMax) {
    const int64_t nb = b0 + nbMax <= p.batch ? nbMax : p.batch - b0;
    HeadView hv{p, b0};
    for (int64_t h = 0; h < H; ++h) {
      gemm(hv.of(ptr.q, Q, h), hv.of(ptr.k, K, h), S + h * Q * K, nb, Q, K, D, false, true, HD, HD, K, Q * HD, K * HD, hqk, sF32, 1.f);
      gemm(hv.of(dO, Q, h), hv.of(ptr.v, K, h), dP + h * Q * K, nb, Q, K, D, false, true, HD, HD, K, Q * HD, K * HD, hqk, sF32, 1.f);
    }
    timer.mark("S,dP gemms");
    const bf* bias = static_cast<const bf*>(ptr.bias);
    const bf* mask = static_cast<const bf*>(ptr.mask);
    const float* lse = static_cast<const float*>(ptr.lse);
    float* dbias = static_cast<float*>(ptr.dbias);
    if (vec4) scoresGradKernel<4, TS><<<blocksFor(threads, 256), 256, 0, stream()>>>(p, S, dP, bias, mask, lse, delta, P, dS, dbias, b0, nb);
    else scoresGradKernel<1, TS><<<blocksFor(threads, 256), 256, 0, stream()>>>(p, S, dP, bias, mask, lse, delta, P, dS, dbias, b0, nb);
    timer.mark("P,dS,dbias");
    for (int64_t h = 0; h < H; ++h) {
      const bf* dSh = dS + h * Q * K;
      // dq[Q, D] = scale dS[Q, K] k[K, D]; dk[K, D] = scale dS^T q[Q, D]; dv[K, D] = P^T dO[Q, D]
      gemm(dSh, hv.of(ptr.k, K, h), hv.of(ptr.dq, Q, h), nb, Q, D, K, false, false, K, HD, HD, hqk, K * HD, Q * HD, false, p.scale);
      gemm(dSh, hv.of(ptr.q, Q, h), hv.of(ptr.dk, K, h), nb, K, D, Q, true, false, K, HD, HD, hqk, Q * HD, K * HD, false, p.scale);
      gemm(P + h * Q * K, hv.of(dO, Q, h), hv.of(ptr.dv, K, h), nb, K, D, Q, true, false, K, HD, HD, hqk, Q * HD, K * HD, false, 1.f);
    }
    timer.mark("dq,dk,dv gemms");
  }
  timer.report("backward");
}

inline void attentionBackwardGemm(const AttentionParams& p, const AttnPtrs& ptr) {
  if (attentionScoresF32()) attentionBackwardGemmT<float>(p, ptr);
  else attentionBackwardGemmT<gemm_attn::bf>(p, ptr);
}

}  // namespace sf
