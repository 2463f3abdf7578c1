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
  /** [N_sel, numCols, 23] */
  profile: Float32Array;
  /** [N_sel, numCols] */
  deletionMean: Float32Array;
}

export function summarizeClusters(x: ClusterSummaryInput): ClusterSummary {
  const S = x.numCentres, L = x.numRes, C = x.numCols, c0 = x.colStart;
  const counts = new Float32Array(S * C);
  const sums = new Float32Array(S * C * 23);
  const delSums = new Float32Array(S * C);
  for (let e = 0; e < x.extraRows.length; e++) {
    const row = x.extraRows[e]! * L + c0;
    const s = x.assignment[e]!;
    const o = s * C;
    for (let j = 0; j < C; j++) {
      const m = x.msaMask === null ? 1 : x.msaMask[row + j]!;
      if (m === 0) continue;
      counts[o + j]! += m;
      sums[(o + j) * 23 + x.msa[row + j]!]! += m;
      delSums[o + j] = f(delSums[o + j]! + f(m * x.deletion[row + j]!));
    }
  }
  const profile = new Float32Array(S * C * 23);
  const deletionMean = new Float32Array(S * C);
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < C; j++) {
      const k = s * C + j;
      const src = s * L + c0 + j;
      const centreMask = x.centreMask === null ? 1 : x.centreMask[src]!;
      const denom = f(f(EPS + centreMask) + counts[k]!);
      sums[k * 23 + x.centres[src]!]! += 1; // the centre itself (one-hot, not masked)
      for (let c = 0; c < 23; c++) profile[k * 23 + c] = sums[k * 23 + c]! / denom;
      deletionMean[k] = f(delSums[k]! + x.centreDeletion[src]!) / denom;
    }
  }
  return { profile, deletionMean };
}
