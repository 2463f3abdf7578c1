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

import { Rng } from '../../rng.ts';
import { elementCount, numeric, zeros, type FeatureDict, type NumericDType, type NumericTensor, type TypedArrayOf } from '../../tensor.ts';
import { BATCH_TABLE, batchKeys, batchShape, type BatchSizes } from '../../batch_table.ts';
import { FeatureError } from '../../errors.ts';
import { INITIAL_TRAINING, type PerStepConfig } from '../config.ts';
import { float32Values, getNumeric, int64Words, intValues } from '../tensor_access.ts';
import { blockDeleteRows, cropExtraRows, sampleDistillationRows, sampleMsaRows } from './msa_rows.ts';
import { makeMaskedMsa } from './masked_msa.ts';
import { nearestNeighborClusters } from './nearest_neighbor.ts';
import { summarizeClusters, type ClusterSummary } from './cluster_summary.ts';
import { deletionValue, deletionValueFast, hasDeletion } from './msa_feat.ts';

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

/**
 * Reusable output storage: one typed array per batch key, sized for
 * config.maxPasses. Writing into it avoids fresh (page-faulting) allocations
 * every sample; the returned tensors are views of its first N_recycle passes,
 * valid until the next call with the same buffers.
 */
export type BatchBuffers = Record<string, TypedArrayOf[NumericDType]>;

export function allocateBatchBuffers(config: PerStepConfig, supervised: boolean): BatchBuffers {
  const sizes: BatchSizes = {
    passes: config.maxPasses, numRes: config.cropSize, numClusters: config.maxMsaClusters,
    numExtra: config.maxExtraMsa, numTemplates: config.maxTemplates,
  };
  const out: BatchBuffers = {};
  for (const key of batchKeys(supervised)) out[key] = zeros(BATCH_TABLE[key]!.dtype, batchShape(key, sizes)).data;
  return out;
}

function batchTensor(key: string, sizes: BatchSizes, buffers: BatchBuffers | undefined): NumericTensor {
  const spec = BATCH_TABLE[key]!;
  const shape = batchShape(key, sizes);
  if (buffers === undefined) return zeros(spec.dtype, shape);
  const buffer = buffers[key];
  const n = elementCount(shape);
  if (buffer === undefined || buffer.length < n || buffer.constructor !== zeros(spec.dtype, [0]).data.constructor) {
    throw new RangeError(`batch buffers do not hold '${key}' as ${spec.dtype}[${n}] (allocate them for this config)`);
  }
  const data = buffer.subarray(0, n) as TypedArrayOf[NumericDType];
  if (data instanceof BigInt64Array) data.fill(0n);
  else data.fill(0);
  return numeric(spec.dtype, shape, data);
}

export interface PerStepOptions {
  config?: PerStepConfig;
  /** Write into these (from allocateBatchBuffers) instead of allocating. */
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
  const batch: FeatureDict = {};
  for (const key of batchKeys(chain.supervised)) batch[key] = batchTensor(key, sizes, options.buffers);
  writeResidueAndTemplateFeatures(chain, choice, sizes, batch);
  for (let k = 0; k < choice.passes; k++) {
    const pass = msaPass(chain, config, rng?.derive('pass', k) ?? null, choice.cropStart, choice.cropLength);
    writeMsaPass(chain, choice, sizes, pass, k, batch);
  }
  return batch;
}

function num(batch: FeatureDict, key: string): NumericTensor {
  return batch[key] as NumericTensor;
}

/** Source values in the batch key's dtype (int64 stays BigInt64Array; others converted if needed). */
function sourceData(chain: ChainFeatures, key: string): NumericTensor {
  const t = getNumeric(chain.features, key);
  const want = BATCH_TABLE[key]!.dtype;
  if (t.dtype === want) return t;
  if (want === 'int64') {
    const v = intValues(t);
    const data = new BigInt64Array(v.length);
    const w = int64Words(data);
    for (let i = 0; i < v.length; i++) { w[2 * i] = v[i]!; w[2 * i + 1] = v[i]! >> 31; }
    return numeric('int64', t.shape, data);
  }
  return numeric('float32', t.shape, float32Values(t));
}

