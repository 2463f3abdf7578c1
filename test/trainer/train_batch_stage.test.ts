// The device-ready batch made in the loader's worker threads
// (pipeline/loader/device_packed.ts) and its staging (trainer/train/
// batch_stage.ts): the same float32 / int32 values as the training thread's
// packing (deviceBatchFeatures), the same losses and gradients, host data
// converted only for the features the model reads on the host; and the
// training loop's one-ahead staging keeps the losses and the consumed-sample
// position exact across a stop (with a batch staged but not trained) and a
// resume.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainingLoader, type LoadedBatch } from '../../pipeline/loader/training_loader.ts';
import { devicePackedLayout, devicePackedViews, packForDevice } from '../../pipeline/loader/device_packed.ts';
import { batchFeatures, deviceBatchFeatures } from '../../trainer/train/batch_features.ts';
import { SyncStager } from '../../trainer/train/batch_stage.ts';
import { latestCheckpoint } from '../../trainer/train/checkpoint.ts';
import { pretrain, type PretrainOptions } from '../../trainer/train/pretrain_run.ts';
import { trainOnBatch } from './train_batch_support.ts';
import { buildChains, quickRun, TRAIN_CHAINS } from './train_fixture_support.ts';

let batch: LoadedBatch;
let dataDir: string;
const SEED = 2; // a sample of 4 forward passes

