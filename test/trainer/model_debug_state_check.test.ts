// checkDebugState: the whole-model check against a debug-state folder passes
// on model_tiny and fails, naming the tensor, on a copy with one gradient off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDebugState } from '../../trainer/model/debug_state_check.ts';
import { decodeNpy, encodeNpy } from '../../pipeline/npy.ts';

const DIR = 'test/fixtures/golden/model_tiny';

test('model_tiny passes the check in every group', async () => {
  const r = await checkDebugState(DIR);
  assert.ok(r.ok, r.entries.filter((e) => !e.ok).map((e) => e.name).join(', '));
  assert.equal(r.entries.filter((e) => e.group === 'grad').length, 429);
  assert.ok(r.worst.loss!.comparison.relError < 1e-11);
});

test('a folder whose gradient is off by 1e-6 relative fails on that tensor', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dbg-'));
  try {
    await cp(DIR, dir, { recursive: true });
    const file = join(dir, 'grad', 'evoformer.linear.weight.npy');
    const t = decodeNpy(new Uint8Array(await readFile(file)), file);
    const data = t.data as Float64Array;
    data[0] = data[0]! * (1 + 1e-6) + 1e-9;
    await writeFile(file, encodeNpy(t));
    const r = await checkDebugState(dir);
    assert.equal(r.ok, false);
    assert.deepEqual(r.entries.filter((e) => !e.ok).map((e) => e.name), ['evoformer.linear.weight']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
