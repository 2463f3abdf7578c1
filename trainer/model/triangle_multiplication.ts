// AlphaFold2 suppl. Algorithm 11 (outgoing edges) and Algorithm 12 (incoming
// edges): triangular multiplicative update (OpenFold
// triangular_multiplicative_update.TriangleMultiplicativeUpdate).
//   a = mask·sigmoid(linear_a_g(LN z))·linear_a_p(LN z), b likewise
//   outgoing: x_ij = sum_k a_ik b_jk;  incoming: x_ij = sum_k a_ki b_kj
//   update = sigmoid(linear_g(LN z)) · linear_z(LN_out(x))
import type { Tensor } from '../core/tensor.ts';
import { matmul, mul, mulSigmoid, permute, reshape } from '../autograd/index.ts';
import type { ParamView } from './params.ts';

/** z [N, N, C_z], pairMask [N, N] -> update [N, N, C_z]. */
export function triangleMultiplication(p: ParamView, z: Tensor, pairMask: Tensor, outgoing: boolean): Tensor {
  const n = z.shape[0]!;
  const zLn = p.layerNorm('layer_norm_in', z);
  const mask = reshape(pairMask, [n, n, 1]);
  // mask·sigmoid(g)·p as (mask·p)·sigmoid(g): the mask is 0/1, so the same values; the gate in one pass
  const a = mulSigmoid(mul(mask, p.linear('linear_a_p', zLn)), p.linear('linear_a_g', zLn));
  const b = mulSigmoid(mul(mask, p.linear('linear_b_p', zLn)), p.linear('linear_b_g', zLn));
  // channel-major: outgoing a [c, i, k] · b [c, j, k]^T ; incoming a [c, i, k]=a_ki · b [c, j, k]=b_kj
  const aT = permute(a, outgoing ? [2, 0, 1] : [2, 1, 0]);
  const bT = permute(b, outgoing ? [2, 0, 1] : [2, 1, 0]);
  // [c, i, j] -> [i, j, c]
  const x = permute(matmul(aT, bT, { transB: true }), [1, 2, 0]);
  const out = p.linear('linear_z', p.layerNorm('layer_norm_out', x));
  return mulSigmoid(out, p.linear('linear_g', zLn));
}
