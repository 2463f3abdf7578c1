// AlphaFold2 suppl. Algorithm 17: template pointwise attention (OpenFold
// template.TemplatePointwiseAttention). For each residue pair (i, j) the
// pair activation z_ij queries the T template activations t_ij (no gate, no
// LayerNorm); masked templates get the bias inf·(mask - 1).
import type { Tensor } from '../core/tensor.ts';
import { tensor } from '../core/tensor.ts';
import { concat, permute, reshape } from '../autograd/index.ts';
import { gatedAttention } from './gated_attention.ts';
import type { ParamView } from './params.ts';

/**
 * templates: T tensors [N, N, C_t]; z [N, N, C_z]; templateMask [T] (host).
 * Returns [N, N, C_z]. `p` is `template_pointwise_att`.
 */
export function templatePointwiseAttention(p: ParamView, templates: readonly Tensor[], z: Tensor, templateMask: Float64Array, heads: number): Tensor {
  const n = z.shape[0]!;
  const ct = templates[0]!.shape[2]!;
  const cz = z.shape[2]!;
  const T = templates.length;
  // [N·N, T, C_t]
  const stacked = concat(templates.map((t) => reshape(t, [1, n * n, ct])), 0);
  const kv = permute(stacked, [1, 0, 2]);
  const mask = new Float64Array(n * n * T);
  for (let r = 0; r < n * n; r++) mask.set(templateMask, r * T);
  const maskT = tensor(mask, [n * n, T], { dtype: z.dtype, device: z.device });
  const o = gatedAttention(p.sub('mha'), { q: reshape(z, [n * n, 1, cz]), kv, mask: maskT, heads, gating: false });
  return reshape(o, [n, n, cz]);
}
