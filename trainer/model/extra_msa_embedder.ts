// AlphaFold2 suppl. Algorithm 2 lines 11-12 / 1.2.9: extra-MSA features and
// their embedding (OpenFold feats.build_extra_msa_feat + embedders.ExtraMSAEmbedder).
//   extra_msa_feat = [onehot(extra_msa, 23), has_deletion, deletion_value]  [S_e, N_res, 25]
//   e = Linear(extra_msa_feat)                                              [S_e, N_res, C_e]
import type { Tensor } from '../core/tensor.ts';
import { floatTensor, type HostArray, type TensorPlacement } from './host_tensor.ts';
import type { ParamView } from './params.ts';

export const EXTRA_MSA_CLASSES = 23;

export function extraMsaFeat(extraMsa: HostArray, hasDeletion: HostArray, deletionValue: HostArray): HostArray {
  const [s, n] = extraMsa.shape as [number, number];
  const c = EXTRA_MSA_CLASSES + 2;
  const out = new Float64Array(s * n * c);
  for (let i = 0; i < s * n; i++) {
    out[i * c + extraMsa.data[i]!] = 1;
    out[i * c + EXTRA_MSA_CLASSES] = hasDeletion.data[i]!;
    out[i * c + EXTRA_MSA_CLASSES + 1] = deletionValue.data[i]!;
  }
  return { shape: [s, n, c], data: out };
}

/** `p` is the `extra_msa_embedder` module. */
export function extraMsaEmbedder(p: ParamView, feat: HostArray, place: TensorPlacement): Tensor {
  return p.linear('linear', floatTensor(feat, place));
}
