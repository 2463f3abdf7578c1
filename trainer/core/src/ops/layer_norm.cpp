// Layer norm over the last axis (AlphaFold2 supplementary 1.11.8 uses it
// before every attention and transition; OpenFold's LayerNorm), with
// gradients for the input, gamma and beta:
//   xhat = (x - mean) * rstd,  y = xhat * gamma + beta
//   dxhat = dy * gamma
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
//   dgamma = sum_rows dy * xhat,  dbeta = sum_rows dy
// mean and rstd are saved per row in the accumulation dtype (f64 for f64
// inputs, f32 otherwise). CPU: the loops below; CUDA: cuda/layer_norm.cu.
#include <cmath>

#include "../cuda/kernels.h"
#include "../ops.h"

namespace sf {

Tensors opCast(const Tensors& in, const Attrs& attrs);

static DType statDtype(DType d) { return d == DType::F64 ? DType::F64 : DType::F32; }

template <typename T>
static void layerNormForwardCpu(const T* x, const T* g, const T* b, T* y, typename Acc<T>::type* mean,
                                typename Acc<T>::type* rstd, int64_t rows, int64_t cols, double eps) {
  using A = typename Acc<T>::type;
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    A m = 0;
    for (int64_t c = 0; c < cols; ++c) m += load(xr[c]);
    m /= static_cast<A>(cols);
    A v = 0;
    for (int64_t c = 0; c < cols; ++c) v += (load(xr[c]) - m) * (load(xr[c]) - m);
    v /= static_cast<A>(cols);
    A rs = static_cast<A>(1) / std::sqrt(v + static_cast<A>(eps));
    mean[r] = m;
    rstd[r] = rs;
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = store<T>((load(xr[c]) - m) * rs * load(g[c]) + load(b[c]));
  }
}

template <typename T, typename TP = T>
static void layerNormBackwardCpu(const T* dy, const T* x, const T* g, const typename Acc<T>::type* mean,
                                 const typename Acc<T>::type* rstd, T* dx, TP* dg, TP* db, int64_t rows, int64_t cols,
                                 const T* acc) {
  using A = typename Acc<T>::type;
  std::vector<A> sg(cols, 0), sb(cols, 0);
  for (int64_t r = 0; r < rows; ++r) {
    const T* gr = dy + r * cols;
    const T* xr = x + r * cols;
    A a1 = 0, a2 = 0;
    for (int64_t c = 0; c < cols; ++c) {
      A xhat = (load(xr[c]) - mean[r]) * rstd[r];
      A dxhat = load(gr[c]) * load(g[c]);
      a1 += dxhat;
      a2 += dxhat * xhat;
      sg[c] += load(gr[c]) * xhat;
      sb[c] += load(gr[c]);
    }
    a1 /= static_cast<A>(cols);
    a2 /= static_cast<A>(cols);
    for (int64_t c = 0; c < cols; ++c) {
      A xhat = (load(xr[c]) - mean[r]) * rstd[r];
      A dxhat = load(gr[c]) * load(g[c]);
      dx[r * cols + c] = store<T>(rstd[r] * (dxhat - a1 - xhat * a2) + (acc ? load(acc[r * cols + c]) : A(0)));
    }
  }
  for (int64_t c = 0; c < cols; ++c) {
    dg[c] = store<TP>(sg[c]);
    db[c] = store<TP>(sb[c]);
  }
}

static void checkParams(const char* op, const Tensors& in, const Tensor& x, const Tensor& g) {
  if (x.ndim() == 0 || g.ndim() != 1 || g.shape[0] != x.shape.back()) shapeError(op, in, "gamma/beta must be [C] with C the last axis of x");
}

