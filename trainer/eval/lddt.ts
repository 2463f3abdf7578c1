// lDDT-Ca as AlphaFold computes it for validation and the pLDDT target
// (AlphaFold2 supplementary 1.9.6; Mariani et al. 2013; OpenFold's lddt):
// every ordered pair of distinct residues whose TRUE Ca-Ca distance is below
// the 15 Å inclusion radius (both Ca present) scores the fraction of the four
// tolerances (0.5, 1, 2, 4 Å) within which the predicted distance keeps the
// true one. Per residue: (eps + sum of scores) / (eps + number of pairs) over
// its partners; per chain: the same over all pairs. eps = 1e-10 also sits
// under every square root, as in AlphaFold.
// DISCREPANCY (AlphaFold's, kept): no stereochemistry checks, no sequence
// separation cut.

export interface LddtOptions {
  cutoff: number;
  /** Score per residue instead of one mean over the chain. */
  perResidue: boolean;
}

const TOLERANCES = [0.5, 1, 2, 4];

/**
 * predicted, truth: [N_res, 3] Ca coordinates in Å; mask: [N_res] (1 where the
 * true Ca exists). Returns the chain score (one value) or one score per residue.
 */
export function lddtCa(
  predicted: Float32Array | Float64Array,
  truth: Float32Array | Float64Array,
  mask: Float32Array | Float64Array,
  options: Partial<LddtOptions> = {},
): Float64Array {
  const cutoff = options.cutoff ?? 15;
  const n = mask.length;
  if (predicted.length !== 3 * n || truth.length !== 3 * n) {
    throw new RangeError(`lddtCa: coordinates must be [${n}, 3], got ${predicted.length / 3} and ${truth.length / 3} residues`);
  }
  const eps = 1e-10;
  const pairScore = new Float64Array(n);
  const pairCount = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const weight = i === j ? 0 : mask[i]! * mask[j]!;
      if (weight === 0) continue;
      const dTrue = distance(truth, i, j);
      if (!(dTrue < cutoff)) continue;
      const error = Math.abs(dTrue - distance(predicted, i, j));
      let preserved = 0;
      for (const t of TOLERANCES) if (error < t) preserved += 1;
      pairScore[i]! += weight * 0.25 * preserved;
      pairCount[i]! += weight;
    }
  }
  if (options.perResidue === true) {
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) scores[i] = (eps + pairScore[i]!) / (eps + pairCount[i]!);
    return scores;
  }
  let score = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    score += pairScore[i]!;
    count += pairCount[i]!;
  }
  return Float64Array.of((eps + score) / (eps + count));
}

function distance(x: Float32Array | Float64Array, i: number, j: number): number {
  const dx = x[3 * i]! - x[3 * j]!;
  const dy = x[3 * i + 1]! - x[3 * j + 1]!;
  const dz = x[3 * i + 2]! - x[3 * j + 2]!;
  return Math.sqrt(1e-10 + dx * dx + dy * dy + dz * dz);
}
