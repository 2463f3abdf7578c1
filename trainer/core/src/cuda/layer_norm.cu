// Fused layer norm over the last axis (reference: ops/layer_norm.cpp). One
// warp per row; the row lives in registers (VPL values per lane, C <= 32 *
// VPL), so x is read once and y written once: the forward moves 2 * rows * C
// elements, the floor set by memory bandwidth.
// Backward: one warp per row for dx; dgamma and dbeta are summed per lane in
// registers over the rows a warp visits (grid-stride), then added atomically
// into float32 buffers (zeroed here).
#include <cmath>
#include <type_traits>

#include "common.cuh"
#include "kernels.h"

namespace sf {

template <typename T, int VPL>
__global__ void layerNormForwardKernel(const T* __restrict__ x, const T* __restrict__ g, const T* __restrict__ b,
                                       T* __restrict__ y, typename Acc<T>::type* __restrict__ mean,
                                       typename Acc<T>::type* __restrict__ rstd, int64_t rows, int cols, float eps) {
  using A = typename Acc<T>::type;
  int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.y) + threadIdx.y;
  if (row >= rows) return;
  int lane = threadIdx.x;
  const T* xr = x + row * cols;
  A v[VPL];
  A s = 0;
#pragma unroll
  for (int i = 0; i < VPL; ++i) {
    int c = lane + 32 * i;
    v[i] = c < cols ? load(xr[c]) : A(0);
    s += v[i];
  }
  A m = warpSum(s) / static_cast<A>(cols);
  A q = 0;
#pragma unroll
  for (int i = 0; i < VPL; ++i) {
    int c = lane + 32 * i;
    A d = c < cols ? v[i] - m : A(0);
    q += d * d;
  }
  A rs = A(1) / sqrt(warpSum(q) / static_cast<A>(cols) + static_cast<A>(eps));
  if (lane == 0) {
    mean[row] = m;
    rstd[row] = rs;
  }
  T* yr = y + row * cols;
#pragma unroll
  for (int i = 0; i < VPL; ++i) {
    int c = lane + 32 * i;
    if (c < cols) yr[c] = store<T>((v[i] - m) * rs * load(g[c]) + load(b[c]));
  }
}

template <typename T, int VPL>
__global__ void layerNormBackwardKernel(const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ g,
                                        const typename Acc<T>::type* __restrict__ mean,
                                        const typename Acc<T>::type* __restrict__ rstd, T* __restrict__ dx,
                                        float* __restrict__ dg, float* __restrict__ db, int64_t rows, int cols) {
  using A = typename Acc<T>::type;
  int lane = threadIdx.x;
  A gamma[VPL], sg[VPL], sb[VPL];
#pragma unroll
  for (int i = 0; i < VPL; ++i) {
    int c = lane + 32 * i;
    gamma[i] = c < cols ? load(g[c]) : A(0);
    sg[i] = 0;
    sb[i] = 0;
  }
  for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.y) + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const T* xr = x + row * cols;
    const T* gr = dy + row * cols;
    A m = mean[row], rs = rstd[row];
    A xh[VPL], dxh[VPL];
    A a1 = 0, a2 = 0;
#pragma unroll
    for (int i = 0; i < VPL; ++i) {
      int c = lane + 32 * i;
      A gv = c < cols ? load(gr[c]) : A(0);
      xh[i] = c < cols ? (load(xr[c]) - m) * rs : A(0);
      dxh[i] = gv * gamma[i];
      a1 += dxh[i];
      a2 += dxh[i] * xh[i];
      sg[i] += gv * xh[i];
      sb[i] += gv;
    }
    a1 = warpSum(a1) / static_cast<A>(cols);
    a2 = warpSum(a2) / static_cast<A>(cols);
    T* dr = dx + row * cols;
