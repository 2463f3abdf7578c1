// AlphaFold2 suppl. Algorithm 13 (around the starting node) and Algorithm 14
// (around the ending node): triangle gated self-attention (OpenFold
// triangular_attention.TriangleAttention). Starting node: for each row i,
// queries z_ij attend over keys z_ik with bias b_jk = linear(LN z)_jk and the
// mask of (i, k). Ending node: the same on the transposed pair.
import type { Tensor } from '../core/tensor.ts';
import { permute } from '../autograd/index.ts';
import { gatedAttention } from './gated_attention.ts';
import type { ParamView } from './params.ts';

/** z [N, N, C], pairMask [N, N] -> update [N, N, C]. */
export function triangleAttention(p: ParamView, z: Tensor, pairMask: Tensor, heads: number, startingNode: boolean): Tensor {
  const x = startingNode ? z : permute(z, [1, 0, 2]);
  const mask = startingNode ? pairMask : permute(pairMask, [1, 0]);
  const xLn = p.layerNorm('layer_norm', x);
  // [H, N, N]
  const bias = permute(p.linear('linear', xLn), [2, 0, 1]);
  const o = gatedAttention(p.sub('mha'), { q: xLn, kv: xLn, bias, mask, heads, gating: true });
  return startingNode ? o : permute(o, [1, 0, 2]);
}
