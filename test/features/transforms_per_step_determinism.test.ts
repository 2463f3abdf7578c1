import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { readNpyDir } from '../../pipeline/npy_dir.ts';
import { perStepTransforms } from '../../features/transforms/ensembled/per_step.ts';
import { perStepConfig } from '../../features/transforms/config.ts';
import { batchDigest } from './helpers/batch_digest.ts';
import { num } from './helpers/numeric_of.ts';

const DIR = 'test/fixtures/golden/openfold_raw_short/nonensembled';

test('same seed gives identical batches; another seed gives a different one', async () => {
  const input = await readNpyDir(DIR);
  const config = perStepConfig({ passes: 2 });
  const a = batchDigest(perStepTransforms(input, { seed: 7, config }));
  const b = batchDigest(perStepTransforms(input, { seed: 7, config }));
  const c = batchDigest(perStepTransforms(input, { seed: 8, config }));
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('a worker thread gives the same batch as the main thread for the same seed', async () => {
  const input = await readNpyDir(DIR);
  for (const [seed, passes] of [[11, 4], [12345678901, 1]] as const) {
    const here = batchDigest(perStepTransforms(input, { seed, config: perStepConfig({ passes }) }));
    const worker = new Worker(new URL('./helpers/per_step_worker_entry.mjs', import.meta.url), {
      workerData: { dir: DIR, seed, passes },
      execArgv: [],
    });
    const there = await new Promise<string>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(there, here, `seed ${seed}`);
  }
});

test('passes are drawn per seed in 1..4 and each pass resamples the MSA while sharing the crop', async () => {
  const input = await readNpyDir(DIR);
  const seen = new Set<number>();
  const config = perStepConfig({ cropSize: 40 });
  for (let seed = 0; seed < 40; seed++) {
    const batch = perStepTransforms(input, { seed, config });
    const passes = batch['aatype']!.shape[0]!;
    seen.add(passes);
    const nri = num(batch, 'no_recycling_iters').data as BigInt64Array;
    for (let k = 0; k < passes; k++) assert.equal(nri[k], BigInt(passes - 1));
    const idx = num(batch, 'residue_index').data as BigInt64Array;
    const feat = num(batch, 'msa_feat').data as Float32Array;
    const perPass = feat.length / passes;
    for (let k = 1; k < passes; k++) {
      // Same crop: identical residue indices in every pass.
      assert.deepEqual(idx.subarray(k * 40, k * 40 + 40), idx.subarray(0, 40));
      // Resampled MSA: the cluster features differ between passes.
      let differs = false;
      for (let i = 0; i < perPass && !differs; i++) differs = feat[i] !== feat[k * perPass + i];
      assert.ok(differs, `pass ${k} repeats pass 0 (seed ${seed})`);
    }
  }
  assert.deepEqual([...seen].sort(), [1, 2, 3, 4]);
});

test('reused batch buffers give the same batches as fresh allocation, whatever was written before', async () => {
  const deep = await readNpyDir(DIR);
  const shallow = await readNpyDir('test/fixtures/golden/mmcif_2q2k_A_with_msa/nonensembled');
  // Same keys for both (no structure), so one set of buffers serves both chains.
  const shallowNoStructure = Object.fromEntries(Object.keys(deep).map((k) => [k, shallow[k]!]));
  const { BatchBuffers } = await import('../../features/transforms/ensembled/batch_buffers.ts');
  const buffers = new BatchBuffers(perStepConfig(), false);
  // Deep then shallow, 4 passes then 1, seeds that differ in crop and rows: stale values must not leak.
  const plan: Array<[typeof deep, number, number]> = [[deep, 1, 4], [shallowNoStructure, 2, 1], [deep, 3, 2], [deep, 4, 1], [shallowNoStructure, 5, 3]];
  for (const [input, seed, passes] of plan) {
    const config = perStepConfig({ passes });
    const fresh = batchDigest(perStepTransforms(input, { seed, config }));
    const reused = batchDigest(perStepTransforms(input, { seed, config, buffers }));
    assert.equal(reused, fresh, `seed ${seed}`);
  }
});

test('a sample that fails half-way leaves reusable buffers clean for the next one', async () => {
  const input = await readNpyDir(DIR);
  const { BatchBuffers } = await import('../../features/transforms/ensembled/batch_buffers.ts');
  const { chooseSample, prepareChain } = await import('../../features/transforms/ensembled/per_step.ts');
  const { Rng } = await import('../../features/rng.ts');
  const buffers = new BatchBuffers(perStepConfig(), false);
  const config = perStepConfig({ passes: 1 });
  // template_sum_probs missing: fails after the other template features (4 templates, no randomness) were written.
  const broken = { ...input };
  delete broken['template_sum_probs'];
  assert.throws(() => perStepTransforms(broken, { seed: 0, randomness: false, buffers }));
  // The next sample keeps fewer than 4 templates, so stale template slots would show.
  const chain = prepareChain(input);
  let seed = 0;
  while (chooseSample(chain, config, Rng.fromSeed(seed)).templates.length >= 4) seed++;
  const fresh = batchDigest(perStepTransforms(input, { seed, config }));
  assert.equal(batchDigest(perStepTransforms(input, { seed, config, buffers })), fresh);
});

test('batch buffers over caller-supplied views of one contiguous buffer fill that buffer in place', async () => {
  const input = await readNpyDir(DIR);
  const { BatchBuffers } = await import('../../features/transforms/ensembled/batch_buffers.ts');
  const { batchKeys, batchShape, BATCH_TABLE } = await import('../../features/batch_table.ts');
  const config = perStepConfig({ passes: 2 });
  const capacity = { passes: 4, numRes: 256, numClusters: 124, numExtra: 1024, numTemplates: 4 };
  const sizes = batchKeys(false).map((k) => batchShape(k, capacity).reduce((a, b) => a * b, 1) * (BATCH_TABLE[k]!.dtype === 'int64' ? 8 : 4));
  const whole = new ArrayBuffer(sizes.reduce((a, b) => a + Math.ceil(b / 8) * 8, 0));
  const views: Record<string, Float32Array | BigInt64Array> = {};
  let offset = 0;
  batchKeys(false).forEach((k, i) => {
    views[k] = BATCH_TABLE[k]!.dtype === 'int64' ? new BigInt64Array(whole, offset, sizes[i]! / 8) : new Float32Array(whole, offset, sizes[i]! / 4);
    offset += Math.ceil(sizes[i]! / 8) * 8;
  });
  const buffers = new BatchBuffers(config, false, views);
  for (const seed of [3, 4]) {
    const batch = perStepTransforms(input, { seed, config, buffers });
    assert.equal(batchDigest(batch), batchDigest(perStepTransforms(input, { seed, config })));
    assert.equal(num(batch, 'msa_feat').data.buffer, whole, 'written in place');
  }
  assert.throws(() => new BatchBuffers(config, false, { msa_feat: new Float32Array(10) }), /msa_feat/);
});
