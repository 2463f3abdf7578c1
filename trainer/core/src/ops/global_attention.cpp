// Global attention of the extra-MSA stack: AlphaFold2 supplementary
// Algorithm 19 (MSAColumnGlobalAttention), the part after the masked mean of
// the queries and before the gate. One query per head attends over the S
// sequences with a single shared key/value head:
//   w[b,h,s] = softmax_s(scale * q[b,h]·k[b,s] + 1e9 * (mask[b,s] - 1))
//   o[b,h]   = sum_s w[b,h,s] v[b,s]
// Backward: dq = scale sum_s dS k, dk[b,s] = scale sum_h dS q, dv[b,s] =
// sum_h w do, with dS = w (do·v - do·o). The gate and the projections are
// ordinary ops on the TS side. The weights w are computed once per call into
// a [B, H, S] scratch, then every output element is one thread (forEach: a
// loop on the CPU, a kernel on CUDA, launch.h) whose loop is O(S) or O(H).
#include <cmath>

#include "../launch.h"
#include "../ops.h"

namespace sf {

struct GlobalAttentionShape {
  int64_t batch, heads, seq, d;
  double scale;
};

template <typename T, typename A>
SF_HD A globalLogit(const T* q, const T* k, const T* mask, GlobalAttentionShape g, int64_t b, int64_t h, int64_t s) {
  A dot = 0;
  for (int64_t c = 0; c < g.d; ++c) dot += load(q[(b * g.heads + h) * g.d + c]) * load(k[(b * g.seq + s) * g.d + c]);
  dot *= static_cast<A>(g.scale);
  if (mask) dot += A(1e9) * (load(mask[b * g.seq + s]) - A(1));
  return dot;
}

static GlobalAttentionShape planGlobal(const char* op, const Tensors& in, const Attrs& attrs) {
  for (size_t i = 0; i < 3; ++i) requireDefined(op, in, i);
  requireSameDevice(op, in);
  requireSameDtype(op, in);
  requireFloat(op, in[0]);
  const Tensor &q = in[0], &k = in[1], &v = in[2], &mask = in[3];
  if (q.ndim() != 3 || k.ndim() != 3) shapeError(op, in, "q must be [B, H, D] and k, v [B, S, D]");
  GlobalAttentionShape g{q.shape[0], q.shape[1], k.shape[1], q.shape[2], 0};
  if (k.shape != Shape{g.batch, g.seq, g.d} || v.shape != k.shape) shapeError(op, in, "k and v must be [B, S, D] matching q");
  if (mask.defined() && mask.shape != Shape{g.batch, g.seq}) shapeError(op, in, "mask must be [B, S]");
  if (g.seq == 0) shapeError(op, in, "global attention over zero sequences");
  g.scale = attrs.number("scale", 1.0 / std::sqrt(static_cast<double>(g.d)));
  return g;
}

// w[b,h,s] = softmax_s of the logits, into a [B, H, S] accumulation-type scratch: one thread per (b, h, s)
// writes the logit, one per (b, h) takes the row's logsumexp (online, one pass) and normalises in place.
template <typename T, typename A>
static void globalWeights(Device dev, const char* op, const T* q, const T* k, const T* mask, GlobalAttentionShape g, A* w) {
  forEach(dev, g.batch * g.heads * g.seq, op, [=] SF_LAMBDA(int64_t e) {
    int64_t s = e % g.seq, bh = e / g.seq;
    w[e] = globalLogit<T, A>(q, k, mask, g, bh / g.heads, bh % g.heads, s);
  });
  forEach(dev, g.batch * g.heads, op, [=] SF_LAMBDA(int64_t bh) {
    A* row = w + bh * g.seq;
    A m = row[0], l = 1;
    for (int64_t s = 1; s < g.seq; ++s) {
      A x = row[s];
      if (x > m) {
        l = l * exp(m - x) + 1;
        m = x;
      } else {
        l += exp(x - m);
      }
    }
    A lse = m + log(l);
    for (int64_t s = 0; s < g.seq; ++s) row[s] = exp(row[s] - lse);
  });
}

static DType accOf(DType d) { return d == DType::F64 ? DType::F64 : DType::F32; }

// inputs: q [B,H,D], k [B,S,D], v [B,S,D], mask? [B,S]. outputs: o [B,H,D].
// Weights first (globalWeights), then o[b,h,c] = sum_s w v with one thread per (b, h, c).
Tensors opGlobalAttention(const Tensors& in, const Attrs& attrs) {
  const char* op = "global_attention";
  requireCount(op, in, 4);
  GlobalAttentionShape g = planGlobal(op, in, attrs);
  Tensor o = empty(in[0].shape, in[0].dtype, in[0].device);
  Tensor wt = empty({g.batch, g.heads, g.seq}, accOf(o.dtype), o.device);
  SF_FLOAT_SWITCH(op, o.dtype, T, {
    using A = typename Acc<T>::type;
    const T *q = in[0].data<T>(), *k = in[1].data<T>(), *v = in[2].data<T>();
    const T* mask = in[3].defined() ? in[3].data<T>() : nullptr;
    T* po = o.data<T>();
    A* w = wt.data<A>();
    globalWeights<T, A>(o.device, op, q, k, mask, g, w);
    forEach(o.device, g.batch * g.heads * g.d, op, [=] SF_LAMBDA(int64_t e) {
      int64_t c = e % g.d, bh = e / g.d, b = bh / g.heads;
      const A* row = w + bh * g.seq;
      A acc = 0;
      for (int64_t s = 0; s < g.seq; ++s) acc += row[s] * load(v[(b * g.seq + s) * g.d + c]);
      po[e] = store<T>(acc);
    });
  });
  return {o};
}

// inputs: q, k, v, mask?, o, do. outputs: dq, dk, dv.
// dS[b,h,s] = scale w (do[b,h]·v[b,s] - do[b,h]·o[b,h]) into scratch (thread per (b, h, s)), then
// dq[b,h,c] = sum_s dS k (thread per (b, h, c)), dk[b,s,c] = sum_h dS q and dv[b,s,c] = sum_h w do
// (thread per (b, s, c)): every thread's loop is O(S) or O(H), nothing recomputes the softmax.
Tensors opGlobalAttentionBackward(const Tensors& in, const Attrs& attrs) {
  const char* op = "global_attention_backward";
  requireCount(op, in, 6);
  GlobalAttentionShape g = planGlobal(op, in, attrs);
  if (!in[4].defined() || !in[5].defined() || in[4].shape != in[0].shape || in[5].shape != in[0].shape)
    shapeError(op, in, "o and do must match q");
  Tensor dq = empty(in[0].shape, in[0].dtype, in[0].device), dk = empty(in[1].shape, in[0].dtype, in[0].device),
         dv = empty(in[2].shape, in[0].dtype, in[0].device);
  Tensor wt = empty({g.batch, g.heads, g.seq}, accOf(dq.dtype), dq.device), dst = empty({g.batch, g.heads, g.seq}, accOf(dq.dtype), dq.device);
  SF_FLOAT_SWITCH(op, dq.dtype, T, {
    using A = typename Acc<T>::type;
    const T *q = in[0].data<T>(), *k = in[1].data<T>(), *v = in[2].data<T>(), *o = in[4].data<T>(), *gout = in[5].data<T>();
    const T* mask = in[3].defined() ? in[3].data<T>() : nullptr;
    T *pdq = dq.data<T>(), *pdk = dk.data<T>(), *pdv = dv.data<T>();
    A* w = wt.data<A>();
    A* ds = dst.data<A>();
    globalWeights<T, A>(dq.device, op, q, k, mask, g, w);
    forEach(dq.device, g.batch * g.heads * g.seq, op, [=] SF_LAMBDA(int64_t e) {
      int64_t s = e % g.seq, bh = e / g.seq, b = bh / g.heads;
      A dOv = 0, dOo = 0;
      for (int64_t c = 0; c < g.d; ++c) {
        A gc = load(gout[bh * g.d + c]);
        dOv += gc * load(v[(b * g.seq + s) * g.d + c]);
        dOo += gc * load(o[bh * g.d + c]);
      }
      ds[e] = w[e] * (dOv - dOo) * static_cast<A>(g.scale);
    });
    forEach(dq.device, g.batch * g.heads * g.d, op, [=] SF_LAMBDA(int64_t e) {
      int64_t c = e % g.d, bh = e / g.d, b = bh / g.heads;
      const A* row = ds + bh * g.seq;
      A acc = 0;
      for (int64_t s = 0; s < g.seq; ++s) acc += row[s] * load(k[(b * g.seq + s) * g.d + c]);
      pdq[e] = store<T>(acc);
    });
    forEach(dq.device, g.batch * g.seq * g.d, op, [=] SF_LAMBDA(int64_t e) {
      int64_t c = e % g.d, bs = e / g.d, s = bs % g.seq, b = bs / g.seq;
      A accK = 0, accV = 0;
      for (int64_t h = 0; h < g.heads; ++h) {
        int64_t bh = b * g.heads + h;
        accK += ds[bh * g.seq + s] * load(q[bh * g.d + c]);
        accV += w[bh * g.seq + s] * load(gout[bh * g.d + c]);
      }
      pdk[e] = store<T>(accK);
      pdv[e] = store<T>(accV);
    });
  });
  return {dq, dk, dv};
}

}  // namespace sf
