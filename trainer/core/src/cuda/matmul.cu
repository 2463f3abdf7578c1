// Batched GEMM for ops/matmul.cpp (reference: its CPU loops).
//   cuBLASLt (where CMake found it, SF_WITH_CUBLASLT): fp32 (CUBLAS_COMPUTE_32F
//   or, for precision 'tf32', CUBLAS_COMPUTE_32F_FAST_TF32), bf16 inputs and
//   output with fp32 accumulation, fp64. Row-major C = op(A) op(B) is issued
//   as column-major C^T = op(B)^T op(A)^T. Algorithms are cached per shape.
//   Elsewhere, and for precision 'simt': a 64x64-tile shared-memory kernel (4x4 outputs per thread)
//   that accumulates in fp32 (fp64 for fp64).
#include <map>
#include <tuple>

#include "common.cuh"
#include "kernels.h"

#if defined(SF_WITH_CUBLASLT)
#include <cublasLt.h>
#endif

namespace sf {

constexpr int kTile = 64, kTileK = 16;

template <typename T>
__global__ void matmulTiledKernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ c, MatmulParams p) {
  using A = typename Acc<T>::type;
  __shared__ A as[kTileK][kTile + 1];
  __shared__ A bs[kTileK][kTile + 1];
  int64_t batch = blockIdx.z;
  const T* ab = a + batch * p.strideA;
  const T* bb = b + batch * p.strideB;
  T* cb = c + batch * p.strideC;
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
      if (r < p.m && cc < p.n) cb[r * p.n + cc] = store<T>(acc[i][j]);
    }
}

static void matmulTiled(const Tensor& a, const Tensor& b, const Tensor& c, const MatmulParams& p) {
  SF_CHECK(p.batch <= 65535, "matmul (tiled kernel): batch above 65535");
  dim3 grid(blocksFor(p.n, kTile), blocksFor(p.m, kTile), static_cast<unsigned>(p.batch));
  dim3 block(16, 16);
  SF_FLOAT_SWITCH("matmul", a.dtype, T, {
    matmulTiledKernel<T><<<grid, block, 0, stream()>>>(a.data<T>(), b.data<T>(), c.data<T>(), p);
  });
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

static LtState& lt() {
  static LtState s;
  if (!s.handle) {
    ltCheck(cublasLtCreate(&s.handle), "create");
    if (cudaMalloc(&s.workspace, s.workspaceBytes) != cudaSuccess) throw CoreError("matmul: cannot allocate the cuBLASLt workspace");
  }
  return s;
}

using LtKey = std::tuple<int, int64_t, int64_t, int64_t, int64_t, bool, bool, int64_t, int64_t, int>;

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

static const LtPlan& ltPlan(DType dt, const MatmulParams& p) {
  static std::map<LtKey, LtPlan> cache;
  LtKey key{static_cast<int>(dt), p.batch, p.m, p.n, p.k, p.transA, p.transB, p.strideA, p.strideB, p.precision};
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
  uint64_t n = p.n, m = p.m, k = p.k;
  ltCheck(cublasLtMatrixLayoutCreate(&plan.la, type, p.transB ? k : n, p.transB ? n : k, p.transB ? k : n), "layout a");
  ltCheck(cublasLtMatrixLayoutCreate(&plan.lb, type, p.transA ? m : k, p.transA ? k : m, p.transA ? m : k), "layout b");
  ltCheck(cublasLtMatrixLayoutCreate(&plan.lc, type, n, m, n), "layout c");
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

static void matmulLt(const Tensor& a, const Tensor& b, const Tensor& c, const MatmulParams& p) {
  const LtPlan& plan = ltPlan(a.dtype, p);
  LtState& s = lt();
  double one64 = 1, zero64 = 0;
  float one32 = 1, zero32 = 0;
  const void* alpha = a.dtype == DType::F64 ? static_cast<const void*>(&one64) : static_cast<const void*>(&one32);
  const void* beta = a.dtype == DType::F64 ? static_cast<const void*>(&zero64) : static_cast<const void*>(&zero32);
  ltCheck(cublasLtMatmul(s.handle, plan.desc, alpha, b.raw(), plan.la, a.raw(), plan.lb, beta, c.raw(), plan.lc, c.raw(), plan.lc,
                         &plan.algo, s.workspace, s.workspaceBytes, stream()),
          "matmul");
}

bool cublasLtCompiled() { return true; }

void matmulCuda(const Tensor& a, const Tensor& b, const Tensor& c, const MatmulParams& p) {
  SF_CHECK(c.numel() == p.batch * p.m * p.n, "matmul launcher: output size mismatch");
  if (p.k == 0) {
    fillZero(c);
    return;
  }
  if (p.precision == 2) matmulTiled(a, b, c, p);
  else matmulLt(a, b, c, p);
}

#else

bool cublasLtCompiled() { return false; }

void matmulCuda(const Tensor& a, const Tensor& b, const Tensor& c, const MatmulParams& p) {
  SF_CHECK(c.numel() == p.batch * p.m * p.n, "matmul launcher: output size mismatch");
  matmulTiled(a, b, c, p);
}

#endif

}  // namespace sf