before(async () => {
  dataDir = await buildChains(TRAIN_CHAINS, 'batch_stage');
  const loader = await TrainingLoader.open({
    datasetDir: dataDir, perStep: { ...quickRun(1).perStep, maxPasses: 4 }, workers: 1, depth: 1, steps: 1, order: 'strict',
    sampler: { seed: SEED, epochLength: 10 }, devicePacked: true,
  });
  batch = (await loader.next())!;
  await loader.close();
});

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} != ${b[i]}`);
}

test('the worker-packed batch holds, for every feature and pass, the float32 / int32 tensors the training thread made', () => {
  assert.ok(batch.device !== undefined, 'the loader was asked for the device-ready form');
  assert.ok(batch.passes > 1, `${batch.passes} passes`);
  const { packed, buffer } = batch.device;
  assert.deepEqual([...devicePackedLayout(batch.layout, batch.passes).entries.keys()], [...packed.entries.keys()]);
  // the same bytes as packing on this thread
  const here = packForDevice(batch.layout, batch.bytes);
  sameBits(new Int32Array(buffer), new Int32Array(here.buffer), 'device-packed words');
  const views = devicePackedViews(packed, buffer);
  assert.equal(views.floats.length + views.ints.length, buffer.byteLength / 4);
  const stager = new SyncStager('cpu');
  const staged = stager.stage(batch);
  const f = staged.features();
  const ref = deviceBatchFeatures(batch.layout, batch.bytes, 'cpu');
  let ints = 0;
  for (const e of packed.entries.values()) {
    for (let k = 0; k < batch.passes; k++) {
      const got = f(e.key, k).tensor!;
      const want = ref.features(e.key, k).tensor!;
      assert.equal(got.dtype, want.dtype, e.key);
      assert.deepEqual(got.shape, want.shape, e.key);
      sameBits(got.toArray(), want.toArray(), `${e.key} pass ${k}`);
      // the lazy host data equals the host path's slice
      sameBits(f(e.key, k).data, ref.features(e.key, k).data, `${e.key} pass ${k} host`);
    }
    if (e.group === 'int') ints += 1;
  }
  assert.ok(ints >= 5, `${ints} integer features`);
  staged.dispose();
  ref.dispose();
});

test('staged device inputs: bit-identical losses and gradients to the host arrays; only a few small features are read on the host; nothing leaks', () => {
  const stager = new SyncStager('cpu');
  const hostReads = new Set<string>();
  const run = (staged: boolean) =>
    trainOnBatch(batch, 2, () => {
      if (!staged) return { features: batchFeatures(batch.layout, batch.bytes) };
      const s = stager.stage(batch);
      return { features: s.features((name) => hostReads.add(name)), dispose: () => s.dispose() };
    });
  const host = run(false);
  const device = run(true);
  assert.ok(host.losses.every(Number.isFinite));
  sameBits(device.losses, host.losses, 'losses');
  host.grads.forEach((gs, i) => gs.forEach((g, j) => sameBits(device.grads[i]![j]!, g, `step ${i} gradient ${j}`)));
  assert.deepEqual(device.live, host.live);
  // the big inputs go to the device without a float64 conversion on the training thread
  for (const big of ['msa_feat', 'extra_msa', 'extra_has_deletion', 'extra_deletion_value', 'extra_msa_mask', 'target_feat', 'template_all_atom_positions']) {
    assert.ok(!hostReads.has(big), `${big} was converted on the host`);
  }
  assert.ok(hostReads.has('aatype') && hostReads.has('seq_mask'), [...hostReads].join(', '));
  console.log(`features read on the host (${hostReads.size} of ${batch.device!.packed.entries.size}): ${[...hostReads].sort().join(', ')}`);
});

function options(outDir: string, steps: number, resume: boolean, log: (line: string) => void = () => {}): PretrainOptions {
  return {
    dataDir, outDir, preset: 'tiny', place: { dtype: 'float32', device: 'cpu' }, resume, log, deviceFeatures: true, stageAhead: true,
    train: quickRun(steps, { evalEvery: 0, checkpointEvery: 0, loaderWorkers: 2, loaderDepth: 4, lr: { baseLr: 0, maxLr: 1e-3, warmupSteps: 2, startDecayAfter: 4, decayEvery: 1, decayFactor: 0.5 } }),
  };
}

function steps(outDir: string): Record<string, unknown>[] {
  return readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.kind === 'step');
}

test('one batch ahead: the losses of the plain loop; a stop with a batch staged leaves it unconsumed and the resume repeats the run bit for bit', async () => {
  const plainDir = mkdtempSync(join(tmpdir(), 'stage-plain-'));
  const wholeDir = mkdtempSync(join(tmpdir(), 'stage-whole-'));
  const splitDir = mkdtempSync(join(tmpdir(), 'stage-split-'));
  const plain = await pretrain({ ...options(plainDir, 5, false), deviceFeatures: false, stageAhead: false });
  const whole = await pretrain(options(wholeDir, 5, false));
  assert.deepEqual(whole.losses, plain.losses);
  const records = steps(wholeDir);
  assert.ok(records.every((r) => typeof r.h2d_stage_ms === 'number'), 'h2d_stage_ms in every step record');
  assert.ok(records.slice(1).some((r) => r.batch_staged_ahead === true), 'no batch was staged one ahead');
  assert.equal(records[0]!.batch_staged_ahead, false);
  assert.deepEqual(records.map((r) => r.sample_step), [0, 1, 2, 3, 4]);

  // stop after step 2, with the batch of step 3 (sample step 2) already staged
  const lines: string[] = [];
  let signalled = false;
  const first = await pretrain(options(splitDir, 5, false, (line) => {
    lines.push(line);
    if (!signalled && line.startsWith('step 2/')) {
      signalled = true;
      process.emit('SIGTERM', 'SIGTERM');
    }
  }));
  assert.ok(first.interrupted);
  assert.equal(first.steps, 2);
  assert.ok(lines.some((l) => l.startsWith('sample step 2 was staged, not trained')), lines.join('\n'));
  const ckpt = (await latestCheckpoint(join(splitDir, 'checkpoints')))!;
  assert.equal(ckpt.state.step, 2);
  assert.equal(ckpt.state.nextSampleStep, 2, 'the staged batch counted as consumed');
  assert.deepEqual(ckpt.state.consumedAhead, []);
  const second = await pretrain(options(splitDir, 5, true));
  assert.equal(second.startStep, 2);
  assert.deepEqual(first.losses.concat(second.losses), whole.losses);
  assert.deepEqual(steps(splitDir).map((r) => r.sample_step), [0, 1, 2, 3, 4]);
});
