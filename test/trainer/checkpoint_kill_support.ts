// Shared by the checkpoint kill tests (train_checkpoint_kill.test.ts for the
// in-thread writer, train_checkpoint_writer.test.ts for the writer thread):
// the tiny preset's optimizer state and checkpoint states their children
// write, and the run of a child that is SIGKILLed in the middle of the
// second checkpoint's `ema.safetensors`, with the facts both tests check.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../trainer/model/config.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { CHECKPOINT_FORMAT, latestCheckpoint, restoreSlots, type CheckpointState } from '../../trainer/train/checkpoint.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { OptimizerState } from '../../trainer/train/optimizer_state.ts';
import { REPO } from './train_fixture_support.ts';

/** The tiny preset's optimizer state from initParams(seed). */
export function tinyOptimizer(seed = 0): OptimizerState {
  const specs = modelParamSpec(loadConfig('tiny'));
  return OptimizerState.fromWeights(specs, initParams(specs, seed), ALPHAFOLD_ADAM_SWA);
}

/** A checkpoint state at `step` (sampler position = step, nothing consumed ahead). */
export function checkpointState(step: number): CheckpointState {
  return {
    format: CHECKPOINT_FORMAT, step, adamStep: step, nextSampleStep: step, consumedAhead: [],
    rng: { seed: 0, dropoutStream: 'dropout', samplerEpochLength: 10 }, run: {},
  };
}

/**
 * Runs `child` (a script under test/trainer/ that writes checkpoint 1 in
 * full, then is killed inside checkpoint 2's ema.safetensors) on a fresh
 * folder and checks what the kill left: the child died of SIGKILL, one
 * temporary folder of step 2 holds a partly written ema.safetensors, and
 * step 1 is the only complete checkpoint, loadable with initParams(0).
 * Returns the folder.
 */
export async function killedMidCheckpoint(child: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'train-ckpt-kill-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'test/trainer', child), dir], { cwd: REPO, encoding: 'utf8' });
  assert.equal(run.signal, 'SIGKILL', `child ended with ${run.status}: ${run.stderr}`);
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
  const restored = OptimizerState.fromWeights(specs, new Map(specs.map((s) => [s.name, new Float32Array(initial.get(s.name)!.length)])), ALPHAFOLD_ADAM_SWA);
  restoreSlots(restored.slots, ckpt);
  for (const s of restored.slots) assert.deepEqual(s.param, Float32Array.from(initial.get(s.name)!), s.name);
  return dir;
}
