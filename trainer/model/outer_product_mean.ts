// AlphaFold2 suppl. Algorithm 10: outer product mean (OpenFold
// outer_product_mean.OuterProductMean).
//   a = mask·linear_1(LN(m)), b = mask·linear_2(LN(m))     [S, N_res, c]
//   o_ij = linear_out(flatten_{c,e}(sum_s a_sic b_sje))      [N_res, N_res, C_z]
//   update_ij = o_ij / (eps + sum_s mask_si mask_sj), eps = 1e-3
// DISCREPANCY (OpenFold, kept): the division comes after linear_out, bias
// included (the paper takes the mean before the projection).
import type { Tensor } from '../core/tensor.ts';
import { add, div, matmul, mul, permute, reshape, scalarLike } from '../autograd/index.ts';
import type { ParamView } from './params.ts';

export const OPM_EPS = 1e-3;

/** m [S, N_res, C_m], msaMask [S, N_res] -> update [N_res, N_res, C_z]. */
export function outerProductMean(p: ParamView, m: Tensor, msaMask: Tensor): Tensor {
  const [s, n] = m.shape as [number, number];
  const ln = p.layerNorm('layer_norm', m);
  const mask3 = reshape(msaMask, [s, n, 1]);
  const a = mul(p.linear('linear_1', ln), mask3);
  const b = mul(p.linear('linear_2', ln), mask3);
  const c = a.shape[2]!;
  // [N_res·c, N_res·c] = a^T b over S
  const outer = matmul(reshape(a, [s, n * c]), reshape(b, [s, n * c]), { transA: true });
  // [i, c, j, e] -> [i, j, c, e] -> [i, j, c·e]
  const flat = reshape(permute(reshape(outer, [n, c, n, c]), [0, 2, 1, 3]), [n, n, c * c]);
  const o = p.linear('linear_out', flat);
  // [N_res, N_res, 1]
  const norm = matmul(msaMask, msaMask, { transA: true });
  return div(o, reshape(add(norm, scalarLike(OPM_EPS, norm)), [n, n, 1]));
}
