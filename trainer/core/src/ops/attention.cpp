// Fused gated attention with pair bias: AlphaFold2 supplementary Algorithm 7
// (MSA row attention with pair bias), 8 (MSA column attention), 13/14
// (triangle attention around the starting / ending node); OpenFold's
// Attention with biases [mask_bias, pair/triangle bias] and gating.
//   s[b,h,i,j] = scale * q[b,i,h]·k[b,j,h] + bias[h,i,j] + 1e9 * (mask[b,j] - 1)
//   o[b,i,h]   = softmax_j(s) v[b,j,h];  out = sigmoid(g[b,i,h]) * o
// The bias is shared by every batch row b (the pair bias over MSA rows, the
// triangle bias over the rows of the pair), so its gradient is summed over b.
// Forward saves o (before the gate) and lse[b,h,i] = logsumexp_j s.
// Backward (flash-attention style, recomputing p from lse):
//   dO = dout * sigmoid(g), dg = dout * o * sigmoid(g) (1 - sigmoid(g))
//   delta_i = dO_i·o_i, p = exp(s - lse), dP_ij = dO_i·v_j, dS = p (dP - delta)
//   dq_i = scale sum_j dS_ij k_j, dk_j = scale sum_i dS_ij q_i,
//   dv_j = sum_i p_ij dO_i, dbias[h,i,j] = sum_b dS
// Layout: q, g: [B, Q, H, D]; k, v: [B, K, H, D]; bias [H, Q, K]; mask [B, K].
// CPU: the loops below; CUDA: cuda/attention.cu.
#include <cmath>

#include "../cuda/kernels.h"
#include "../ops.h"

namespace sf {

Tensors opCast(const Tensors& in, const Attrs& attrs);
Tensor full(const Shape& shape, DType dtype, Device device, double value);

static const double kMaskScale = 1e9;  // OpenFold's inf for mask biases

static AttentionParams planAttention(const char* op, const Tensors& in, const Attrs& attrs) {
  const Tensor &q = in[0], &k = in[1], &v = in[2], &bias = in[3], &mask = in[4], &gate = in[5];
  AttentionParams p;
  if (q.ndim() != 4 || k.ndim() != 4 || v.ndim() != 4) shapeError(op, in, "q, k, v must be [B, Q|K, H, D]");
  p.batch = q.shape[0];
  p.q = q.shape[1];
  p.heads = q.shape[2];
  p.d = q.shape[3];
  p.k = k.shape[1];
  if (k.shape != Shape{p.batch, p.k, p.heads, p.d} || v.shape != k.shape) shapeError(op, in, "k and v must be [B, K, H, D] matching q");
  p.hasBias = bias.defined();
  p.hasMask = mask.defined();
  p.hasGate = gate.defined();
  if (p.hasBias && bias.shape != Shape{p.heads, p.q, p.k}) shapeError(op, in, "bias must be [H, Q, K]");
  if (p.hasMask && mask.shape != Shape{p.batch, p.k}) shapeError(op, in, "mask must be [B, K]");
  if (p.hasGate && gate.shape != q.shape) shapeError(op, in, "gate must match q");
  p.scale = static_cast<float>(attrs.number("scale", 1.0 / std::sqrt(static_cast<double>(p.d))));
  return p;
}

template <typename T>
struct AttnView {
  const T *q, *k, *v, *bias, *mask;
  AttentionParams p;
  double scale;
  int64_t qi(int64_t b, int64_t i, int64_t h) const { return ((b * p.q + i) * p.heads + h) * p.d; }
  int64_t ki(int64_t b, int64_t j, int64_t h) const { return ((b * p.k + j) * p.heads + h) * p.d; }
  typename Acc<T>::type logit(int64_t b, int64_t h, int64_t i, int64_t j) const {
    using A = typename Acc<T>::type;
    A s = 0;
    for (int64_t c = 0; c < p.d; ++c) s += load(q[qi(b, i, h) + c]) * load(k[ki(b, j, h) + c]);
    s *= static_cast<A>(scale);
    if (bias) s += load(bias[(h * p.q + i) * p.k + j]);
    if (mask) s += static_cast<A>(kMaskScale) * (load(mask[b * p.k + j]) - A(1));
    return s;
  }
};

template <typename T>
static void attentionForwardCpu(const AttnView<T>& a, const T* gate, T* out, T* outRaw, typename Acc<T>::type* lse) {
  using A = typename Acc<T>::type;
  const AttentionParams& p = a.p;
  std::vector<A> s(p.k), o(p.d);
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h)
      for (int64_t i = 0; i < p.q; ++i) {
        A m = -INFINITY;
        for (int64_t j = 0; j < p.k; ++j) m = std::max(m, s[j] = a.logit(b, h, i, j));
        A l = 0;
        std::fill(o.begin(), o.end(), A(0));
        for (int64_t j = 0; j < p.k; ++j) {
          A w = std::exp(s[j] - m);
          l += w;
          for (int64_t c = 0; c < p.d; ++c) o[c] += w * load(a.v[a.ki(b, j, h) + c]);
        }
        lse[(b * p.heads + h) * p.q + i] = m + std::log(l);
        int64_t at = a.qi(b, i, h);
        for (int64_t c = 0; c < p.d; ++c) {
          A oc = o[c] / l;
          outRaw[at + c] = store<T>(oc);
          if (gate) {
            A sg = A(1) / (A(1) + std::exp(-load(gate[at + c])));
            out[at + c] = store<T>(sg * oc);
          }
        }
      }
}

