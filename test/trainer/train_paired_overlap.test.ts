// The evaluation overlap measured against a baseline run of the same samples
// (trainer/train/paired_overlap.ts) and the `scalefold breakdown` command that
// prints it: pairing by sample (not by step), a known slowdown found under a
// drift between the two processes, unmatched and checkpoint steps left out,
// and a cut or broken metrics line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepRecord } from '../../trainer/train/metrics_log.ts';
import { formatPairedOverlap, pairedOverlap } from '../../trainer/train/paired_overlap.ts';

/** A step of sample `sample` whose work takes `baseMs` x passes (1-4 by sample), times `factor`. */
function record(step: number, sample: number, factor: number, evals: number, extra: Partial<StepRecord> = {}): StepRecord {
  const passes = 1 + (sample * 7) % 4;
  const wall = (400 + 37 * ((sample * 13) % 11)) * passes * factor;
  return {
    kind: 'step', step, sample_step: sample, chain_id: `c${sample % 5}`, forward_passes: passes, loss: 1, terms: {}, lr: 1e-3, grad_norm: 1,
    samples_per_s: 1000 / wall, step_ms: wall, data_wait_ms: 0, forward_ms: wall / 2, backward_ms: wall / 2, optimizer_ms: 0,
    bookkeeping_ms: 0, evals_in_flight: evals, wall_ms: wall, ...extra,
  };
}

/** Small seeded jitter (+-0.5 %) so that the bootstrap interval has a width. */
function jitter(i: number): number {
  return 1 + 0.005 * Math.sin(i * 12.9898);
}

/**
 * The baseline trains samples 0..n-1 in order; the run delivers them ready-first (neighbours swapped),
 * is 3 % slower throughout (another process), and 5 % slower again while an evaluation is in flight
 * (every other block of 10 steps).
 */
function runs(n: number, slowdown: number) {
  const baseline = Array.from({ length: n }, (_, i) => record(i + 1, i, jitter(i), 0));
  const run = Array.from({ length: n }, (_, i) => {
    const sample = i % 2 === 0 ? Math.min(n - 1, i + 1) : i - 1;
    const evals = Math.floor(i / 10) % 2;
    return record(i + 1, sample, 1.03 * (evals ? 1 + slowdown : 1) * jitter(1000 + i), evals);
  });
  return { run, baseline };
}

test('paired overlap: a 5 % slowdown under evaluation is found on the same samples, apart from a 3 % drift', () => {
  const { run, baseline } = runs(80, 0.05);
  const p = pairedOverlap(run, baseline, { warmup: 0 });
  // n = 80 even: every sample appears once in both runs (i = 79 pairs with sample 78, i = 78 with 79)
  assert.equal(p.unmatched, 0);
  assert.equal(p.pairs, 80);
  assert.equal(p.treated, 40);
  assert.ok(Math.abs(p.overlap - 0.05) < 0.01, `overlap ${p.overlap}`);
  assert.ok(Math.abs(p.controlRatio - 0.03) < 0.01, `control ${p.controlRatio}`);
  assert.ok(p.low > 0.03 && p.high < 0.07 && p.low < p.overlap && p.overlap < p.high, `interval ${p.low} .. ${p.high}`);
  assert.match(formatPairedOverlap(p), /step \+5\.\d\d% longer with an evaluation in flight/);
});

test('paired overlap: no slowdown gives an interval around zero; unpaired comparison would be far off', () => {
  const { run, baseline } = runs(80, 0);
  const p = pairedOverlap(run, baseline, { warmup: 0 });
  assert.ok(Math.abs(p.overlap) < 0.006, `overlap ${p.overlap}`);
  assert.ok(p.low < 0 && p.high > 0, `interval ${p.low} .. ${p.high}`);
  // within the run alone the two groups differ by their samples: medians of walls are not alike
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const raw = median(run.filter((r) => r.evals_in_flight > 0).map((r) => r.wall_ms!)) / median(run.filter((r) => r.evals_in_flight === 0).map((r) => r.wall_ms!)) - 1;
  assert.ok(Math.abs(raw) > 0.02, `raw ${raw}`);
});

