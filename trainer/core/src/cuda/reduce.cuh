// CUDA reductions for ops/reduce.cpp (included there when nvcc compiles it).
// A sum over a set of axes of a contiguous tensor is first normalized: size-1
// axes dropped, adjacent axes that are both reduced or both kept merged. The
// innermost reduced group is then summed as [outer, R, inner] -> [outer,
// inner] and the next group after it, until none is left (intermediates in
// the accumulation type). One pass is:
//  - inner == 1 (rows): one warp per (row, chunk of the row), 16-byte vector
//    loads when the row length allows; rows shorter than 32 one thread each;
//  - inner > 1 (columns): 32 x 8 thread blocks, lanes across the kept inner
//    columns (coalesced; when inner < 32 a warp covers 32 / inner rows at
//    once), the 8 thread rows and 4 independent accumulators down the reduced
//    range, summed through shared memory in a fixed order.
// When there are too few outputs to fill the GPU, the reduced range is split
// over blocks that write accumulation-type partials; the partials are then
// summed by the same code (a second, smaller pass). The split depends only on
// the shapes, so results are deterministic: no float atomics.
#pragma once
#include <cuda_runtime.h>

#include <vector>

#include "../launch.h"

namespace sf {

constexpr int kReduceTargetWarps = 132 * 64;  // one H200 full of resident warps
constexpr int kReduceTargetBlocks = 132 * 8;

template <typename T> struct Vec16 { static constexpr int n = 16 / sizeof(T); };

template <typename TI, typename TO>
__global__ void reduceRowsWarpKernel(const TI* __restrict__ x, TO* __restrict__ y, int64_t rows, int64_t len,
                                     int64_t splits, int64_t chunk, bool vec) {
  using A = typename Acc<TI>::type;
  int64_t w = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5;
  int lane = threadIdx.x & 31;
  if (w >= rows * splits) return;
  int64_t row = w / splits, s = w - row * splits;
  int64_t begin = s * chunk, end = begin + chunk < len ? begin + chunk : len;
  const TI* p = x + row * len;
  A a0 = 0, a1 = 0;
  if (vec) {
    constexpr int V = Vec16<TI>::n;
    for (int64_t k = begin + lane * V; k < end; k += 32 * V) {
      uint4 raw = *reinterpret_cast<const uint4*>(p + k);
      const TI* v = reinterpret_cast<const TI*>(&raw);
#pragma unroll
      for (int j = 0; j < V; j += 2) {
        a0 += load(v[j]);
        a1 += load(v[j + 1]);
      }
    }
  } else {
    for (int64_t k = begin + lane; k < end; k += 32) a0 += load(p[k]);
  }
  A a = a0 + a1;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) a += __shfl_down_sync(0xffffffffu, a, o);
  if (lane == 0) y[w] = store<TO>(a);
}

template <typename TI, typename TO>
__global__ void reduceRowsThreadKernel(const TI* __restrict__ x, TO* __restrict__ y, int64_t rows, int64_t len) {
  using A = typename Acc<TI>::type;
  int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (r >= rows) return;
  const TI* p = x + r * len;
  A a = 0;
  for (int64_t k = 0; k < len; ++k) a += load(p[k]);
  y[r] = store<TO>(a);
}

