// The one table of what a dataset shard holds: every feature after OpenFold's
// deterministic transforms (input_pipeline.nonensembled_transform_fns in
// training mode, features/transforms/nonensembled.ts) with its dtype and
// symbolic shape in AlphaFold's dimension names, plus the metadata columns
// outside the feature dict. The shard schema derives from it, and validate
// checks every row against it.
import type { NumericDType } from '../../features/tensor.ts';
import type { FeatureColumnSpec, PlainColumnType } from '../arrow/column_types.ts';

/** Bumped whenever the table or the row layout changes; readers reject other versions. */
export const SCHEMA_VERSION = '1';
export const SCHEMA_VERSION_KEY = 'scalefold:schema_version';
export const FEATURE_CONFIG_KEY = 'scalefold:feature_config';

/** A dimension: a symbol resolved per row, or a fixed size. */
export type Dim = 'N_res' | 'N_seq' | 'N_templ' | number;

/** What the values must satisfy (checked by validate). */
export type ValueRule =
  | { kind: 'finite' }
  | { kind: 'binary' }
  | { kind: 'int_range'; min: number; max: number }
  | { kind: 'none' };

export interface FeatureEntry {
  dtype: NumericDType;
  dims: Dim[];
  rule: ValueRule;
}

const F = (dims: Dim[], rule: ValueRule = { kind: 'finite' }): FeatureEntry => ({ dtype: 'float32', dims, rule });
const B = (dims: Dim[]): FeatureEntry => ({ dtype: 'float32', dims, rule: { kind: 'binary' } });
const I = (dims: Dim[], min: number, max: number): FeatureEntry => ({ dtype: 'int64', dims, rule: { kind: 'int_range', min, max } });
const BIG = 2 ** 31 - 1;

/**
 * Feature name -> dtype, dims, value rule. Token ranges: aatype 0..20 (20 =
 * unknown), msa and template_aatype 0..21 (21 = gap) after
 * correct_msa_restypes / fix_templates_aatype.
 */
export const SHARD_FEATURES: Readonly<Record<string, FeatureEntry>> = {
  aatype: I(['N_res'], 0, 20),
  all_atom_mask: B(['N_res', 37]),
  all_atom_positions: F(['N_res', 37, 3]),
  alt_torsion_angles_sin_cos: F(['N_res', 7, 2]),
  atom14_alt_gt_exists: B(['N_res', 14]),
  atom14_alt_gt_positions: F(['N_res', 14, 3]),
  atom14_atom_exists: B(['N_res', 14]),
  atom14_atom_is_ambiguous: B(['N_res', 14]),
  atom14_gt_exists: B(['N_res', 14]),
  atom14_gt_positions: F(['N_res', 14, 3]),
  atom37_atom_exists: B(['N_res', 37]),
  backbone_rigid_mask: B(['N_res']),
  backbone_rigid_tensor: F(['N_res', 4, 4]),
  between_segment_residues: I(['N_res'], 0, 1),
  chi_angles_sin_cos: F(['N_res', 4, 2]),
  chi_mask: B(['N_res', 4]),
  deletion_matrix: F(['N_seq', 'N_res']),
  hhblits_profile: F(['N_res', 22]),
  is_distillation: B([]),
  msa: I(['N_seq', 'N_res'], 0, 21),
  msa_mask: B(['N_seq', 'N_res']),
  msa_row_mask: B(['N_seq']),
  num_alignments: I([], 1, BIG),
  pseudo_beta: F(['N_res', 3]),
  pseudo_beta_mask: B(['N_res']),
  residue_index: I(['N_res'], -BIG, BIG),
  residx_atom14_to_atom37: I(['N_res', 14], 0, 36),
  residx_atom37_to_atom14: I(['N_res', 37], 0, 13),
  resolution: F([]),
  rigidgroups_alt_gt_frames: F(['N_res', 8, 4, 4]),
  rigidgroups_group_exists: B(['N_res', 8]),
  rigidgroups_group_is_ambiguous: B(['N_res', 8]),
  rigidgroups_gt_exists: B(['N_res', 8]),
  rigidgroups_gt_frames: F(['N_res', 8, 4, 4]),
  seq_length: I([], 1, BIG),
  seq_mask: B(['N_res']),
  template_aatype: I(['N_templ', 'N_res'], 0, 21),
  template_all_atom_mask: B(['N_templ', 'N_res', 37]),
  template_all_atom_positions: F(['N_templ', 'N_res', 37, 3]),
  template_alt_torsion_angles_sin_cos: F(['N_templ', 'N_res', 7, 2]),
  template_mask: B(['N_templ']),
  template_pseudo_beta: F(['N_templ', 'N_res', 3]),
  template_pseudo_beta_mask: B(['N_templ', 'N_res']),
  template_sum_probs: F(['N_templ', 1]),
  template_torsion_angles_mask: B(['N_templ', 'N_res', 7]),
  template_torsion_angles_sin_cos: F(['N_templ', 'N_res', 7, 2]),
  torsion_angles_mask: B(['N_res', 7]),
  torsion_angles_sin_cos: F(['N_res', 7, 2]),
};

/** Metadata columns outside the feature dict, one value per chain. */
export const SHARD_COLUMNS: Readonly<Record<string, PlainColumnType>> = {
  chain_id: 'utf8',
  pdb_id: 'utf8',
  chain: 'utf8',
  sequence: 'utf8',
  release_date: 'utf8',
  resolution_angstrom: 'float64',
  template_cutoff: 'utf8',
  template_release_dates: 'utf8_list',
  template_domain_names: 'utf8_list',
  cluster_size: 'int32',
  content_hash: 'utf8',
};

/** The Arrow column specs of the feature table (file order: sorted names). */
export function shardFeatureSpecs(): Record<string, FeatureColumnSpec> {
  const out: Record<string, FeatureColumnSpec> = {};
  for (const name of Object.keys(SHARD_FEATURES).sort()) {
    const entry = SHARD_FEATURES[name]!;
    out[name] = { kind: 'numeric', dtype: entry.dtype, ndim: entry.dims.length };
  }
  return out;
}

/** Symbolic dims -> concrete shape, or null when a symbol is unknown. */
export function expectedShape(dims: readonly Dim[], sizes: Readonly<Record<'N_res' | 'N_seq' | 'N_templ', number>>): number[] {
  return dims.map((d) => (typeof d === 'number' ? d : sizes[d]));
}
