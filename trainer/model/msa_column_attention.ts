// AlphaFold2 suppl. Algorithm 8: MSA column-wise gated self-attention
// (OpenFold msa.MSAColumnAttention, which wraps an MSAAttention as `_msa_att`).
import type { Tensor } from '../core/tensor.ts';
import { permute } from '../autograd/index.ts';
import { gatedAttention } from './gated_attention.ts';
import type { ParamView } from './params.ts';

/** m [S, N_res, C_m], msaMask [S, N_res] -> update [S, N_res, C_m]. */
export function msaColumnAttention(p: ParamView, m: Tensor, msaMask: Tensor, heads: number): Tensor {
  const inner = p.sub('_msa_att');
  // [N_res, S, C_m]: attend along the sequences of each column
  const mT = inner.layerNorm('layer_norm_m', permute(m, [1, 0, 2]));
  const maskT = permute(msaMask, [1, 0]);
  const o = gatedAttention(inner.sub('mha'), { q: mT, kv: mT, mask: maskT, heads, gating: true });
  return permute(o, [1, 0, 2]);
}
