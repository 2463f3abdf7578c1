// Row selection steps of OpenFold's ensembled_transform_fns
// (openfold/data/data_transforms.py), on row-index lists instead of copies:
// block_delete_msa, sample_msa_distillation, sample_msa (AlphaFold2
// supplementary 1.2.5 / Algorithm 1 "MSA cluster sampling": row 0, the query,
// is always kept; the others are shuffled; the first max_seq rows become the
// cluster centres and the rest the extra MSA) and crop_extra_msa.
// A null generator means "no randomness": identity order, no deletion.

import type { Rng } from '../../rng.ts';
import type { BlockDeleteConfig } from '../config.ts';

const f = Math.fround;

function range(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** block_delete_msa: indices of the rows kept (ascending; row 0 always kept). */
export function blockDeleteRows(numSeq: number, config: BlockDeleteConfig, rng: Rng | null): Int32Array {
  if (rng === null || !config.enabled) return range(numSeq);
  // OpenFold computes the block length in float32.
  const blockLen = Math.floor(f(f(numSeq) * f(config.msaFractionPerBlock)));
  if (blockLen === 0) return range(numSeq);
  const numBlocks = config.randomizeNumBlocks ? rng.intInclusive(0, config.numBlocks) : config.numBlocks;
  const deleted = new Uint8Array(numSeq);
  for (let b = 0; b < numBlocks; b++) {
    const start = rng.intInclusive(1, numSeq - 1);
    for (let j = 0; j < blockLen; j++) deleted[Math.min(start + j, numSeq - 1)] = 1;
  }
  const keep: number[] = [];
  for (let i = 0; i < numSeq; i++) if (!deleted[i]) keep.push(i);
  return Int32Array.from(keep);
}

export interface MsaSample {
  /** Rows (indices into the full MSA) that become the cluster centres, row 0 first. */
  selected: Int32Array;
  /** The remaining rows, in sampled order: the extra MSA before its crop. */
  extra: Int32Array;
}

/**
 * sample_msa(max_seq, keep_extra): `rows[0]` stays first, the others are
 * permuted; the first `maxSeq` are selected.
 */
export function sampleMsaRows(rows: Int32Array, maxSeq: number, rng: Rng | null): MsaSample {
  const n = rows.length;
  const order = new Int32Array(n);
  order[0] = rows[0]!;
  if (rng === null) {
    order.set(rows.subarray(1), 1);
  } else {
    const perm = rng.permutation(n - 1);
    for (let i = 1; i < n; i++) order[i] = rows[perm[i - 1]! + 1]!;
  }
  const numSel = Math.min(maxSeq, n);
  return { selected: order.slice(0, numSel), extra: order.slice(numSel) };
}

/** sample_msa_distillation: self-distillation examples keep only max rows (no extra). */
export function sampleDistillationRows(rows: Int32Array, isDistillation: boolean, maxSeq: number, rng: Rng | null): Int32Array {
  if (!isDistillation) return rows;
  return sampleMsaRows(rows, maxSeq, rng).selected;
}

/** crop_extra_msa: a random subset of at most `maxExtra` extra rows (in random order). */
export function cropExtraRows(extra: Int32Array, maxExtra: number, rng: Rng | null): Int32Array {
  const n = Math.min(maxExtra, extra.length);
  if (rng === null) return extra.slice(0, n);
  const perm = rng.permutation(extra.length);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = extra[perm[i]!]!;
  return out;
}
