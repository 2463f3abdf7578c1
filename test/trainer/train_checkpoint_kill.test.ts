// A checkpoint writer killed mid-write (SIGKILL in the middle of a file of the
// second checkpoint) leaves the first loadable and intact; the temporary
// folder it left is ignored by readers and removed by the next write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../trainer/model/config.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { CHECKPOINT_FORMAT, encodeCheckpoint, type CheckpointState, latestCheckpoint, restoreSlots, writeCheckpoint } from '../../trainer/train/checkpoint.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { OptimizerState } from '../../trainer/train/optimizer_state.ts';
import { REPO } from './train_fixture_support.ts';

test('SIGKILL mid-write leaves the previous checkpoint loadable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-ckpt-kill-'));
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'test/trainer/train_checkpoint_kill_child.ts'), dir], { cwd: REPO, encoding: 'utf8' });
  assert.equal(child.signal, 'SIGKILL', `child ended with ${child.status}: ${child.stderr}`);
  const names = readdirSync(dir);
  const tmp = names.filter((n) => n.startsWith('.tmp-step-000002-'));
  assert.equal(tmp.length, 1, `expected the killed writer's temporary folder, found ${names.join(', ')}`);
  // the kill happened inside ema.safetensors: it is there, partly written
  const partial = statSync(join(dir, tmp[0]!, 'ema.safetensors')).size;
  assert.ok(partial > 0 && partial <= 4096, `ema.safetensors has ${partial} bytes`);
  assert.deepEqual(names.filter((n) => n.startsWith('step-')), ['step-000001']);

  const ckpt = await latestCheckpoint(dir);
  assert.ok(ckpt !== null);
  assert.equal(ckpt.state.step, 1);
  const specs = modelParamSpec(loadConfig('tiny'));
  const initial = initParams(specs, 0);
  const opt = OptimizerState.fromWeights(specs, new Map(specs.map((s) => [s.name, new Float32Array(initial.get(s.name)!.length)])), ALPHAFOLD_ADAM_SWA);
  restoreSlots(opt.slots, ckpt);
  for (const s of opt.slots) assert.deepEqual(s.param, Float32Array.from(initial.get(s.name)!), s.name);

  // the next write clears the leftovers and becomes the newest
  for (const s of opt.slots) s.param.fill(3);
  await writeCheckpoint(dir, encodeCheckpoint(opt.slots, {
    format: CHECKPOINT_FORMAT, step: 2, adamStep: 2, nextSampleStep: 2, consumedAhead: [], rng: { seed: 0, dropoutStream: 'dropout', samplerEpochLength: 10 }, run: {},
  }));
  assert.deepEqual(readdirSync(dir).sort(), ['step-000001', 'step-000002']);
  const next = (await latestCheckpoint(dir))!;
  assert.equal(next.state.step, 2);
  assert.equal((next.model.values().next().value!.data as Float32Array)[0], 3);
});

test('a checkpoint whose file is damaged is skipped for the one before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-ckpt-bad-'));
  const specs = modelParamSpec(loadConfig('tiny'));
  const opt = OptimizerState.fromWeights(specs, initParams(specs, 1), ALPHAFOLD_ADAM_SWA);
  const state = (step: number): CheckpointState => ({ format: CHECKPOINT_FORMAT, step, adamStep: step, nextSampleStep: step, consumedAhead: [], rng: { seed: 0, dropoutStream: 'dropout', samplerEpochLength: 10 }, run: {} });
  await writeCheckpoint(dir, encodeCheckpoint(opt.slots, state(4)));
  await writeCheckpoint(dir, encodeCheckpoint(opt.slots, state(5)));
  const { truncateSync } = await import('node:fs');
  truncateSync(join(dir, 'step-000005', 'optimizer.safetensors'), 100);
  assert.equal((await latestCheckpoint(dir))!.state.step, 4);
});
