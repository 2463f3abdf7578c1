// The GPU training path (fused native optimizer on device-resident state,
// device_optimizer.ts) run on the CPU core: the same losses as the host
// reference path, bit for bit (the native op equals the TS reference, and the
// clip scale computed from the device norm rounds to the same float32), and
// with a bf16 trunk the store's shadows are the bf16 copies of the master
// weights the step wrote.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestCheckpoint } from '../../trainer/train/checkpoint.ts';
import { ALPHAFOLD_ADAM_SWA, fromBf16Bits } from '../../trainer/train/fused_adam_swa.ts';
import { DeviceOptimizer } from '../../trainer/train/device_optimizer.ts';
import { OptimizerState } from '../../trainer/train/optimizer_state.ts';
import { globalNorm } from '../../trainer/train/clip.ts';
import { tensor } from '../../trainer/core/tensor.ts';
import { scope } from '../../trainer/autograd/index.ts';
import { loadConfig } from '../../trainer/model/config.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { ParamStore } from '../../trainer/model/params.ts';
import { pretrain, type PretrainOptions } from '../../trainer/train/pretrain_run.ts';
import { buildChains, quickRun, TRAIN_CHAINS } from './train_fixture_support.ts';

let dataDir: string;
let fusedFp32Losses: number[] = [];
const quiet = () => {};

before(async () => {
  dataDir = await buildChains(TRAIN_CHAINS.slice(0, 2), 'fused');
});

function options(outDir: string, optimizer: 'fused' | 'host', extra: Partial<PretrainOptions> = {}): PretrainOptions {
  return {
    dataDir, outDir, preset: 'tiny', place: { dtype: 'float32', device: 'cpu' }, resume: false, log: quiet, optimizer,
    train: quickRun(3, { evalEvery: 0, checkpointEvery: 0, lr: { baseLr: 0, maxLr: 1e-3, warmupSteps: 1, startDecayAfter: 100, decayEvery: 1, decayFactor: 0.5 } }),
    ...extra,
  };
}

test('the fused device path repeats the host reference path bit for bit (losses, weights, moments, average)', async () => {
  const host = mkdtempSync(join(tmpdir(), 'train-host-'));
  const fused = mkdtempSync(join(tmpdir(), 'train-fusedpath-'));
  const a = await pretrain(options(host, 'host'));
  const b = await pretrain(options(fused, 'fused'));
  fusedFp32Losses = b.losses;
  assert.equal(b.steps, 3);
  assert.deepEqual(b.losses, a.losses);
  const x = (await latestCheckpoint(join(host, 'checkpoints')))!;
  const y = (await latestCheckpoint(join(fused, 'checkpoints')))!;
  for (const key of ['model', 'ema', 'optimizer'] as const) {
    for (const [name, t] of x[key]) assert.deepEqual(y[key].get(name)!.data, t.data, `${key} ${name}`);
  }
  // the phase breakdown covers the steps
  assert.equal(b.breakdown.steps + b.breakdown.warmup, 3);
  assert.ok(b.breakdown.rows.every((r) => Number.isFinite(r.meanMs)));
});

test('bf16 trunk with the fused path: its losses differ from the fp32 run only by bf16 rounding', async () => {
  const fp32 = { losses: fusedFp32Losses.length ? fusedFp32Losses : (await pretrain(options(mkdtempSync(join(tmpdir(), 'train-fused-fp32-')), 'fused'))).losses };
  const r = await pretrain(options(mkdtempSync(join(tmpdir(), 'train-fused-bf16-')), 'fused', { runtime: { trunkDtype: 'bfloat16', checkpointBlocks: true } }));
  assert.equal(r.steps, 3);
  // the bf16 trunk was used (the first loss, on the same initial weights, is not the fp32 one) ...
  assert.notEqual(r.losses[0], fp32.losses[0]);
  // ... and it is that loss up to bf16 activations (a few 2^-8 relative at most)
  assert.ok(Math.abs(r.losses[0]! - fp32.losses[0]!) / fp32.losses[0]! < 0.05, `${r.losses[0]} vs ${fp32.losses[0]}`);
});

test("DeviceOptimizer: one step updates the store's master weights in place and writes their bf16 copies as shadows", () => {
  const config = loadConfig('tiny');
  const specs = modelParamSpec(config).slice(0, 12);
  const host = OptimizerState.fromWeights(specs, initParams(specs, 3), ALPHAFOLD_ADAM_SWA);
  const reference = OptimizerState.fromWeights(specs, initParams(specs, 3), ALPHAFOLD_ADAM_SWA);
  const params = ParamStore.fromValues(specs, host.weights('param'), 'float32', 'cpu');
  const dev = DeviceOptimizer.upload(host, params, true);
  try {
    const grads = specs.map((s, k) => Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + k) * 0.3));
    scope(() => {
      const report = dev.apply(grads.map((g, k) => tensor(g, specs[k]!.shape)), 1e-3, 0.1);
      assert.ok(Math.abs(Math.sqrt(report.normSq.toArray()[0]!) - globalNorm(grads)) < 1e-9 * globalNorm(grads));
      report.normSq.dispose();
    });
    reference.apply(grads.map((g) => g.slice()), 1e-3, 0.1);
    dev.syncToHost();
    assert.equal(host.adamStep, 1);
    host.slots.forEach((h, k) => {
      const want = reference.slots[k]!;
      assert.deepEqual(h.param, want.param, h.name);
      assert.deepEqual(h.average, want.average, h.name);
      assert.deepEqual(h.bf16, want.bf16, h.name);
      // the store's tensors are the master weights, its shadows the copies
      assert.deepEqual(params.get(h.name).toArray(), want.param, h.name);
      const shadow = params.shadow(h.name)!;
      assert.equal(shadow.dtype, 'bfloat16');
      assert.deepEqual(Float32Array.from(shadow.toArray()), Float32Array.from(want.bf16, (b) => fromBf16Bits(b)), h.name);
    });
  } finally {
    dev.dispose();
    params.dispose();
  }
});

test('the fused path with the features as packed device inputs (deviceFeatures) repeats its losses bit for bit', async () => {
  const out = mkdtempSync(join(tmpdir(), 'train-devfeatures-'));
  const r = await pretrain(options(out, 'fused', { deviceFeatures: true }));
  assert.equal(r.steps, 3);
  assert.equal(fusedFp32Losses.length, 3);
  assert.deepEqual(r.losses, fusedFp32Losses);
});
