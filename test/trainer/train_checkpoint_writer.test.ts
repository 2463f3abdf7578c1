// Checkpoints written off the training thread (checkpoint_writer.ts): the
// snapshot is byte for byte what encodeCheckpoint makes, the checkpoint reads
// back exactly, the slots may change as soon as write() returns, and the
// buffers come back for the next checkpoint (no allocation on the training
// thread).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../trainer/model/config.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { CHECKPOINT_FORMAT, encodeCheckpoint, latestCheckpoint, restoreSlots, type CheckpointState } from '../../trainer/train/checkpoint.ts';
import { checkpointLayout, snapshotFile, stateBytes } from '../../trainer/train/checkpoint_snapshot.ts';
import { CheckpointWriter, type WriteTiming } from '../../trainer/train/checkpoint_writer.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { OptimizerState } from '../../trainer/train/optimizer_state.ts';
import { killedMidCheckpoint } from './checkpoint_kill_support.ts';

const state = (step: number): CheckpointState => ({
  format: CHECKPOINT_FORMAT, step, adamStep: step + 1, nextSampleStep: step + 2, consumedAhead: [step + 4],
  rng: { seed: 3, dropoutStream: 'dropout', samplerEpochLength: 10 }, run: { preset: 'tiny' },
});

function optimizer(seed: number): OptimizerState {
  const specs = modelParamSpec(loadConfig('tiny'));
  const opt = OptimizerState.fromWeights(specs, initParams(specs, seed), ALPHAFOLD_ADAM_SWA);
  // distinct values in every slot array
  opt.slots.forEach((s, i) => {
    for (let j = 0; j < s.param.length; j++) {
      s.average[j] = s.param[j]! * 0.5 + i;
      s.m[j] = Math.sin(i + j);
      s.v[j] = Math.cos(i * j) ** 2;
    }
  });
  return opt;
}

test('the snapshot is byte for byte what encodeCheckpoint encodes', () => {
  const opt = optimizer(1);
  for (const step of [7, 123456]) {
    const reference = encodeCheckpoint(opt.slots, state(step));
    const layouts = checkpointLayout(opt.slots, step);
    assert.deepEqual(layouts.map((l) => l.name), reference.files.slice(0, 3).map((f) => f.name));
    for (const [i, layout] of layouts.entries()) {
      // a reused buffer: larger than the file and holding stale bytes
      const buffer = new ArrayBuffer(layout.bytes + 4096);
      new Uint8Array(buffer).fill(0xab);
      const bytes = snapshotFile(layout, opt.slots, buffer);
      assert.equal(Buffer.compare(Buffer.from(bytes), Buffer.from(reference.files[i]!.bytes as Uint8Array)), 0, layout.name);
    }
    assert.deepEqual(stateBytes(state(step)), reference.files[3]!.bytes);
  }
  assert.throws(() => snapshotFile(checkpointLayout(opt.slots, 1)[0]!, opt.slots, new ArrayBuffer(64)), /snapshot buffer/);
});

test('the writer thread writes a checkpoint that restores exactly; slots may change once write() returns; buffers are reused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-ckpt-writer-'));
  const opt = optimizer(2);
  const writer = new CheckpointWriter(dir, opt.slots, { keep: 2 });
  try {
    await writer.ready();
    const timings: WriteTiming[] = [];
    const expected = opt.slots.map((s) => ({ param: s.param.slice(), average: s.average.slice(), m: s.m.slice(), v: s.v.slice() }));
    const first = writer.write(opt.slots, state(1), (t) => timings.push(t));
    // training goes on at once
    for (const s of opt.slots) { s.param.fill(-1); s.average.fill(-2); s.m.fill(-3); s.v.fill(-4); }
    assert.equal(await first, join(dir, 'step-000001'));
    const restored = optimizer(5);
    const ckpt = (await latestCheckpoint(dir))!;
    assert.deepEqual(ckpt.state, state(1));
    assert.deepEqual(readFileSync(join(dir, 'step-000001', 'state.json')), Buffer.from(stateBytes(state(1))));
    restoreSlots(restored.slots, ckpt);
    restored.slots.forEach((s, i) => {
      assert.deepEqual(s.param, expected[i]!.param, s.name);
      assert.deepEqual(s.average, expected[i]!.average, s.name);
      assert.deepEqual(s.m, expected[i]!.m, s.name);
      assert.deepEqual(s.v, expected[i]!.v, s.name);
    });
    for (const step of [2, 3]) await writer.write(opt.slots, state(step), (t) => timings.push(t));
    // the worker's warm buffers, then the ones each write handed back: nothing allocated on this thread
    assert.deepEqual(timings.map((t) => t.allocated), [0, 0, 0]);
    assert.deepEqual(readdirSync(dir).sort(), ['step-000002', 'step-000003']);
    const last = (await latestCheckpoint(dir))!;
    assert.equal(last.state.step, 3);
    assert.equal((last.ema.get(opt.slots[0]!.name)!.data as Float32Array)[0], -2);
  } finally {
    await writer.close();
  }
});

test('a write into a folder that cannot be made rejects, and the writer goes on', async () => {
  const base = mkdtempSync(join(tmpdir(), 'train-ckpt-writer-bad-'));
  const opt = optimizer(3);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(base, 'file'), 'not a folder');
  const bad = new CheckpointWriter(join(base, 'file', 'ckpt'), opt.slots);
  try {
    await assert.rejects(bad.write(opt.slots, state(1)), /checkpoint write failed/);
  } finally {
    await bad.close();
  }
});

test('SIGKILL while the writer thread is mid-file leaves the previous checkpoint loadable', async () => {
  await killedMidCheckpoint('train_checkpoint_writer_kill_child.ts');
});

test('writeFlat (each kind of tensor as one flat array, header apart) writes the same bytes as encodeCheckpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-ckpt-writer-flat-'));
  const opt = optimizer(4);
  const writer = new CheckpointWriter(dir, opt.slots, { mode: 'flat' });
  try {
    await writer.ready();
    const timings: WriteTiming[] = [];
    const read = (kind: 'param' | 'average' | 'm' | 'v', into: ArrayBuffer): Float32Array => {
      const total = opt.slots.reduce((a, s) => a + s.param.length, 0);
      const flat = new Float32Array(into, 0, total);
      let at = 0;
      for (const s of opt.slots) {
        flat.set(s[kind], at);
        at += s[kind].length;
      }
      return flat;
    };
    for (const step of [9, 10]) {
      const path = await writer.writeFlat(opt.slots, state(step), read, (t) => timings.push(t));
      const reference = encodeCheckpoint(opt.slots, state(step));
      for (const f of reference.files) assert.equal(Buffer.compare(readFileSync(join(path, f.name)), Buffer.from(f.bytes as Uint8Array)), 0, `${f.name} of step ${step}`);
      for (const s of opt.slots) s.m.fill(step);
    }
    assert.deepEqual(timings.map((t) => t.allocated), [0, 0]);
    await assert.rejects(writer.writeFlat(opt.slots, state(11), (_kind, into) => new Float32Array(into, 0, 1)), /must fill the buffer/);
  } finally {
    await writer.close();
  }
});
