// AlphaFold2 suppl. Algorithm 2 lines 11-12 / 1.2.9: extra-MSA features and
// their embedding (OpenFold feats.build_extra_msa_feat + embedders.ExtraMSAEmbedder).
//   extra_msa_feat = [onehot(extra_msa, 23), has_deletion, deletion_value]  [S_e, N_res, 25]
//   e = Linear(extra_msa_feat)                                              [S_e, N_res, C_e]
import type { Tensor } from '../core/tensor.ts';
import { concat, oneHot, reshape } from '../autograd/index.ts';
import { floatTensor, indexTensor, type HostArray, type TensorPlacement } from './host_tensor.ts';
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

/** extraMsaFeat built on the device (the one-hot there): the same values. */
export function extraMsaFeatTensor(extraMsa: HostArray, hasDeletion: HostArray, deletionValue: HostArray, place: TensorPlacement): Tensor {
  const [s, n] = extraMsa.shape as [number, number];
  return concat([
    oneHot(indexTensor(extraMsa, place.device), EXTRA_MSA_CLASSES, place.dtype),
    reshape(floatTensor(hasDeletion, place), [s, n, 1]),
    reshape(floatTensor(deletionValue, place), [s, n, 1]),
  ], -1);
}

/** `p` is the `extra_msa_embedder` module; feat from extraMsaFeat (host) or extraMsaFeatTensor. */
export function extraMsaEmbedder(p: ParamView, feat: HostArray | Tensor, place: TensorPlacement): Tensor {
  return p.linear('linear', 'handle' in feat ? feat : floatTensor(feat, place));
}
