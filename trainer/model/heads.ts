// Auxiliary heads (OpenFold heads.AuxiliaryHeads):
//   pLDDT (suppl. Alg. 29, 1.9.6): LN -> Linear-ReLU-Linear-ReLU-Linear, 50 bins
//     on the structure module's final single representation;
//   distogram (1.9.8): Linear on the pair representation, symmetrized;
//   masked MSA (1.9.9): Linear on the MSA representation (without template rows);
//   experimentally resolved (1.9.10): Linear on the Evoformer single
//     representation, one logit per atom37 slot.
import { tensor, type Tensor } from '../core/tensor.ts';
import { add, mul, permute, relu, softmax, sum } from '../autograd/index.ts';
import type { ParamView } from './params.ts';

export interface HeadOutputs {
  /** [N, 50] */ lddtLogits: Tensor;
  /** [N] (0-100) */ plddt: Tensor;
  /** [N, N, 64] */ distogramLogits: Tensor;
  /** [S, N, 23] */ maskedMsaLogits: Tensor;
  /** [N, 37] */ experimentallyResolvedLogits: Tensor;
}

/** OpenFold compute_plddt: expected bin centre (arange(0.5/b, 1, 1/b)) × 100. */
export function computePlddt(logits: Tensor): Tensor {
  const bins = logits.shape[logits.rank - 1]!;
  const width = 1 / bins;
  const centres = Array.from({ length: bins }, (_, i) => 0.5 * width + i * width);
  const c = tensor(centres, [bins], { dtype: logits.dtype, device: logits.device });
  const s = sum(mul(softmax(logits), c), [-1]);
  return mul(s, tensor([100], [], { dtype: logits.dtype, device: logits.device }));
}

/**
 * `p` is `aux_heads`; smSingle [N, C_s] (structure module output), single
 * [N, C_s] (Evoformer), pair [N, N, C_z], msa [S, N, C_m] (no template rows).
 */
export function auxHeads(p: ParamView, smSingle: Tensor, single: Tensor, pair: Tensor, msa: Tensor): HeadOutputs {
  const pl = p.sub('plddt');
  const h = relu(pl.linear('linear_2', relu(pl.linear('linear_1', pl.layerNorm('layer_norm', smSingle)))));
  const lddtLogits = pl.linear('linear_3', h);
  const d = p.sub('distogram').linear('linear', pair);
  return {
    lddtLogits,
    plddt: computePlddt(lddtLogits),
    distogramLogits: add(d, permute(d, [1, 0, 2])),
    maskedMsaLogits: p.sub('masked_msa').linear('linear', msa),
    experimentallyResolvedLogits: p.sub('experimentally_resolved').linear('linear', single),
  };
}
