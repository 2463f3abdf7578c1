// Layout ops: permute, slice, pad, concat. All are one strided copy: each
// output element reads the input at an offset computed from the output index.
// Backward: permute -> inverse permute, slice <-> pad (zeros), concat ->
// slices (composed on the TS side, trainer/autograd).
#include "../launch.h"
#include "../ops.h"
#if defined(__CUDACC__)
#include "../cuda/elementwise.cuh"
#include "../cuda/layout_transpose.cuh"
#endif

namespace sf {

Tensor full(const Shape& shape, DType dtype, Device device, double value);

// dst[dstOffset + offsetOf(dstView, i)] = src[srcOffset + offsetOf(srcView, i)]
// for i over the element count of the views' common sizes.
// Both views are coalesced into Indexers (launch.h). On CUDA, a permute
// (dst contiguous) that moves the innermost axis goes through the tiled
// transpose of cuda/layout_transpose.cuh instead, any other copy through
// the vectorized copyViewCuda of cuda/elementwise.cuh.
static void stridedCopy(const char* op, const Tensor& dst, int64_t dstOffset, Dims dstView, const Tensor& src,
                        int64_t srcOffset, Dims srcView, int64_t count) {
  Indexer di = indexerOf(dstView), si = indexerOf(srcView);
  SF_ANY_SWITCH(op, src.dtype, T, {
    const T* ps = src.data<T>() + srcOffset;
    T* pd = dst.data<T>() + dstOffset;
#if defined(__CUDACC__)
    if (src.device == Device::CUDA && count > 0) {
      if (di.identity) {
        Dims c = coalesceDims(srcView);
        if (launchTransposeTiled<T>(op, ps, pd, c.n, c.size, c.stride)) return;
      }
      // vector loads / stores along unit-stride runs
      if (copyViewCuda<T>(op, count, ps, si, pd, di)) return;
    }
#endif
    forEach(src.device, count, op, [=] SF_LAMBDA(int64_t i) { pd[offsetOf(di, i)] = ps[offsetOf(si, i)]; });
  });
}

// inputs: x. attrs: perm (out axis i = in axis perm[i]). outputs: y.
Tensors opPermute(const Tensors& in, const Attrs& attrs) {
  const char* op = "permute";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  const Tensor& x = in[0];
  std::vector<int64_t> perm = attrs.ints(op, "perm");
  if (static_cast<int>(perm.size()) != x.ndim()) shapeError(op, in, "perm has " + std::to_string(perm.size()) + " axes");
  std::vector<bool> seen(perm.size(), false);
  Shape outShape(perm.size());
  Shape st = contiguousStrides(x.shape);
  Dims srcView;
  srcView.n = x.ndim();
  for (size_t i = 0; i < perm.size(); ++i) {
    int p = normAxis(op, perm[i], x.ndim());
    if (seen[p]) shapeError(op, in, "perm repeats an axis");
    seen[p] = true;
    outShape[i] = x.shape[p];
    srcView.size[i] = x.shape[p];
    srcView.stride[i] = st[p];
  }
  Tensor y = empty(outShape, x.dtype, x.device);
  stridedCopy(op, y, 0, dimsOf(outShape), x, 0, srcView, y.numel());
  return {y};
}

// inputs: x. attrs: begin, size (per axis). outputs: y = x[begin : begin+size].
Tensors opSlice(const Tensors& in, const Attrs& attrs) {
  const char* op = "slice";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  const Tensor& x = in[0];
  std::vector<int64_t> begin = attrs.ints(op, "begin"), size = attrs.ints(op, "size");
  if (static_cast<int>(begin.size()) != x.ndim() || begin.size() != size.size()) shapeError(op, in, "begin/size must give every axis");
  Shape st = contiguousStrides(x.shape);
  int64_t offset = 0;
  for (int i = 0; i < x.ndim(); ++i) {
    if (begin[i] < 0 || size[i] < 0 || begin[i] + size[i] > x.shape[i])
      shapeError(op, in, "slice " + shapeStr(begin) + " + " + shapeStr(size) + " outside the input");
    offset += begin[i] * st[i];
  }
  Tensor y = empty(size, x.dtype, x.device);
  Dims srcView = dimsOf(size);
  for (int i = 0; i < x.ndim(); ++i) srcView.stride[i] = st[i];
  stridedCopy(op, y, 0, dimsOf(size), x, offset, srcView, y.numel());
  return {y};
}

// inputs: x. attrs: before, after (per axis), value. outputs: padded y.
Tensors opPad(const Tensors& in, const Attrs& attrs) {
  const char* op = "pad";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  const Tensor& x = in[0];
  std::vector<int64_t> before = attrs.ints(op, "before"), after = attrs.ints(op, "after");
  if (static_cast<int>(before.size()) != x.ndim() || before.size() != after.size()) shapeError(op, in, "before/after must give every axis");
  Shape outShape(x.ndim());
  for (int i = 0; i < x.ndim(); ++i) {
    if (before[i] < 0 || after[i] < 0) shapeError(op, in, "negative padding");
    outShape[i] = x.shape[i] + before[i] + after[i];
  }
  Tensor filled = full(outShape, x.dtype, x.device, attrs.number("value", 0.0));
  Shape ost = contiguousStrides(outShape);
  int64_t offset = 0;
  Dims dstView = dimsOf(x.shape);
  for (int i = 0; i < x.ndim(); ++i) {
    offset += before[i] * ost[i];
    dstView.stride[i] = ost[i];
  }
  stridedCopy(op, filled, offset, dstView, x, 0, dimsOf(x.shape), x.numel());
  return {filled};
}

// inputs: x0, x1, ... attrs: axis. outputs: their concatenation.
Tensors opConcat(const Tensors& in, const Attrs& attrs) {
  const char* op = "concat";
  if (in.empty()) shapeError(op, in, "needs at least one input");
  for (size_t i = 0; i < in.size(); ++i) requireDefined(op, in, i);
  requireSameDevice(op, in);
  requireSameDtype(op, in);
  int axis = normAxis(op, static_cast<int64_t>(attrs.number(op, "axis")), in[0].ndim());
  Shape outShape = in[0].shape;
  outShape[axis] = 0;
  for (const Tensor& t : in) {
    if (t.ndim() != in[0].ndim()) shapeError(op, in, "inputs of different rank");
    for (int i = 0; i < t.ndim(); ++i)
      if (i != axis && t.shape[i] != in[0].shape[i]) shapeError(op, in, "shapes differ off the concat axis");
    outShape[axis] += t.shape[axis];
  }
  Tensor y = empty(outShape, in[0].dtype, in[0].device);
  Shape ost = contiguousStrides(outShape);
  int64_t at = 0;
  for (const Tensor& t : in) {
    Dims dstView = dimsOf(t.shape);
    for (int i = 0; i < t.ndim(); ++i) dstView.stride[i] = ost[i];
    stridedCopy(op, y, at * ost[axis], dstView, t, 0, dimsOf(t.shape), t.numel());
    at += t.shape[axis];
  }
  return {y};
}

}  // namespace sf
