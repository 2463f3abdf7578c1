// The per-step ("ensembled") transforms of OpenFold's
// input_pipeline.ensembled_transform_fns + process_tensors_from_config for
// initial training, on one chain's stored non-ensembled features:
//   once per sample: the number of forward passes (no_recycling_iters + 1),
//     use_clamped_fape, the residue crop and the template subset
//     (random_crop_to_size: the same crop for every pass);
//   per pass: block_delete_msa, sample_msa_distillation, sample_msa,
//     make_masked_msa, nearest_neighbor_clusters, summarize_clusters,
//     crop_extra_msa, make_msa_feat; then select_feat, crop and
//     make_fixed_size, written straight into the padded batch.
// AlphaFold2 supplementary 1.2.5-1.2.9 (Algorithm 1), 1.10 (recycling),
// 1.11.8 (clamped FAPE). Output keys, dtypes and shapes: features/batch_table.ts
// (recycling axis first).
// DISCREPANCY: the cluster summaries and msa_feat are computed only over the
// cropped residues (same values); the nearest-neighbour assignment still uses
// the full length, as the reference does.
// DISCREPANCY: OpenFold always computes max_recycling_iters + 1 = 4 passes and
// its data loader then keeps the first no_recycling_iters + 1 (drawn
// uniformly); we draw the pass count first and compute only those passes
// (same distribution of examples).

import { Rng } from '../../rng.ts';
import { zeros, type FeatureDict, type NumericTensor } from '../../tensor.ts';
import { BATCH_TABLE, batchKeys, batchShape, type BatchSizes } from '../../batch_table.ts';
import { FeatureError } from '../../errors.ts';
import { INITIAL_TRAINING, type PerStepConfig } from '../config.ts';
import { float32Values, getNumeric, int64Words, intValues } from '../tensor_access.ts';
import { blockDeleteRows, cropExtraRows, sampleDistillationRows, sampleMsaRows } from './msa_rows.ts';
import { makeMaskedMsa } from './masked_msa.ts';
import { nearestNeighborClusters } from './nearest_neighbor.ts';
import { summarizeClusters, type ClusterSummary } from './cluster_summary.ts';
import { writeMsaPass, writeResidueAndTemplateFeatures } from './batch_writer.ts';
import type { BatchBuffers } from './batch_buffers.ts';

/** One chain's stored features, unpacked for the per-step work. */
export interface ChainFeatures {
  numRes: number;
  numSeq: number;
  numTemplates: number;
  msa: Uint8Array; // [N_seq, N_res] values 0..21
  deletion: Float32Array; // [N_seq, N_res]
  msaMask: Float32Array; // [N_seq, N_res]
  /** True when msa_mask is all ones (as stored): the fast paths skip it. */
  msaMaskAllOnes: boolean;
  profile: Float32Array; // [N_res, 22]
  aatype: Int32Array; // [N_res]
  betweenSegment: Int32Array; // [N_res]
  isDistillation: boolean;
  supervised: boolean;
  features: FeatureDict;
}

function allOnes(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 1) return false;
  return true;
}

/** MSA classes (0..21) as bytes, read straight from int64 words or int32. */
function msaClasses(t: NumericTensor): Uint8Array {
  const n = t.data.length;
  const out = new Uint8Array(n);
  const bad = (v: unknown) => new FeatureError({ source: 'msa' }, `msa value ${v} outside 0..21 (expected AlphaFold order after the non-ensembled transforms)`);
  if (t.dtype === 'int64') {
    const w = int64Words(t.data as BigInt64Array);
    let high = 0;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const lo = w[2 * i]! >>> 0;
      high |= w[2 * i + 1]!;
      if (lo > max) max = lo;
      out[i] = lo;
    }
    if (high !== 0 || max > 21) {
      for (let i = 0; i < n; i++) if (w[2 * i + 1] !== 0 || (w[2 * i]! >>> 0) > 21) throw bad((t.data as BigInt64Array)[i]);
    }
  } else {
    const v = intValues(t);
    for (let i = 0; i < n; i++) {
      if ((v[i]! >>> 0) > 21) throw bad(v[i]);
      out[i] = v[i]!;
    }
  }
  return out;
}

