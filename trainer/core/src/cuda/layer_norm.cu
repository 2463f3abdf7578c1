// Fused layer norm over the last axis (reference: ops/layer_norm.cpp). One
// warp per row; the row lives in registers (VPL values per lane, C <= 32 *
// VPL), so x is read once and y written once: the forward moves 2 * rows * C
// elements, the floor set by memory bandwidth.
// Backward: one warp per row for dx; dgamma and dbeta are summed per lane in
// registers over the rows a warp visits (grid-stride), then added atomically
// into float32 buffers (zeroed here); the vector kernel first adds its
// block's warps in shared memory, so its atomics are one per column and block.
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
                                        float* __restrict__ dg, float* __restrict__ db, int64_t rows, int cols,
                                        const T* __restrict__ acc) {
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
      if (c < cols) dr[c] = store<T>(rs * (dxh[i] - a1 - xh[i] * a2) + (acc ? load(acc[row * cols + c]) : A(0)));
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

// Vector variants, taken when a row splits into whole vectors of W elements
// per lane (C a multiple of 32 * W, W * sizeof(T) of 4, 8 or 16 bytes, the
// widest that fits): one load per W elements instead of one per element, so
// more bytes are in flight per warp (C = 128 in bf16 reads 8 bytes per lane,
// C = 256 16 bytes). Lane l holds the elements (l + 32 n) * W + k. NV vectors
// per lane.
template <typename T, int W>
struct alignas(sizeof(T) * W) LnVec {
  T v[W];
};

template <typename T, int W, int NV>
__global__ void layerNormForwardVecKernel(const T* __restrict__ x, const T* __restrict__ g, const T* __restrict__ b,
                                          T* __restrict__ y, typename Acc<T>::type* __restrict__ mean,
                                          typename Acc<T>::type* __restrict__ rstd, int64_t rows, int cols, float eps) {
  using A = typename Acc<T>::type;
  using P = LnVec<T, W>;
  int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.y) + threadIdx.y;
  if (row >= rows) return;
  int lane = threadIdx.x;
  const P* xr = reinterpret_cast<const P*>(x + row * cols);
  A v[NV][W];
  A s = 0;
#pragma unroll
  for (int n = 0; n < NV; ++n) {
    P raw = xr[lane + 32 * n];
#pragma unroll
    for (int k = 0; k < W; ++k) {
      v[n][k] = load(raw.v[k]);
      s += v[n][k];
    }
  }
  A m = warpSum(s) / static_cast<A>(cols);
  A q = 0;
#pragma unroll
  for (int n = 0; n < NV; ++n)
#pragma unroll
    for (int k = 0; k < W; ++k) q += (v[n][k] - m) * (v[n][k] - m);
  A rs = A(1) / sqrt(warpSum(q) / static_cast<A>(cols) + static_cast<A>(eps));
  if (lane == 0) {
    mean[row] = m;
    rstd[row] = rs;
  }
  const P* gv = reinterpret_cast<const P*>(g);
  const P* bv = reinterpret_cast<const P*>(b);
  P* yr = reinterpret_cast<P*>(y + row * cols);
#pragma unroll
  for (int n = 0; n < NV; ++n) {
    P gr = gv[lane + 32 * n], br = bv[lane + 32 * n], out;
#pragma unroll
    for (int k = 0; k < W; ++k) out.v[k] = store<T>((v[n][k] - m) * rs * load(gr.v[k]) + load(br.v[k]));
    yr[lane + 32 * n] = out;
  }
}

template <typename T, int W, int NV>
__global__ void layerNormBackwardVecKernel(const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ g,
                                           const typename Acc<T>::type* __restrict__ mean,
                                           const typename Acc<T>::type* __restrict__ rstd, T* __restrict__ dx,
                                           float* __restrict__ dg, float* __restrict__ db, int64_t rows, int cols,
                                           const T* __restrict__ acc) {
  using A = typename Acc<T>::type;
  using P = LnVec<T, W>;
  int lane = threadIdx.x;
  A gamma[NV][W], sg[NV][W], sb[NV][W];
  const P* gv = reinterpret_cast<const P*>(g);
#pragma unroll
  for (int n = 0; n < NV; ++n) {
    P gr = gv[lane + 32 * n];
#pragma unroll
    for (int k = 0; k < W; ++k) {
      gamma[n][k] = load(gr.v[k]);
      sg[n][k] = 0;
      sb[n][k] = 0;
    }
  }
  for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.y) + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const P* xr = reinterpret_cast<const P*>(x + row * cols);
    const P* gr = reinterpret_cast<const P*>(dy + row * cols);
    A m = mean[row], rs = rstd[row];
    A xh[NV][W], dxh[NV][W];
    A a1 = 0, a2 = 0;
#pragma unroll
    for (int n = 0; n < NV; ++n) {
      P xv = xr[lane + 32 * n], dv = gr[lane + 32 * n];
#pragma unroll
      for (int k = 0; k < W; ++k) {
        A gval = load(dv.v[k]);
        xh[n][k] = (load(xv.v[k]) - m) * rs;
        dxh[n][k] = gval * gamma[n][k];
        a1 += dxh[n][k];
        a2 += dxh[n][k] * xh[n][k];
        sg[n][k] += gval * xh[n][k];
        sb[n][k] += gval;
      }
    }
    a1 = warpSum(a1) / static_cast<A>(cols);
    a2 = warpSum(a2) / static_cast<A>(cols);
    P* dr = reinterpret_cast<P*>(dx + row * cols);
    const P* ar = acc ? reinterpret_cast<const P*>(acc + row * cols) : nullptr;
