// The deterministic ("non-ensembled") feature transforms, run once offline:
// OpenFold's feature_pipeline.np_example_to_features up to and including
// input_pipeline.nonensembled_transform_fns, in the reference's order
// (AlphaFold2 supplementary 1.2 input features; 1.8 ground-truth labels).
// Input: raw features (data_pipeline output). Output: OpenFold's tensors at
// that point, int64 where OpenFold's are int64.

import { numeric, type FeatureDict } from '../tensor.ts';
import { castTo64BitInts, correctMsaRestypes, makeHhblitsProfile, makeMsaMask, makeSeqMask, squeezeFeatures } from './nonensembled/msa_and_sequence.ts';
import { fixTemplatesAatype, makeTemplateMask } from './nonensembled/templates.ts';
import { makePseudoBeta } from './nonensembled/pseudo_beta.ts';
import { atom37ToTorsionAngles, getChiAngles } from './nonensembled/torsion_angles.ts';
import { makeAtom14Masks, makeAtom14Positions } from './nonensembled/atom14.ts';
import { atom37ToFrames, getBackboneFrames } from './nonensembled/frames.ts';

export type Transform = (d: FeatureDict) => FeatureDict;

export interface NonensembledOptions {
  /** Training/eval with a structure (OpenFold mode 'train'); false for 'predict'. */
  supervised: boolean;
}

/** OpenFold config data.common.unsupervised_features. */
export const UNSUPERVISED_FEATURES = [
  'aatype', 'residue_index', 'msa', 'num_alignments', 'seq_length', 'between_segment_residues',
  'deletion_matrix', 'no_recycling_iters',
] as const;
/** OpenFold config data.common.template_features. */
export const TEMPLATE_FEATURES = [
  'template_all_atom_positions', 'template_sum_probs', 'template_aatype', 'template_all_atom_mask',
] as const;
/** OpenFold config data.supervised.supervised_features. */
export const SUPERVISED_FEATURES = [
  'all_atom_mask', 'all_atom_positions', 'resolution', 'use_clamped_fape', 'is_distillation',
] as const;

/**
 * np_example_to_features' preparation: integer deletion_matrix_int becomes
 * float32 deletion_matrix, and only the configured feature keys are kept.
 */
export function selectInputFeatures(raw: FeatureDict, options: NonensembledOptions): FeatureDict {
  const keys = new Set<string>([...UNSUPERVISED_FEATURES, ...TEMPLATE_FEATURES, ...(options.supervised ? SUPERVISED_FEATURES : [])]);
  const out: FeatureDict = {};
  for (const [k, v] of Object.entries(raw)) if (keys.has(k)) out[k] = v;
  const dmi = raw['deletion_matrix_int'];
  if (dmi !== undefined && dmi.kind === 'numeric') {
    const values = new Float32Array(dmi.data.length);
    const src = dmi.data;
    for (let i = 0; i < values.length; i++) values[i] = Number(src[i]!);
    out['deletion_matrix'] = numeric('float32', [...dmi.shape], values);
  }
  return out;
}

/** OpenFold input_pipeline.nonensembled_transform_fns (templates and template torsions on). */
export function nonensembledTransformList(options: NonensembledOptions): Transform[] {
  const list: Transform[] = [
    castTo64BitInts,
    correctMsaRestypes,
    squeezeFeatures,
    // randomly_replace_msa_with_unknown(0.0) is the identity: omitted.
    makeSeqMask,
    makeMsaMask,
    makeHhblitsProfile,
    fixTemplatesAatype,
    makeTemplateMask,
    makePseudoBeta('template_'),
    atom37ToTorsionAngles('template_'),
    makeAtom14Masks,
  ];
  if (options.supervised) {
    list.push(
      makeAtom14Positions,
      atom37ToFrames,
      atom37ToTorsionAngles(''),
      makePseudoBeta(''),
      getBackboneFrames,
      getChiAngles,
    );
  }
  return list;
}

/** Raw features -> the deterministic transforms' output (selectInputFeatures, then the list). */
export function nonensembledTransforms(raw: FeatureDict, options: { supervised: boolean }): FeatureDict {
  let d = selectInputFeatures(raw, options);
  for (const step of nonensembledTransformList(options)) d = step(d);
  return d;
}
