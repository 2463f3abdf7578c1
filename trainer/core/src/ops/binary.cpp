// Elementwise binary ops with NumPy broadcasting: add sub mul div minimum
// maximum, and mul_sigmoid (a * sigmoid(b): AlphaFold's gating, e.g. the
// triangle multiplicative update's g * sigmoid(linear_g), suppl. Alg. 11/12,
// in one pass); where(cond, a, b) selects by a nonzero mask. The backward ops
// return gradients at the broadcast output shape; the tape sums them back to
// each input's shape with reduce_sum (trainer/autograd).
// minimum/maximum send the whole gradient to a on ties (a <= b / a >= b).
#include "../launch.h"
#include "../ops.h"
#if defined(__CUDACC__)
#include "../cuda/elementwise.cuh"
#endif

namespace sf {

enum BinaryCode : int { kAdd, kSub, kMul, kDiv, kMin, kMax, kMulSigmoid };

static int binaryCode(const std::string& name) {
  static const char* names[] = {"add", "sub", "mul", "div", "minimum", "maximum", "mul_sigmoid"};
  for (int i = 0; i < 7; ++i)
    if (name == names[i]) return i;
  throw CoreError("binary: unknown function '" + name + "'");
}

template <typename A>
SF_HD A binaryValue(int code, A x, A y) {
  switch (code) {
    case kAdd: return x + y;
    case kSub: return x - y;
    case kMul: return x * y;
    case kDiv: return x / y;
    case kMin: return x <= y ? x : y;
    case kMax: return x >= y ? x : y;
    case kMulSigmoid: return x / (A(1) + exp(-y));
  }
  return x;
}

// d out / d a and d out / d b times g.
template <typename A>
SF_HD void binaryGradients(int code, A g, A x, A y, A& gx, A& gy) {
  gx = 0;
  gy = 0;
  switch (code) {
    case kAdd: gx = g; gy = g; break;
    case kSub: gx = g; gy = -g; break;
    case kMul: gx = g * y; gy = g * x; break;
    case kDiv: gx = g / y; gy = -g * x / (y * y); break;
    case kMin: gx = x <= y ? g : A(0); gy = x <= y ? A(0) : g; break;
    case kMax: gx = x >= y ? g : A(0); gy = x >= y ? A(0) : g; break;
    case kMulSigmoid: {
      A s = A(1) / (A(1) + exp(-y));
      gx = g * s;
      gy = g * x * s * (A(1) - s);
      break;
    }
  }
}

Shape broadcastShapes(const char* op, const Tensors& in) {
  size_t rank = 0;
  for (const Tensor& t : in) rank = std::max(rank, t.shape.size());
  Shape out(rank, 1);
  for (const Tensor& t : in) {
    size_t off = rank - t.shape.size();
    for (size_t i = 0; i < t.shape.size(); ++i) {
      int64_t d = t.shape[i];
      int64_t& o = out[off + i];
      if (o == 1) o = d;
      else if (d != 1 && d != o) shapeError(op, in, "shapes do not broadcast");
    }
  }
  return out;
}

// The view of t broadcast to out: out's sizes, t's strides (0 where broadcast).
Dims broadcastView(const Tensor& t, const Shape& out) {
  Dims d;
  d.n = static_cast<int>(out.size());
  Shape st = contiguousStrides(t.shape);
  size_t off = out.size() - t.shape.size();
  for (size_t i = 0; i < out.size(); ++i) {
    d.size[i] = out[i];
    d.stride[i] = (i < off || t.shape[i - off] == 1) ? 0 : st[i - off];
  }
  return d;
}

static void checkBinaryInputs(const char* op, const Tensors& in, size_t n) {
  requireCount(op, in, n);
  for (size_t i = 0; i < n; ++i) requireDefined(op, in, i);
  requireSameDevice(op, in);
  requireSameDtype(op, in);
  requireFloat(op, in[0]);
}

// CUDA: vectorized maps (cuda/elementwise.cuh) over these Indexers.
// Index math: each operand's broadcast view is coalesced into an Indexer
// (launch.h): same-shape operands read at i, a bias broadcast over rows at
// i % C, with 32-bit magic-number divisions on the GPU.

// inputs: a, b. attrs: fn. outputs: out (broadcast shape).
Tensors opBinary(const Tensors& in, const Attrs& attrs) {
  const char* op = "binary";
  checkBinaryInputs(op, in, 2);
  int code = binaryCode(attrs.text("fn", ""));
  Shape shape = broadcastShapes(op, in);
  Tensor out = empty(shape, in[0].dtype, in[0].device);
  Indexer va = indexerOf(broadcastView(in[0], shape)), vb = indexerOf(broadcastView(in[1], shape));
  SF_FLOAT_SWITCH(op, out.dtype, T, {
    const T* pa = in[0].data<T>();
    const T* pb = in[1].data<T>();
    T* po = out.data<T>();
#if defined(__CUDACC__)
    if (out.device == Device::CUDA &&
        mapCuda<2, 1, T, T>(op, out.numel(), pa, va, pb, vb, pa, va, po, po, [=] __device__(T x, T y, T, T& r, T&) {
          r = store<T>(binaryValue(code, load(x), load(y)));
        }))
      break;
#endif
    forEach(out.device, out.numel(), op, [=] SF_LAMBDA(int64_t i) {
      po[i] = store<T>(binaryValue(code, load(pa[offsetOf(va, i)]), load(pb[offsetOf(vb, i)])));
    });
  });
  return {out};
}

// Only one of the gradients (attr need 1: da, 2: db): one output written, the other undefined.
template <typename T>
static void oneBinaryGradient(const char* op, int code, int need, const Tensors& in, const Indexer& va, const Indexer& vb, const Tensor& out) {
  using A = typename Acc<T>::type;
  const T* pg = in[0].data<T>();
  const T* pa = in[1].data<T>();
  const T* pb = in[2].data<T>();
  T* po = out.data<T>();
#if defined(__CUDACC__)
  Indexer id;
  if (out.device == Device::CUDA &&
      mapCuda<3, 1, T, T>(op, out.numel(), pg, id, pa, va, pb, vb, po, po, [=] __device__(T gv, T xv, T yv, T& r, T&) {
        A gx, gy;
        binaryGradients<A>(code, load(gv), load(xv), load(yv), gx, gy);
        r = store<T>(need == 1 ? gx : gy);
      }))
    return;
#endif
  forEach(out.device, out.numel(), op, [=] SF_LAMBDA(int64_t i) {
    A gx, gy;
    binaryGradients<A>(code, load(pg[i]), load(pa[offsetOf(va, i)]), load(pb[offsetOf(vb, i)]), gx, gy);
    po[i] = store<T>(need == 1 ? gx : gy);
  });
}

// inputs: dout, a, b. attrs: fn, need (bit 1: da, bit 2: db; default both). outputs: da, db at dout's
// (broadcast) shape, undefined where not needed (a mask or a dropout mask needs no gradient: nothing written).
Tensors opBinaryBackward(const Tensors& in, const Attrs& attrs) {
  const char* op = "binary_backward";
  checkBinaryInputs(op, in, 3);
  int code = binaryCode(attrs.text("fn", ""));
  Shape shape = in[0].shape;
  if (broadcastShapes(op, {in[1], in[2]}) != shape) shapeError(op, in, "dout must have the broadcast shape of a and b");
  const int need = static_cast<int>(attrs.number("need", 3));
  if (need < 1 || need > 3) shapeError(op, in, "need must be 1 (da), 2 (db) or 3 (both)");
  if (need != 3) {
    Tensor out = empty(shape, in[0].dtype, in[0].device);
    Indexer va = indexerOf(broadcastView(in[1], shape)), vb = indexerOf(broadcastView(in[2], shape));
    SF_FLOAT_SWITCH(op, out.dtype, T, oneBinaryGradient<T>(op, code, need, in, va, vb, out));
    return need == 1 ? Tensors{out, Tensor()} : Tensors{Tensor(), out};
  }
  Tensor da = empty(shape, in[0].dtype, in[0].device), db = empty(shape, in[0].dtype, in[0].device);
  Indexer va = indexerOf(broadcastView(in[1], shape)), vb = indexerOf(broadcastView(in[2], shape));
  SF_FLOAT_SWITCH(op, da.dtype, T, {
    using A = typename Acc<T>::type;
    const T* pg = in[0].data<T>();
    const T* pa = in[1].data<T>();
    const T* pb = in[2].data<T>();
    T* pda = da.data<T>();
    T* pdb = db.data<T>();
#if defined(__CUDACC__)
    Indexer id;
    // add/sub: the gradients need g alone (no reads of a and b)
    if (da.device == Device::CUDA && (code == kAdd || code == kSub) &&
        mapCuda<1, 2, T, T>(op, da.numel(), pg, id, pg, id, pg, id, pda, pdb, [=] __device__(T gv, T, T, T& rx, T& ry) {
          A g = load(gv);
          rx = gv;
          ry = store<T>(code == kAdd ? g : -g);
        }))
      break;
    if (da.device == Device::CUDA &&
        mapCuda<3, 2, T, T>(op, da.numel(), pg, id, pa, va, pb, vb, pda, pdb, [=] __device__(T gv, T xv, T yv, T& rx, T& ry) {
          A gx, gy;
          binaryGradients<A>(code, load(gv), load(xv), load(yv), gx, gy);
          rx = store<T>(gx);
          ry = store<T>(gy);
        }))
      break;
#endif
    forEach(da.device, da.numel(), op, [=] SF_LAMBDA(int64_t i) {
      A gx, gy;
      binaryGradients<A>(code, load(pg[i]), load(pa[offsetOf(va, i)]), load(pb[offsetOf(vb, i)]), gx, gy);
      pda[i] = store<T>(gx);
      pdb[i] = store<T>(gy);
    });
  });
  return {da, db};
}

// inputs: cond, a, b (cond of a's dtype, nonzero = take a). outputs: out.
Tensors opWhere(const Tensors& in, const Attrs&) {
  const char* op = "where";
  checkBinaryInputs(op, in, 3);
  Shape shape = broadcastShapes(op, in);
  Tensor out = empty(shape, in[1].dtype, in[1].device);
  Indexer vc = indexerOf(broadcastView(in[0], shape)), va = indexerOf(broadcastView(in[1], shape)),
          vb = indexerOf(broadcastView(in[2], shape));
  SF_FLOAT_SWITCH(op, out.dtype, T, {
    using A = typename Acc<T>::type;
    const T* pc = in[0].data<T>();
    const T* pa = in[1].data<T>();
    const T* pb = in[2].data<T>();
    T* po = out.data<T>();
#if defined(__CUDACC__)
    if (out.device == Device::CUDA &&
        mapCuda<3, 1, T, T>(op, out.numel(), pc, vc, pa, va, pb, vb, po, po, [=] __device__(T c, T x, T y, T& r, T&) {
          r = load(c) != A(0) ? x : y;
        }))
      break;
#endif
    forEach(out.device, out.numel(), op, [=] SF_LAMBDA(int64_t i) {
      po[i] = load(pc[offsetOf(vc, i)]) != A(0) ? pa[offsetOf(va, i)] : pb[offsetOf(vb, i)];
    });
  });
  return {out};
}

// inputs: x. attrs: dtype (0 f32, 1 f64, 2 bf16, 3 i32). outputs: x cast.
Tensors opCast(const Tensors& in, const Attrs& attrs) {
  const char* op = "cast";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  DType to = static_cast<DType>(static_cast<int>(attrs.number(op, "dtype")));
  const Tensor& x = in[0];
  Tensor out = empty(x.shape, to, x.device);
  SF_ANY_SWITCH(op, x.dtype, S, {
    SF_ANY_SWITCH(op, to, D, {
      const S* px = x.data<S>();
      D* po = out.data<D>();
#if defined(__CUDACC__)
      Indexer id;
      if (x.device == Device::CUDA &&
          mapCuda<1, 1, S, D>(op, x.numel(), px, id, px, id, px, id, po, po, [=] __device__(S a, S, S, D& r, D&) { r = store<D>(load(a)); }))
        break;
#endif
      forEach(x.device, x.numel(), op, [=] SF_LAMBDA(int64_t i) { po[i] = store<D>(load(px[i])); });
    });
  });
  return {out};
}

Tensor full(const Shape& shape, DType dtype, Device device, double value);

// inputs: x (its values are ignored). attrs: value, shape (optional, else
// x's shape). outputs: a tensor of x's dtype and device filled with value.
Tensors opFill(const Tensors& in, const Attrs& attrs) {
  const char* op = "fill";
  requireCount(op, in, 1);
  requireDefined(op, in, 0);
  Shape shape = attrs.list.count("shape") ? attrs.list.at("shape") : in[0].shape;
  return {full(shape, in[0].dtype, in[0].device, attrs.number(op, "value"))};
}

Tensor full(const Shape& shape, DType dtype, Device device, double v) {
  Tensor out = empty(shape, dtype, device);
  SF_ANY_SWITCH("fill", out.dtype, T, {
    T* po = out.data<T>();
    T value = store<T>(static_cast<typename Acc<T>::type>(v));
    forEach(out.device, out.numel(), "fill", [=] SF_LAMBDA(int64_t i) { po[i] = value; });
  });
  return out;
}

}  // namespace sf