#pragma unroll
    for (int n = 0; n < NV; ++n) {
      P out;
      if (ar) {
        P prior = ar[lane + 32 * n];
#pragma unroll
        for (int k = 0; k < W; ++k) out.v[k] = store<T>(rs * (dxh[n][k] - a1 - xh[n][k] * a2) + load(prior.v[k]));
      } else {
#pragma unroll
        for (int k = 0; k < W; ++k) out.v[k] = store<T>(rs * (dxh[n][k] - a1 - xh[n][k] * a2));
      }
      dr[lane + 32 * n] = out;
    }
  }
  // the block's warps add their sums in shared memory first, then one coalesced atomic per column and block
  // (a lane's columns are W apart: atomics straight from the lanes would touch W times the cache lines)
  extern __shared__ float red[];  // [2][blockDim.y][cols]
  const int warps = blockDim.y;
  float* rg = red + threadIdx.y * cols;
  float* rb = red + (warps + threadIdx.y) * cols;
#pragma unroll
  for (int n = 0; n < NV; ++n)
#pragma unroll
    for (int k = 0; k < W; ++k) {
      int c = (lane + 32 * n) * W + k;
      rg[c] = static_cast<float>(sg[n][k]);
      rb[c] = static_cast<float>(sb[n][k]);
    }
  __syncthreads();
  for (int c = threadIdx.y * 32 + lane; c < cols; c += 32 * warps) {
    float a = 0.f, b = 0.f;
    for (int w = 0; w < warps; ++w) {
      a += red[w * cols + c];
      b += red[(warps + w) * cols + c];
    }
    atomicAdd(&dg[c], a);
    atomicAdd(&db[c], b);
  }
}

// Calls launch(W, NV) as compile-time constants for the widest vector that splits cols (see above), or
// returns false (the per-element kernels then run).
template <typename T, typename Launch>
static bool withLnVector(int cols, Launch&& launch) {
  constexpr int maxW = 16 / sizeof(T);
  auto pick = [&](auto wConst) -> bool {
    constexpr int W = decltype(wConst)::value;
    if (W > maxW || cols % (32 * W) != 0) return false;
    switch (cols / (32 * W)) {
      case 1: launch(wConst, std::integral_constant<int, 1>()); return true;
      case 2: launch(wConst, std::integral_constant<int, 2>()); return true;
      case 3: launch(wConst, std::integral_constant<int, 3>()); return true;
      case 4: launch(wConst, std::integral_constant<int, 4>()); return true;
      default: return false;
    }
  };
  if constexpr (sizeof(T) == 2) {
    if (pick(std::integral_constant<int, 8>())) return true;
  }
  if constexpr (sizeof(T) <= 4) {
    if (pick(std::integral_constant<int, 4>())) return true;
  }
  if (pick(std::integral_constant<int, 2>())) return true;
  return false;
}

template <typename T>
static bool layerNormForwardVec(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& y, const Tensor& mean,
                                const Tensor& rstd, int64_t rows, int cols, float eps) {
  using A = typename Acc<T>::type;
  dim3 block(32, 4);
  return withLnVector<T>(cols, [&](auto wConst, auto nvConst) {
    constexpr int W = decltype(wConst)::value, NV = decltype(nvConst)::value;
    layerNormForwardVecKernel<T, W, NV><<<blocksFor(rows, 4), block, 0, stream()>>>(x.data<T>(), gamma.data<T>(), beta.data<T>(),
                                                                                     y.data<T>(), mean.data<A>(), rstd.data<A>(), rows,
                                                                                     cols, eps);
  });
}

template <typename T>
static bool layerNormBackwardVec(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,
                                 const Tensor& dx, const Tensor& dgamma32, const Tensor& dbeta32, int64_t rows, int cols,
                                 unsigned blocks, const T* acc) {
  using A = typename Acc<T>::type;
  dim3 block(32, 4);
  return withLnVector<T>(cols, [&](auto wConst, auto nvConst) {
    constexpr int W = decltype(wConst)::value, NV = decltype(nvConst)::value;
    const size_t smem = 2 * block.y * static_cast<size_t>(cols) * sizeof(float);
    layerNormBackwardVecKernel<T, W, NV><<<blocks, block, smem, stream()>>>(dy.data<T>(), x.data<T>(), gamma.data<T>(), mean.data<A>(),
                                                                          rstd.data<A>(), dx.data<T>(), dgamma32.data<float>(),
                                                                          dbeta32.data<float>(), rows, cols, acc);
  });
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
                           const Tensor& dx, const Tensor& dgamma32, const Tensor& dbeta32, int64_t rows, int64_t cols,
                           const Tensor& acc) {
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
  bool done = false;
  if (x.dtype == DType::F32)
    done = layerNormBackwardVec<float>(dy, x, gamma, mean, rstd, dx, dgamma32, dbeta32, rows, c, blocks,
                                       acc.defined() ? acc.data<float>() : nullptr);
  else if (x.dtype == DType::BF16)
    done = layerNormBackwardVec<bf16>(dy, x, gamma, mean, rstd, dx, dgamma32, dbeta32, rows, c, blocks,
                                      acc.defined() ? acc.data<bf16>() : nullptr);
  if (done) {
    checkLastLaunch("layer_norm_backward");
    return;
  }
  SF_FLOAT_SWITCH("layer_norm_backward", x.dtype, T, {
    using A = typename Acc<T>::type;
    SF_VPL_SWITCH(c, VPL, {
      layerNormBackwardKernel<T, VPL><<<blocks, block, 0, stream()>>>(dy.data<T>(), x.data<T>(), gamma.data<T>(), mean.data<A>(),
                                                                      rstd.data<A>(), dx.data<T>(), dgamma32.data<float>(),
                                                                      dbeta32.data<float>(), rows, c, acc.defined() ? acc.data<T>() : nullptr);
    });
  });
  checkLastLaunch("layer_norm_backward");
}

}  // namespace sf
