import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../trainer/model/config.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { saveParams } from '../../trainer/io/state_dict.ts';

function scalefold(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'trainer/cli.ts', 'params', ...args], { encoding: 'utf8' });
}

test('params --json: the initial-training count and per-module rows', () => {
  const r = scalefold('--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { total_params: number; n_tensors: number; modules: { module: string; params: number }[] };
  assert.equal(out.total_params, 93_229_082);
  assert.equal(out.n_tensors, 5044);
  assert.equal(out.modules.find((m) => m.module === 'evoformer')!.params, 87_936_384);
});

test('params table for a preset with an override', () => {
  const r = scalefold('--config', 'tiny', '--set', 'model.heads.tm.enabled=true', '--set', 'loss.tm.enabled=true', '--depth', '2');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /preset tiny with model\.heads\.tm\.enabled=true/);
  assert.match(r.stdout, /aux_heads\.tm\s+2\s+576/);
  assert.match(r.stdout, /total\s+431\s+26,154/);
});

test('bad options are usage errors (exit 2) that name the key', () => {
  const r = scalefold('--set', 'model.template.enabled=false');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /embed_angles/);
  assert.equal(scalefold('--config', 'huge').status, 2);
});

test('params --weights checks a safetensors state dict against the config', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'params-'));
  try {
    const specs = modelParamSpec(loadConfig('tiny'));
    const values = new Map(specs.map((s) => [s.name, new Float64Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.5)]));
    const good = join(dir, 'tiny.safetensors');
    await saveParams(good, specs, values, 'BF16');
    const ok = scalefold('--config', 'tiny', '--weights', good);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /all 429 parameter tensors present/);
    const wrong = scalefold('--weights', good); // full config, tiny weights
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /shape|missing/);
    const junk = join(dir, 'junk.safetensors');
    await writeFile(junk, 'not a safetensors file');
    assert.equal(scalefold('--config', 'tiny', '--weights', junk).status, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
