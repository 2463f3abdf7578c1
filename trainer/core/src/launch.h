// forEach(device, n, op, f): runs f(i) for i in [0, n) as a host loop on the
// CPU or as a grid-stride CUDA kernel on the current stream. Op files that use
// it are compiled by nvcc where CUDA is available (the lambdas are then
// __host__ __device__), by the host compiler alone elsewhere. The CPU run of
// these simple ops is the reference; the heavy ops (matmul, softmax, layer
// norm, attention) have separate CUDA kernels in cuda/ checked against it.
#pragma once
#include "common.h"
#include "runtime.h"
#include "tensor.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define SF_LAMBDA __host__ __device__
namespace sf {
template <class F>
__global__ void forEachKernel(int64_t n, F f) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    f(i);
}
}  // namespace sf
#else
#define SF_LAMBDA
#endif

namespace sf {

template <class F>
void forEach(Device dev, int64_t n, const char* op, F f) {
  if (n <= 0) return;
  if (dev == Device::CPU) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
#if defined(__CUDACC__)
  const int threads = 256;
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks > (1 << 20)) blocks = 1 << 20;
  forEachKernel<<<static_cast<unsigned>(blocks), threads, 0, static_cast<cudaStream_t>(currentStreamHandle())>>>(n, f);
  checkLastLaunch(op);
#else
  requireCuda(op);
#endif
}

// Offset of linear output index i into a tensor viewed with d (sizes of the
// output, strides of the input, 0 on broadcast axes).
SF_HD int64_t offsetOf(const Dims& d, int64_t i) {
  int64_t off = 0;
  for (int k = d.n - 1; k >= 0; --k) {
    int64_t s = d.size[k];
    off += (i % s) * d.stride[k];
    i /= s;
  }
  return off;
}

template <typename T>
SF_HD void accumulate(T* p, typename Acc<T>::type v) {
#if defined(__CUDA_ARCH__)
  atomicAdd(p, v);
#else
  *p += v;
#endif
}

}  // namespace sf
