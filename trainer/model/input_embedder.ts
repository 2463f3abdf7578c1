// AlphaFold2 suppl. Algorithm 3 (InputEmbedder) with Algorithm 4 (relpos);
// OpenFold embedders.InputEmbedder.
//   z_ij = linear_tf_z_i(tf)_i + linear_tf_z_j(tf)_j + linear_relpos(onehot(clip(ri_i - ri_j, ±k)))
//   m_si = linear_msa_m(msa_feat)_si + linear_tf_m(tf)_i
// The relative-position bins are computed on the host (residue_index is an
// input, not a differentiable quantity; N_res² integers) and one-hot encoded
// on the device.
import type { Tensor } from '../core/tensor.ts';
import { add, oneHot, reshape } from '../autograd/index.ts';
import type { HostArray, TensorPlacement } from './host_tensor.ts';
import { indexTensor } from './host_tensor.ts';
import type { ParamView } from './params.ts';

/** One-hot of clip(ri_i - ri_j, -k, k) + k: [N_res, N_res, 2k+1] (Alg. 4). */
export function relposOneHot(residueIndex: HostArray, k: number): HostArray {
  const n = residueIndex.data.length;
  const bins = 2 * k + 1;
  const out = new Float64Array(n * n * bins);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = Math.max(-k, Math.min(k, residueIndex.data[i]! - residueIndex.data[j]!));
      out[(i * n + j) * bins + Math.round(d) + k] = 1;
    }
  }
  return { shape: [n, n, bins], data: out };
}

/** clip(ri_i - ri_j, -k, k) + k: [N_res, N_res] bin indices (Alg. 4). */
export function relposBins(residueIndex: HostArray, k: number): HostArray {
  const n = residueIndex.data.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = Math.round(Math.max(-k, Math.min(k, residueIndex.data[i]! - residueIndex.data[j]!))) + k;
  }
  return { shape: [n, n], data: out };
}

export interface InputEmbedding {
  /** [N_clust, N_res, C_m] */ m: Tensor;
  /** [N_res, N_res, C_z] */ z: Tensor;
}

/**
 * target_feat [N_res, 22], residue_index [N_res], msa_feat [N_clust, N_res, 49]
 * (msa_feat as a core tensor; it may be large).
 */
export function inputEmbedder(p: ParamView, targetFeat: Tensor, residueIndex: HostArray, msaFeat: Tensor, relposK: number, place: TensorPlacement): InputEmbedding {
  const n = targetFeat.shape[0]!;
  // [N_res, C_z]
  const tfI = p.linear('linear_tf_z_i', targetFeat);
  const tfJ = p.linear('linear_tf_z_j', targetFeat);
  const cz = tfI.shape[1]!;
  // [N_res, N_res, C_z]
  const relpos = p.linear('linear_relpos', oneHot(indexTensor(relposBins(residueIndex, relposK), place.device), 2 * relposK + 1, place.dtype));
  let z = add(relpos, reshape(tfI, [n, 1, cz]));
  z = add(z, reshape(tfJ, [1, n, cz]));
  // [N_clust, N_res, C_m]
  const m = add(p.linear('linear_msa_m', msaFeat), p.linear('linear_tf_m', targetFeat));
  return { m, z };
}