// inputs: x [..., C], gamma [C], beta [C]. attrs: eps. outputs: y, mean [rows], rstd [rows].
Tensors opLayerNorm(const Tensors& in, const Attrs& attrs) {
  const char* op = "layer_norm";
  requireCount(op, in, 3);
  for (size_t i = 0; i < 3; ++i) requireDefined(op, in, i);
  requireSameDevice(op, in);
  requireSameDtype(op, in);
  requireFloat(op, in[0]);
  const Tensor &x = in[0], &g = in[1], &b = in[2];
  checkParams(op, in, x, g);
  if (b.shape != g.shape) shapeError(op, in, "beta must match gamma");
  double eps = attrs.number("eps", 1e-5);
  int64_t cols = x.shape.back(), rows = cols == 0 ? 0 : x.numel() / cols;
  Tensor y = empty(x.shape, x.dtype, x.device);
  Tensor mean = empty({rows}, statDtype(x.dtype), x.device), rstd = empty({rows}, statDtype(x.dtype), x.device);
  if (x.device == Device::CUDA) {
    layerNormForwardCuda(x, g, b, y, mean, rstd, rows, cols, static_cast<float>(eps));
  } else {
    SF_FLOAT_SWITCH(op, x.dtype, T, {
      using A = typename Acc<T>::type;
      layerNormForwardCpu<T>(x.data<T>(), g.data<T>(), b.data<T>(), y.data<T>(), mean.data<A>(), rstd.data<A>(), rows, cols, eps);
    });
  }
  return {y, mean, rstd};
}

// inputs: dy, x, gamma, mean, rstd, optional acc (x's shape and dtype: added to dx in the same pass, the
// gradient x already has from its other consumers, e.g. a residual connection). attrs: paramGradDtype (dtype code; default x's; float32 is allowed for
// bfloat16 x: dgamma and dbeta as their float sums, for bf16 copies of fp32 master parameters).
// outputs: dx, dgamma, dbeta.
Tensors opLayerNormBackward(const Tensors& in, const Attrs& attrs) {
  const char* op = "layer_norm_backward";
  if (in.size() != 6) requireCount(op, in, 5);
  for (size_t i = 0; i < 5; ++i) requireDefined(op, in, i);
  requireSameDevice(op, in);
  const Tensor acc = in.size() == 6 ? in[5] : Tensor();
  if (acc.defined() && (acc.shape != in[1].shape || acc.dtype != in[1].dtype)) shapeError(op, in, "acc must have x's shape and dtype");
  requireSameDtype(op, {in[0], in[1], in[2]});
  requireFloat(op, in[0]);
  const Tensor &dy = in[0], &x = in[1], &g = in[2], &mean = in[3], &rstd = in[4];
  checkParams(op, in, x, g);
  int64_t cols = x.shape.back(), rows = cols == 0 ? 0 : x.numel() / cols;
  if (dy.shape != x.shape || mean.numel() != rows || rstd.numel() != rows || mean.dtype != statDtype(x.dtype))
    shapeError(op, in, "dy must match x; mean/rstd must be the forward's");
  const DType paramDtype = static_cast<DType>(static_cast<int>(attrs.number("paramGradDtype", static_cast<double>(static_cast<int>(x.dtype)))));
  const bool widen = paramDtype != x.dtype;
  if (widen && !(x.dtype == DType::BF16 && paramDtype == DType::F32)) shapeError(op, in, "paramGradDtype may only widen bfloat16 to float32");
  Tensor dx = empty(x.shape, x.dtype, x.device);
  if (x.device == Device::CUDA) {
    Tensor dg32 = empty(g.shape, DType::F32, x.device), db32 = empty(g.shape, DType::F32, x.device);
    layerNormBackwardCuda(dy, x, g, mean, rstd, dx, dg32, db32, rows, cols, acc);
    Attrs castTo;
    castTo.num["dtype"] = static_cast<double>(static_cast<int>(x.dtype));
    if (x.dtype == DType::F32 || widen) return {dx, dg32, db32};
    return {dx, opCast({dg32}, castTo)[0], opCast({db32}, castTo)[0]};
  }
  Tensor dg = empty(g.shape, paramDtype, x.device), db = empty(g.shape, paramDtype, x.device);
  if (widen) {
    layerNormBackwardCpu<bf16, float>(dy.data<bf16>(), x.data<bf16>(), g.data<bf16>(), mean.data<float>(), rstd.data<float>(),
                                      dx.data<bf16>(), dg.data<float>(), db.data<float>(), rows, cols,
                                      acc.defined() ? acc.data<bf16>() : nullptr);
    return {dx, dg, db};
  }
  SF_FLOAT_SWITCH(op, x.dtype, T, {
    using A = typename Acc<T>::type;
    layerNormBackwardCpu<T>(dy.data<T>(), x.data<T>(), g.data<T>(), mean.data<A>(), rstd.data<A>(), dx.data<T>(), dg.data<T>(),
                            db.data<T>(), rows, cols, acc.defined() ? acc.data<T>() : nullptr);
  });
  return {dx, dg, db};
}

}  // namespace sf
