// Batched GEMM for ops/matmul.cpp (reference: its CPU loops).
//   cuBLASLt (where CMake found it, SF_WITH_CUBLASLT): fp32 (CUBLAS_COMPUTE_32F
//   or, for precision 'tf32', CUBLAS_COMPUTE_32F_FAST_TF32), bf16 inputs and
//   output with fp32 accumulation, fp64. Row-major C = op(A) op(B) is issued
//   as column-major C^T = op(B)^T op(A)^T. Algorithms are cached per shape.
//   Elsewhere, and for precision 'simt': a 64x64-tile shared-memory kernel (4x4 outputs per thread)
//   that accumulates in fp32 (fp64 for fp64).
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include "common.cuh"
#include "kernels.h"

#if defined(SF_WITH_CUBLASLT)
#include <cublasLt.h>
#endif

namespace sf {

constexpr int kTile = 64, kTileK = 16;

template <typename T, typename TO>
__global__ void matmulTiledKernel(const T* __restrict__ a, const T* __restrict__ b, TO* __restrict__ c, MatmulParams p) {
  using A = typename Acc<T>::type;
  __shared__ A as[kTileK][kTile + 1];
  __shared__ A bs[kTileK][kTile + 1];
  int64_t batch = blockIdx.z;
  const T* ab = a + batch * p.strideA;
  const T* bb = b + batch * p.strideB;
  TO* cb = c + batch * p.strideC;
  int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  int tx = threadIdx.x, ty = threadIdx.y;  // 16 x 16
  int tid = ty * 16 + tx;
  A acc[4][4] = {};
  for (int64_t k0 = 0; k0 < p.k; k0 += kTileK) {
    for (int e = tid; e < kTile * kTileK; e += 256) {
      int kk = e / kTile, mm = e % kTile;  // as[kk][mm] = op(A)[row0 + mm][k0 + kk]
      int64_t r = row0 + mm, kidx = k0 + kk;
      A av = 0;
      if (r < p.m && kidx < p.k) av = load(p.transA ? ab[kidx * p.m + r] : ab[r * p.k + kidx]);
      as[kk][mm] = av;
      int64_t cidx = col0 + mm;  // bs[kk][mm] = op(B)[k0 + kk][col0 + mm]
      A bv = 0;
      if (cidx < p.n && kidx < p.k) bv = load(p.transB ? bb[cidx * p.k + kidx] : bb[kidx * p.n + cidx]);
      bs[kk][mm] = bv;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      A ar[4], br[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        ar[i] = as[kk][ty + 16 * i];
        br[i] = bs[kk][tx + 16 * i];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] += ar[i] * br[j];
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      int64_t r = row0 + ty + 16 * i, cc = col0 + tx + 16 * j;
      if (r < p.m && cc < p.n) cb[r * p.n + cc] = store<TO>(acc[i][j]);
    }
}

// c[e] += src[e % period]: a bias per row (period n: the product's path without a bias epilogue) or an
// addend of c's own shape (period = c's size: the paths without cuBLASLt's beta)
template <typename T>
__global__ void addPeriodicKernel(T* __restrict__ c, const T* __restrict__ src, int64_t period, int64_t total) {
  int64_t e = blockIdx.x * 256ll + threadIdx.x;
  if (e >= total) return;
  c[e] = store<T>(load(c[e]) + load(src[e < period ? e : e % period]));
}

static void addPeriodic(const Tensor& c, const Tensor& src, int64_t period, const char* what) {
  const int64_t total = c.numel();
  SF_FLOAT_SWITCH(what, c.dtype, T, {
    addPeriodicKernel<T><<<blocksFor(total, 256), 256, 0, stream()>>>(c.data<T>(), src.data<T>(), period, total);
  });
  checkLastLaunch(what);
}

static void addRowBias(const Tensor& c, const Tensor& bias, int64_t n) { addPeriodic(c, bias, n, "matmul bias"); }
static void addInto(const Tensor& c, const Tensor& acc) { addPeriodic(c, acc, c.numel(), "matmul acc"); }

static void matmulTiled(const Tensor& a, const Tensor& b, const Tensor& c, const MatmulParams& p) {
  SF_CHECK(p.batch <= 65535, "matmul (tiled kernel): batch above 65535");
  dim3 grid(blocksFor(p.n, kTile), blocksFor(p.m, kTile), static_cast<unsigned>(p.batch));
  dim3 block(16, 16);
  if (c.dtype != a.dtype) {
    matmulTiledKernel<bf16, float><<<grid, block, 0, stream()>>>(a.data<bf16>(), b.data<bf16>(), c.data<float>(), p);
  } else {
    SF_FLOAT_SWITCH("matmul", a.dtype, T, {
      matmulTiledKernel<T, T><<<grid, block, 0, stream()>>>(a.data<T>(), b.data<T>(), c.data<T>(), p);
    });
  }
  checkLastLaunch("matmul");
}

#if defined(SF_WITH_CUBLASLT)

static void ltCheck(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw CoreError(std::string("matmul: cuBLASLt ") + what + " failed with status " + std::to_string(static_cast<int>(s)));
}

struct LtState {
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;
  size_t workspaceBytes = 32u << 20;
};

// Per thread (the evaluation worker runs its own stream): a handle, a
// workspace and plan caches of its own, so that no two threads share them.
static LtState& lt() {
  static thread_local LtState s;
  if (!s.handle) {
    ltCheck(cublasLtCreate(&s.handle), "create");
    if (cudaMalloc(&s.workspace, s.workspaceBytes) != cudaSuccess) throw CoreError("matmul: cannot allocate the cuBLASLt workspace");
  }
  return s;
}

using LtKey = std::tuple<int, int64_t, int64_t, int64_t, int64_t, bool, bool, int64_t, int64_t, int, int, int>;

// The epilogue of a plan: none, + bias [N] (forward of a linear layer), or BGRADB (the sums of op(A) over k
// written next to the product: a linear layer's bias gradient during its weight gradient).
enum class LtEpilogue : int { None = 0, Bias = 1, BiasGradB = 2 };

struct LtPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
  cublasLtMatmulAlgo_t algo;
};

static void setBatch(cublasLtMatrixLayout_t l, int64_t batch, int64_t stride) {
  int32_t count = static_cast<int32_t>(batch);
  ltCheck(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)), "layout batch");
  ltCheck(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)), "layout stride");
}

