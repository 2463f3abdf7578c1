import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../features/rng.ts';

test('same seed and path give the same stream; derived streams do not depend on draws made before', () => {
  const a = Rng.fromSeed(42);
  const b = Rng.fromSeed(42);
  const xs = Array.from({ length: 100 }, () => a.uint32());
  const ys = Array.from({ length: 100 }, () => b.uint32());
  assert.deepEqual(xs, ys);
  const fresh = Rng.fromSeed(42).derive('pass', 3);
  assert.equal(a.derive('pass', 3).uint32(), fresh.uint32(), 'a stream that drew 100 numbers derives the same child');
  assert.notEqual(Rng.fromSeed(42).derive('pass', 3).uint32(), Rng.fromSeed(42).derive('pass', 2).uint32());
  assert.notEqual(Rng.fromSeed(42).uint32(), Rng.fromSeed(43).uint32());
  assert.notEqual(Rng.fromSeed(2 ** 40).uint32(), Rng.fromSeed(0).uint32());
});

test('int(n) is uniform (chi-square over 10 bins) and in range; float is in [0, 1)', () => {
  const rng = Rng.fromSeed(1);
  const counts = new Array(10).fill(0);
  const draws = 100_000;
  for (let i = 0; i < draws; i++) counts[rng.int(10)]++;
  const expected = draws / 10;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  // 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
  assert.ok(chi2 < 27.9, `chi2 ${chi2}`);
  let lo = 1, hi = 0, sum = 0;
  for (let i = 0; i < draws; i++) { const u = rng.float(); lo = Math.min(lo, u); hi = Math.max(hi, u); sum += u; }
  assert.ok(lo >= 0 && hi < 1);
  assert.ok(Math.abs(sum / draws - 0.5) < 0.005);
  for (let i = 0; i < 1000; i++) { const v = rng.intInclusive(3, 5); assert.ok(v >= 3 && v <= 5); }
});

test('permutation is a permutation, and every position sees every value', () => {
  const rng = Rng.fromSeed(9);
  const firsts = new Set<number>();
  for (let t = 0; t < 400; t++) {
    const p = rng.permutation(8);
    assert.deepEqual([...p].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
    firsts.add(p[0]!);
  }
  assert.equal(firsts.size, 8);
  assert.throws(() => Rng.fromSeed(-1), RangeError);
  assert.throws(() => rng.int(0), RangeError);
});
