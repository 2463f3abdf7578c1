// The training batch: every key, dtype and symbolic shape that the per-step
// transforms hand the trainer (OpenFold's keys: config.data.common.feat
// restricted to what the initial-training pipeline produces, plus
// no_recycling_iters and use_clamped_fape; AlphaFold's FEATURES table idea).
//
// The recycling dimension N_recycle (forward passes = no_recycling_iters + 1,
// 1..4) is the FIRST axis here. DISCREPANCY: OpenFold stacks it last. First
// serves the trainer: pass k's inputs are one contiguous block batch[key][k],
// copied to the device as-is, with no strided gather.
//
// Dimensions: N_res = crop size (256), N_clust = MSA cluster rows (124),
// N_extra = extra MSA rows (1024), N_templ = templates (4), N_recycle = passes.

import type { NumericDType } from './tensor.ts';

export type SymbolicDim = 'N_recycle' | 'N_res' | 'N_clust' | 'N_extra' | 'N_templ' | number;

export interface BatchKeySpec {
  dtype: NumericDType;
  shape: readonly SymbolicDim[];
  /** Only present when the chain has a structure (supervised / train mode). */
  supervised: boolean;
  /** Where the per-step transforms take it from. */
  source: 'residue' | 'template' | 'msa' | 'extra_msa' | 'scalar';
}

const R = 'N_recycle', N = 'N_res', S = 'N_clust', E = 'N_extra', T = 'N_templ';

function spec(dtype: NumericDType, shape: SymbolicDim[], source: BatchKeySpec['source'], supervised = false): BatchKeySpec {
  return { dtype, shape: [R, ...shape], source, supervised };
}

export const BATCH_TABLE: Readonly<Record<string, BatchKeySpec>> = Object.freeze({
  // Sequence (residue) features.
  aatype: spec('int64', [N], 'residue'),
  residue_index: spec('int64', [N], 'residue'),
  seq_mask: spec('float32', [N], 'residue'),
  target_feat: spec('float32', [N, 22], 'residue'),
  atom14_atom_exists: spec('float32', [N, 14], 'residue'),
  atom37_atom_exists: spec('float32', [N, 37], 'residue'),
  residx_atom14_to_atom37: spec('int64', [N, 14], 'residue'),
  residx_atom37_to_atom14: spec('int64', [N, 37], 'residue'),
  // Ground truth (supervised).
  all_atom_positions: spec('float32', [N, 37, 3], 'residue', true),
  all_atom_mask: spec('float32', [N, 37], 'residue', true),
  atom14_gt_positions: spec('float32', [N, 14, 3], 'residue', true),
  atom14_gt_exists: spec('float32', [N, 14], 'residue', true),
  atom14_alt_gt_positions: spec('float32', [N, 14, 3], 'residue', true),
  atom14_alt_gt_exists: spec('float32', [N, 14], 'residue', true),
  atom14_atom_is_ambiguous: spec('float32', [N, 14], 'residue', true),
  rigidgroups_gt_frames: spec('float32', [N, 8, 4, 4], 'residue', true),
  rigidgroups_alt_gt_frames: spec('float32', [N, 8, 4, 4], 'residue', true),
  rigidgroups_gt_exists: spec('float32', [N, 8], 'residue', true),
  rigidgroups_group_exists: spec('float32', [N, 8], 'residue', true),
  rigidgroups_group_is_ambiguous: spec('float32', [N, 8], 'residue', true),
  backbone_rigid_tensor: spec('float32', [N, 4, 4], 'residue', true),
  backbone_rigid_mask: spec('float32', [N], 'residue', true),
  chi_angles_sin_cos: spec('float32', [N, 4, 2], 'residue', true),
  chi_mask: spec('float32', [N, 4], 'residue', true),
  pseudo_beta: spec('float32', [N, 3], 'residue', true),
  pseudo_beta_mask: spec('float32', [N], 'residue', true),
  resolution: spec('float32', [], 'scalar', true),
  is_distillation: spec('float32', [], 'scalar', true),
  // Per-sample scalars.
  seq_length: spec('int64', [], 'scalar'),
  no_recycling_iters: spec('int64', [], 'scalar'),
  use_clamped_fape: spec('float32', [], 'scalar'),
  // Templates.
  template_aatype: spec('int64', [T, N], 'template'),
  template_mask: spec('float32', [T], 'template'),
  template_all_atom_positions: spec('float32', [T, N, 37, 3], 'template'),
  template_all_atom_mask: spec('float32', [T, N, 37], 'template'),
  template_pseudo_beta: spec('float32', [T, N, 3], 'template'),
  template_pseudo_beta_mask: spec('float32', [T, N], 'template'),
  template_torsion_angles_sin_cos: spec('float32', [T, N, 7, 2], 'template'),
  template_alt_torsion_angles_sin_cos: spec('float32', [T, N, 7, 2], 'template'),
  template_torsion_angles_mask: spec('float32', [T, N, 7], 'template'),
  template_sum_probs: spec('float32', [T, 1], 'template'),
  // Clustered MSA (resampled each pass).
  msa_feat: spec('float32', [S, N, 49], 'msa'),
  msa_mask: spec('float32', [S, N], 'msa'),
  msa_row_mask: spec('float32', [S], 'msa'),
  bert_mask: spec('float32', [S, N], 'msa'),
  true_msa: spec('int64', [S, N], 'msa'),
  // Extra MSA (resampled each pass).
  extra_msa: spec('int64', [E, N], 'extra_msa'),
  extra_msa_mask: spec('float32', [E, N], 'extra_msa'),
  extra_msa_row_mask: spec('float32', [E], 'extra_msa'),
  extra_has_deletion: spec('float32', [E, N], 'extra_msa'),
  extra_deletion_value: spec('float32', [E, N], 'extra_msa'),
});

export interface BatchSizes {
  passes: number;
  numRes: number;
  numClusters: number;
  numExtra: number;
  numTemplates: number;
}

/** The concrete shape of a batch key. */
export function batchShape(key: string, sizes: BatchSizes): number[] {
  const s = BATCH_TABLE[key];
  if (s === undefined) throw new RangeError(`'${key}' is not a batch key`);
  return s.shape.map((d) => {
    switch (d) {
      case 'N_recycle': return sizes.passes;
      case 'N_res': return sizes.numRes;
      case 'N_clust': return sizes.numClusters;
      case 'N_extra': return sizes.numExtra;
      case 'N_templ': return sizes.numTemplates;
      default: return d;
    }
  });
}

/** Batch keys expected for a chain with (supervised) or without a structure. */
export function batchKeys(supervised: boolean): string[] {
  return Object.keys(BATCH_TABLE).filter((k) => supervised || !BATCH_TABLE[k]!.supervised);
}
