// AlphaFold2 suppl. Algorithm 19: MSA column-wise global attention (extra-MSA
// stack; OpenFold msa.MSAColumnGlobalAttention + primitives.GlobalAttention).
// Per column i: the query is the mask-weighted mean over sequences,
//   q_i = linear_q(sum_s mask_si m_si / (sum_s mask_si + eps)) (one per head),
// keys / values are single-head projections of every sequence, and the
// (per-sequence) sigmoid gate multiplies the attended value.
import type { Tensor } from '../core/tensor.ts';
import { add, div, globalAttention, mul, mulSigmoid, permute, reshape, scalarLike, sum } from '../autograd/index.ts';
import type { ParamView } from './params.ts';

/** m [S, N_res, C_e], msaMask [S, N_res] -> update [S, N_res, C_e]. */
export function msaColumnGlobalAttention(p: ParamView, m: Tensor, msaMask: Tensor, heads: number, eps: number): Tensor {
  const g = p.sub('global_attention');
  const [s, n] = m.shape as [number, number];
  // [N_res, S, C_e], [N_res, S]
  const mT = p.layerNorm('layer_norm_m', permute(m, [1, 0, 2]));
  const maskT = permute(msaMask, [1, 0]);
  const c = g.shape('linear_k.weight')[0]!;
  // [N_res, C_e]
  const num = sum(mul(mT, reshape(maskT, [n, s, 1])), [1]);
  const den = add(sum(maskT, [1], true), scalarLike(eps, m));
  // [N_res, H, c]
  const q = reshape(g.linear('linear_q', div(num, den)), [n, heads, c]);
  const k = g.linear('linear_k', mT);
  const v = g.linear('linear_v', mT);
  // [N_res, H, c], softmax over S with scale 1/sqrt(c)
  const o = globalAttention(q, k, v, maskT, c ** -0.5);
  // gate per sequence: [N_res, S, H, c] * o[:, None]
  const gated = mulSigmoid(reshape(o, [n, 1, heads, c]), reshape(g.linear('linear_g', mT), [n, s, heads, c]));
  const out = g.linear('linear_o', reshape(gated, [n, s, heads * c]));
  return permute(out, [1, 0, 2]);
}