function writeResidueAndTemplateFeatures(chain: ChainFeatures, c: SampleChoices, sizes: BatchSizes, batch: FeatureDict): void {
  const R = c.passes, N = sizes.numRes, L = chain.numRes;
  for (const [key, spec] of Object.entries(BATCH_TABLE)) {
    const out = batch[key] as NumericTensor | undefined;
    if (out === undefined) continue;
    if (spec.source === 'residue' && key !== 'target_feat') {
      const src = sourceData(chain, key);
      const inner = src.data.length / L;
      const window = src.data.subarray(c.cropStart * inner, (c.cropStart + c.cropLength) * inner);
      for (let k = 0; k < R; k++) (out.data as typeof src.data).set(window as never, k * N * inner);
    } else if (spec.source === 'template' && key !== 'template_mask') {
      if (chain.numTemplates === 0) continue;
      const src = sourceData(chain, key);
      const perTemplate = src.data.length / chain.numTemplates;
      const hasRes = spec.shape.includes('N_res');
      const inner = hasRes ? perTemplate / L : perTemplate;
      const slot = hasRes ? N * inner : inner;
      for (let k = 0; k < R; k++) {
        c.templates.forEach((t, j) => {
          const from = t * perTemplate + (hasRes ? c.cropStart * inner : 0);
          const len = hasRes ? c.cropLength * inner : inner;
          (out.data as typeof src.data).set(src.data.subarray(from, from + len) as never, (k * sizes.numTemplates + j) * slot);
        });
      }
    }
  }
  // template_mask: 1 for the kept templates (the stored mask is all ones).
  const tmask = num(batch, 'template_mask').data as Float32Array;
  for (let k = 0; k < R; k++) for (let j = 0; j < c.templates.length; j++) tmask[k * sizes.numTemplates + j] = 1;
  // target_feat [N_res, 22]: has_break, one-hot aatype (21).
  const tf = num(batch, 'target_feat').data as Float32Array;
  for (let k = 0; k < R; k++) {
    for (let j = 0; j < c.cropLength; j++) {
      const i = c.cropStart + j;
      const o = (k * N + j) * 22;
      tf[o] = Math.min(Math.max(chain.betweenSegment[i]!, 0), 1);
      tf[o + 1 + chain.aatype[i]!] = 1;
    }
  }
  const fill = (key: string, value: (k: number) => number) => {
    const t = batch[key] as NumericTensor | undefined;
    if (t === undefined) return;
    for (let k = 0; k < R; k++) {
      if (t.dtype === 'int64') (t.data as BigInt64Array)[k] = BigInt(value(k));
      else (t.data as Float32Array)[k] = value(k);
    }
  };
  fill('seq_length', () => c.cropLength);
  fill('no_recycling_iters', () => R - 1);
  fill('use_clamped_fape', () => c.useClampedFape);
  if (chain.supervised) {
    const scalar = (key: string) => (chain.features[key] !== undefined ? Number(getNumeric(chain.features, key).data[0]) : 0);
    const resolution = scalar('resolution');
    const isDistillation = scalar('is_distillation');
    fill('resolution', () => resolution);
    fill('is_distillation', () => isDistillation);
  }
}

function writeMsaPass(chain: ChainFeatures, c: SampleChoices, sizes: BatchSizes, pass: MsaPass, k: number, batch: FeatureDict): void {
  const L = chain.numRes, N = sizes.numRes, C = c.cropLength, c0 = c.cropStart;
  const S = pass.selected.length;
  const SP = sizes.numClusters, EP = sizes.numExtra;
  const msaFeat = num(batch, 'msa_feat').data as Float32Array;
  const msaMask = num(batch, 'msa_mask').data as Float32Array;
  const rowMask = num(batch, 'msa_row_mask').data as Float32Array;
  const bertMask = num(batch, 'bert_mask').data as Float32Array;
  const trueMsa = int64Words(num(batch, 'true_msa').data as BigInt64Array);
  const { classCounts, denominator, deletionMean } = pass.summary;
  for (let s = 0; s < Math.min(S, SP); s++) {
    rowMask[k * SP + s] = 1;
    const srcRow = pass.selected[s]! * L;
    for (let j = 0; j < C; j++) {
      const src = s * L + c0 + j;
      const o = (k * SP + s) * N + j;
      msaMask[o] = chain.msaMask[srcRow + c0 + j]!;
      bertMask[o] = pass.bertMask[src]!;
      trueMsa[2 * o] = pass.trueCentres[src]!;
      const fo = o * 49;
      msaFeat[fo + pass.centres[src]!] = 1;
      const d = chain.deletion[srcRow + c0 + j]!;
      if (d !== 0) {
        msaFeat[fo + 23] = hasDeletion(d);
        msaFeat[fo + 24] = deletionValueFast(d);
      }
      // cluster_profile = counts / denominator, written where non-zero.
      const k23 = (s * C + j) * 23;
      const denom = denominator[s * C + j]!;
      for (let q = 0; q < 23; q++) {
        const n = classCounts[k23 + q]!;
        if (n !== 0) msaFeat[fo + 25 + q] = n / denom;
      }
      const mean = deletionMean[s * C + j]!;
      if (mean !== 0) msaFeat[fo + 48] = deletionValue(mean);
    }
  }
  const extraMsa = int64Words(num(batch, 'extra_msa').data as BigInt64Array);
  const extraMask = num(batch, 'extra_msa_mask').data as Float32Array;
  const extraRowMask = num(batch, 'extra_msa_row_mask').data as Float32Array;
  const extraHas = num(batch, 'extra_has_deletion').data as Float32Array;
  const extraValue = num(batch, 'extra_deletion_value').data as Float32Array;
  const E = Math.min(pass.extraChosen.length, EP);
  for (let e = 0; e < E; e++) {
    extraRowMask[k * EP + e] = 1;
    const srcRow = pass.extraChosen[e]! * L + c0;
    const o = (k * EP + e) * N;
    for (let j = 0; j < C; j++) {
      extraMsa[2 * (o + j)] = chain.msa[srcRow + j]!;
      extraMask[o + j] = chain.msaMask[srcRow + j]!;
      const d = chain.deletion[srcRow + j]!;
      if (d !== 0) {
        extraHas[o + j] = hasDeletion(d);
        extraValue[o + j] = deletionValueFast(d);
      }
    }
  }
}
