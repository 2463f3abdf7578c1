// The per-step breakdown table: medians, means and shares per phase over the
// steps after the warm-up, the unaccounted rest, samples/s from wall times,
// and the slowdown of steps with an evaluation in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EvalRecord, StepRecord } from '../../trainer/train/metrics_log.ts';
import { evalDeviceShare, formatBreakdown, stepBreakdown } from '../../trainer/train/step_breakdown.ts';

function record(step: number, forward: number, evals: number, wall?: number): StepRecord {
  return {
    kind: 'step', step, sample_step: step, chain_id: 'x', forward_passes: 1, loss: 1, terms: {}, lr: 1e-3, grad_norm: 1,
    samples_per_s: 1, step_ms: 10 + forward + 20 + 5 + 1, data_wait_ms: 10, forward_ms: forward, backward_ms: 20, optimizer_ms: 5,
    bookkeeping_ms: 1, evals_in_flight: evals, ...(wall !== undefined ? { wall_ms: wall, device_bytes_after_forward: step * 1024 } : {}),
  };
}

test('breakdown: phases after the warm-up, shares of the wall time, eval slowdown, samples/s', () => {
  // step 1 is a slow warm-up; steps 2-5 take 100 ms of wall, 6-7 (evaluation in flight) 110 ms
  const rs = [record(1, 1000, 0, 1036), ...[2, 3, 4, 5].map((s) => record(s, 60, 0, 100)), record(6, 70, 1, 110), record(7, 70, 1, 110)];
  const b = stepBreakdown(rs, 1);
  assert.equal(b.steps, 6);
  assert.equal(b.warmup, 1);
  const row = (name: string) => b.rows.find((r) => r.phase.startsWith(name))!;
  assert.equal(row('forward').medianMs, 60);
  assert.ok(Math.abs(row('forward').meanMs - (4 * 60 + 2 * 70) / 6) < 1e-12);
  assert.ok(Math.abs(row('data wait').share - 10 / ((4 * 100 + 2 * 110) / 6)) < 1e-12);
  // the rest of the wall time: 100 - 96 = 4 ms on the first four, 110 - 106 on the last two
  assert.equal(row('other').medianMs, 4);
  assert.ok(Math.abs(b.evalSlowdown - 0.1) < 1e-12);
  assert.equal(b.stepsWithEval, 2);
  assert.ok(Math.abs(b.samplesPerS - 6 / 0.62) < 1e-12);
  assert.equal(b.peakDeviceBytes, 7 * 1024);
  const text = formatBreakdown(b);
  assert.match(text, /per-step breakdown over 6 steps \(after 1 warm-up steps\)/);
  assert.match(text, /median step 10\.00% longer than without/);
});

test('breakdown without wall times (CPU) uses step_ms; no evaluation leaves the slowdown undefined', () => {
  const b = stepBreakdown([record(1, 50, 0), record(2, 50, 0)], 0);
  assert.equal(b.stepMedianMs, 86);
  assert.ok(Number.isNaN(b.evalSlowdown));
  assert.equal(b.rows.find((r) => r.phase.startsWith('other'))!.meanMs, 0);
  assert.match(formatBreakdown(b), /no comparison possible/);
  assert.ok(!b.rows.some((r) => r.phase.includes('feature slices')));
});

test('breakdown: the host feature slices show as a part of the forward, not added to the rest', () => {
  const rs = [1, 2, 3].map((s) => ({ ...record(s, 60, 0, 100), feature_slices_ms: 5 * s }));
  const b = stepBreakdown(rs, 0);
  const row = b.rows.find((r) => r.phase.includes('feature slices'))!;
  assert.equal(row.medianMs, 10);
  assert.equal(b.rows.find((r) => r.phase.startsWith('other'))!.medianMs, 4);
});