// Bias: lt's D has our N as its rows, so the vector runs along them. BiasGradB: lt's B is our A, and the
// sums run over k for each of lt D's columns (our M). The vector's pointer is set on the descriptor at each
// call. Throws where cuBLASLt has no algorithm for the combination.
static const LtPlan& ltPlan(DType dt, DType outDt, const MatmulParams& p, LtEpilogue epi) {
  static thread_local std::map<LtKey, LtPlan> cache;
  LtKey key{static_cast<int>(dt), p.batch, p.m, p.n, p.k, p.transA, p.transB, p.strideA, p.strideB, p.precision, static_cast<int>(epi),
            static_cast<int>(outDt)};
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  LtState& s = lt();
  cudaDataType_t type = dt == DType::F32 ? CUDA_R_32F : dt == DType::F64 ? CUDA_R_64F : CUDA_R_16BF;
  cublasComputeType_t compute = dt == DType::F64 ? CUBLAS_COMPUTE_64F
                                : (dt == DType::F32 && p.precision == 1) ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                                         : CUBLAS_COMPUTE_32F;
  cudaDataType_t scaleType = dt == DType::F64 ? CUDA_R_64F : CUDA_R_32F;
  LtPlan plan;
  ltCheck(cublasLtMatmulDescCreate(&plan.desc, compute, scaleType), "desc");
  // lt operand A = B (memory), lt operand B = A (memory); see the header comment.
  cublasOperation_t opA = p.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t opB = p.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  ltCheck(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, &opA, sizeof(opA)), "transa");
  ltCheck(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, &opB, sizeof(opB)), "transb");
  if (epi != LtEpilogue::None) {
    cublasLtEpilogue_t epilogue = epi == LtEpilogue::Bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_BGRADB;
    ltCheck(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)), "epilogue");
  }
  uint64_t n = p.n, m = p.m, k = p.k;
  ltCheck(cublasLtMatrixLayoutCreate(&plan.la, type, p.transB ? k : n, p.transB ? n : k, p.transB ? k : n), "layout a");
  ltCheck(cublasLtMatrixLayoutCreate(&plan.lb, type, p.transA ? m : k, p.transA ? k : m, p.transA ? m : k), "layout b");
  cudaDataType_t outType = outDt == dt ? type : CUDA_R_32F;
  ltCheck(cublasLtMatrixLayoutCreate(&plan.lc, outType, n, m, n), "layout c");
  if (p.batch > 1) {
    setBatch(plan.la, p.batch, p.strideB);
    setBatch(plan.lb, p.batch, p.strideA);
    setBatch(plan.lc, p.batch, p.strideC);
  }
  cublasLtMatmulPreference_t pref;
  ltCheck(cublasLtMatmulPreferenceCreate(&pref), "preference");
  ltCheck(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &s.workspaceBytes, sizeof(s.workspaceBytes)),
          "preference workspace");
  cublasLtMatmulHeuristicResult_t result;
  int found = 0;
  ltCheck(cublasLtMatmulAlgoGetHeuristic(s.handle, plan.desc, plan.la, plan.lb, plan.lc, plan.lc, pref, 1, &result, &found), "heuristic");
  cublasLtMatmulPreferenceDestroy(pref);
  if (found == 0) throw CoreError("matmul: cuBLASLt has no algorithm for this shape");
  plan.algo = result.algo;
  return cache.emplace(key, plan).first->second;
}

