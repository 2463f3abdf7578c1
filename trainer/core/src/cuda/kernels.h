// Launchers of the hand-written CUDA kernels (cuda/*.cu). Each asserts its
// shape assumptions (the op file has already validated the tensors) and
// checks the launch. Declared everywhere, defined only in CUDA builds.
#pragma once
#include "../tensor.h"

namespace sf {

// softmax.cu: rows x cols, softmax (or log-softmax) over cols.
void softmaxForwardCuda(const Tensor& x, const Tensor& y, int64_t rows, int64_t cols, bool logSoftmax);
void softmaxBackwardCuda(const Tensor& dy, const Tensor& y, const Tensor& dx, int64_t rows, int64_t cols, bool logSoftmax);

// layer_norm.cu: rows x cols, over cols. mean/rstd are float32 [rows].
void layerNormForwardCuda(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& y, const Tensor& mean,
                          const Tensor& rstd, int64_t rows, int64_t cols, float eps);
// acc: undefined, or x's shape and dtype, added to dx in the same pass (a gradient already accumulated for x).
void layerNormBackwardCuda(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                           const Tensor& dx, const Tensor& dgamma32, const Tensor& dbeta32, int64_t rows, int64_t cols,
                           const Tensor& acc = Tensor());

// matmul.cu: C[b] = op(A[b]) op(B[b]); strides of 0 broadcast a batch operand.
struct MatmulParams {
  int64_t batch, m, n, k;
  bool transA, transB;
  int64_t strideA, strideB, strideC;  // elements between batch entries
  int precision;                      // 0 fp32, 1 tf32 (cuBLASLt only), 2 own tiled kernel
};
// bias: undefined, or [N] added to every row of C (cuBLASLt's bias epilogue where it applies).
// c may be float32 for bfloat16 a, b (the fp32 accumulator as the output; no bias then).
// matmulBiasGradCuda: the same product (2-D, transA) with sums [M] = the sums of op(A) over k written by
// cuBLASLt's BGRADB epilogue; false (nothing written) where cuBLASLt offers no such algorithm or is absent.
bool matmulBiasGradCuda(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& sums, const MatmulParams& p);
// acc: undefined, or c's shape and dtype: c = product (+ bias) + acc (cuBLASLt's beta = 1).
void matmulCuda(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& c, const MatmulParams& p, const Tensor& acc = Tensor());
bool cublasLtCompiled();

// matmul.cu, internal (attention's GEMM path): row-major strided-batched
//   C[b] = alpha * op(A[b]) op(B[b]),  A, B bfloat16, C float32 (cF32) or bfloat16, float32 accumulation,
// on raw device pointers with explicit leading dimensions (elements between rows of the stored matrix) and
// batch strides (elements). cuBLASLt builds only: elsewhere it throws (callers check cublasLtCompiled()).
struct GemmBf16Params {
  int64_t batch, m, n, k;
  bool transA, transB;
  int64_t lda, ldb, ldc;
  int64_t strideA, strideB, strideC;
  bool cF32;
  float alpha;
};
void gemmBf16Cuda(const void* a, const void* b, void* c, const GemmBf16Params& g);

// attention.cu: fused gated attention with pair bias (see ops/attention.cpp).
struct AttentionParams {
  int64_t batch, heads, q, k, d;
  bool hasBias, hasMask, hasGate;
  float scale;
};
void attentionForwardCuda(const AttentionParams& p, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                          const Tensor& mask, const Tensor& gate, const Tensor& out, const Tensor& outRaw, const Tensor& lse);
void attentionBackwardCuda(const AttentionParams& p, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                           const Tensor& mask, const Tensor& gate, const Tensor& outRaw, const Tensor& lse, const Tensor& dout,
                           const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& dbias32, const Tensor& dgate,
                           const Tensor& doutRaw, const Tensor& delta);

}  // namespace sf
