// Helpers shared by the CUDA kernels: warp reductions, the current stream,
// and the element load/store of launch.h.
#pragma once
#include <cuda_runtime.h>

#include "../common.h"
#include "../runtime.h"

namespace sf {

inline cudaStream_t stream() { return static_cast<cudaStream_t>(currentStreamHandle()); }

template <typename A>
__device__ __forceinline__ A warpSum(A v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
template <typename A>
__device__ __forceinline__ A warpMax(A v) {
  for (int o = 16; o > 0; o >>= 1) {
    A w = __shfl_xor_sync(0xffffffffu, v, o);
    v = w > v ? w : v;
  }
  return v;
}

inline unsigned blocksFor(int64_t work, int perBlock) {
  int64_t b = (work + perBlock - 1) / perBlock;
  return static_cast<unsigned>(b < 1 ? 1 : b);
}

}  // namespace sf
