// `scalefold check-debug-state` on the model_tiny golden (OpenFold's own
// float64 forward, losses and gradients): exit 0 there, exit 1 naming the
// tensor when one gradient of a copy is changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy } from '../../pipeline/npy.ts';

const GOLDEN = join('test', 'fixtures', 'golden', 'model_tiny');

function check(dir: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'trainer/cli.ts', 'check-debug-state', dir, '--json'], { encoding: 'utf8' });
}

test('model_tiny passes: every group within tolerance, exit 0', () => {
  const result = check(GOLDEN);
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(report.failed, []);
  assert.ok(report.worst.loss.rel_error < 1e-11);
});

test('a changed gradient fails with exit 1 and names the tensor', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'debug-state-')), 'model_tiny');
  try {
    cpSync(GOLDEN, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { arrays: { group: string; name: string; file: string }[] };
    const entry = manifest.arrays.find((a) => a.group === 'grad' && a.name.startsWith('structure_module.'))!;
    const path = join(dir, entry.file);
    const tensor = decodeNpy(readFileSync(path), path);
    const data = tensor.data as Float64Array;
    data[0] = data[0]! * 1.001 + 1e-6;
    writeFileSync(path, encodeNpy(tensor));
    const result = check(dir);
    assert.equal(result.status, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.ok, false);
    assert.deepEqual(report.failed, [`grad/${entry.name}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(check(join(GOLDEN, 'no-such-folder')).status, 1);
});