// Block (32, 8). Block b -> (outer o, split s, column tile t). Output (o, s, c)
// at y[(o * splits + s) * inner + c].
template <typename TI, typename TO>
__global__ void reduceColsKernel(const TI* __restrict__ x, TO* __restrict__ y, int64_t outer, int64_t R, int64_t inner,
                                 int64_t splits, int64_t chunk, int64_t tiles, int lanesPerRow, int rowsPerWarp) {
  using A = typename Acc<TI>::type;
  __shared__ A part[8][32];
  int64_t b = blockIdx.x;
  int64_t t = b % tiles;
  b /= tiles;
  int64_t s = b % splits, o = b / splits;
  int lane = threadIdx.x, ty = threadIdx.y;
  int64_t c = t * 32 + lane % lanesPerRow;
  int sub = lane / lanesPerRow;
  bool valid = sub < rowsPerWarp && c < inner;
  A a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  if (valid) {
    int64_t begin = s * chunk, end = begin + chunk < R ? begin + chunk : R;
    const TI* p = x + o * R * inner + c;
    int64_t step = 8 * static_cast<int64_t>(rowsPerWarp);
    int64_t r = begin + ty * rowsPerWarp + sub;
    for (; r + 3 * step < end; r += 4 * step) {
      a0 += load(p[r * inner]);
      a1 += load(p[(r + step) * inner]);
      a2 += load(p[(r + 2 * step) * inner]);
      a3 += load(p[(r + 3 * step) * inner]);
    }
    for (; r < end; r += step) a0 += load(p[r * inner]);
  }
  part[ty][lane] = (a0 + a1) + (a2 + a3);
  __syncthreads();
  if (ty == 0 && lane < lanesPerRow && c < inner) {
    A a = 0;
    for (int k = 0; k < 8; ++k)
      for (int j = 0; j < rowsPerWarp; ++j) a += part[k][lane + j * lanesPerRow];
    y[(o * splits + s) * inner + c] = store<TO>(a);
  }
}

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Sums x viewed as [outer, R, inner] into y [outer, inner] on the current stream.
template <typename TI, typename TO>
void reduceMiddleCuda(const char* op, const TI* x, TO* y, int64_t outer, int64_t R, int64_t inner, DType accDtype) {
  using A = typename Acc<TI>::type;
  cudaStream_t stream = static_cast<cudaStream_t>(currentStreamHandle());
  if (inner == 1) {
    if (R < 32) {
      reduceRowsThreadKernel<TI, TO><<<static_cast<unsigned>(ceilDiv(outer, 256)), 256, 0, stream>>>(x, y, outer, R);
      checkLastLaunch(op);
      return;
    }
    constexpr int V = Vec16<TI>::n;
    bool vec = R % V == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
    int64_t splits = 1, chunk = R;
    if (outer < kReduceTargetWarps && R >= 2048) {
      splits = ceilDiv(kReduceTargetWarps, outer);
      int64_t maxSplits = R / 1024;  // at least 32 elements per lane
      if (splits > maxSplits) splits = maxSplits;
      chunk = ceilDiv(ceilDiv(R, splits), 32 * V) * 32 * V;
      splits = ceilDiv(R, chunk);
    }
    if (splits == 1) {
      int64_t warps = outer;
      reduceRowsWarpKernel<TI, TO><<<static_cast<unsigned>(ceilDiv(warps, 8)), 256, 0, stream>>>(x, y, outer, R, 1, R, vec);
      checkLastLaunch(op);
      return;
    }
    Tensor partial = empty({outer, splits}, accDtype, Device::CUDA);
    A* pp = partial.data<A>();
    reduceRowsWarpKernel<TI, A><<<static_cast<unsigned>(ceilDiv(outer * splits, 8)), 256, 0, stream>>>(x, pp, outer, R, splits, chunk, vec);
    checkLastLaunch(op);
    reduceMiddleCuda<A, TO>(op, pp, y, outer, splits, 1, accDtype);
    return;
  }
  int lanesPerRow = inner >= 32 ? 32 : static_cast<int>(inner);
  int rowsPerWarp = inner >= 32 ? 1 : 32 / static_cast<int>(inner);
  int64_t tiles = ceilDiv(inner, 32);
  int64_t base = outer * tiles;
  int64_t rowsPerBlockPass = 8 * static_cast<int64_t>(rowsPerWarp);
  int64_t splits = 1;
  if (base * 2 <= kReduceTargetBlocks) {
    splits = ceilDiv(kReduceTargetBlocks, base);
    int64_t maxSplits = R / (rowsPerBlockPass * 16);  // at least 16 rows per thread
    if (splits > maxSplits) splits = maxSplits;
    if (splits < 1) splits = 1;
  }
  int64_t chunk = ceilDiv(R, splits);
  splits = ceilDiv(R, chunk);
  dim3 threads(32, 8);
  if (splits == 1) {
    reduceColsKernel<TI, TO><<<static_cast<unsigned>(base), threads, 0, stream>>>(x, y, outer, R, inner, 1, R, tiles, lanesPerRow, rowsPerWarp);
    checkLastLaunch(op);
    return;
  }
  Tensor partial = empty({outer, splits, inner}, accDtype, Device::CUDA);
  A* pp = partial.data<A>();
  reduceColsKernel<TI, A><<<static_cast<unsigned>(base * splits), threads, 0, stream>>>(x, pp, outer, R, inner, splits, chunk, tiles, lanesPerRow, rowsPerWarp);
  checkLastLaunch(op);
  reduceMiddleCuda<A, TO>(op, pp, y, outer, splits, inner, accDtype);
}