// One cublasLtMatmul call of a plan: D = c = op(a) op(b) (+ acc with beta = 1), the epilogue's vector
// (bias, or the bias gradient's sums) at `epiPointer`. Returns cuBLASLt's status.
static cublasStatus_t ltRun(const LtPlan& plan, const Tensor& a, const Tensor& b, const Tensor& c, const void* epiPointer,
                            const Tensor& acc = Tensor()) {
  LtState& s = lt();
  if (epiPointer != nullptr) {
    ltCheck(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &epiPointer, sizeof(epiPointer)), "epilogue pointer");
  }
  double one64 = 1, zero64 = 0;
  float one32 = 1, zero32 = 0;
  const void* alpha = a.dtype == DType::F64 ? static_cast<const void*>(&one64) : static_cast<const void*>(&one32);
  // with an addend: beta = 1 and C = acc (D = c, the same layout)
  const void* beta = acc.defined() ? alpha : a.dtype == DType::F64 ? static_cast<const void*>(&zero64) : static_cast<const void*>(&zero32);
  const void* cIn = acc.defined() ? acc.raw() : c.raw();
  return cublasLtMatmul(s.handle, plan.desc, alpha, b.raw(), plan.la, a.raw(), plan.lb, beta, cIn, plan.lc, c.raw(), plan.lc,
                        &plan.algo, s.workspace, s.workspaceBytes, stream());
}

static void matmulLt(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& c, const MatmulParams& p,
                     const Tensor& acc = Tensor()) {
  const LtPlan& plan = ltPlan(a.dtype, c.dtype, p, bias.defined() ? LtEpilogue::Bias : LtEpilogue::None);
  ltCheck(ltRun(plan, a, b, c, bias.defined() ? bias.raw() : nullptr, acc), "matmul");
}


