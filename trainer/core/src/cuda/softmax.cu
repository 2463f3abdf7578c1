// Softmax / log-softmax over the last axis: one warp per row, three passes
// over the row (max, sum of exponentials, write), the row's re-reads served
// by L1/L2. Backward: one warp per row, a dot product then the write.
// Reference: ops/softmax.cpp (CPU loops).
#include <cmath>

#include "common.cuh"
#include "kernels.h"

namespace sf {

template <typename T>
__global__ void softmaxForwardKernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t cols, bool logSoftmax) {
  using A = typename Acc<T>::type;
  int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.y) + threadIdx.y;
  if (row >= rows) return;
  const T* xr = x + row * cols;
  T* yr = y + row * cols;
  int lane = threadIdx.x;
  A m = -INFINITY;
  for (int64_t c = lane; c < cols; c += 32) m = fmax(m, load(xr[c]));
  m = warpMax(m);
  A s = 0;
  for (int64_t c = lane; c < cols; c += 32) s += exp(load(xr[c]) - m);
  s = warpSum(s);
  A logS = log(s), inv = A(1) / s;
  for (int64_t c = lane; c < cols; c += 32) {
    A v = load(xr[c]) - m;
    yr[c] = store<T>(logSoftmax ? v - logS : exp(v) * inv);
  }
}

template <typename T>
__global__ void softmaxBackwardKernel(const T* __restrict__ dy, const T* __restrict__ y, T* __restrict__ dx, int64_t rows,
                                      int64_t cols, bool logSoftmax) {
  using A = typename Acc<T>::type;
  int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.y) + threadIdx.y;
  if (row >= rows) return;
  const T* g = dy + row * cols;
  const T* yr = y + row * cols;
  int lane = threadIdx.x;
  A s = 0;
  for (int64_t c = lane; c < cols; c += 32) s += logSoftmax ? load(g[c]) : load(g[c]) * load(yr[c]);
  s = warpSum(s);
  for (int64_t c = lane; c < cols; c += 32)
    dx[row * cols + c] = store<T>(logSoftmax ? load(g[c]) - exp(load(yr[c])) * s : load(yr[c]) * (load(g[c]) - s));
}

void softmaxForwardCuda(const Tensor& x, const Tensor& y, int64_t rows, int64_t cols, bool logSoftmax) {
  SF_CHECK(x.numel() == rows * cols && y.numel() == rows * cols, "softmax launcher: shape mismatch");
  if (rows == 0) return;
  dim3 block(32, 8);
  SF_FLOAT_SWITCH("softmax", x.dtype, T, {
    softmaxForwardKernel<T><<<blocksFor(rows, 8), block, 0, stream()>>>(x.data<T>(), y.data<T>(), rows, cols, logSoftmax);
  });
  checkLastLaunch("softmax");
}

void softmaxBackwardCuda(const Tensor& dy, const Tensor& y, const Tensor& dx, int64_t rows, int64_t cols, bool logSoftmax) {
  SF_CHECK(dy.numel() == rows * cols && y.numel() == rows * cols, "softmax_backward launcher: shape mismatch");
  if (rows == 0) return;
  dim3 block(32, 8);
  SF_FLOAT_SWITCH("softmax_backward", dy.dtype, T, {
    softmaxBackwardKernel<T><<<blocksFor(rows, 8), block, 0, stream()>>>(dy.data<T>(), y.data<T>(), dx.data<T>(), rows, cols, logSoftmax);
  });
  checkLastLaunch("softmax_backward");
}

}  // namespace sf
