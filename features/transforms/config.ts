// Configuration of the per-step (ensembled) transforms: OpenFold's
// config.data.common + config.data.train for the "initial_training" preset
// (AlphaFold2 supplementary Table 4, initial training; 1.2.5-1.2.8 MSA
// sampling, masking and clustering; 1.2.9 crop; 1.10 recycling).

export interface BlockDeleteConfig {
  /** Whether rows of the MSA are deleted in blocks (train only). */
  enabled: boolean;
  /** Each block's length as a fraction of the MSA depth (floor). */
  msaFractionPerBlock: number;
  /** Number of blocks (drawn uniformly in 0..numBlocks when randomizeNumBlocks). */
  numBlocks: number;
  randomizeNumBlocks: boolean;
}

export interface MaskedMsaConfig {
  /** Probability that a masked position takes a uniformly random amino acid. */
  uniformProb: number;
  /** ... a residue drawn from the column's HHblits profile. */
  profileProb: number;
  /** ... keeps its own residue. The rest (1 - the three) becomes the mask token 22. */
  sameProb: number;
  /** Fraction of MSA positions selected for BERT masking. */
  replaceFraction: number;
}

export interface PerStepConfig {
  /** Residues after the crop and after padding (NUM_RES). */
  cropSize: number;
  /** MSA cluster rows, after reduce_msa_clusters_by_max_templates (NUM_MSA_SEQ). */
  maxMsaClusters: number;
  /** Extra MSA rows (NUM_EXTRA_SEQ). */
  maxExtraMsa: number;
  /** Template slots (NUM_TEMPLATES). */
  maxTemplates: number;
  /** Shuffle templates and take a random window of them (train). */
  subsampleTemplates: boolean;
  /** MSA rows sampled for self-distillation examples (is_distillation = 1). */
  maxDistillationMsaClusters: number;
  blockDelete: BlockDeleteConfig;
  maskedMsa: MaskedMsaConfig;
  /** Weight of gap-gap agreement in the nearest-neighbour clustering (0 or 1). */
  gapAgreementWeight: number;
  /** Probability that use_clamped_fape is 1 for a sample. */
  clampProb: number;
  /**
   * Forward passes per sample (no_recycling_iters + 1): a fixed count, or
   * 'uniform' for a uniform draw in 1..maxPasses (OpenFold uniform_recycling).
   */
  passes: number | 'uniform';
  maxPasses: number;
}

/**
 * The initial-training preset. DISCREPANCY: OpenFold's default has
 * reduce_msa_clusters_by_max_templates = False (128 clusters); we follow the
 * AlphaFold2 / ScaleFold setting of 128 - 4 templates = 124 cluster rows.
 */
export const INITIAL_TRAINING: Readonly<PerStepConfig> = Object.freeze({
  cropSize: 256,
  maxMsaClusters: 124,
  maxExtraMsa: 1024,
  maxTemplates: 4,
  subsampleTemplates: true,
  maxDistillationMsaClusters: 1000,
  blockDelete: Object.freeze({ enabled: true, msaFractionPerBlock: 0.3, numBlocks: 5, randomizeNumBlocks: false }),
  maskedMsa: Object.freeze({ uniformProb: 0.1, profileProb: 0.1, sameProb: 0.1, replaceFraction: 0.15 }),
  gapAgreementWeight: 0,
  clampProb: 0.9,
  passes: 'uniform',
  maxPasses: 4,
});

/** A config from the preset plus overrides; rejects inconsistent values. */
export function perStepConfig(overrides: Partial<PerStepConfig> = {}): PerStepConfig {
  const c: PerStepConfig = { ...INITIAL_TRAINING, ...overrides };
  const m = c.maskedMsa;
  const problems: string[] = [];
  for (const [k, v] of [['cropSize', c.cropSize], ['maxMsaClusters', c.maxMsaClusters], ['maxExtraMsa', c.maxExtraMsa], ['maxPasses', c.maxPasses]] as const) {
    if (!Number.isInteger(v) || v < 1) problems.push(`${k} must be a positive integer`);
  }
  if (!Number.isInteger(c.maxTemplates) || c.maxTemplates < 0) problems.push('maxTemplates must be a non-negative integer');
  if (m.uniformProb + m.profileProb + m.sameProb > 1 + 1e-9) problems.push('maskedMsa probabilities sum above 1');
  if (m.replaceFraction < 0 || m.replaceFraction > 1) problems.push('maskedMsa.replaceFraction outside [0, 1]');
  if (c.gapAgreementWeight !== 0 && c.gapAgreementWeight !== 1) problems.push('gapAgreementWeight must be 0 or 1');
  if (c.passes !== 'uniform' && (!Number.isInteger(c.passes) || c.passes < 1 || c.passes > c.maxPasses)) {
    problems.push(`passes must be 'uniform' or an integer in 1..maxPasses`);
  }
  if (problems.length > 0) throw new RangeError(`invalid per-step config: ${problems.join('; ')}`);
  return c;
}
