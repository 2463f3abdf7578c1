// Vectorized CUDA elementwise maps for the simple ops (included by the op
// files when nvcc compiles them). Each thread handles V consecutive output
// elements (16 bytes of the widest operand type): contiguous operands are
// read with one 16-byte load, an operand whose innermost coalesced run (unit
// stride) is a multiple of V long with one vector load at the run's offset
// when aligned, any other view element by element through its Indexer
// (launch.h). Outputs are contiguous and written with vector stores. The
// tail (n not a multiple of V) is done element by element by the last
// thread. Used only when n < 2^31 (32-bit indices); the op files keep
// forEach for the CPU and for larger tensors.
#pragma once
#include <cuda_runtime.h>

#include "../launch.h"

namespace sf {

template <typename T, int V>
struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

// mode 0: identity; 1: innermost run of unit stride, length a multiple of V; 2: general.
template <typename T>
struct Operand {
  const T* p = nullptr;
  Indexer ix;
  int mode = 0;
};

template <typename T, int V>
Operand<T> operandOf(const T* p, const Indexer& ix) {
  Operand<T> o;
  o.p = p;
  o.ix = ix;
  if (ix.identity) o.mode = 0;
  else if (!ix.wide && ix.n >= 1 && ix.stride[0] == 1 && ix.size[0] % V == 0) o.mode = 1;
  else o.mode = 2;
  return o;
}

template <typename T, int V>
__device__ __forceinline__ void loadOperand(const Operand<T>& o, uint32_t i0, T (&out)[V]) {
  if (o.mode == 0) {
    Pack<T, V> v = *reinterpret_cast<const Pack<T, V>*>(o.p + i0);
#pragma unroll
    for (int j = 0; j < V; ++j) out[j] = v.v[j];
    return;
  }
  if (o.mode == 1) {
    int64_t off = offsetOf(o.ix, i0);
    if (off % V == 0) {
      Pack<T, V> v = *reinterpret_cast<const Pack<T, V>*>(o.p + off);
#pragma unroll
      for (int j = 0; j < V; ++j) out[j] = v.v[j];
    } else {
#pragma unroll
      for (int j = 0; j < V; ++j) out[j] = o.p[off + j];
    }
    return;
  }
#pragma unroll
  for (int j = 0; j < V; ++j) out[j] = o.p[offsetOf(o.ix, i0 + j)];
}

// y0[i] (, y1[i]) = f(x0, x1, x2) for NI inputs of type TI, outputs of type TO.
// f(TI a, TI b, TI c, TO& y0, TO& y1); unused inputs/outputs are ignored.
template <int V, int NI, int NO, typename TI, typename TO, class F>
__global__ void mapKernel(uint32_t n, Operand<TI> x0, Operand<TI> x1, Operand<TI> x2, TO* __restrict__ y0, TO* __restrict__ y1, F f) {
  uint32_t c = blockIdx.x * blockDim.x + threadIdx.x;
  uint32_t i0 = c * V;
  if (i0 >= n) return;
  if (i0 + V <= n) {
    TI a[V], b[V], d[V];
    loadOperand<TI, V>(x0, i0, a);
    if (NI > 1) loadOperand<TI, V>(x1, i0, b);
    if (NI > 2) loadOperand<TI, V>(x2, i0, d);
    Pack<TO, V> r0, r1;
#pragma unroll
    for (int j = 0; j < V; ++j) f(a[j], NI > 1 ? b[j] : a[j], NI > 2 ? d[j] : a[j], r0.v[j], r1.v[j]);
    *reinterpret_cast<Pack<TO, V>*>(y0 + i0) = r0;
    if (NO > 1) *reinterpret_cast<Pack<TO, V>*>(y1 + i0) = r1;
    return;
  }
  for (uint32_t i = i0; i < n; ++i) {
    TI a = x0.p[offsetOf(x0.ix, i)];
    TI b = NI > 1 ? x1.p[offsetOf(x1.ix, i)] : a;
    TI d = NI > 2 ? x2.p[offsetOf(x2.ix, i)] : a;
    TO r0, r1;
    f(a, b, d, r0, r1);
    y0[i] = r0;
    if (NO > 1) y1[i] = r1;
  }
}

template <int V, int NI, int NO, typename TI, typename TO, class F>
void launchMap(const char* op, int64_t n, Operand<TI> x0, Operand<TI> x1, Operand<TI> x2, TO* y0, TO* y1, F f) {
  const int threads = 256;
  int64_t chunks = (n + V - 1) / V;
  mapKernel<V, NI, NO, TI, TO, F><<<static_cast<unsigned>((chunks + threads - 1) / threads), threads, 0,
                                    static_cast<cudaStream_t>(currentStreamHandle())>>>(static_cast<uint32_t>(n), x0, x1, x2, y0, y1, f);
  checkLastLaunch(op);
}

template <typename TI, typename TO>
constexpr int mapWidth() {
  return 16 / (sizeof(TI) > sizeof(TO) ? sizeof(TI) : sizeof(TO));
}

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Runs the map on CUDA when n < 2^31; returns false (nothing done) otherwise.
// Inputs: pointers with their views (Indexers over the output's shape).
template <int NI, int NO, typename TI, typename TO, class F>
bool mapCuda(const char* op, int64_t n, const TI* p0, const Indexer& i0, const TI* p1, const Indexer& i1, const TI* p2,
             const Indexer& i2, TO* y0, TO* y1, F f) {
  if (n <= 0 || n >= kIndex32Limit - 64) return false;
  constexpr int V = mapWidth<TI, TO>();
  bool ok = aligned16(y0) && (NO < 2 || aligned16(y1)) && aligned16(p0) && (NI < 2 || aligned16(p1)) && (NI < 3 || aligned16(p2));
  if (ok) {
    launchMap<V, NI, NO, TI, TO, F>(op, n, operandOf<TI, V>(p0, i0), operandOf<TI, V>(p1, i1), operandOf<TI, V>(p2, i2), y0, y1, f);
  } else {
    Operand<TI> o0, o1, o2;
    o0.p = p0, o0.ix = i0, o0.mode = 2;
    o1.p = p1, o1.ix = i1, o1.mode = 2;
    o2.p = p2, o2.ix = i2, o2.mode = 2;
    launchMap<1, NI, NO, TI, TO, F>(op, n, o0, o1, o2, y0, y1, f);
  }
  return true;
}


// dst (viewed through dix) = src (viewed through its Indexer), both over the
// same n elements: the layout ops' strided copy. Destination modes as for
// operands: 0 contiguous (vector store), 1 unit-stride runs of a multiple of V
// (vector store when the run's offset is aligned), 2 element by element.
template <int V, typename T>
__global__ void copyViewKernel(uint32_t n, Operand<T> src, T* __restrict__ dst, Indexer dix, int dmode) {
  uint32_t c = blockIdx.x * blockDim.x + threadIdx.x;
  uint32_t i0 = c * V;
  if (i0 >= n) return;
  if (i0 + V <= n) {
    T a[V];
    loadOperand<T, V>(src, i0, a);
    Pack<T, V> r;
#pragma unroll
    for (int j = 0; j < V; ++j) r.v[j] = a[j];
    if (dmode == 0) {
      *reinterpret_cast<Pack<T, V>*>(dst + i0) = r;
    } else if (dmode == 1) {
      int64_t off = offsetOf(dix, i0);
      if (off % V == 0) {
        *reinterpret_cast<Pack<T, V>*>(dst + off) = r;
      } else {
#pragma unroll
        for (int j = 0; j < V; ++j) dst[off + j] = a[j];
      }
    } else {
#pragma unroll
      for (int j = 0; j < V; ++j) dst[offsetOf(dix, i0 + j)] = a[j];
    }
    return;
  }
  for (uint32_t i = i0; i < n; ++i) dst[offsetOf(dix, i)] = src.p[offsetOf(src.ix, i)];
}

template <typename T>
bool copyViewCuda(const char* op, int64_t n, const T* ps, const Indexer& si, T* pd, const Indexer& di) {
  if (n <= 0 || n >= kIndex32Limit - 64) return false;
  constexpr int V = 16 / sizeof(T);
  const int threads = 256;
  cudaStream_t stream = static_cast<cudaStream_t>(currentStreamHandle());
  if (aligned16(ps) && aligned16(pd)) {
    Operand<T> src = operandOf<T, V>(ps, si);
    int dmode = operandOf<T, V>(pd, di).mode;
    int64_t chunks = (n + V - 1) / V;
    copyViewKernel<V, T><<<static_cast<unsigned>((chunks + threads - 1) / threads), threads, 0, stream>>>(static_cast<uint32_t>(n), src, pd, di, dmode);
  } else {
    Operand<T> src;
    src.p = ps, src.ix = si, src.mode = 2;
    copyViewKernel<1, T><<<static_cast<unsigned>((n + threads - 1) / threads), threads, 0, stream>>>(static_cast<uint32_t>(n), src, pd, di, 2);
  }
  checkLastLaunch(op);
  return true;
}

}  // namespace sf
