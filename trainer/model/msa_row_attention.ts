// AlphaFold2 suppl. Algorithm 7: MSA row-wise gated self-attention with pair
// bias (OpenFold msa.MSARowAttentionWithPairBias). Used by the Evoformer and
// the extra-MSA stack (Alg. 18).
import type { Tensor } from '../core/tensor.ts';
import { permute } from '../autograd/index.ts';
import { gatedAttention } from './gated_attention.ts';
import type { ParamView } from './params.ts';

/** m [S, N_res, C_m], z [N_res, N_res, C_z], msaMask [S, N_res] -> update [S, N_res, C_m]. */
export function msaRowAttentionWithPairBias(p: ParamView, m: Tensor, z: Tensor, msaMask: Tensor, heads: number): Tensor {
  const mLn = p.layerNorm('layer_norm_m', m);
  // [N_res, N_res, H] -> [H, N_res, N_res]
  const bias = permute(p.linear('linear_z', p.layerNorm('layer_norm_z', z)), [2, 0, 1]);
  return gatedAttention(p.sub('mha'), { q: mLn, kv: mLn, bias, mask: msaMask, heads, gating: true });
}
