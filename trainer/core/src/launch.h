// forEach(device, n, op, f): runs f(i) for i in [0, n) as a host loop on the
// CPU or as a CUDA kernel on the current stream (one element per thread with
// a 32-bit index when n < 2^31, a grid-stride loop with a 64-bit one beyond).
// Op files that use it are compiled by nvcc where CUDA is available (the
// lambdas are then __host__ __device__), by the host compiler alone
// elsewhere. The CPU run of these simple ops is the reference; the heavy ops
// (matmul, softmax, layer norm, attention) have separate CUDA kernels in cuda/
// checked against it.
//
// Index math: a view of a tensor (output sizes, the tensor's strides, 0 on
// broadcast axes) is turned by indexerOf() into an Indexer: size-1 axes are
// dropped, adjacent axes that are contiguous with each other in this view
// are merged (a contiguous unbroadcast view becomes the identity, a bias
// broadcast over rows becomes i % C), and divisions by the sizes use
// precomputed magic numbers on 32 bits (FastDiv) whenever the element count
// is below 2^31. offsetOf(indexer, i) gives the same offsets as the plain
// div/mod walk over the Dims, on the CPU and on the GPU.
#pragma once
#include "common.h"
#include "runtime.h"
#include "tensor.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define SF_LAMBDA __host__ __device__
namespace sf {
template <class F>
__global__ void forEachKernel32(uint32_t n, F f) {
  uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) f(static_cast<int64_t>(i));
}
template <class F>
__global__ void forEachKernel64(int64_t n, F f) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    f(i);
}
}  // namespace sf
#else
#define SF_LAMBDA
#endif

namespace sf {

constexpr int64_t kIndex32Limit = int64_t(1) << 31;

template <class F>
void forEach(Device dev, int64_t n, const char* op, F f) {
  if (n <= 0) return;
  if (dev == Device::CPU) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
#if defined(__CUDACC__)
  const int threads = 256;
  cudaStream_t stream = static_cast<cudaStream_t>(currentStreamHandle());
  if (n < kIndex32Limit) {
    int64_t blocks = (n + threads - 1) / threads;
    forEachKernel32<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(static_cast<uint32_t>(n), f);
  } else {
    int64_t blocks = (n + threads - 1) / threads;
    if (blocks > (1 << 20)) blocks = 1 << 20;
    forEachKernel64<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(n, f);
  }
  checkLastLaunch(op);
#else
  requireCuda(op);
#endif
}

// Offset of linear output index i into a tensor viewed with d (sizes of the
// output, strides of the input, 0 on broadcast axes). The reference walk.
SF_HD int64_t offsetOf(const Dims& d, int64_t i) {
  int64_t off = 0;
  for (int k = d.n - 1; k >= 0; --k) {
    int64_t s = d.size[k];
    off += (i % s) * d.stride[k];
    i /= s;
  }
  return off;
}

// Unsigned division by a fixed divisor 1 <= d < 2^31 for dividends n < 2^31:
// q = (umulhi(n, m) + n) >> s with m, s chosen on the host (Granlund and
// Montgomery's round-up method).
struct FastDiv {
  uint32_t d = 1, m = 1, s = 0;
  FastDiv() = default;
  explicit FastDiv(uint32_t div) : d(div == 0 ? 1 : div) {  // 0 only for empty tensors: never used
    s = 0;
    while (s < 31 && (uint32_t(1) << s) < d) ++s;
    uint64_t one = 1;
    m = static_cast<uint32_t>(((one << 32) * ((one << s) - d)) / d + 1);
  }
  SF_HD uint32_t div(uint32_t n) const {
#if defined(__CUDA_ARCH__)
    uint32_t t = __umulhi(n, m);
#else
    uint32_t t = static_cast<uint32_t>((static_cast<uint64_t>(n) * m) >> 32);
#endif
    return (t + n) >> s;
  }
};

// A coalesced view (see the header comment). Axes are stored innermost first.
struct Indexer {
  int n = 0;              // axes after merging
  bool identity = true;   // offset == i
  bool wide = false;      // element count >= 2^31: 64-bit div/mod
  FastDiv div[kMaxDims];
  int64_t size[kMaxDims] = {0};
  int64_t stride[kMaxDims] = {0};
};

// Drops size-1 axes and merges each axis into the one outside it when the
// outer stride is the inner stride times the inner size (outermost first).
inline Dims coalesceDims(const Dims& d) {
  Dims c;
  c.n = 0;
  for (int k = 0; k < d.n; ++k) {
    if (d.size[k] == 1) continue;
    if (c.n > 0 && c.stride[c.n - 1] == d.stride[k] * d.size[k]) {
      c.size[c.n - 1] *= d.size[k];
      c.stride[c.n - 1] = d.stride[k];
    } else {
      c.size[c.n] = d.size[k];
      c.stride[c.n++] = d.stride[k];
    }
  }
  return c;
}

inline Indexer indexerOf(const Dims& d) {
  int64_t total = 1;
  for (int k = 0; k < d.n; ++k) total *= d.size[k];
  Dims c = coalesceDims(d);
  int m = c.n;
  Indexer ix;
  ix.n = m;
  ix.identity = m == 0 || (m == 1 && c.stride[0] == 1);
  ix.wide = total >= kIndex32Limit;
  for (int k = 0; k < m; ++k) {  // innermost first
    ix.size[k] = c.size[m - 1 - k];
    ix.stride[k] = c.stride[m - 1 - k];
    if (!ix.wide) ix.div[k] = FastDiv(static_cast<uint32_t>(ix.size[k]));
  }
  return ix;
}

SF_HD int64_t offsetOf(const Indexer& ix, int64_t i) {
  if (ix.identity) return i;
  int64_t off = 0;
  if (!ix.wide) {
    uint32_t r = static_cast<uint32_t>(i);
#pragma unroll
    for (int k = 0; k < kMaxDims; ++k) {
      if (k == ix.n - 1) {
        off += static_cast<int64_t>(r) * ix.stride[k];
        break;
      }
      uint32_t q = ix.div[k].div(r);
      off += static_cast<int64_t>(r - q * static_cast<uint32_t>(ix.size[k])) * ix.stride[k];
      r = q;
    }
    return off;
  }
#pragma unroll
  for (int k = 0; k < kMaxDims; ++k) {
    if (k == ix.n) break;
    off += (i % ix.size[k]) * ix.stride[k];
    i /= ix.size[k];
  }
  return off;
}

// Splits e into (e / d, e % d) with a FastDiv when 32 bits suffice.
struct DivMod {
  bool wide = false;
  int64_t d = 1;
  FastDiv f;
  DivMod() = default;
  DivMod(int64_t divisor, int64_t maxDividend)
      : wide(maxDividend >= kIndex32Limit || divisor >= kIndex32Limit), d(divisor < 1 ? 1 : divisor) {
    if (!wide) f = FastDiv(static_cast<uint32_t>(d));
  }
  SF_HD int64_t quot(int64_t e) const { return wide ? e / d : static_cast<int64_t>(f.div(static_cast<uint32_t>(e))); }
  SF_HD void split(int64_t e, int64_t& q, int64_t& r) const {
    q = quot(e);
    r = e - q * d;
  }
};

template <typename T>
SF_HD void accumulate(T* p, typename Acc<T>::type v) {
#if defined(__CUDA_ARCH__)
  atomicAdd(p, v);
#else
  *p += v;
#endif
}

}  // namespace sf
