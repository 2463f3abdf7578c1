// AlphaFold2 suppl. Algorithm 2 lines 7-13: template embedding (OpenFold
// embedders.TemplateEmbedder). Per template slot: pair features -> Linear
// (template_pair_embedder) -> template pair stack (Alg. 16); then pointwise
// attention from the pair representation (Alg. 17), zeroed when no template
// is present. With embed_angles, the template angle features give extra MSA
// rows: Linear -> ReLU -> Linear (template_single_embedder).
import type { Tensor } from '../core/tensor.ts';
import { mulScalar, relu, scope } from '../autograd/index.ts';
import type { AlphaFoldConfig } from './config_types.ts';
import { floatTensor, type HostArray } from './host_tensor.ts';
import type { ParamView } from './params.ts';
import type { ModelRuntime } from './runtime.ts';
import { templateAngleFeat, templatePairFeatTensor, templateSlot } from './template_features.ts';
import { templatePairStack } from './template_pair_stack.ts';
import { templatePointwiseAttention } from './template_pointwise_attention.ts';

/** The template features of one recycling iteration (OpenFold batch keys). */
export interface TemplateBatch {
  template_aatype: HostArray;
  template_pseudo_beta: HostArray;
  template_pseudo_beta_mask: HostArray;
  template_all_atom_mask: HostArray;
  template_mask: HostArray;
  template_torsion_angles_sin_cos: HostArray;
  template_alt_torsion_angles_sin_cos: HostArray;
  template_torsion_angles_mask: HostArray;
}

export interface TemplateEmbedding {
  /** [N, N, C_z], added to z */ pair: Tensor;
  /** [T, N, C_m] extra MSA rows, or null without embed_angles */ single: Tensor | null;
  /** [T, N] row mask of the extra rows (torsion mask of angle 2, OpenFold quirk 3) */ singleMask: HostArray | null;
}

/** `p` is `template_embedder`. */
export function templateEmbedder(p: ParamView, rt: ModelRuntime, c: AlphaFoldConfig, b: TemplateBatch, z: Tensor, pairMask: Tensor): TemplateEmbedding {
  const tc = c.model.template;
  const nT = b.template_aatype.shape[0]!;
  const slots = { aatype: b.template_aatype, pseudoBeta: b.template_pseudo_beta, pseudoBetaMask: b.template_pseudo_beta_mask, allAtomMask: b.template_all_atom_mask };
  const embedded: Tensor[] = [];
  for (let t = 0; t < nT; t++) {
    embedded.push(scope(() => {
      const feat = templatePairFeatTensor(templateSlot(slots, t), tc.distogram, tc.inf, tc.use_unit_vector, rt.place);
      const emb = p.sub('template_pair_embedder').linear('linear', feat);
      return templatePairStack(p.sub('template_pair_stack'), rt, tc.template_pair_stack, emb, pairMask, c.model._mask_trans);
    }));
  }
  let pair = templatePointwiseAttention(p.sub('template_pointwise_att'), embedded, z, b.template_mask.data, tc.template_pointwise_attention.no_heads);
  const anyTemplate = b.template_mask.data.some((v) => v !== 0);
  pair = mulScalar(pair, anyTemplate ? 1 : 0);
  if (!tc.embed_angles) return { pair, single: null, singleMask: null };
  const angle = floatTensor(templateAngleFeat(b.template_aatype, b.template_torsion_angles_sin_cos, b.template_alt_torsion_angles_sin_cos, b.template_torsion_angles_mask), rt.place);
  const s = p.sub('template_single_embedder');
  const single = s.linear('linear_2', relu(s.linear('linear_1', angle)));
  const n = b.template_aatype.shape[1]!;
  const mask = new Float64Array(nT * n);
  for (let i = 0; i < nT * n; i++) mask[i] = b.template_torsion_angles_mask.data[i * 7 + 2]!;
  return { pair, single, singleMask: { shape: [nT, n], data: mask } };
}