#pragma unroll
    for (int i = 0; i < VPL; ++i) {
      int c = lane + 32 * i;
      if (c < cols) dr[c] = store<T>(rs * (dxh[i] - a1 - xh[i] * a2));
    }
  }
#pragma unroll
  for (int i = 0; i < VPL; ++i) {
    int c = lane + 32 * i;
    if (c < cols) {
      atomicAdd(&dg[c], static_cast<float>(sg[i]));
      atomicAdd(&db[c], static_cast<float>(sb[i]));
    }
  }
}

// 16-byte vector variant of the forward, taken when every lane reads whole
// 16-byte vectors of the row (C a multiple of 32 * 16 / sizeof(T)): one
// LDG.128 per 4 floats / 8 bf16 instead of one load per element, so more
// bytes are in flight per warp; NV vectors per lane.
template <typename T, int NV>
__global__ void layerNormForwardVecKernel(const T* __restrict__ x, const T* __restrict__ g, const T* __restrict__ b,
                                          T* __restrict__ y, typename Acc<T>::type* __restrict__ mean,
                                          typename Acc<T>::type* __restrict__ rstd, int64_t rows, int cols, float eps) {
  using A = typename Acc<T>::type;
  constexpr int VEC = 16 / sizeof(T);
  int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.y) + threadIdx.y;
  if (row >= rows) return;
  int lane = threadIdx.x;
  const uint4* xr = reinterpret_cast<const uint4*>(x + row * cols);
  A v[NV][VEC];
  A s = 0;
#pragma unroll
  for (int n = 0; n < NV; ++n) {
    uint4 raw = __ldcs(xr + lane + 32 * n);  // streamed: read once
    const T* e = reinterpret_cast<const T*>(&raw);
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      v[n][k] = load(e[k]);
      s += v[n][k];
    }
  }
  A m = warpSum(s) / static_cast<A>(cols);
  A q = 0;
#pragma unroll
  for (int n = 0; n < NV; ++n)
#pragma unroll
    for (int k = 0; k < VEC; ++k) q += (v[n][k] - m) * (v[n][k] - m);
  A rs = A(1) / sqrt(warpSum(q) / static_cast<A>(cols) + static_cast<A>(eps));
  if (lane == 0) {
    mean[row] = m;
    rstd[row] = rs;
  }
  const uint4* gv = reinterpret_cast<const uint4*>(g);
  const uint4* bv = reinterpret_cast<const uint4*>(b);
  uint4* yr = reinterpret_cast<uint4*>(y + row * cols);
#pragma unroll
  for (int n = 0; n < NV; ++n) {
    uint4 graw = __ldg(gv + lane + 32 * n), braw = __ldg(bv + lane + 32 * n), out;
    const T* ge = reinterpret_cast<const T*>(&graw);
    const T* be = reinterpret_cast<const T*>(&braw);
    T* oe = reinterpret_cast<T*>(&out);
#pragma unroll
    for (int k = 0; k < VEC; ++k) oe[k] = store<T>((v[n][k] - m) * rs * load(ge[k]) + load(be[k]));
    __stcs(yr + lane + 32 * n, out);  // streamed: written once
  }
}

template <typename T>
static bool layerNormForwardVec(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& y, const Tensor& mean,
                                const Tensor& rstd, int64_t rows, int cols, float eps) {
  using A = typename Acc<T>::type;
  constexpr int VEC = 16 / sizeof(T);
  if (cols % (32 * VEC) != 0) return false;
  int nv = cols / (32 * VEC);
  dim3 block(32, 4);
  auto launch = [&](auto nvConst) {
    constexpr int NV = decltype(nvConst)::value;
    layerNormForwardVecKernel<T, NV><<<blocksFor(rows, 4), block, 0, stream()>>>(x.data<T>(), gamma.data<T>(), beta.data<T>(),
                                                                                  y.data<T>(), mean.data<A>(), rstd.data<A>(), rows,
                                                                                  cols, eps);
  };
  switch (nv) {
    case 1: launch(std::integral_constant<int, 1>()); return true;
    case 2: launch(std::integral_constant<int, 2>()); return true;
    case 3: launch(std::integral_constant<int, 3>()); return true;
    case 4: launch(std::integral_constant<int, 4>()); return true;
    case 8: launch(std::integral_constant<int, 8>()); return true;
    default: return false;
  }
}

