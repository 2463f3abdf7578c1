// Reductions over axes: reduce_sum (any set of axes; mean and masked mean
// are composed from it on the TS side), reduce_max over one axis with the
// argmax, and its backward (the gradient goes to the first maximum).
// CPU (the reference): one output element per iteration, looping over the
// reduced elements. CUDA: reduce_sum goes through the parallel, deterministic
// reductions of cuda/reduce.cuh; reduce_max uses a warp per row when the axis
// is innermost, a thread per output otherwise (coalesced across the inner
// axes). Sums accumulate in float (bf16, f32) or double (f64).
#include "../launch.h"
#include "../ops.h"
#if defined(__CUDACC__)
#include "../cuda/reduce.cuh"
#endif

namespace sf {

Tensor full(const Shape& shape, DType dtype, Device device, double value);

struct ReducePlan {
  std::vector<bool> reduced;  // per input axis
  Shape outShape;     // keepdims shape
  Dims outView;       // output sizes, input strides (kept axes)
  Dims reducedView;   // reduced sizes, input strides (reduced axes)
  int64_t reducedCount;
};

static ReducePlan planReduce(const char* op, const Tensors& in, const Tensor& x, const std::vector<int64_t>& axes) {
  std::vector<bool> reduced(x.ndim(), false);
  for (int64_t a : axes) {
    int k = normAxis(op, a, x.ndim());
    if (reduced[k]) shapeError(op, in, "axis repeated");
    reduced[k] = true;
  }
  ReducePlan p;
  p.reduced = reduced;
  Shape st = contiguousStrides(x.shape);
  p.outView.n = 0;
  p.reducedView.n = 0;
  p.reducedCount = 1;
  for (int i = 0; i < x.ndim(); ++i) {
    if (reduced[i]) {
      p.outShape.push_back(1);
      p.reducedView.size[p.reducedView.n] = x.shape[i];
      p.reducedView.stride[p.reducedView.n++] = st[i];
      p.reducedCount *= x.shape[i];
    } else {
      p.outShape.push_back(x.shape[i]);
      p.outView.size[p.outView.n] = x.shape[i];
      p.outView.stride[p.outView.n++] = st[i];
    }
  }
  return p;
}

// Sums x (element type T) into y (element type TO) on the CPU.
template <typename T, typename TO>
static void reduceSumCpu(const char* op, const Tensor& x, const Tensor& y, const ReducePlan& p) {
  using A = typename Acc<T>::type;
  const T* px = x.data<T>();
  TO* py = y.data<TO>();
  Indexer ov = indexerOf(p.outView), rv = indexerOf(p.reducedView);
  int64_t count = p.reducedCount;
  forEach(x.device, y.numel(), op, [=] SF_LAMBDA(int64_t o) {
    int64_t base = offsetOf(ov, o);
    A s = 0;
    for (int64_t r = 0; r < count; ++r) s += load(px[base + offsetOf(rv, r)]);
    py[o] = store<TO>(s);
  });
}

// inputs: x. attrs: axes, outDtype (dtype code; default x's; float32 is allowed for bfloat16 x: the float
// accumulator unrounded, for a bf16 copy's gradient going to its fp32 master). outputs: sum with the reduced
// axes kept as 1.
Tensors opReduceSum(const Tensors& in, const Attrs& attrs) {
  const char* op = "reduce_sum";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  requireFloat(op, in[0]);
  const Tensor& x = in[0];
  ReducePlan p = planReduce(op, in, x, attrs.ints(op, "axes"));
  const DType outDtype = static_cast<DType>(static_cast<int>(attrs.number("outDtype", static_cast<double>(static_cast<int>(x.dtype)))));
  const bool widen = outDtype != x.dtype;
  if (widen && !(x.dtype == DType::BF16 && outDtype == DType::F32)) shapeError(op, in, "outDtype may only widen bfloat16 to float32");
  Tensor y = empty(p.outShape, outDtype, x.device);
  if (widen) {
#if defined(__CUDACC__)
    if (x.device == Device::CUDA && x.numel() > 0) {
      reduceSumCuda<bf16, float>(op, x.data<bf16>(), y.data<float>(), x.shape, p.reduced);
      return {y};
    }
#endif
    reduceSumCpu<bf16, float>(op, x, y, p);
    return {y};
  }
#if defined(__CUDACC__)
  if (x.device == Device::CUDA && x.numel() > 0) {
    SF_FLOAT_SWITCH(op, x.dtype, T, { reduceSumCuda<T>(op, x.data<T>(), y.data<T>(), x.shape, p.reduced); });
    return {y};
  }
#endif
  SF_FLOAT_SWITCH(op, x.dtype, T, reduceSumCpu<T, T>(op, x, y, p));
  return {y};
}

// inputs: x. attrs: axis. outputs: max (axis kept as 1), argmax int32.
Tensors opReduceMax(const Tensors& in, const Attrs& attrs) {
  const char* op = "reduce_max";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  requireFloat(op, in[0]);
  const Tensor& x = in[0];
  int axis = normAxis(op, static_cast<int64_t>(attrs.number(op, "axis")), x.ndim());
  if (x.shape[axis] == 0) shapeError(op, in, "max over an empty axis");
  ReducePlan p = planReduce(op, in, x, {axis});
  Tensor y = empty(p.outShape, x.dtype, x.device), arg = empty(p.outShape, DType::I32, x.device);
  SF_FLOAT_SWITCH(op, x.dtype, T, {
    using A = typename Acc<T>::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    int32_t* pa = arg.data<int32_t>();
    Indexer ov = indexerOf(p.outView);
    int64_t count = p.reducedCount, stride = p.reducedView.stride[0];
#if defined(__CUDACC__)
    if (x.device == Device::CUDA && stride == 1 && count >= 32) {
      reduceMaxRowsCuda<T>(op, px, py, pa, y.numel(), count);
      break;
    }
#endif
    forEach(x.device, y.numel(), op, [=] SF_LAMBDA(int64_t o) {
      int64_t base = offsetOf(ov, o);
      A best = load(px[base]);
      int32_t at = 0;
      for (int64_t r = 1; r < count; ++r) {
        A v = load(px[base + r * stride]);
        if (v > best) { best = v; at = static_cast<int32_t>(r); }
      }
      py[o] = store<T>(best);
      pa[o] = at;
    });
  });
  return {y, arg};
}

// inputs: dy (keepdims), argmax, x (for the shape). attrs: axis. outputs: dx.
Tensors opReduceMaxBackward(const Tensors& in, const Attrs& attrs) {
  const char* op = "reduce_max_backward";
  requireCount(op, in, 3);
  for (size_t i = 0; i < 3; ++i) requireDefined(op, in, i);
  requireSameDevice(op, in);
  const Tensor &dy = in[0], &arg = in[1], &x = in[2];
  int axis = normAxis(op, static_cast<int64_t>(attrs.number(op, "axis")), x.ndim());
  Shape expect = x.shape;
  expect[axis] = 1;
  if (dy.shape != expect || arg.shape != expect || arg.dtype != DType::I32) shapeError(op, in, "dy/argmax must have x's shape with the axis as 1");
  Tensor dx = empty(x.shape, dy.dtype, x.device);
  int64_t n = x.shape[axis], inner = 1;
  for (int i = axis + 1; i < x.ndim(); ++i) inner *= x.shape[i];
  DivMod byInner(inner, x.numel()), byN(n, x.numel());
  SF_FLOAT_SWITCH(op, dy.dtype, T, {
    using A = typename Acc<T>::type;
    const T* pg = dy.data<T>();
    const int32_t* pa = arg.data<int32_t>();
    T* pd = dx.data<T>();
    forEach(x.device, dx.numel(), op, [=] SF_LAMBDA(int64_t e) {
      int64_t q, k, o, j;
      byInner.split(e, q, k);
      byN.split(q, o, j);
      int64_t r = o * inner + k;
      pd[e] = pa[r] == j ? pg[r] : store<T>(A(0));
    });
  });
  return {dx};
}

}  // namespace sf
