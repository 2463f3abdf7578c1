// A checkpoint writer killed mid-write (SIGKILL in the middle of a file of the
// second checkpoint) leaves the first loadable and intact; the temporary
// folder it left is ignored by readers and removed by the next write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCheckpoint, latestCheckpoint, writeCheckpoint } from '../../trainer/train/checkpoint.ts';
import { checkpointState, killedMidCheckpoint, tinyOptimizer } from './checkpoint_kill_support.ts';

test('SIGKILL mid-write leaves the previous checkpoint loadable', async () => {
  const dir = await killedMidCheckpoint('train_checkpoint_kill_child.ts');
  const opt = tinyOptimizer();

  // the next write clears the leftovers and becomes the newest
  for (const s of opt.slots) s.param.fill(3);
  await writeCheckpoint(dir, encodeCheckpoint(opt.slots, checkpointState(2)));
  assert.deepEqual(readdirSync(dir).sort(), ['step-000001', 'step-000002']);
  const next = (await latestCheckpoint(dir))!;
  assert.equal(next.state.step, 2);
  assert.equal((next.model.values().next().value!.data as Float32Array)[0], 3);
});

test('a checkpoint whose file is damaged is skipped for the one before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-ckpt-bad-'));
  const opt = tinyOptimizer(1);
  await writeCheckpoint(dir, encodeCheckpoint(opt.slots, checkpointState(4)));
  await writeCheckpoint(dir, encodeCheckpoint(opt.slots, checkpointState(5)));
  const { truncateSync } = await import('node:fs');
  truncateSync(join(dir, 'step-000005', 'optimizer.safetensors'), 100);
  assert.equal((await latestCheckpoint(dir))!.state.step, 4);
});