test('paired overlap: a baseline that drifts shows in the placebo figure (and mirrored in the paired one)', () => {
  const { run, baseline } = runs(80, 0);
  const steady = pairedOverlap(run, baseline, { warmup: 0 });
  assert.ok(Math.abs(steady.placebo) < 0.02, `steady placebo ${steady.placebo}`);
  // the baseline's GPU runs 10 % slower during the blocks where the run had an evaluation in flight
  const drifting = baseline.map((b, i) => (Math.floor(i / 10) % 2 ? { ...b, wall_ms: b.wall_ms! * 1.1 } : b));
  const p = pairedOverlap(run, drifting, { warmup: 0 });
  assert.ok(Math.abs(p.placebo - 0.1) < 0.02, `placebo ${p.placebo}`);
  assert.ok(Math.abs(p.overlap - (1 / 1.1 - 1)) < 0.01, `overlap ${p.overlap}`);
  assert.match(formatPairedOverlap(p), /placebo: .* \+10\.\d\d% \(no evaluation ran there/);
});

test('paired overlap: warm-up, checkpoint steps and samples of different work are left out', () => {
  const { run, baseline } = runs(40, 0.05);
  run[12] = { ...run[12]!, checkpoint_ms: 300 };
  run[20] = { ...run[20]!, chain_id: 'other' };
  baseline[30] = { ...baseline[30]!, forward_passes: baseline[30]!.forward_passes + 1 };
  const p = pairedOverlap(run, baseline, { warmup: 2 });
  const bad = run.findIndex((r) => r.sample_step === 30);
  // 40 steps - 2 warm-up - 1 checkpoint; unmatched: the changed chain, the sample with other passes,
  // and the samples 0 and 1 whose baseline steps are in its warm-up
  const warm = run.slice(2).filter((r) => r.sample_step < 2).length;
  assert.ok(bad >= 2);
  assert.equal(p.pairs + p.unmatched, 37);
  assert.equal(p.unmatched, 2 + warm);
});

test('paired overlap without steps of both kinds says no comparison is possible', () => {
  const baseline = Array.from({ length: 10 }, (_, i) => record(i + 1, i, 1, 0));
  const p = pairedOverlap(baseline, baseline, { warmup: 0 });
  assert.equal(p.treated, 0);
  assert.ok(Number.isNaN(p.overlap));
  assert.match(formatPairedOverlap(p), /no comparison possible/);
});

function writeRun(dir: string, records: StepRecord[], tail = ''): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metrics.jsonl'), records.map((r) => JSON.stringify(r) + '\n').join('') +
    JSON.stringify({ kind: 'eval', step: 10, lddt_ca: 0.1 }) + '\n' + tail);
}

function breakdown(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'trainer/cli.ts', 'breakdown', ...args], { encoding: 'utf8' });
}

test('scalefold breakdown: the table of a run, the paired overlap with --baseline, a bad line named', () => {
  const root = mkdtempSync(join(tmpdir(), 'breakdown-'));
  try {
    const { run, baseline } = runs(60, 0.04);
    // the run's file ends in a line cut by a kill: ignored
    writeRun(join(root, 'run'), run, '{"kind":"step","st');
    writeRun(join(root, 'base'), baseline);
    const text = breakdown(join(root, 'run'));
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /per-step breakdown over 57 steps \(after 3 warm-up steps\)/);
    assert.doesNotMatch(text.stdout, /paired/);
    const json = breakdown(join(root, 'run'), '--baseline', join(root, 'base'), '--json');
    assert.equal(json.status, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { breakdown: { steps: number }; paired: { overlap: number; pairs: number } };
    assert.equal(out.breakdown.steps, 57);
    assert.ok(Math.abs(out.paired.overlap - 0.04) < 0.01, `overlap ${out.paired.overlap}`);
    assert.ok(out.paired.pairs > 50);

    writeRun(join(root, 'broken'), run.slice(0, 5), '{"kind":"step"\n');
    const broken = breakdown(join(root, 'broken'));
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /broken\/metrics\.jsonl:7: not a JSON object/);
    const missing = breakdown(join(root, 'nothing'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nothing\/metrics\.jsonl: missing: not a pretrain run folder/);
    assert.equal(breakdown().status, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
