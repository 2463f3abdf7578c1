// The CUDA kernel launchers where the core was built without nvcc: each
// refuses with an error naming the op (CUDA tensors cannot exist there
// anyway, since allocation already refuses).
#include "../cuda/kernels.h"
#include "../runtime.h"

namespace sf {

void softmaxForwardCuda(const Tensor&, const Tensor&, int64_t, int64_t, bool) { requireCuda("softmax"); }
void softmaxBackwardCuda(const Tensor&, const Tensor&, const Tensor&, int64_t, int64_t, bool) { requireCuda("softmax_backward"); }
void layerNormForwardCuda(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, int64_t, int64_t,
                          float) {
  requireCuda("layer_norm");
}
void layerNormBackwardCuda(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                           const Tensor&, int64_t, int64_t, const Tensor&) {
  requireCuda("layer_norm_backward");
}
void matmulCuda(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const MatmulParams&, const Tensor&) { requireCuda("matmul"); }
bool matmulBiasGradCuda(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const MatmulParams&) { return false; }
bool cublasLtCompiled() { return false; }
void attentionForwardCuda(const AttentionParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                          const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  requireCuda("attention");
}
void attentionBackwardCuda(const AttentionParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                           const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                           const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  requireCuda("attention_backward");
}

}  // namespace sf