// Sums contiguous x (shape, reduced flags) into y (keepdims layout); TO may be float for bf16 x (the
// accumulator itself as the output).
template <typename T, typename TO = T>
void reduceSumCuda(const char* op, const T* x, TO* y, const Shape& shape, const std::vector<bool>& reduced) {
  using A = typename Acc<T>::type;
  DType accDtype = sizeof(A) == 8 ? DType::F64 : DType::F32;
  // normalized groups, outermost first
  std::vector<int64_t> size;
  std::vector<bool> red;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!size.empty() && red.back() == reduced[i]) size.back() *= shape[i];
    else {
      size.push_back(shape[i]);
      red.push_back(reduced[i]);
    }
  }
  int64_t total = 1;
  for (int64_t s : size) total *= s;
  cudaStream_t stream = static_cast<cudaStream_t>(currentStreamHandle());
  int nRed = 0;
  for (bool r : red) nRed += r;
  if (nRed == 0) {  // nothing summed: a copy (with a cast through load/store)
    if (total > 0 && sizeof(T) == sizeof(TO)) {
      cudaMemcpyAsync(y, x, static_cast<size_t>(total) * sizeof(T), cudaMemcpyDeviceToDevice, stream);
      checkLastLaunch(op);
    } else if (total > 0) {
      reduceMiddleCuda<T, TO>(op, x, y, total, 1, 1, accDtype);
    }
    return;
  }
  // Innermost reduced group first; every pass but the last writes A.
  Tensor cur;  // holds the current intermediate alive
  const void* src = x;
  bool srcIsAcc = false;
  while (true) {
    int g = -1;
    for (int k = static_cast<int>(size.size()) - 1; k >= 0; --k)
      if (red[k]) {
        g = k;
        break;
      }
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < g; ++k) outer *= size[k];
    for (size_t k = g + 1; k < size.size(); ++k) inner *= size[k];
    int64_t R = size[g];
    size.erase(size.begin() + g);
    red.erase(red.begin() + g);
    // merge the kept neighbours that are now adjacent
    if (g > 0 && g < static_cast<int>(size.size()) && !red[g - 1] && !red[g]) {
      size[g - 1] *= size[g];
      size.erase(size.begin() + g);
      red.erase(red.begin() + g);
    }
    bool last = --nRed == 0;
    if (last) {
      if (srcIsAcc) reduceMiddleCuda<A, TO>(op, static_cast<const A*>(src), y, outer, R, inner, accDtype);
      else reduceMiddleCuda<T, TO>(op, static_cast<const T*>(src), y, outer, R, inner, accDtype);
      return;
    }
    Tensor next = empty({outer * inner}, accDtype, Device::CUDA);
    if (srcIsAcc) reduceMiddleCuda<A, A>(op, static_cast<const A*>(src), next.data<A>(), outer, R, inner, accDtype);
    else reduceMiddleCuda<T, A>(op, static_cast<const T*>(src), next.data<A>(), outer, R, inner, accDtype);
    cur = next;
    src = cur.data<A>();
    srcIsAcc = true;
  }
}


// reduce_max over the innermost axis: one warp per row; ties go to the
// smallest index, as in the CPU loop (strict > while scanning forward).
template <typename T>
__global__ void reduceMaxRowsKernel(const T* __restrict__ x, T* __restrict__ y, int32_t* __restrict__ arg, int64_t rows,
                                    int64_t len) {
  using A = typename Acc<T>::type;
  int64_t w = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5;
  int lane = threadIdx.x & 31;
  if (w >= rows) return;
  const T* p = x + w * len;
  A best = load(p[0]);
  int64_t at = 0;
  for (int64_t k = lane; k < len; k += 32) {
    A v = load(p[k]);
    if (v > best) {
      best = v;
      at = k;
    }
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    A ob = __shfl_down_sync(0xffffffffu, best, o);
    int64_t oa = __shfl_down_sync(0xffffffffu, at, o);
    if (ob > best || (ob == best && oa < at)) {
      best = ob;
      at = oa;
    }
  }
  if (lane == 0) {
    y[w] = store<T>(best);
    arg[w] = static_cast<int32_t>(at);
  }
}

template <typename T>
void reduceMaxRowsCuda(const char* op, const T* x, T* y, int32_t* arg, int64_t rows, int64_t len) {
  reduceMaxRowsKernel<T><<<static_cast<unsigned>(ceilDiv(rows, 8)), 256, 0, static_cast<cudaStream_t>(currentStreamHandle())>>>(
      x, y, arg, rows, len);
  checkLastLaunch(op);
}

}  // namespace sf
