// `scalefold pretrain` as a user runs it: a fresh run dir gets metrics.jsonl
// (step and eval records with the required keys), plots and checkpoints; a
// second run without --resume starts over; --resume continues; SIGTERM
// finishes the step, checkpoints and exits 0.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChains, REPO, TRAIN_CHAINS, VAL_CHAINS } from './train_fixture_support.ts';

let dataDir: string;
let valDir: string;

before(async () => {
  dataDir = await buildChains(TRAIN_CHAINS, 'cli-train');
  valDir = await buildChains(VAL_CHAINS, 'cli-val');
});

interface Result { code: number | null; signal: NodeJS.Signals | null; stderr: string }

function pretrainCli(args: string[], onStderr?: (text: string, child: { kill: (s: NodeJS.Signals) => void }) => void): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'trainer/cli.ts'), 'pretrain', '--data', dataDir, '--crop', '32', ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stderr }));
  });
}

function records(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

test('a fresh run dir gets metrics.jsonl, plots and checkpoints; a rerun starts over; --resume continues', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'pretrain-cli-')), 'run');
  const r = await pretrainCli(['--val', valDir, '--out', out, '--steps', '3', '--eval-every', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /step 3\/3 +loss [\d.]+ +lDDT-Ca .* samples\/s .*ETA/);
  const lines = records(out);
  const steps = lines.filter((x) => x.kind === 'step');
  assert.deepEqual(steps.map((x) => x.step), [1, 2, 3]);
  for (const s of steps) {
    for (const key of ['loss', 'samples_per_s', 'data_wait_ms', 'forward_ms', 'backward_ms', 'optimizer_ms', 'lr']) {
      assert.equal(typeof s[key], 'number', `step record lacks ${key}: ${JSON.stringify(s)}`);
    }
    assert.ok((s.loss as number) > 0 && (s.samples_per_s as number) > 0);
  }
  const evals = lines.filter((x) => x.kind === 'eval');
  assert.deepEqual(evals.map((x) => x.step), [2, 3]); // the cadence, then the last step
  assert.equal(typeof evals[0]!.lddt_ca, 'number');
  for (const f of ['loss_terms.svg', 'lddt_ca.svg', 'learning_rate.svg', 'step_time.svg']) assert.ok(existsSync(join(out, f)), f);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')).sort(), ['step-000002', 'step-000003']);

  const again = await pretrainCli(['--out', out, '--steps', '1', '--eval-every', '0']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(records(out).map((x) => x.step), [1]);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), ['step-000001']);

  const resumed = await pretrainCli(['--out', out, '--steps', '2', '--eval-every', '0', '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming .*step-000001 at step 1/);
  assert.deepEqual(records(out).map((x) => x.step), [1, 2]);
  assert.equal(records(out)[0]!.loss, steps[0]!.loss);
  assert.equal(records(out)[1]!.loss, steps[1]!.loss);
});

test('SIGTERM finishes the step in hand, checkpoints it and exits 0', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'pretrain-sigterm-')), 'run');
  let sent = false;
  const r = await pretrainCli(['--out', out, '--steps', '40', '--eval-every', '0', '--checkpoint-every', '0'], (text, child) => {
    if (!sent && /step 2\/40/.test(text)) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  assert.ok(sent);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /SIGTERM: finishing this step/);
  assert.match(r.stderr, /interrupted/);
  const last = records(out).at(-1)!;
  assert.ok((last.step as number) >= 2 && (last.step as number) < 40);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), [`step-${String(last.step).padStart(6, '0')}`]);
});
