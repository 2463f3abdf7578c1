// Softmax and log-softmax over the last axis, forward and backward.
//   softmax:     y = exp(x - max) / sum,   dx = y * (dy - sum(dy * y))
//   log-softmax: y = x - max - log(sum),   dx = dy - exp(y) * sum(dy)
// Cross-entropy (AlphaFold's softmax_cross_entropy with soft labels) is
// -sum(labels * log_softmax(logits)), composed on the TS side.
// CPU: the loops below (the reference); CUDA: cuda/softmax.cu.
#include <cmath>

#include "../cuda/kernels.h"
#include "../ops.h"
#include "../runtime.h"

namespace sf {

template <typename T>
static void softmaxForwardCpu(const T* x, T* y, int64_t rows, int64_t cols, bool logSoftmax) {
  using A = typename Acc<T>::type;
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    A m = -INFINITY;
    for (int64_t c = 0; c < cols; ++c) m = std::max(m, load(xr[c]));
    A s = 0;
    for (int64_t c = 0; c < cols; ++c) s += std::exp(load(xr[c]) - m);
    A logS = std::log(s);
    for (int64_t c = 0; c < cols; ++c)
      yr[c] = store<T>(logSoftmax ? load(xr[c]) - m - logS : std::exp(load(xr[c]) - m) / s);
  }
}

template <typename T>
static void softmaxBackwardCpu(const T* dy, const T* y, T* dx, int64_t rows, int64_t cols, bool logSoftmax) {
  using A = typename Acc<T>::type;
  for (int64_t r = 0; r < rows; ++r) {
    const T* g = dy + r * cols;
    const T* yr = y + r * cols;
    A s = 0;
    for (int64_t c = 0; c < cols; ++c) s += logSoftmax ? load(g[c]) : load(g[c]) * load(yr[c]);
    for (int64_t c = 0; c < cols; ++c)
      dx[r * cols + c] = store<T>(logSoftmax ? load(g[c]) - std::exp(load(yr[c])) * s : load(yr[c]) * (load(g[c]) - s));
  }
}

static bool isLog(const Attrs& a) { return a.number("log", 0) != 0; }

// inputs: x [..., C]. attrs: log (0/1). outputs: y [..., C].
Tensors opSoftmax(const Tensors& in, const Attrs& attrs) {
  const char* op = "softmax";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  requireFloat(op, in[0]);
  const Tensor& x = in[0];
  if (x.ndim() == 0) shapeError(op, in, "needs at least one axis");
  int64_t cols = x.shape.back(), rows = cols == 0 ? 0 : x.numel() / cols;
  Tensor y = empty(x.shape, x.dtype, x.device);
  if (x.device == Device::CUDA) {
    softmaxForwardCuda(x, y, rows, cols, isLog(attrs));
  } else {
    SF_FLOAT_SWITCH(op, x.dtype, T, softmaxForwardCpu<T>(x.data<T>(), y.data<T>(), rows, cols, isLog(attrs)));
  }
  return {y};
}

// inputs: dy, y. attrs: log. outputs: dx.
Tensors opSoftmaxBackward(const Tensors& in, const Attrs& attrs) {
  const char* op = "softmax_backward";
  requireCount(op, in, 2);
  requireDefined(op, in, 0);
  requireDefined(op, in, 1);
  requireSameDevice(op, in);
  requireSameDtype(op, in);
  requireFloat(op, in[0]);
  if (in[0].shape != in[1].shape || in[0].ndim() == 0) shapeError(op, in, "dy and y must have one shape");
  int64_t cols = in[0].shape.back(), rows = cols == 0 ? 0 : in[0].numel() / cols;
  Tensor dx = empty(in[0].shape, in[0].dtype, in[0].device);
  if (dx.device == Device::CUDA) {
    softmaxBackwardCuda(in[0], in[1], dx, rows, cols, isLog(attrs));
  } else {
    SF_FLOAT_SWITCH(op, dx.dtype, T, softmaxBackwardCpu<T>(in[0].data<T>(), in[1].data<T>(), dx.data<T>(), rows, cols, isLog(attrs)));
  }
  return {dx};
}

}  // namespace sf