template <typename T>
static void attentionBackwardCpu(const AttnView<T>& a, const T* gate, const T* outRaw, const typename Acc<T>::type* lse,
                                 const T* dout, T* dq, T* dk, T* dv, typename Acc<T>::type* dbias, T* dgate) {
  using A = typename Acc<T>::type;
  const AttentionParams& p = a.p;
  int64_t nq = p.batch * p.q * p.heads * p.d, nk = p.batch * p.k * p.heads * p.d;
  std::vector<A> gq(nq, 0), gk(nk, 0), gv(nk, 0), dO(p.d);
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h)
      for (int64_t i = 0; i < p.q; ++i) {
        int64_t at = a.qi(b, i, h);
        A delta = 0;
        for (int64_t c = 0; c < p.d; ++c) {
          A g = load(dout[at + c]), o = load(outRaw[at + c]);
          if (gate) {
            A sg = A(1) / (A(1) + std::exp(-load(gate[at + c])));
            dgate[at + c] = store<T>(g * o * sg * (A(1) - sg));
            g *= sg;
          }
          dO[c] = g;
          delta += g * o;
        }
        A l = lse[(b * p.heads + h) * p.q + i];
        for (int64_t j = 0; j < p.k; ++j) {
          A pr = std::exp(a.logit(b, h, i, j) - l);
          int64_t kj = a.ki(b, j, h);
          A dP = 0;
          for (int64_t c = 0; c < p.d; ++c) dP += dO[c] * load(a.v[kj + c]);
          A dS = pr * (dP - delta);
          for (int64_t c = 0; c < p.d; ++c) {
            gv[kj + c] += pr * dO[c];
            gq[at + c] += static_cast<A>(a.scale) * dS * load(a.k[kj + c]);
            gk[kj + c] += static_cast<A>(a.scale) * dS * load(a.q[at + c]);
          }
          if (dbias) dbias[(h * p.q + i) * p.k + j] += dS;
        }
      }
  for (int64_t e = 0; e < nq; ++e) dq[e] = store<T>(gq[e]);
  for (int64_t e = 0; e < nk; ++e) {
    dk[e] = store<T>(gk[e]);
    dv[e] = store<T>(gv[e]);
  }
}

static DType accDtype(DType d) { return d == DType::F64 ? DType::F64 : DType::F32; }

static void checkAttentionInputs(const char* op, const Tensors& in) {
  for (size_t i = 0; i < 3; ++i) requireDefined(op, in, i);
  requireSameDevice(op, in);
  requireSameDtype(op, {in[0], in[1], in[2], in[3], in[4], in[5]});
  requireFloat(op, in[0]);
}

