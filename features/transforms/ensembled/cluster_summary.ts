// summarize_clusters of OpenFold (openfold/data/data_transforms.py;
// AlphaFold2 supplementary 1.2.6 / Algorithm 1 step 4): for each cluster
// centre, the class frequencies (23 classes) and the mean deletion count over
// the centre itself plus its assigned extra rows, dividing by
// 1e-6 + centre mask + assigned extra masks. It runs over all extra rows
// (before the extra-MSA crop); we compute it only for the residue window
// [colStart, colStart + numCols) that the crop keeps, which gives the same
// values as computing everything and cropping. Float32 as the reference.

const f = Math.fround;
const EPS = f(1e-6);

export interface ClusterSummaryInput {
  centres: Uint8Array; // [N_sel, N_res] after BERT masking
  centreDeletion: Float32Array; // [N_sel, N_res]
  centreMask: Float32Array | null; // [N_sel, N_res]
  numCentres: number;
  numRes: number;
  msa: Uint8Array; // [N_seq, N_res] full MSA
  deletion: Float32Array; // [N_seq, N_res]
  msaMask: Float32Array | null; // [N_seq, N_res]
  extraRows: Int32Array; // all extra rows (indices into msa)
  assignment: Int32Array; // [N_extra_all] centre of each extra row
  colStart: number;
  numCols: number;
}

export interface ClusterSummary {
  numCols: number;
  /** [N_sel, numCols, 23] class counts, the centre included. */
  classCounts: Int32Array;
  /** [N_sel, numCols] 1e-6 + centre mask + assigned extra masks (float32, as the reference). */
  denominator: Float32Array;
  /** [N_sel, numCols] */
  deletionMean: Float32Array;
}

/** cluster_profile [N_sel, numCols, 23] = classCounts / denominator (float32). */
export function clusterProfile(summary: ClusterSummary): Float32Array {
  const { classCounts, denominator } = summary;
  const profile = new Float32Array(classCounts.length);
  for (let k = 0; k < denominator.length; k++) {
    const d = denominator[k]!;
    for (let c = 0; c < 23; c++) {
      const n = classCounts[k * 23 + c]!;
      if (n !== 0) profile[k * 23 + c] = n / d;
    }
  }
  return profile;
}

export function summarizeClusters(x: ClusterSummaryInput): ClusterSummary {
  const S = x.numCentres, L = x.numRes, C = x.numCols, c0 = x.colStart;
  // Integer class counts and exact deletion sums. Deletion counts are whole
  // numbers, so the float32 running sums of the reference are exact too
  // (below 2^24), and double sums give the same values.
  const counts = new Float64Array(S * C);
  const classCounts = new Int32Array(S * C * 23);
  const delSums = new Float64Array(S * C);
  const msa = x.msa, deletion = x.deletion, mask = x.msaMask;
  if (mask === null) {
    // All masks one: each assigned row adds 1 to every column of its centre.
    const rowsPerCentre = new Int32Array(S);
    for (let e = 0; e < x.extraRows.length; e++) {
      const row = x.extraRows[e]! * L + c0;
      const s = x.assignment[e]!;
      rowsPerCentre[s]!++;
      const o = s * C;
      for (let j = 0; j < C; j++) {
        classCounts[(o + j) * 23 + msa[row + j]!]!++;
        const d = deletion[row + j]!;
        if (d !== 0) delSums[o + j]! += d;
      }
    }
    for (let s = 0; s < S; s++) counts.fill(rowsPerCentre[s]!, s * C, (s + 1) * C);
  } else {
    for (let e = 0; e < x.extraRows.length; e++) {
      const row = x.extraRows[e]! * L + c0;
      const s = x.assignment[e]!;
      const o = s * C;
      for (let j = 0; j < C; j++) {
        const m = mask[row + j]!;
        if (m === 0) continue;
        counts[o + j]! += m;
        classCounts[(o + j) * 23 + msa[row + j]!]! += m;
        delSums[o + j]! += m * deletion[row + j]!;
      }
    }
  }
  const denominator = new Float32Array(S * C);
  const deletionMean = new Float32Array(S * C);
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < C; j++) {
      const k = s * C + j;
      const src = s * L + c0 + j;
      const centreMask = x.centreMask === null ? 1 : x.centreMask[src]!;
      const denom = f(f(EPS + centreMask) + f(counts[k]!));
      denominator[k] = denom;
      classCounts[k * 23 + x.centres[src]!]!++; // the centre itself (one-hot, not masked)
      const del = delSums[k]! + x.centreDeletion[src]!;
      if (del !== 0) deletionMean[k] = f(del) / denom;
    }
  }
  return { numCols: C, classCounts, denominator, deletionMean };
}
