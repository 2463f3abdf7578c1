// Global attention of the extra-MSA stack: AlphaFold2 supplementary
// Algorithm 19 (MSAColumnGlobalAttention), the part after the masked mean of
// the queries and before the gate. One query per head attends over the S
// sequences with a single shared key/value head:
//   w[b,h,s] = softmax_s(scale * q[b,h]·k[b,s] + 1e9 * (mask[b,s] - 1))
//   o[b,h]   = sum_s w[b,h,s] v[b,s]
// Backward: dq = scale sum_s dS k, dk[b,s] = scale sum_h dS q, dv[b,s] =
// sum_h w do, with dS = w (do·v - do·o). The gate and the projections are
// ordinary ops on the TS side. One thread per (b, h) or (b, s), on the CPU as a
// loop and on CUDA as a kernel (launch.h).
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

// logsumexp over s of the logits of (b, h).
template <typename T, typename A>
SF_HD A globalLse(const T* q, const T* k, const T* mask, GlobalAttentionShape g, int64_t b, int64_t h) {
  A m = -1e30;
  for (int64_t s = 0; s < g.seq; ++s) {
    A x = globalLogit<T, A>(q, k, mask, g, b, h, s);
    m = x > m ? x : m;
  }
  A l = 0;
  for (int64_t s = 0; s < g.seq; ++s) l += exp(globalLogit<T, A>(q, k, mask, g, b, h, s) - m);
  return m + log(l);
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

// inputs: q [B,H,D], k [B,S,D], v [B,S,D], mask? [B,S]. outputs: o [B,H,D].
Tensors opGlobalAttention(const Tensors& in, const Attrs& attrs) {
  const char* op = "global_attention";
  requireCount(op, in, 4);
  GlobalAttentionShape g = planGlobal(op, in, attrs);
  Tensor o = empty(in[0].shape, in[0].dtype, in[0].device);
  SF_FLOAT_SWITCH(op, o.dtype, T, {
    using A = typename Acc<T>::type;
    const T *q = in[0].data<T>(), *k = in[1].data<T>(), *v = in[2].data<T>();
    const T* mask = in[3].defined() ? in[3].data<T>() : nullptr;
    T* po = o.data<T>();
    forEach(o.device, g.batch * g.heads, op, [=] SF_LAMBDA(int64_t bh) {
      int64_t b = bh / g.heads, h = bh % g.heads;
      A lse = globalLse<T, A>(q, k, mask, g, b, h);
      for (int64_t c = 0; c < g.d; ++c) {
        A acc = 0;
        for (int64_t s = 0; s < g.seq; ++s) acc += exp(globalLogit<T, A>(q, k, mask, g, b, h, s) - lse) * load(v[(b * g.seq + s) * g.d + c]);
        po[bh * g.d + c] = store<T>(acc);
      }
    });
  });
  return {o};
}

// inputs: q, k, v, mask?, o, do. outputs: dq, dk, dv.
Tensors opGlobalAttentionBackward(const Tensors& in, const Attrs& attrs) {
  const char* op = "global_attention_backward";
  requireCount(op, in, 6);
  GlobalAttentionShape g = planGlobal(op, in, attrs);
  if (!in[4].defined() || !in[5].defined() || in[4].shape != in[0].shape || in[5].shape != in[0].shape)
    shapeError(op, in, "o and do must match q");
  Tensor dq = empty(in[0].shape, in[0].dtype, in[0].device), dk = empty(in[1].shape, in[0].dtype, in[0].device),
         dv = empty(in[2].shape, in[0].dtype, in[0].device);
  SF_FLOAT_SWITCH(op, dq.dtype, T, {
    using A = typename Acc<T>::type;
    const T *q = in[0].data<T>(), *k = in[1].data<T>(), *v = in[2].data<T>(), *o = in[4].data<T>(), *gout = in[5].data<T>();
    const T* mask = in[3].defined() ? in[3].data<T>() : nullptr;
    T *pdq = dq.data<T>(), *pdk = dk.data<T>(), *pdv = dv.data<T>();
    // dS[b,h,s] = w (do[b,h]·v[b,s] - do[b,h]·o[b,h]); outputs accumulate in place.
    forEach(dq.device, g.batch * g.heads, op, [=] SF_LAMBDA(int64_t bh) {
      int64_t b = bh / g.heads, h = bh % g.heads;
      A lse = globalLse<T, A>(q, k, mask, g, b, h);
      A dOo = 0;
      for (int64_t c = 0; c < g.d; ++c) dOo += load(gout[bh * g.d + c]) * load(o[bh * g.d + c]);
      for (int64_t c = 0; c < g.d; ++c) pdq[bh * g.d + c] = store<T>(A(0));
      for (int64_t s = 0; s < g.seq; ++s) {
        A w = exp(globalLogit<T, A>(q, k, mask, g, b, h, s) - lse);
        A dOv = 0;
        for (int64_t e = 0; e < g.d; ++e) dOv += load(gout[bh * g.d + e]) * load(v[(b * g.seq + s) * g.d + e]);
        A dS = w * (dOv - dOo) * static_cast<A>(g.scale);
        for (int64_t c = 0; c < g.d; ++c) pdq[bh * g.d + c] = store<T>(load(pdq[bh * g.d + c]) + dS * load(k[(b * g.seq + s) * g.d + c]));
      }
    });
    forEach(dq.device, g.batch * g.seq, op, [=] SF_LAMBDA(int64_t bs) {
      int64_t b = bs / g.seq, s = bs % g.seq;
      for (int64_t c = 0; c < g.d; ++c) {
        pdk[bs * g.d + c] = store<T>(A(0));
        pdv[bs * g.d + c] = store<T>(A(0));
      }
      for (int64_t h = 0; h < g.heads; ++h) {
        int64_t bh = b * g.heads + h;
        A w = exp(globalLogit<T, A>(q, k, mask, g, b, h, s) - globalLse<T, A>(q, k, mask, g, b, h));
        A dOv = 0, dOo = 0;
        for (int64_t e = 0; e < g.d; ++e) {
          dOv += load(gout[bh * g.d + e]) * load(v[bs * g.d + e]);
          dOo += load(gout[bh * g.d + e]) * load(o[bh * g.d + e]);
        }
        A dS = w * (dOv - dOo) * static_cast<A>(g.scale);
        for (int64_t c = 0; c < g.d; ++c) {
          pdk[bs * g.d + c] = store<T>(load(pdk[bs * g.d + c]) + dS * load(q[bh * g.d + c]));
          pdv[bs * g.d + c] = store<T>(load(pdv[bs * g.d + c]) + w * load(gout[bh * g.d + c]));
        }
      }
    });
  });
  return {dq, dk, dv};
}

}  // namespace sf
