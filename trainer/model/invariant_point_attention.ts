// AlphaFold2 suppl. Algorithm 22: invariant point attention (OpenFold
// structure_module.InvariantPointAttention, monomer path).
//   logits_hij = sqrt(1/3)·( q_hi·k_hj / sqrt(c) + b_hij
//                 - γ_h·w_C/2 · Σ_p |T_i q_hip - T_j k_hjp|² ) + mask bias
//   with w_C = sqrt(2 / (9 P_qk)), γ_h = softplus(head_weights_h); OpenFold
//   folds sqrt(1/3) into each term as below.
//   outputs per head: Σ_j a v_hj (scalar), T_i^-1 Σ_j a T_j v_hjp (points,
//   with their norms), Σ_j a z_ij (pair); concatenated -> linear_out.
import { tensor, type Tensor } from '../core/tensor.ts';
import {
  add, concat, matmul, mul, mulScalar, permute, reshape, scalarLike, slice, softmax, softplus, sqrt, square, sub, sum,
} from '../autograd/index.ts';
import type { StructureModuleConfig } from './config_types.ts';
import type { ParamView } from './params.ts';
import { rigidApply, rigidInvertApply, rigidUnsqueeze, unsqueeze, type Rigid } from './rigid.ts';

/** OpenFold PointProjection: linear -> [N, H, P, 3] local points -> global by the frames. */
function pointProjection(p: ParamView, s: Tensor, r: Rigid, heads: number, points: number): Tensor {
  const n = s.shape[0]!;
  // the output is laid out [x (H·P) | y (H·P) | z (H·P)]
  const local = reshape(permute(reshape(p.linear('linear', s), [n, 3, heads * points]), [0, 2, 1]), [n, heads, points, 3]);
  return rigidApply(rigidUnsqueeze(r, 2), local);
}

/**
 * s [N, C_s], z [N, N, C_z] (layer-normed), r the backbone frames [N],
 * mask [N] (host; seq_mask). Returns the update [N, C_s].
 */
export function invariantPointAttention(p: ParamView, cfg: StructureModuleConfig, s: Tensor, z: Tensor, r: Rigid, mask: Float64Array): Tensor {
  const n = s.shape[0]!;
  const h = cfg.no_heads_ipa;
  const c = cfg.c_ipa;
  const pq = cfg.no_qk_points;
  const pv = cfg.no_v_points;
  // [N, H, c]
  const q = reshape(p.linear('linear_q', s), [n, h, c]);
  const kv = reshape(p.linear('linear_kv', s), [n, h, 2 * c]);
  const k = slice(kv, [0, 0, 0], [n, h, c]);
  const v = slice(kv, [0, 0, c], [n, h, c]);
  // [N, H, P, 3] global points
  const qPts = pointProjection(p.sub('linear_q_points'), s, r, h, pq);
  const kvPts = pointProjection(p.sub('linear_kv_points'), s, r, h, pq + pv);
  const kPts = slice(kvPts, [0, 0, 0, 0], [n, h, pq, 3]);
  const vPts = slice(kvPts, [0, 0, pq, 0], [n, h, pv, 3]);
  // [N, N, H]
  const b = p.linear('linear_b', z);

  // [H, N, N] scalar term
  let a = matmul(permute(q, [1, 0, 2]), permute(k, [1, 0, 2]), { transB: true });
  a = mulScalar(a, Math.sqrt(1 / (3 * c)));
  a = add(a, mulScalar(permute(b, [2, 0, 1]), Math.sqrt(1 / 3)));
  // point term: [N, 1, H, P, 3] - [1, N, H, P, 3] -> Σ_{p,xyz} -> [N, N, H]
  const diff = sub(unsqueeze(qPts, 1), unsqueeze(kPts, 0));
  const ptDist = sum(square(diff), [3, 4]);
  const headWeights = mulScalar(softplus(p.t('head_weights')), Math.sqrt(1 / (3 * ((pq * 9) / 2))));
  const ptAtt = mulScalar(mul(ptDist, headWeights), -0.5);
  a = add(a, permute(ptAtt, [2, 0, 1]));
  // mask bias inf·(m_i m_j - 1), [N, N]
  const bias = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) bias[i * n + j] = cfg.inf * (mask[i]! * mask[j]! - 1);
  a = add(a, tensor(bias, [1, n, n], { dtype: a.dtype, device: a.device }));
  a = softmax(a);

  // [H, N, c] -> [N, H·c]
  const o = reshape(permute(matmul(a, permute(v, [1, 0, 2])), [1, 0, 2]), [n, h * c]);
  // points: [H, N, Pv·3] -> [N, H, Pv, 3] -> local frame of i
  const vP = reshape(permute(vPts, [1, 0, 2, 3]), [h, n, pv * 3]);
  const oPtGlobal = reshape(permute(reshape(matmul(a, vP), [h, n, pv, 3]), [1, 0, 2, 3]), [n, h, pv, 3]);
  const oPt = rigidInvertApply(rigidUnsqueeze(r, 2), oPtGlobal);
  const oPtNorm = reshape(sqrt(add(sum(square(oPt), [-1]), scalarLike(cfg.epsilon, oPt))), [n, h * pv]);
  const oPtFlat = reshape(oPt, [n, h * pv, 3]);
  const xyz = [0, 1, 2].map((d) => reshape(slice(oPtFlat, [0, 0, d], [n, h * pv, 1]), [n, h * pv]));
  // pair: [N, H, N] @ [N, N, C_z] -> [N, H, C_z]
  const oPair = reshape(matmul(permute(a, [1, 0, 2]), z), [n, h * z.shape[2]!]);
  return p.linear('linear_out', concat([o, ...xyz, oPtNorm, oPair], -1));
}
