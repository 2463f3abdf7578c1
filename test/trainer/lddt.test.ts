import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lddtCa } from '../../trainer/eval/lddt.ts';

// A helix-like trace: 12 residues 3.8 Å apart along a spiral.
function trace(n: number): Float64Array {
  const x = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    x[3 * i] = 2.3 * Math.cos(i * 1.745);
    x[3 * i + 1] = 2.3 * Math.sin(i * 1.745);
    x[3 * i + 2] = 1.5 * i;
  }
  return x;
}

test('a perfect prediction scores 1, also after a rotation and translation', () => {
  const truth = trace(12);
  const mask = new Float64Array(12).fill(1);
  assert.ok(Math.abs(lddtCa(truth, truth, mask)[0]! - 1) < 1e-9);
  const moved = new Float64Array(truth.length);
  const c = Math.cos(0.7), s = Math.sin(0.7);
  for (let i = 0; i < 12; i++) {
    const [x, y, z] = [truth[3 * i]!, truth[3 * i + 1]!, truth[3 * i + 2]!];
    moved[3 * i] = c * x - s * z + 5;
    moved[3 * i + 1] = y - 7;
    moved[3 * i + 2] = s * x + c * z + 1;
  }
  const perResidue = lddtCa(moved, truth, mask, { perResidue: true });
  for (const v of perResidue) assert.ok(Math.abs(v - 1) < 1e-9);
});

test('two residues moved apart score by tolerance band, pairs beyond the cutoff do not count', () => {
  // Three points on a line: 0, 10, 40 Å. Only the pair (0, 1) is within 15 Å.
  const truth = Float64Array.of(0, 0, 0, 10, 0, 0, 40, 0, 0);
  const mask = Float64Array.of(1, 1, 1);
  for (const [shift, expected] of [[0.3, 1], [0.7, 0.75], [1.5, 0.5], [3, 0.25], [5, 0]] as const) {
    const predicted = Float64Array.of(0, 0, 0, 10 + shift, 0, 0, 100, 0, 0);
    const global = lddtCa(predicted, truth, mask)[0]!;
    assert.ok(Math.abs(global - expected) < 1e-9, `shift ${shift}: ${global} != ${expected}`);
    const perResidue = lddtCa(predicted, truth, mask, { perResidue: true });
    assert.ok(Math.abs(perResidue[0]! - expected) < 1e-9);
    // Residue 2 has no partner within the cutoff: (eps + 0) / (eps + 0) = 1, as AlphaFold.
    assert.ok(Math.abs(perResidue[2]! - 1) < 1e-9);
  }
});

test('masked residues take no part', () => {
  const truth = Float64Array.of(0, 0, 0, 5, 0, 0, 10, 0, 0);
  const predicted = Float64Array.of(0, 0, 0, 5, 0, 0, 30, 0, 0); // residue 2 badly placed
  assert.ok(lddtCa(predicted, truth, Float64Array.of(1, 1, 1))[0]! < 0.99);
  assert.ok(Math.abs(lddtCa(predicted, truth, Float64Array.of(1, 1, 0))[0]! - 1) < 1e-9);
  assert.throws(() => lddtCa(predicted, truth, Float64Array.of(1, 1)), /coordinates must be \[2, 3\]/);
});