// inputs: q, k, v, bias?, mask?, gate?. attrs: scale. outputs: out, outRaw
// (o before the gate; out itself when there is no gate), lse [B, H, Q].
Tensors opAttention(const Tensors& in, const Attrs& attrs) {
  const char* op = "attention";
  requireCount(op, in, 6);
  checkAttentionInputs(op, in);
  AttentionParams p = planAttention(op, in, attrs);
  const Tensor& q = in[0];
  Tensor outRaw = empty(q.shape, q.dtype, q.device);
  Tensor out = p.hasGate ? empty(q.shape, q.dtype, q.device) : outRaw;
  Tensor lse = empty({p.batch, p.heads, p.q}, accDtype(q.dtype), q.device);
  if (q.numel() == 0) return {out, outRaw, lse};
  if (p.k == 0) shapeError(op, in, "attention over zero keys");
  if (q.device == Device::CUDA) {
    attentionForwardCuda(p, q, in[1], in[2], in[3], in[4], in[5], out, outRaw, lse);
  } else {
    SF_FLOAT_SWITCH(op, q.dtype, T, {
      using A = typename Acc<T>::type;
      AttnView<T> view{q.data<T>(), in[1].data<T>(), in[2].data<T>(), p.hasBias ? in[3].data<T>() : nullptr,
                       p.hasMask ? in[4].data<T>() : nullptr, p, p.scale};
      view.scale = attrs.number("scale", 1.0 / std::sqrt(static_cast<double>(p.d)));
      attentionForwardCpu<T>(view, p.hasGate ? in[5].data<T>() : nullptr, out.data<T>(), outRaw.data<T>(), lse.data<A>());
    });
  }
  return {out, outRaw, lse};
}

// inputs: q, k, v, bias?, mask?, gate?, outRaw, lse, dout. attrs: scale.
// outputs: dq, dk, dv, dbias (none without bias), dgate (none without gate).
Tensors opAttentionBackward(const Tensors& in, const Attrs& attrs) {
  const char* op = "attention_backward";
  requireCount(op, in, 9);
  checkAttentionInputs(op, in);
  for (size_t i = 6; i < 9; ++i) requireDefined(op, in, i);
  AttentionParams p = planAttention(op, in, attrs);
  const Tensor &q = in[0], &outRaw = in[6], &lse = in[7], &dout = in[8];
  if (outRaw.shape != q.shape || dout.shape != q.shape || lse.shape != Shape{p.batch, p.heads, p.q} || lse.dtype != accDtype(q.dtype))
    shapeError(op, in, "outRaw/dout must match q and lse must be the forward's [B, H, Q]");
  Tensor dq = empty(q.shape, q.dtype, q.device), dk = empty(in[1].shape, q.dtype, q.device), dv = empty(in[2].shape, q.dtype, q.device);
  Tensor dgate = p.hasGate ? empty(q.shape, q.dtype, q.device) : Tensor();
  Tensor dbiasAcc = p.hasBias ? full({p.heads, p.q, p.k}, accDtype(q.dtype), q.device, 0.0) : Tensor();
  if (q.device == Device::CUDA) {
    Tensor doutRaw = empty(q.shape, DType::F32, q.device), delta = empty({p.batch, p.heads, p.q}, DType::F32, q.device);
    attentionBackwardCuda(p, q, in[1], in[2], in[3], in[4], in[5], outRaw, lse, dout, dq, dk, dv, dbiasAcc, dgate, doutRaw, delta);
  } else {
    SF_FLOAT_SWITCH(op, q.dtype, T, {
      using A = typename Acc<T>::type;
      AttnView<T> view{q.data<T>(), in[1].data<T>(), in[2].data<T>(), p.hasBias ? in[3].data<T>() : nullptr,
                       p.hasMask ? in[4].data<T>() : nullptr, p, p.scale};
      view.scale = attrs.number("scale", 1.0 / std::sqrt(static_cast<double>(p.d)));
      attentionBackwardCpu<T>(view, p.hasGate ? in[5].data<T>() : nullptr, outRaw.data<T>(), lse.data<A>(), dout.data<T>(),
                              dq.data<T>(), dk.data<T>(), dv.data<T>(), p.hasBias ? dbiasAcc.data<A>() : nullptr,
                              p.hasGate ? dgate.data<T>() : nullptr);
    });
  }
  Tensor dbias = dbiasAcc;
  if (p.hasBias && dbiasAcc.dtype != q.dtype) {
    Attrs castTo;
    castTo.num["dtype"] = static_cast<double>(static_cast<int>(q.dtype));
    dbias = opCast({dbiasAcc}, castTo)[0];
  }
  return {dq, dk, dv, dbias, dgate};
}

}  // namespace sf