test('breakdown: the evaluation overlap compares steps of the same number of forward passes', () => {
  const r = (step: number, passes: number, evals: number, wall: number): StepRecord => ({ ...record(step, 60, evals, wall), forward_passes: passes });
  // without evaluation mostly 1-pass steps, with evaluation mostly 4-pass ones: the raw medians compare 100 with 303
  const rs = [
    r(1, 1, 0, 100), r(2, 1, 0, 100), r(3, 1, 0, 100), r(4, 1, 0, 100), r(5, 4, 0, 300), r(6, 4, 0, 300),
    r(7, 4, 1, 306), r(8, 4, 1, 306), r(9, 4, 1, 306), r(10, 1, 1, 101),
    r(11, 2, 1, 500), // no 2-pass step without evaluation: left out of the matched figure
  ];
  const b = stepBreakdown(rs, 0);
  assert.equal(b.stepsWithEval, 5);
  assert.ok(Math.abs(b.evalSlowdown - (306 / 100 - 1)) < 1e-12);
  assert.deepEqual(b.evalGroups.map((g) => [g.forwardPasses, g.withEval, g.without]), [[1, 1, 4], [4, 3, 2]]);
  // (1 * 1.01 + 3 * 1.02) / 4 - 1
  assert.ok(Math.abs(b.evalSlowdownMatched - (1 * 1.01 + 3 * 1.02) / 4 + 1) < 1e-12, String(b.evalSlowdownMatched));
  const text = formatBreakdown(b);
  assert.match(text, /per number of forward passes.*: 4 steps with an evaluation in flight, step 1\.75% longer than without/);
  assert.match(text, /1 pass: 1 with \/ 4 without, 1\.00%; 4 passes: 3 with \/ 2 without, 2\.00%/);
  assert.match(text, /raw \(all steps, mixed forward passes\): 5 steps with an evaluation in flight, median step 206\.00% longer/);
});

test('breakdown: checkpoints show as a part of the bookkeeping (their mean over all steps)', () => {
  const rs = [1, 2, 3, 4].map((s) => ({ ...record(s, 60, 0, 100), ...(s === 4 ? { bookkeeping_ms: 41, checkpoint_ms: 40, checkpoint_sync_ms: 30 } : {}) }));
  const b = stepBreakdown(rs, 0);
  const i = b.rows.findIndex((r) => r.phase.includes('checkpoints'));
  assert.ok(b.rows[i - 1]!.phase.startsWith('bookkeeping'));
  assert.equal(b.rows[i]!.meanMs, 10);
  assert.equal(b.rows[i]!.medianMs, 0);
  // not added to the rest: 'other' is unchanged by it
  assert.equal(b.rows.find((r) => r.phase.startsWith('other'))!.medianMs, 4);
  assert.ok(!stepBreakdown([record(1, 60, 0, 100)], 0).rows.some((r) => r.phase.includes('checkpoints')));
});

test('breakdown: paced evaluations give the share of the paced time they held the device', () => {
  const evals: EvalRecord[] = [
    { kind: 'eval', step: 10, lddt_ca: 0.1, distogram: 4, plddt: 50, plddt_loss: 2, chains: 3, eval_seconds: 60, steps_during_eval: 20, eval_busy_ms: 900, eval_paused_ms: 59100 },
    { kind: 'eval', step: 20, lddt_ca: 0.1, distogram: 4, plddt: 50, plddt_loss: 2, chains: 3, eval_seconds: 5, steps_during_eval: 0, eval_busy_ms: 0, eval_paused_ms: 0 },
    { kind: 'eval', step: 30, lddt_ca: 0.1, distogram: 4, plddt: 50, plddt_loss: 2, chains: 3, eval_seconds: 40, steps_during_eval: 12, eval_busy_ms: 600, eval_paused_ms: 39400 },
  ];
  const b = stepBreakdown([record(1, 50, 0, 100), record(2, 50, 1, 100)], 0, evals);
  // the unpaced evaluation (after training ended) is not counted
  assert.deepEqual(b.evalDevice, { evaluations: 2, busyMs: 1500, pausedMs: 98500, share: 0.015 });
  assert.match(formatBreakdown(b), /hold on the device while paced \(2 evaluations\): busy 1\.50 s of 100\.0 s = 1\.50%/);
  assert.equal(evalDeviceShare(evals.slice(1, 2)), undefined);
  assert.equal(stepBreakdown([record(1, 50, 0, 100)], 0).evalDevice, undefined);
});
