import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

function scalefold(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'trainer/cli.ts', ...args], { encoding: 'utf8' });
}

test('--help lists the commands on stdout and exits 0', () => {
  const result = scalefold('--help');
  assert.equal(result.status, 0);
  assert.match(result.stdout, /commands:/);
  assert.match(result.stdout, /pretrain/);
});

test('an unknown command is a usage error (exit 2) reported on stderr', () => {
  const result = scalefold('no-such-command');
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /unknown command 'no-such-command'/);
});

test('pretrain rejects a bad option as a usage error (exit 2) without training', () => {
  const result = scalefold('pretrain', '--device', 'tpu');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--device must be cpu or cuda/);
});
