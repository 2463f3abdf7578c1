// The fast (bit-sliced) cluster assignment against the plain reference on
// random MSAs: centre counts on and off 32-bit word boundaries, binary masks,
// gap agreement weights 0 and 1, mask tokens, ties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestNeighborClusters, nearestNeighborClustersReference, type ClusterInput } from '../../features/transforms/ensembled/nearest_neighbor.ts';
import { clusterProfile, summarizeClusters } from '../../features/transforms/ensembled/cluster_summary.ts';
import { Rng } from '../../features/rng.ts';

function randomInput(rng: Rng, S: number, N: number, L: number, gapWeight: number, withMasks: boolean, alphabet: number): ClusterInput {
  const msa = new Uint8Array(N * L);
  for (let i = 0; i < msa.length; i++) msa[i] = rng.float() < 0.3 ? 21 : rng.int(alphabet);
  const centres = new Uint8Array(S * L);
  for (let i = 0; i < centres.length; i++) centres[i] = rng.float() < 0.1 ? 22 : msa[i]!; // rows 0..S-1, some mask tokens
  const mask = (n: number) => {
    const m = new Float32Array(n);
    for (let i = 0; i < n; i++) m[i] = rng.float() < 0.9 ? 1 : 0;
    return m;
  };
  const extraRows = Int32Array.from({ length: N - S }, (_, i) => S + i);
  return {
    centres, centreMask: withMasks ? mask(S * L) : null, numCentres: S, numRes: L,
    msa, extraRows, msaMask: withMasks ? mask(N * L) : null, gapAgreementWeight: gapWeight,
  };
}

test('bit-sliced assignment equals the reference on random MSAs', () => {
  const rng = Rng.fromSeed(2024);
  for (const S of [1, 5, 31, 32, 33, 64, 97, 124, 128, 150]) {
    for (const [gapWeight, withMasks, alphabet] of [[0, false, 21], [1, true, 21], [0, true, 3], [1, false, 2]] as const) {
      const L = 20 + rng.int(300);
      const input = randomInput(rng.derive(S, gapWeight, alphabet), S, S + 60, L, gapWeight, withMasks, alphabet);
      assert.deepEqual(nearestNeighborClusters(input), nearestNeighborClustersReference(input), `S=${S} L=${L} gap=${gapWeight} masks=${withMasks}`);
    }
  }
});

test('ties go to the lowest centre index and rows with no agreement to centre 0', () => {
  const L = 4;
  // Centres 0..2; centre 1 and 2 both agree with the extra row at 2 positions.
  const msa = Uint8Array.from([
    21, 21, 21, 21, // centre 0: all gaps
    1, 2, 9, 9, // centre 1
    9, 9, 3, 4, // centre 2
    1, 2, 3, 4, // extra row 3: ties between 1 and 2
    21, 21, 21, 21, // extra row 4: agrees with centre 0 only at gaps (weight 0)
  ]);
  const input: ClusterInput = {
    centres: msa.slice(0, 3 * L), centreMask: null, numCentres: 3, numRes: L,
    msa, extraRows: Int32Array.from([3, 4]), msaMask: null, gapAgreementWeight: 0,
  };
  assert.deepEqual(Array.from(nearestNeighborClusters(input)), [1, 0]);
  assert.deepEqual(Array.from(nearestNeighborClustersReference(input)), [1, 0]);
  assert.deepEqual(Array.from(nearestNeighborClusters({ ...input, gapAgreementWeight: 1 })), [1, 0]);
});

test('cluster summaries with an explicit all-ones mask equal the unmasked fast path', () => {
  const rng = Rng.fromSeed(7);
  const input = randomInput(rng, 40, 300, 50, 0, false, 21);
  const assignment = nearestNeighborClusters(input);
  const deletion = new Float32Array(300 * 50);
  for (let i = 0; i < deletion.length; i++) deletion[i] = rng.float() < 0.2 ? rng.int(30) : 0;
  const common = {
    centres: input.centres, centreDeletion: deletion.slice(0, 40 * 50), numCentres: 40, numRes: 50,
    msa: input.msa, deletion, extraRows: input.extraRows, assignment, colStart: 7, numCols: 30,
  };
  const fast = summarizeClusters({ ...common, centreMask: null, msaMask: null });
  const masked = summarizeClusters({ ...common, centreMask: new Float32Array(40 * 50).fill(1), msaMask: new Float32Array(300 * 50).fill(1) });
  assert.deepEqual(clusterProfile(fast), clusterProfile(masked));
  assert.deepEqual(fast.deletionMean, masked.deletionMean);
  const fastProfile = clusterProfile(fast);
  // Profiles sum to ~1 per (centre, residue): counts / (1e-6 + counts).
  for (let k = 0; k < 40 * 30; k++) {
    let sum = 0;
    for (let c = 0; c < 23; c++) sum += fastProfile[k * 23 + c]!;
    assert.ok(Math.abs(sum - 1) < 1e-5, `profile sum ${sum}`);
  }
});