/** Unpacks the non-ensembled feature dict (a shard row or `features --transforms nonensembled`). */
export function prepareChain(features: FeatureDict): ChainFeatures {
  const msaT = getNumeric(features, 'msa');
  if (msaT.shape.length !== 2) throw new FeatureError({ source: 'msa' }, `msa must be [N_seq, N_res], got [${msaT.shape}]`);
  const [numSeq, numRes] = msaT.shape as [number, number];
  if (numSeq < 1) throw new FeatureError({ source: 'msa' }, 'empty MSA');
  const msa = msaClasses(msaT);
  const aatype = intValues(getNumeric(features, 'aatype'));
  if (aatype.length !== numRes) throw new FeatureError({ source: 'aatype' }, `aatype has ${aatype.length} residues, msa ${numRes}`);
  const templateAatype = features['template_aatype'];
  const msaMask = float32Values(getNumeric(features, 'msa_mask'));
  return {
    numRes,
    numSeq,
    numTemplates: templateAatype === undefined ? 0 : templateAatype.shape[0]!,
    msa,
    deletion: float32Values(getNumeric(features, 'deletion_matrix')),
    msaMask,
    msaMaskAllOnes: allOnes(msaMask),
    profile: float32Values(getNumeric(features, 'hhblits_profile')),
    aatype,
    betweenSegment: features['between_segment_residues'] !== undefined ? intValues(getNumeric(features, 'between_segment_residues')) : new Int32Array(numRes),
    isDistillation: features['is_distillation'] !== undefined && Number(getNumeric(features, 'is_distillation').data[0]) === 1,
    supervised: features['all_atom_positions'] !== undefined,
    features,
  };
}

/** The per-sample choices shared by all passes. */
export interface SampleChoices {
  passes: number;
  useClampedFape: number;
  cropStart: number;
  cropLength: number;
  /** Template indices kept, in slot order (at most maxTemplates). */
  templates: Int32Array;
}

/** random_crop_to_size's draws, the pass count and use_clamped_fape; null rng = no randomness. */
export function chooseSample(chain: ChainFeatures, config: PerStepConfig, rng: Rng | null): SampleChoices {
  const cropLength = Math.min(chain.numRes, config.cropSize);
  const T = chain.numTemplates;
  if (rng === null) {
    const n = Math.min(T, config.maxTemplates);
    return { passes: 1, useClampedFape: 1, cropStart: 0, cropLength, templates: Int32Array.from({ length: n }, (_, i) => i) };
  }
  const passes = config.passes === 'uniform' ? rng.derive('passes').intInclusive(1, config.maxPasses) : config.passes;
  const useClampedFape = rng.derive('clamp').float() < config.clampProb ? 1 : 0;
  const crop = rng.derive('crop');
  let templates: Int32Array;
  if (config.subsampleTemplates && T > 0) {
    const start = crop.intInclusive(0, T);
    const perm = crop.permutation(T);
    templates = perm.slice(start, start + Math.min(T - start, config.maxTemplates));
  } else {
    templates = Int32Array.from({ length: Math.min(T, config.maxTemplates) }, (_, i) => i);
  }
  // OpenFold: right_anchor = n - x with x uniform in [0, n], start uniform in [0, right_anchor].
  const n = chain.numRes - cropLength;
  const x = crop.intInclusive(0, n);
  const cropStart = crop.intInclusive(0, n - x);
  return { passes, useClampedFape, cropStart, cropLength, templates };
}

/** One pass's MSA work, before it is written into the batch. */
export interface MsaPass {
  selected: Int32Array;
  extraAll: Int32Array;
  centres: Uint8Array; // [N_sel, N_res] after BERT masking
  trueCentres: Uint8Array;
  bertMask: Float32Array;
  assignment: Int32Array; // [extraAll.length]
  summary: ClusterSummary; // over the crop window
  extraChosen: Int32Array;
}

function gatherRows<T extends Uint8Array | Float32Array>(src: T, rows: Int32Array, width: number, out: T): T {
  for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
  return out;
}