// --- gemmBf16Cuda (kernels.h): bf16 operands at arbitrary leading dimensions and pointer alignments ---
// Same column-major mapping as ltPlan (lt A = our B, lt B = our A, C^T = op(B)^T op(A)^T). The buffers may sit
// at any 2-byte offset (a head inside [B, L, H, D]), so the heuristic is told the actual minimum alignment
// (CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_*_BYTES, default 256) and the plan is cached per alignment too.
using GemmKey = std::tuple<int64_t, int64_t, int64_t, int64_t, bool, bool, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool,
                           uint32_t, uint32_t, uint32_t>;

static uint32_t alignOf(const void* ptr, int64_t strideBytes) {
  uint64_t x = reinterpret_cast<uintptr_t>(ptr) | static_cast<uint64_t>(strideBytes) | 256u;
  return static_cast<uint32_t>(x & (~x + 1));  // lowest set bit, at most 256
}

static const LtPlan& gemmPlan(const GemmBf16Params& g, uint32_t alA, uint32_t alB, uint32_t alC) {
  static thread_local std::map<GemmKey, LtPlan> cache;
  GemmKey key{g.batch, g.m, g.n, g.k, g.transA, g.transB, g.lda, g.ldb, g.ldc, g.strideA, g.strideB, g.strideC, g.cF32, alA, alB, alC};
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  LtState& s = lt();
  cudaDataType_t outType = g.cF32 ? CUDA_R_32F : CUDA_R_16BF;
  LtPlan plan;
  ltCheck(cublasLtMatmulDescCreate(&plan.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "desc");
  cublasOperation_t opA = g.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t opB = g.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  ltCheck(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, &opA, sizeof(opA)), "transa");
  ltCheck(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, &opB, sizeof(opB)), "transb");
  uint64_t n = g.n, m = g.m, k = g.k;
  ltCheck(cublasLtMatrixLayoutCreate(&plan.la, CUDA_R_16BF, g.transB ? k : n, g.transB ? n : k, g.ldb), "layout a");
  ltCheck(cublasLtMatrixLayoutCreate(&plan.lb, CUDA_R_16BF, g.transA ? m : k, g.transA ? k : m, g.lda), "layout b");
  ltCheck(cublasLtMatrixLayoutCreate(&plan.lc, outType, n, m, g.ldc), "layout c");
  if (g.batch > 1) {
    setBatch(plan.la, g.batch, g.strideB);
    setBatch(plan.lb, g.batch, g.strideA);
    setBatch(plan.lc, g.batch, g.strideC);
  }
  cublasLtMatmulPreference_t pref;
  ltCheck(cublasLtMatmulPreferenceCreate(&pref), "preference");
  ltCheck(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &s.workspaceBytes, sizeof(s.workspaceBytes)),
          "preference workspace");
  // lt A is our B, lt B our A
  ltCheck(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &alB, sizeof(alB)), "preference align a");
  ltCheck(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &alA, sizeof(alA)), "preference align b");
  ltCheck(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &alC, sizeof(alC)), "preference align c");
  ltCheck(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &alC, sizeof(alC)), "preference align d");
  cublasLtMatmulHeuristicResult_t result;
  int found = 0;
  ltCheck(cublasLtMatmulAlgoGetHeuristic(s.handle, plan.desc, plan.la, plan.lb, plan.lc, plan.lc, pref, 1, &result, &found), "heuristic");
  cublasLtMatmulPreferenceDestroy(pref);
  if (found == 0) throw CoreError("matmul (bf16 gemm): cuBLASLt has no algorithm for this shape");
  plan.algo = result.algo;
  return cache.emplace(key, plan).first->second;
}

