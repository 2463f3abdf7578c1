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
// an extra row's agreement counts are the column sums of the bitsets it
// selects, kept as bit-sliced counters (one bit plane per counter bit) and
// summed with a Harley-Seal carry-save adder tree (16 bitsets per block, the
// block's 16s rippled into the high planes); the argmax is read off the
// planes from the top bit down.
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
  let bits = 1;
  while ((1 << bits) <= L) bits++;
  const P = Math.max(5, bits); // planes 0..3 are the adder's ones/twos/fours/eights
  const planes = new Int32Array(P * W);
  const cand = new Int32Array(W);
  const tmp = new Int32Array(W);
  const offsets = new Int32Array(L);
  for (let e = 0; e < numExtra; e++) {
    const row = extraRows[e]! * L;
    // The bitsets this row selects: one per residue with a weighted class.
    let n = 0;
    for (let r = 0; r < L; r++) {
      const c = msa[row + r]!;
      if (c >= maxClass) continue;
      if (msaMask !== null && msaMask[row + r] === 0) continue;
      offsets[n++] = (r * 22 + c) * W;
    }
    planes.fill(0);
    for (let w = 0; w < W; w++) sumBitsets(table, offsets, n, w, W, planes);
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

/**
 * Column sums of the n bitsets table[offsets[i] + w] as bit-sliced counters
 * written to planes[p * W + w] (planes 4.. must be zero on entry). Harley-Seal:
 * full adders (carry-save) fold 16 inputs into ones/twos/fours/eights and a
 * sixteens word, which is rippled into planes 4 and up.
 */
function sumBitsets(table: Int32Array, offsets: Int32Array, n: number, w: number, W: number, planes: Int32Array): void {
  let ones = 0, twos = 0, fours = 0, eights = 0;
  let u = 0, d0 = 0, d1 = 0, twosA = 0, twosB = 0, foursA = 0, foursB = 0, eightsA = 0, eightsB = 0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    d0 = table[offsets[i]! + w]!; d1 = table[offsets[i + 1]! + w]!;
    u = ones ^ d0; twosA = (ones & d0) | (u & d1); ones = u ^ d1;
    d0 = table[offsets[i + 2]! + w]!; d1 = table[offsets[i + 3]! + w]!;
    u = ones ^ d0; twosB = (ones & d0) | (u & d1); ones = u ^ d1;
    u = twos ^ twosA; foursA = (twos & twosA) | (u & twosB); twos = u ^ twosB;
    d0 = table[offsets[i + 4]! + w]!; d1 = table[offsets[i + 5]! + w]!;
    u = ones ^ d0; twosA = (ones & d0) | (u & d1); ones = u ^ d1;
    d0 = table[offsets[i + 6]! + w]!; d1 = table[offsets[i + 7]! + w]!;
    u = ones ^ d0; twosB = (ones & d0) | (u & d1); ones = u ^ d1;
    u = twos ^ twosA; foursB = (twos & twosA) | (u & twosB); twos = u ^ twosB;
    u = fours ^ foursA; eightsA = (fours & foursA) | (u & foursB); fours = u ^ foursB;
    d0 = table[offsets[i + 8]! + w]!; d1 = table[offsets[i + 9]! + w]!;
    u = ones ^ d0; twosA = (ones & d0) | (u & d1); ones = u ^ d1;
    d0 = table[offsets[i + 10]! + w]!; d1 = table[offsets[i + 11]! + w]!;
    u = ones ^ d0; twosB = (ones & d0) | (u & d1); ones = u ^ d1;
    u = twos ^ twosA; foursA = (twos & twosA) | (u & twosB); twos = u ^ twosB;
    d0 = table[offsets[i + 12]! + w]!; d1 = table[offsets[i + 13]! + w]!;
    u = ones ^ d0; twosA = (ones & d0) | (u & d1); ones = u ^ d1;
    d0 = table[offsets[i + 14]! + w]!; d1 = table[offsets[i + 15]! + w]!;
    u = ones ^ d0; twosB = (ones & d0) | (u & d1); ones = u ^ d1;
    u = twos ^ twosA; foursB = (twos & twosA) | (u & twosB); twos = u ^ twosB;
    u = fours ^ foursA; eightsB = (fours & foursA) | (u & foursB); fours = u ^ foursB;
    u = eights ^ eightsA;
    let carry = (eights & eightsA) | (u & eightsB); // the sixteens
    eights = u ^ eightsB;
    for (let p = 4 * W + w; carry !== 0; p += W) {
      const t = planes[p]! & carry;
      planes[p]! ^= carry;
      carry = t;
    }
  }
  for (; i < n; i++) {
    // Fewer than 16 left: plain ripple-carry adds.
    let carry = table[offsets[i]! + w]!;
    let t = ones & carry; ones ^= carry; carry = t;
    if (carry === 0) continue;
    t = twos & carry; twos ^= carry; carry = t;
    if (carry === 0) continue;
    t = fours & carry; fours ^= carry; carry = t;
    if (carry === 0) continue;
    t = eights & carry; eights ^= carry; carry = t;
    for (let p = 4 * W + w; carry !== 0; p += W) {
      t = planes[p]! & carry;
      planes[p]! ^= carry;
      carry = t;
    }
  }
  planes[w] = ones;
  planes[W + w] = twos;
  planes[2 * W + w] = fours;
  planes[3 * W + w] = eights;
}
