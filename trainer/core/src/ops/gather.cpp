// Gathers: index_select along an axis (embedding lookup is index_select on
// axis 0 of the table), its backward index_add (scatter-add of the output
// gradient into zeros; atomic on CUDA), and one_hot (AlphaFold's one-hot
// features: aatype, relative position bins, distogram bins).
// Index math through DivMod (launch.h): 32-bit magic-number divisions on the
// GPU when the element count allows.
#include "../launch.h"
#include "../ops.h"

namespace sf {

Tensor full(const Shape& shape, DType dtype, Device device, double value);

static void checkIndex(const char* op, const Tensors& in, const Tensor& idx) {
  if (idx.dtype != DType::I32) shapeError(op, in, "indices must be int32");
}

// Out-of-range indices: the CPU throws; CUDA clamps them to an invalid
// marker and writes zeros (a kernel cannot throw), so the CPU check in the
// tests is where a bad index is caught.
// inputs: x [..., N, ...], idx [n] int32. attrs: axis. outputs: y [..., n, ...].
Tensors opIndexSelect(const Tensors& in, const Attrs& attrs) {
  const char* op = "index_select";
  requireCount(op, in, 2);
  requireDefined(op, in, 0);
  requireDefined(op, in, 1);
  requireSameDevice(op, in);
  const Tensor &x = in[0], &idx = in[1];
  checkIndex(op, in, idx);
  if (idx.ndim() != 1) shapeError(op, in, "indices must be 1-D");
  int axis = normAxis(op, static_cast<int64_t>(attrs.number(op, "axis")), x.ndim());
  int64_t outer = 1, inner = 1, n = x.shape[axis], m = idx.shape[0];
  for (int i = 0; i < axis; ++i) outer *= x.shape[i];
  for (int i = axis + 1; i < x.ndim(); ++i) inner *= x.shape[i];
  if (x.device == Device::CPU) {
    const int32_t* pi = idx.data<int32_t>();
    for (int64_t j = 0; j < m; ++j)
      if (pi[j] < 0 || pi[j] >= n) shapeError(op, in, "index " + std::to_string(pi[j]) + " out of range [0, " + std::to_string(n) + ")");
  }
  Shape outShape = x.shape;
  outShape[axis] = m;
  Tensor y = empty(outShape, x.dtype, x.device);
  SF_ANY_SWITCH(op, x.dtype, T, {
    const T* px = x.data<T>();
    const int32_t* pi = idx.data<int32_t>();
    T* py = y.data<T>();
    DivMod byInner(inner, y.numel()), byM(m, y.numel());
    forEach(x.device, y.numel(), op, [=] SF_LAMBDA(int64_t e) {
      int64_t q, k, o, j;
      byInner.split(e, q, k);
      byM.split(q, o, j);
      int64_t src = pi[j];
      py[e] = (src >= 0 && src < n) ? px[(o * n + src) * inner + k] : T{};
    });
  });
  return {y};
}

template <typename T>
static void indexAddInto(const Tensor& dy, const Tensor& idx, const Tensor& dx, int64_t inner, int64_t m, int64_t n) {
  const T* pg = dy.data<T>();
  const int32_t* pi = idx.data<int32_t>();
  T* pd = dx.data<T>();
  DivMod byInner(inner, dy.numel()), byM(m, dy.numel());
  forEach(dy.device, dy.numel(), "index_add", [=] SF_LAMBDA(int64_t e) {
    int64_t q, k, o, j;
    byInner.split(e, q, k);
    byM.split(q, o, j);
    int64_t dst = pi[j];
    if (dst >= 0 && dst < n) accumulate(&pd[(o * n + dst) * inner + k], pg[e]);
  });
}

// inputs: dy [..., n, ...], idx [n]. attrs: axis, size (N). outputs: dx [..., N, ...].
Tensors opIndexAdd(const Tensors& in, const Attrs& attrs) {
  const char* op = "index_add";
  requireCount(op, in, 2);
  requireDefined(op, in, 0);
  requireDefined(op, in, 1);
  requireSameDevice(op, in);
  const Tensor &dy = in[0], &idx = in[1];
  checkIndex(op, in, idx);
  if (dy.dtype == DType::BF16 || dy.dtype == DType::I32) shapeError(op, in, "index_add accumulates in float32 or float64 only");
  int axis = normAxis(op, static_cast<int64_t>(attrs.number(op, "axis")), dy.ndim());
  int64_t n = static_cast<int64_t>(attrs.number(op, "size"));
  if (idx.ndim() != 1 || idx.shape[0] != dy.shape[axis]) shapeError(op, in, "indices must be 1-D with dy's axis length");
  int64_t outer = 1, inner = 1, m = idx.shape[0];
  for (int i = 0; i < axis; ++i) outer *= dy.shape[i];
  for (int i = axis + 1; i < dy.ndim(); ++i) inner *= dy.shape[i];
  Shape outShape = dy.shape;
  outShape[axis] = n;
  Tensor dx = full(outShape, dy.dtype, dy.device, 0.0);
  if (dy.dtype == DType::F32) indexAddInto<float>(dy, idx, dx, inner, m, n);
  else indexAddInto<double>(dy, idx, dx, inner, m, n);
  return {dx};
}

// inputs: idx [...] int32. attrs: classes, dtype. outputs: [..., classes].
Tensors opOneHot(const Tensors& in, const Attrs& attrs) {
  const char* op = "one_hot";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  const Tensor& idx = in[0];
  checkIndex(op, in, idx);
  int64_t c = static_cast<int64_t>(attrs.number(op, "classes"));
  DType dt = static_cast<DType>(static_cast<int>(attrs.number("dtype", 0)));
  Shape outShape = idx.shape;
  outShape.push_back(c);
  Tensor y = empty(outShape, dt, idx.device);
  SF_FLOAT_SWITCH(op, dt, T, {
    const int32_t* pi = idx.data<int32_t>();
    T* py = y.data<T>();
    DivMod byC(c > 0 ? c : 1, y.numel());
    forEach(idx.device, y.numel(), op, [=] SF_LAMBDA(int64_t e) {
      using A = typename Acc<T>::type;
      int64_t q, r;
      byC.split(e, q, r);
      py[e] = store<T>(pi[q] == r ? A(1) : A(0));
    });
  });
  return {y};
}

}  // namespace sf
