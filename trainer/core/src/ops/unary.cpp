// Elementwise unary ops and their backward: y = f(x), dx = dy * f'(x).
// CUDA: vectorized maps (cuda/elementwise.cuh); CPU: forEach (the reference).
// Ops: neg abs sigmoid softplus relu exp log sqrt rsqrt square clamp.
// The derivative at a kink (abs, relu, clamp bounds) is taken as 0 on the
// flat side, as PyTorch does for relu.
#include <cmath>

#include "../launch.h"
#include "../ops.h"
#if defined(__CUDACC__)
#include "../cuda/elementwise.cuh"
#endif

namespace sf {

enum UnaryCode : int { kNeg, kAbs, kSigmoid, kSoftplus, kRelu, kExp, kLog, kSqrt, kRsqrt, kSquare, kClamp };

static int unaryCode(const std::string& name) {
  static const char* names[] = {"neg", "abs", "sigmoid", "softplus", "relu", "exp", "log", "sqrt", "rsqrt", "square", "clamp"};
  for (int i = 0; i < 11; ++i)
    if (name == names[i]) return i;
  throw CoreError("unary: unknown function '" + name + "'");
}

template <typename A>
SF_HD A unaryValue(int code, A x, A lo, A hi) {
  switch (code) {
    case kNeg: return -x;
    case kAbs: return x < A(0) ? -x : x;
    case kSigmoid: return A(1) / (A(1) + exp(-x));
    case kSoftplus: return x > A(20) ? x : log1p(exp(x));
    case kRelu: return x > A(0) ? x : A(0);
    case kExp: return exp(x);
    case kLog: return log(x);
    case kSqrt: return sqrt(x);
    case kRsqrt: return A(1) / sqrt(x);
    case kSquare: return x * x;
    case kClamp: return x < lo ? lo : (x > hi ? hi : x);
  }
  return x;
}

// d f / d x, given x and y = f(x).
template <typename A>
SF_HD A unaryDerivative(int code, A x, A y, A lo, A hi) {
  switch (code) {
    case kNeg: return A(-1);
    case kAbs: return x > A(0) ? A(1) : (x < A(0) ? A(-1) : A(0));
    case kSigmoid: return y * (A(1) - y);
    case kSoftplus: return A(1) / (A(1) + exp(-x));
    case kRelu: return x > A(0) ? A(1) : A(0);
    case kExp: return y;
    case kLog: return A(1) / x;
    case kSqrt: return A(0.5) / y;
    case kRsqrt: return A(-0.5) * y * y * y;
    case kSquare: return A(2) * x;
    case kClamp: return (x > lo && x < hi) ? A(1) : A(0);
  }
  return A(0);
}

// inputs: x. attrs: fn, lo, hi (clamp). outputs: y.
static Tensors unaryForward(const Tensors& in, const Attrs& a) {
  const char* op = "unary";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  requireFloat(op, in[0]);
  int code = unaryCode(a.text("fn", ""));
  const Tensor& x = in[0];
  Tensor y = empty(x.shape, x.dtype, x.device);
  double lo = a.number("lo", -INFINITY), hi = a.number("hi", INFINITY);
  SF_FLOAT_SWITCH(op, x.dtype, T, {
    using A = typename Acc<T>::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    A alo = static_cast<A>(lo), ahi = static_cast<A>(hi);
#if defined(__CUDACC__)
    Indexer id;
    if (x.device == Device::CUDA &&
        mapCuda<1, 1, T, T>(op, x.numel(), px, id, px, id, px, id, py, py, [=] __device__(T a, T, T, T& r, T&) {
          r = store<T>(unaryValue<A>(code, load(a), alo, ahi));
        }))
      break;
#endif
    forEach(x.device, x.numel(), op, [=] SF_LAMBDA(int64_t i) { py[i] = store<T>(unaryValue<A>(code, load(px[i]), alo, ahi)); });
  });
  return {y};
}

// inputs: dy, x, y. attrs as forward. outputs: dx.
static Tensors unaryBackward(const Tensors& in, const Attrs& a) {
  const char* op = "unary_backward";
  requireCount(op, in, 3);
  for (size_t i = 0; i < 3; ++i) requireDefined(op, in, i);
  requireSameDevice(op, in);
  requireSameDtype(op, in);
  requireFloat(op, in[0]);
  if (in[0].shape != in[1].shape || in[1].shape != in[2].shape) shapeError(op, in, "dy, x and y must have one shape");
  int code = unaryCode(a.text("fn", ""));
  Tensor dx = empty(in[1].shape, in[1].dtype, in[1].device);
  double lo = a.number("lo", -INFINITY), hi = a.number("hi", INFINITY);
  SF_FLOAT_SWITCH(op, dx.dtype, T, {
    using A = typename Acc<T>::type;
    const T* pdy = in[0].data<T>();
    const T* px = in[1].data<T>();
    const T* py = in[2].data<T>();
    T* pdx = dx.data<T>();
    A alo = static_cast<A>(lo), ahi = static_cast<A>(hi);
#if defined(__CUDACC__)
    Indexer id;
    if (dx.device == Device::CUDA &&
        mapCuda<3, 1, T, T>(op, dx.numel(), pdy, id, px, id, py, id, pdx, pdx, [=] __device__(T g, T xv, T yv, T& r, T&) {
          r = store<T>(load(g) * unaryDerivative<A>(code, load(xv), load(yv), alo, ahi));
        }))
      break;
#endif
    forEach(dx.device, dx.numel(), op, [=] SF_LAMBDA(int64_t i) {
      pdx[i] = store<T>(load(pdy[i]) * unaryDerivative<A>(code, load(px[i]), load(py[i]), alo, ahi));
    });
  });
  return {dx};
}

Tensors opUnary(const Tensors& in, const Attrs& a) { return unaryForward(in, a); }
Tensors opUnaryBackward(const Tensors& in, const Attrs& a) { return unaryBackward(in, a); }

}  // namespace sf