/** The MSA steps of one pass; `rng` null = identity sampling, no deletion, no masking. */
export function msaPass(chain: ChainFeatures, config: PerStepConfig, rng: Rng | null, colStart: number, numCols: number): MsaPass {
  const L = chain.numRes;
  let rows = blockDeleteRows(chain.numSeq, config.blockDelete, rng?.derive('block_delete') ?? null);
  rows = sampleDistillationRows(rows, chain.isDistillation, config.maxDistillationMsaClusters, rng?.derive('distillation') ?? null);
  const { selected, extra } = sampleMsaRows(rows, config.maxMsaClusters, rng?.derive('sample_msa') ?? null);
  const S = selected.length;
  const trueCentres = gatherRows(chain.msa, selected, L, new Uint8Array(S * L));
  const masked = makeMaskedMsa(trueCentres, L, chain.profile, config.maskedMsa, rng?.derive('masked_msa') ?? null);
  const centreMask = gatherRows(chain.msaMask, selected, L, new Float32Array(S * L));
  const assignment = nearestNeighborClusters({
    centres: masked.msa, centreMask, numCentres: S, numRes: L,
    msa: chain.msa, extraRows: extra, msaMask: chain.msaMaskAllOnes ? null : chain.msaMask, gapAgreementWeight: config.gapAgreementWeight,
  });
  const summary = summarizeClusters({
    centres: masked.msa, centreDeletion: gatherRows(chain.deletion, selected, L, new Float32Array(S * L)), centreMask,
    numCentres: S, numRes: L, msa: chain.msa, deletion: chain.deletion, msaMask: chain.msaMaskAllOnes ? null : chain.msaMask,
    extraRows: extra, assignment, colStart, numCols,
  });
  const extraChosen = cropExtraRows(extra, config.maxExtraMsa, rng?.derive('crop_extra_msa') ?? null);
  return { selected, extraAll: extra, centres: masked.msa, trueCentres, bertMask: masked.bertMask, assignment, summary, extraChosen };
}

export interface PerStepOptions {
  config?: PerStepConfig;
  /** Write into these (a BatchBuffers for this config) instead of allocating. */
  buffers?: BatchBuffers;
  /** Seed of this sample's draws. */
  seed: number;
  /** false: identity sampling, no block deletion, no masking, crop at 0, one pass. */
  randomness?: boolean;
}

/** All per-step transforms: a stored chain -> one padded training example (batch_table.ts). */
export function perStepTransforms(features: FeatureDict, options: PerStepOptions): FeatureDict {
  const config = options.config ?? INITIAL_TRAINING;
  const chain = prepareChain(features);
  const rng = options.randomness === false ? null : Rng.fromSeed(options.seed);
  const choice = chooseSample(chain, config, rng);
  const sizes: BatchSizes = {
    passes: choice.passes, numRes: config.cropSize, numClusters: config.maxMsaClusters,
    numExtra: config.maxExtraMsa, numTemplates: config.maxTemplates,
  };
  const keys = batchKeys(chain.supervised);
  const batch = options.buffers === undefined ? freshBatch(keys, sizes) : options.buffers.take(keys, sizes);
  writeResidueAndTemplateFeatures(chain, choice, sizes, batch);
  let rows = 0;
  let extraRows = 0;
  for (let k = 0; k < choice.passes; k++) {
    const pass = msaPass(chain, config, rng?.derive('pass', k) ?? null, choice.cropStart, choice.cropLength);
    writeMsaPass(chain, choice, sizes, pass, k, batch);
    rows = Math.max(rows, pass.selected.length);
    extraRows = Math.max(extraRows, pass.extraChosen.length);
  }
  options.buffers?.recordWritten({
    passes: choice.passes, numRes: choice.cropLength, numClusters: rows, numExtra: extraRows, numTemplates: choice.templates.length,
  });
  return batch;
}

function freshBatch(keys: string[], sizes: BatchSizes): FeatureDict {
  const batch: FeatureDict = {};
  for (const key of keys) batch[key] = zeros(BATCH_TABLE[key]!.dtype, batchShape(key, sizes));
  return batch;
}