#define SF_VPL_SWITCH(cols, VPL, ...)                                             \
  if (cols <= 32) { constexpr int VPL = 1; __VA_ARGS__; }                         \
  else if (cols <= 64) { constexpr int VPL = 2; __VA_ARGS__; }                    \
  else if (cols <= 128) { constexpr int VPL = 4; __VA_ARGS__; }                   \
  else if (cols <= 256) { constexpr int VPL = 8; __VA_ARGS__; }                   \
  else if (cols <= 384) { constexpr int VPL = 12; __VA_ARGS__; }                  \
  else if (cols <= 512) { constexpr int VPL = 16; __VA_ARGS__; }                  \
  else if (cols <= 1024) { constexpr int VPL = 32; __VA_ARGS__; }                 \
  else throw CoreError("layer_norm on CUDA: at most 1024 channels, got " + std::to_string(cols));

void layerNormForwardCuda(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& y, const Tensor& mean,
                          const Tensor& rstd, int64_t rows, int64_t cols, float eps) {
  SF_CHECK(x.numel() == rows * cols && gamma.numel() == cols && mean.numel() == rows, "layer_norm launcher: shape mismatch");
  if (rows == 0) return;
  dim3 block(32, 4);
  int c = static_cast<int>(cols);
  bool done = false;
  if (x.dtype == DType::F32) done = layerNormForwardVec<float>(x, gamma, beta, y, mean, rstd, rows, c, eps);
  else if (x.dtype == DType::BF16) done = layerNormForwardVec<bf16>(x, gamma, beta, y, mean, rstd, rows, c, eps);
  if (done) {
    checkLastLaunch("layer_norm");
    return;
  }
  SF_FLOAT_SWITCH("layer_norm", x.dtype, T, {
    using A = typename Acc<T>::type;
    SF_VPL_SWITCH(c, VPL, {
      layerNormForwardKernel<T, VPL><<<blocksFor(rows, 4), block, 0, stream()>>>(
          x.data<T>(), gamma.data<T>(), beta.data<T>(), y.data<T>(), mean.data<A>(), rstd.data<A>(), rows, c, eps);
    });
  });
  checkLastLaunch("layer_norm");
}

void layerNormBackwardCuda(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                           const Tensor& dx, const Tensor& dgamma32, const Tensor& dbeta32, int64_t rows, int64_t cols) {
  SF_CHECK(x.numel() == rows * cols && dy.numel() == rows * cols && dgamma32.numel() == cols && dgamma32.dtype == DType::F32,
           "layer_norm_backward launcher: shape mismatch");
  fillZero(dgamma32);
  fillZero(dbeta32);
  if (rows == 0) return;
  dim3 block(32, 4);
  int c = static_cast<int>(cols);
  int sms = 132;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  unsigned blocks = blocksFor(rows, 4);
  if (blocks > static_cast<unsigned>(sms * 8)) blocks = sms * 8;
  SF_FLOAT_SWITCH("layer_norm_backward", x.dtype, T, {
    using A = typename Acc<T>::type;
    SF_VPL_SWITCH(c, VPL, {
      layerNormBackwardKernel<T, VPL><<<blocks, block, 0, stream()>>>(dy.data<T>(), x.data<T>(), gamma.data<T>(), mean.data<A>(),
                                                                      rstd.data<A>(), dx.data<T>(), dgamma32.data<float>(),
                                                                      dbeta32.data<float>(), rows, c);
    });
  });
  checkLastLaunch("layer_norm_backward");
}

}  // namespace sf
