// Tiled transpose for permutes that move the innermost axis (included by
// ops/layout.cpp when nvcc compiles it). The permute is first coalesced
// (input axes that stay adjacent and in order become one axis); the output's
// innermost axis q and the axis p that is innermost in the input are then
// copied through a 32 x 32 shared-memory tile: reads run along p (unit stride
// in the input), writes along q (unit stride in the output), both coalesced.
// Every other axis is a batch index, decomposed once per block.
#pragma once
#include <cuda_runtime.h>

#include "../launch.h"

namespace sf {

constexpr int kTile = 32;
constexpr int kTileRows = 8;

struct TransposePlan {
  int nb = 0;                   // batch axes (output order, innermost first)
  int64_t bsize[kMaxDims];      // their sizes
  int64_t bin[kMaxDims];        // input strides
  int64_t bout[kMaxDims];       // output strides
  int64_t sizeP, sizeQ;         // the two tiled axes
  int64_t inStrideQ;            // input stride of q (p's is 1)
  int64_t outStrideP;           // output stride of p (q's is 1)
  int64_t tilesP, tilesQ, batch;
};

template <typename T>
__global__ void transposeTiledKernel(const T* __restrict__ x, T* __restrict__ y, TransposePlan tp) {
  __shared__ T tile[kTile][kTile + 1];
  int64_t b = blockIdx.x;
  int64_t tq = b % tp.tilesQ;
  b /= tp.tilesQ;
  int64_t tpi = b % tp.tilesP;
  b /= tp.tilesP;
  int64_t inBase = 0, outBase = 0;
  for (int k = 0; k < tp.nb; ++k) {
    int64_t c = b % tp.bsize[k];
    b /= tp.bsize[k];
    inBase += c * tp.bin[k];
    outBase += c * tp.bout[k];
  }
  int64_t p0 = tpi * kTile, q0 = tq * kTile;
  int tx = threadIdx.x, ty = threadIdx.y;
  // read: lanes along p (input unit stride), rows along q
  for (int r = ty; r < kTile; r += kTileRows) {
    int64_t p = p0 + tx, q = q0 + r;
    if (p < tp.sizeP && q < tp.sizeQ) tile[r][tx] = x[inBase + p + q * tp.inStrideQ];
  }
  __syncthreads();
  // write: lanes along q (output unit stride), rows along p
  for (int r = ty; r < kTile; r += kTileRows) {
    int64_t q = q0 + tx, p = p0 + r;
    if (p < tp.sizeP && q < tp.sizeQ) y[outBase + q + p * tp.outStrideP] = tile[tx][r];
  }
}

// sizes/inStrides: the coalesced permute in output order (output contiguous).
// Returns false (nothing launched) when the innermost axis does not move.
template <typename T>
bool launchTransposeTiled(const char* op, const T* x, T* y, int n, const int64_t* sizes, const int64_t* inStrides) {
  if (n < 2 || inStrides[n - 1] == 1) return false;
  int p = -1;
  for (int k = 0; k < n; ++k)
    if (inStrides[k] == 1) p = k;
  if (p < 0) return false;
  int64_t outStrides[kMaxDims];
  int64_t acc = 1;
  for (int k = n - 1; k >= 0; --k) {
    outStrides[k] = acc;
    acc *= sizes[k];
  }
  TransposePlan tp;
  tp.sizeP = sizes[p];
  tp.sizeQ = sizes[n - 1];
  tp.inStrideQ = inStrides[n - 1];
  tp.outStrideP = outStrides[p];
  tp.tilesP = (tp.sizeP + kTile - 1) / kTile;
  tp.tilesQ = (tp.sizeQ + kTile - 1) / kTile;
  tp.batch = 1;
  for (int k = n - 2; k >= 0; --k) {
    if (k == p) continue;
    tp.bsize[tp.nb] = sizes[k];
    tp.bin[tp.nb] = inStrides[k];
    tp.bout[tp.nb++] = outStrides[k];
    tp.batch *= sizes[k];
  }
  int64_t blocks = tp.batch * tp.tilesP * tp.tilesQ;
  if (blocks <= 0) return true;
  if (blocks >= (int64_t(1) << 31)) return false;
  dim3 threads(kTile, kTileRows);
  transposeTiledKernel<T><<<static_cast<unsigned>(blocks), threads, 0, static_cast<cudaStream_t>(currentStreamHandle())>>>(x, y, tp);
  checkLastLaunch(op);
  return true;
}

}  // namespace sf
