// Writes one sample into the padded batch (features/batch_table.ts): the
// residue and template features cut to the crop window (OpenFold
// random_crop_to_size + make_fixed_size, the same crop for every pass), and
// each pass's MSA features (make_msa_feat: msa_feat, target_feat, the extra
// MSA features; AlphaFold2 supplementary 1.2.9 Table 1). Buffers are zero on
// entry; only non-zero values are written.

import type { FeatureDict, NumericTensor } from '../../tensor.ts';
import { BATCH_TABLE, type BatchSizes } from '../../batch_table.ts';
import { numeric } from '../../tensor.ts';
import { float32Values, getNumeric, int64Words, intValues } from '../tensor_access.ts';
import { deletionValue, deletionValueFast, hasDeletion } from './msa_feat.ts';
import type { ChainFeatures, MsaPass, SampleChoices } from './per_step.ts';

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

export function writeResidueAndTemplateFeatures(chain: ChainFeatures, c: SampleChoices, sizes: BatchSizes, batch: FeatureDict): void {
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

export function writeMsaPass(chain: ChainFeatures, c: SampleChoices, sizes: BatchSizes, pass: MsaPass, k: number, batch: FeatureDict): void {
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
