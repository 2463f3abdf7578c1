import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler, samplingWeight, type SamplerEntry } from '../../pipeline/loader/sampler.ts';

const entries: SamplerEntry[] = [
  { chainId: '1abc_A', length: 100, clusterSize: 1, resolution: 2.0, releaseDate: '2001-01-01' },
  { chainId: '2def_B', length: 600, clusterSize: 4, resolution: 1.5, releaseDate: '2010-05-05' },
  { chainId: '3ghi_C', length: 300, clusterSize: 9, resolution: 3.1, releaseDate: '2015-02-02' },
  { chainId: '4jkl_D', length: 80, clusterSize: 1, resolution: 12.0, releaseDate: '2012-03-03' }, // resolution filter
  { chainId: '5mno_E', length: 256, clusterSize: 2, resolution: 2.5, releaseDate: '2021-09-09' },
];

test('the same seed gives the same sample sequence, another seed another', () => {
  const a = new Sampler(entries, { seed: 7, epochLength: 64 });
  const b = new Sampler([...entries].reverse(), { seed: 7, epochLength: 64 });
  const c = new Sampler(entries, { seed: 8, epochLength: 64 });
  const seq = (s: Sampler) => Array.from({ length: 200 }, (_, i) => s.sampleForStep(i));
  assert.deepEqual(seq(a), seq(b));
  assert.notDeepEqual(seq(a).map((r) => r.chainId + r.seed), seq(c).map((r) => r.chainId + r.seed));
});

test('rank partitions are disjoint and cover the epoch', () => {
  const world = 4;
  const epochLength = 64;
  const seen = new Map<number, number>();
  for (let rank = 0; rank < world; rank++) {
    const s = new Sampler(entries, { seed: 3, epochLength, worldSize: world, rank });
    for (let step = 0; step < s.stepsPerEpoch; step++) {
      const ref = s.sampleForStep(step);
      assert.ok(!seen.has(ref.globalIndex), `sample ${ref.globalIndex} given to two ranks`);
      seen.set(ref.globalIndex, rank);
    }
  }
  assert.deepEqual([...seen.keys()].sort((x, y) => x - y), Array.from({ length: epochLength }, (_, i) => i));
  // The single-rank sampler sees the very same chains at those positions.
  const single = new Sampler(entries, { seed: 3, epochLength });
  for (const [g, rank] of seen) {
    const s = new Sampler(entries, { seed: 3, epochLength, worldSize: world, rank });
    assert.equal(s.sampleAt(g).chainId, single.sampleAt(g).chainId);
  }
});

test('forward passes per step are 1..4, the same on every rank, and all occur', () => {
  const ranks = [0, 1, 2].map((rank) => new Sampler(entries, { seed: 11, epochLength: 30, worldSize: 3, rank }));
  const counts = [0, 0, 0, 0, 0];
  for (let step = 0; step < 400; step++) {
    const passes = ranks.map((s) => s.sampleForStep(step).forwardPasses);
    assert.equal(new Set(passes).size, 1);
    assert.ok(passes[0]! >= 1 && passes[0]! <= 4);
    counts[passes[0]!]! += 1;
  }
  for (let p = 1; p <= 4; p++) assert.ok(counts[p]! > 60, `passes=${p} drawn ${counts[p]} times in 400`);
});

test('filters drop chains and draw frequencies follow the weights', () => {
  const s = new Sampler(entries, { seed: 5, epochLength: 20000 });
  assert.ok(!s.chains.some((c) => c.chainId === '4jkl_D'));
  const counts = new Map<string, number>();
  for (let g = 0; g < 20000; g++) {
    const id = s.sampleAt(g).chainId;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const total = s.chains.reduce((sum, c) => sum + samplingWeight(c, 'inverse-sqrt'), 0);
  for (const c of s.chains) {
    const expected = samplingWeight(c, 'inverse-sqrt') / total;
    const observed = (counts.get(c.chainId) ?? 0) / 20000;
    // 20000 draws: the binomial standard deviation is below 0.0036; 0.015 is > 4 sigma.
    assert.ok(Math.abs(observed - expected) < 0.015, `${c.chainId}: ${observed} vs ${expected}`);
  }
  const dated = new Sampler(entries, { seed: 5, epochLength: 10, maxReleaseDate: '2012-12-31' });
  assert.deepEqual(dated.chains.map((c) => c.chainId), ['1abc_A', '2def_B']);
});

test('the weights are the MLPerf ones, or OpenFold 1/cluster size', () => {
  const e = entries[1]!; // L = 600 -> 512, cluster 4
  assert.equal(samplingWeight(e, 'inverse-sqrt'), 1 * (1 / 2));
  assert.equal(samplingWeight(e, 'inverse'), 1 * (1 / 4));
  assert.equal(samplingWeight(entries[0]!, 'inverse-sqrt'), 256 / 512);
});
