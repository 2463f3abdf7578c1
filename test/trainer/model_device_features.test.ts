// The one-hot input features built on the device (relative position bins,
// recycling distogram, extra-MSA features, template pair features) equal the
// host builders' arrays exactly, float64 on the CPU, including fractional
// masks, distances on a bin edge and residues without a backbone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oneHot, scope } from '../../trainer/autograd/index.ts';
import { indexTensor } from '../../trainer/model/host_tensor.ts';
import { relposBins, relposOneHot } from '../../trainer/model/input_embedder.ts';
import { distanceBins, distanceBinsOneHot } from '../../trainer/model/recycling_embedder.ts';
import { extraMsaFeat, extraMsaFeatTensor } from '../../trainer/model/extra_msa_embedder.ts';
import { templatePairFeat, templatePairFeatTensor, type TemplateSlot } from '../../trainer/model/template_features.ts';
import { Rng } from './core_gradcheck.ts';

const place = { dtype: 'float64', device: 'cpu' } as const;
const rng = new Rng(17);
const N = 9;

test('relative position bins one-hot on the device = relposOneHot', () => scope(() => {
  const ri = { shape: [N], data: Float64Array.from([0, 1, 2, 40, 41, 90, 91, 92, 200]) };
  const k = 32;
  const dev = oneHot(indexTensor(relposBins(ri, k), 'cpu'), 2 * k + 1, 'float64').toArray();
  assert.deepEqual(Array.from(dev), Array.from(relposOneHot(ri, k).data));
}));

test('recycling distogram bins one-hot on the device = distanceBinsOneHot (edge distances give zero rows)', () => scope(() => {
  const x = Float64Array.from({ length: N * 3 }, () => rng.next() * 25);
  // residues 0 and 1 exactly 3.25 apart: squared distance on the first lower edge
  x.set([1, 2, 4, 1, 2, 7.25], 0);
  const pts = { shape: [N, 3], data: x };
  const dev = oneHot(indexTensor(distanceBins(pts, 3.25, 20.75, 15, 1e8), 'cpu'), 15, 'float64').toArray();
  const host = distanceBinsOneHot(pts, 3.25, 20.75, 15, 1e8).data;
  assert.deepEqual(Array.from(dev), Array.from(host));
  assert.ok(host.slice(15, 30).every((v) => v === 0), 'the edge distance is in no bin');
}));

test('extra-MSA features on the device = extraMsaFeat', () => scope(() => {
  const s = 5;
  const msa = { shape: [s, N], data: Float64Array.from({ length: s * N }, () => Math.floor(rng.next() * 23)) };
  const has = { shape: [s, N], data: Float64Array.from({ length: s * N }, () => (rng.next() < 0.3 ? 1 : 0)) };
  const val = { shape: [s, N], data: Float64Array.from({ length: s * N }, () => rng.next()) };
  assert.deepEqual(Array.from(extraMsaFeatTensor(msa, has, val, place).toArray()), Array.from(extraMsaFeat(msa, has, val).data));
}));

test('template pair features on the device = templatePairFeat (fractional masks, missing backbone atoms)', () => scope(() => {
  const allAtomMask = Float64Array.from({ length: N * 37 }, () => (rng.next() < 0.85 ? 1 : 0));
  allAtomMask[2 * 37 + 1] = 0.5; // fractional backbone mask
  const slot: TemplateSlot = {
    aatype: Float64Array.from({ length: N }, () => Math.floor(rng.next() * 22)),
    pseudoBeta: Float64Array.from({ length: N * 3 }, () => rng.next() * 30),
    pseudoBetaMask: Float64Array.from({ length: N }, () => (rng.next() < 0.8 ? 1 : 0.25)),
    allAtomMask,
  };
  const bins = { min_bin: 3.25, max_bin: 50.75, no_bins: 39 };
  const host = templatePairFeat(slot, bins, 1e5, false);
  const dev = templatePairFeatTensor(slot, bins, 1e5, false, place);
  assert.deepEqual(dev.shape, host.shape);
  assert.deepEqual(Array.from(dev.toArray()), Array.from(host.data));
  assert.ok(host.data.some((v) => v !== 0 && v !== 1), 'fractional values are covered');
}));
