// The per-pass feature slices of a packed loader batch (trainer/train/
// batch_features.ts passSlice, native typed-array conversion) and their
// conversion to core tensors (trainer/model/host_tensor.ts floatTensor /
// indexTensor) equal the element-by-element reference exactly, for every
// feature and pass of a real fixture batch (4 passes), and the model's
// losses and gradients over that batch are identical through both.
// Prints the host time per batch of both (no timing assertion).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingLoader, type LoadedBatch } from '../../pipeline/loader/training_loader.ts';
import { viewBatch } from '../../pipeline/loader/batch_layout.ts';
import type { NumericTensor } from '../../features/tensor.ts';
import { memoryStats, tensor } from '../../trainer/core/tensor.ts';
import { floatTensor, indexTensor, type HostArray } from '../../trainer/model/host_tensor.ts';
import { batchFeatures, deviceBatchFeatures, passSlice } from '../../trainer/train/batch_features.ts';
import { buildChains, quickRun } from './train_fixture_support.ts';
import { trainOnBatch } from './train_batch_support.ts';

let batch: LoadedBatch;
const SEED = 2; // a sample of 4 forward passes

before(async () => {
  const dataset = await buildChains(['102m_A'], 'batch_features');
  const loader = await TrainingLoader.open({
    datasetDir: dataset, perStep: { ...quickRun(1).perStep, maxPasses: 4 }, workers: 1, depth: 1, steps: 1, order: 'strict', sampler: { seed: SEED, epochLength: 10 },
  });
  batch = (await loader.next())!;
  await loader.close();
});

/** The reference: one Number() per element. */
function referenceSlice(t: NumericTensor, k: number): HostArray {
  const passes = t.shape[0]!;
  const per = t.data.length / passes;
  const out = new Float64Array(per);
  const data = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < per; i++) out[i] = Number(data[k * per + i]!);
  return { shape: t.shape.slice(1), data: out };
}

function numericEntries(): [string, NumericTensor][] {
  const dict = viewBatch(batch.layout, batch.bytes);
  return Object.entries(dict).filter((e): e is [string, NumericTensor] => e[1].kind === 'numeric');
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} != ${b[i]}`);
}

test('every pass slice of a 4-pass batch equals the element-by-element reference', () => {
  const entries = numericEntries();
  assert.ok(entries.length > 10 && entries.every(([, t]) => t.shape[0] === batch.passes), `${entries.length} features, ${batch.passes} passes`);
  for (const [name, t] of entries) {
    for (let k = 0; k < t.shape[0]!; k++) {
      const got = passSlice(t, k);
      const want = referenceSlice(t, k);
      assert.deepEqual(got.shape, want.shape, name);
      sameBits(got.data, want.data, `${name} pass ${k}`);
    }
  }
});

test('float32 / int32 / float64 core tensors of the slices equal those made from the reference conversion; nothing leaks', () => {
  const live0 = memoryStats().liveTensors;
  for (const [name, t] of numericEntries()) {
    const a = passSlice(t, t.shape[0]! - 1);
    for (const dtype of ['float32', 'float64'] as const) {
      const got = floatTensor(a, { dtype, device: 'cpu' });
      const want = tensor(dtype === 'float32' ? Float32Array.from(a.data) : Float64Array.from(a.data), a.shape, { dtype, device: 'cpu' });
      sameBits(got.toArray(), want.toArray(), `${name} ${dtype}`);
      got.dispose();
      want.dispose();
    }
    if (t.dtype === 'int32' || t.dtype === 'int64') {
      const got = indexTensor(a, 'cpu');
      const want = tensor(Int32Array.from(a.data), a.shape, { dtype: 'int32', device: 'cpu' });
      sameBits(got.toArray(), want.toArray(), `${name} int32`);
      got.dispose();
      want.dispose();
    }
  }
  assert.equal(memoryStats().liveTensors, live0);
});

test('host time per batch: slices + float32 tensors, reference vs native conversion (printed)', () => {
  const entries = numericEntries();
  const run = (slice: (t: NumericTensor, k: number) => HostArray, convert: (a: HostArray) => ArrayLike<number>): number => {
    const t0 = performance.now();
    for (let k = 0; k < batch.passes; k++) {
      for (const [, t] of entries) {
        const a = slice(t, k);
        tensor(convert(a), a.shape, { dtype: 'float32', device: 'cpu' }).dispose();
      }
    }
    return performance.now() - t0;
  };
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
  const ref: number[] = [];
  const nat: number[] = [];
  for (let r = 0; r < 5; r++) {
    ref.push(run(referenceSlice, (a) => a.data));
    nat.push(run(passSlice, (a) => new Float32Array(a.data)));
  }
  const mb = batch.bytes.byteLength / 2 ** 20;
  console.log(`batch ${mb.toFixed(2)} MiB, ${batch.passes} passes, ${entries.length} features: per-element ${median(ref).toFixed(2)} ms, native ${median(nat).toFixed(2)} ms per batch (median of 5)`);
  assert.ok(ref.length === 5 && nat.length === 5);
});

test('the device-input path (deviceBatchFeatures, CPU device) gives bit-identical losses and gradients to the host arrays; nothing leaks', () => {
  const run = (withTensors: boolean) =>
    trainOnBatch(batch, 3, () => {
      if (!withTensors) return { features: batchFeatures(batch.layout, batch.bytes) };
      const dev = deviceBatchFeatures(batch.layout, batch.bytes, 'cpu');
      return { features: dev.features, dispose: () => dev.dispose() };
    });
  // the device tensors are there and hold the host values
  const probe = deviceBatchFeatures(batch.layout, batch.bytes, 'cpu');
  for (const [name, k] of [['msa_feat', batch.passes - 1], ['extra_msa', 0], ['seq_mask', 1]] as const) {
    const a = probe.features(name, k);
    assert.ok(a.tensor !== undefined, name);
    assert.deepEqual(a.tensor.shape, a.shape, name);
    sameBits(a.tensor.toArray(), a.tensor.dtype === 'int32' ? Int32Array.from(a.data) : Float32Array.from(a.data), name);
  }
  probe.dispose();
  const host = run(false);
  const device = run(true);
  assert.ok(host.losses.every(Number.isFinite));
  sameBits(device.losses, host.losses, 'losses');
  for (let i = 0; i < host.grads.length; i++) {
    assert.equal(device.grads[i]!.length, host.grads[i]!.length);
    host.grads[i]!.forEach((g, j) => sameBits(device.grads[i]![j]!, g, `step ${i} gradient ${j}`));
  }
  assert.deepEqual(new Set(device.live).size, 1, `live tensors ${device.live}`);
  assert.deepEqual(device.live, host.live);
  console.log(`3 steps of ${batch.passes} passes: host arrays ${host.ms.toFixed(0)} ms, device-input path ${device.ms.toFixed(0)} ms`);
});
