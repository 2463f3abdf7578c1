// nearest_neighbor_clusters of OpenFold (openfold/data/data_transforms.py;
// AlphaFold2 supplementary 1.2.6 / Algorithm 1 step 3): every extra row is
// assigned to the cluster centre with which it agrees at the most positions,
// weighting residues 0..20 by 1, the gap (21) by gap_agreement_weight and the
// mask token (22) by 0; only positions where both rows' masks are set count;
// ties go to the lowest centre index (torch.argmax). It runs over the full
// length, before the residue crop.
//
// Two implementations: a plain reference (agreement of every pair, as the
// reference einsum) and the fast one used per step. The fast one keeps, for
// each residue and class, a bitset of the centres holding that class there;
// an extra row's agreement counts are accumulated over its residues as
// bit-sliced counters (one bit plane per counter bit, ripple-carry adds of
// the bitsets), and the argmax is read off the planes from the top bit down.
// Masks must be 0/1 (they are: ones before padding).

export interface ClusterInput {
  /** [N_sel, N_res] centre rows (after BERT masking), values 0..22. */
  centres: Uint8Array;
  /** [N_sel, N_res] centre mask, or null for all ones. */
  centreMask: Float32Array | null;
  numCentres: number;
  numRes: number;
  /** The full MSA [N_seq, N_res] values 0..21, and the extra rows as indices into it. */
  msa: Uint8Array;
  extraRows: Int32Array;
  /** [N_seq, N_res] mask of the full MSA, or null for all ones. */
  msaMask: Float32Array | null;
  gapAgreementWeight: number;
}

function classWeight(c: number, gapWeight: number): number {
  return c < 21 ? 1 : c === 21 ? gapWeight : 0;
}

/** Plain reference: agreement of every (extra, centre) pair, then the first argmax. */
export function nearestNeighborClustersReference(input: ClusterInput): Int32Array {
  const { centres, centreMask, numCentres: S, numRes: L, msa, extraRows, msaMask, gapAgreementWeight: gw } = input;
  const out = new Int32Array(extraRows.length);
  for (let e = 0; e < extraRows.length; e++) {
    const row = extraRows[e]! * L;
    let best = 0;
    let bestScore = -Infinity;
    for (let s = 0; s < S; s++) {
      let score = 0;
      for (let r = 0; r < L; r++) {
        const a = msa[row + r]!;
        if (a !== centres[s * L + r]) continue;
        const m = (centreMask === null ? 1 : centreMask[s * L + r]!) * (msaMask === null ? 1 : msaMask[row + r]!);
        score += m * classWeight(a, gw);
      }
      if (score > bestScore) { bestScore = score; best = s; }
    }
    out[e] = best;
  }
  return out;
}

/** Fast bit-sliced implementation; equal to the reference for 0/1 masks and weights. */
export function nearestNeighborClusters(input: ClusterInput): Int32Array {
  const { centres, centreMask, numCentres: S, numRes: L, msa, extraRows, msaMask, gapAgreementWeight: gw } = input;
  const numExtra = extraRows.length;
  const out = new Int32Array(numExtra);
  if (S === 0 || numExtra === 0) return out;
  const W = (S + 31) >>> 5; // words per bitset of centres
  const maxClass = gw !== 0 ? 22 : 21; // classes with weight 1 are 0..maxClass-1
  // table[(r * 22 + c) * W + w]: centres with class c at residue r.
  const table = new Int32Array(L * 22 * W);
  for (let s = 0; s < S; s++) {
    const bit = 1 << (s & 31);
    const word = s >>> 5;
    for (let r = 0; r < L; r++) {
      const c = centres[s * L + r]!;
      if (c >= maxClass) continue;
      if (centreMask !== null && centreMask[s * L + r] === 0) continue;
      table[(r * 22 + c) * W + word]! |= bit;
    }
  }
  // Centres that exist (all S): the starting candidate set of the argmax.
  const all = new Int32Array(W);
  for (let s = 0; s < S; s++) all[s >>> 5]! |= 1 << (s & 31);
  let planesNeeded = 1;
  while ((1 << planesNeeded) <= L) planesNeeded++;
  const P = planesNeeded;
  const planes = new Int32Array(P * W);
  const cand = new Int32Array(W);
  const tmp = new Int32Array(W);
  for (let e = 0; e < numExtra; e++) {
    const row = extraRows[e]! * L;
    planes.fill(0);
    if (W === 4) accumulateRow4(msa, row, L, maxClass, msaMask, table, planes);
    else accumulateRow(msa, row, L, maxClass, msaMask, table, planes, W);
    // Argmax: keep the candidates with a 1 in the highest plane where any has one.
    cand.set(all);
    for (let p = P - 1; p >= 0; p--) {
      let any = 0;
      for (let w = 0; w < W; w++) { const t = cand[w]! & planes[p * W + w]!; tmp[w] = t; any |= t; }
      if (any !== 0) cand.set(tmp);
    }
    let best = 0;
    for (let w = 0; w < W; w++) {
      const x = cand[w]!;
      if (x !== 0) { best = w * 32 + (31 - Math.clz32(x & -x)); break; }
    }
    out[e] = best;
  }
  return out;
}

/** Adds, for each residue of one extra row, the bitset of agreeing centres into the bit-sliced counters. */
function accumulateRow(
  msa: Uint8Array, row: number, L: number, maxClass: number, msaMask: Float32Array | null,
  table: Int32Array, planes: Int32Array, W: number,
): void {
  for (let r = 0; r < L; r++) {
    const c = msa[row + r]!;
    if (c >= maxClass) continue;
    if (msaMask !== null && msaMask[row + r] === 0) continue;
    const base = (r * 22 + c) * W;
    for (let w = 0; w < W; w++) {
      let carry = table[base + w]!;
      let p = w;
      while (carry !== 0) {
        const t = planes[p]! & carry;
        planes[p]! ^= carry;
        carry = t;
        p += W;
      }
    }
  }
}

/** accumulateRow for 97..128 centres (4 words), the four carries rippled together. */
function accumulateRow4(
  msa: Uint8Array, row: number, L: number, maxClass: number, msaMask: Float32Array | null,
  table: Int32Array, planes: Int32Array,
): void {
  for (let r = 0; r < L; r++) {
    const c = msa[row + r]!;
    if (c >= maxClass) continue;
    if (msaMask !== null && msaMask[row + r] === 0) continue;
    const base = (r * 22 + c) << 2;
    let c0 = table[base]!, c1 = table[base + 1]!, c2 = table[base + 2]!, c3 = table[base + 3]!;
    let p = 0;
    while ((c0 | c1 | c2 | c3) !== 0) {
      const p0 = planes[p]!, p1 = planes[p + 1]!, p2 = planes[p + 2]!, p3 = planes[p + 3]!;
      planes[p] = p0 ^ c0; planes[p + 1] = p1 ^ c1; planes[p + 2] = p2 ^ c2; planes[p + 3] = p3 ^ c3;
      c0 &= p0; c1 &= p1; c2 &= p2; c3 &= p3;
      p += 4;
    }
  }
}