void gemmBf16Cuda(const void* a, const void* b, void* c, const GemmBf16Params& g) {
  SF_CHECK(g.batch >= 1 && g.m >= 1 && g.n >= 1 && g.k >= 1, "gemmBf16Cuda: empty product");
  const int64_t es = g.cF32 ? 4 : 2;
  // every batch entry's start (stride) and row (leading dimension) share the base pointer's alignment or less
  uint32_t alA = alignOf(a, ((g.batch > 1 ? g.strideA : 0) | g.lda) * 2), alB = alignOf(b, ((g.batch > 1 ? g.strideB : 0) | g.ldb) * 2);
  uint32_t alC = alignOf(c, ((g.batch > 1 ? g.strideC : 0) | g.ldc) * es);
  const LtPlan& plan = gemmPlan(g, alA, alB, alC);
  LtState& s = lt();
  float alpha = g.alpha, beta = 0.f;
  ltCheck(cublasLtMatmul(s.handle, plan.desc, &alpha, b, plan.la, a, plan.lb, &beta, c, plan.lc, c, plan.lc, &plan.algo, s.workspace,
                         s.workspaceBytes, stream()),
          "matmul (bf16 gemm)");
}

bool cublasLtCompiled() { return true; }

bool matmulBiasGradCuda(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& sums, const MatmulParams& p) {
  const char* e = std::getenv("SF_MATMUL_BIAS_EPILOGUE");
  if ((e && e[0] == '0') || p.precision == 2 || p.batch != 1 || !(a.dtype == DType::F32 || a.dtype == DType::BF16)) return false;
  // shapes cuBLASLt refused once are not asked again
  static thread_local std::set<std::tuple<int, int, int64_t, int64_t, int64_t, bool>> refused;
  auto key = std::make_tuple(static_cast<int>(a.dtype), static_cast<int>(c.dtype), p.m, p.n, p.k, p.transB);
  if (refused.count(key)) return false;
  const LtPlan* plan = nullptr;
  try {
    plan = &ltPlan(a.dtype, c.dtype, p, LtEpilogue::BiasGradB);
  } catch (const CoreError&) {
    refused.insert(key);
    return false;
  }
  if (ltRun(*plan, a, b, c, sums.raw()) != CUBLAS_STATUS_SUCCESS) {
    refused.insert(key);
    return false;
  }
  return true;
}

// The bias epilogue is used for float32 and bfloat16 (SF_MATMUL_BIAS_EPILOGUE=0: a separate add, for comparison).
static bool biasEpilogue(DType dt) {
  const char* e = std::getenv("SF_MATMUL_BIAS_EPILOGUE");
  return !(e && e[0] == '0') && (dt == DType::F32 || dt == DType::BF16);
}

void matmulCuda(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& c, const MatmulParams& p, const Tensor& acc) {
  SF_CHECK(c.numel() == p.batch * p.m * p.n, "matmul launcher: output size mismatch");
  if (p.k == 0) {
    fillZero(c);
  } else if (p.precision == 2) {
    matmulTiled(a, b, c, p);
  } else if (bias.defined() && biasEpilogue(a.dtype)) {
    matmulLt(a, b, bias, c, p, acc);
    return;
  } else {
    matmulLt(a, b, Tensor(), c, p, acc);
    if (bias.defined()) addRowBias(c, bias, p.n);
    return;
  }
  if (bias.defined()) addRowBias(c, bias, p.n);
  if (acc.defined()) addInto(c, acc);
}

#else

bool cublasLtCompiled() { return false; }

bool matmulBiasGradCuda(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const MatmulParams&) { return false; }

void gemmBf16Cuda(const void*, const void*, void*, const GemmBf16Params&) {
  throw CoreError("gemmBf16Cuda: this build has no cuBLASLt");
}

void matmulCuda(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& c, const MatmulParams& p, const Tensor& acc) {
  SF_CHECK(c.numel() == p.batch * p.m * p.n, "matmul launcher: output size mismatch");
  if (p.k == 0) fillZero(c);
  else matmulTiled(a, b, c, p);
  if (bias.defined()) addRowBias(c, bias, p.n);
  if (acc.defined()) addInto(c, acc);
}

#endif

}  // namespace sf
