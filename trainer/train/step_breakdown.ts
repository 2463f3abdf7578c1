// The per-step time breakdown of a run (issue #8's table: data wait, forward,
// backward, optimizer, bookkeeping, and the cost of the evaluation overlap),
// from its metrics.jsonl step records: median and mean per phase over the
// steps after a warm-up, each phase's share of the step, samples/s, and the
// largest live device memory seen. On CUDA the phases are CUDA-event times
// (step_clock.ts) and a step's wall time is from the previous step's end.
import type { EvalRecord, StepRecord } from './metrics_log.ts';

export interface PhaseRow {
  phase: string;
  medianMs: number;
  meanMs: number;
  /** mean / mean step wall time */
  share: number;
}

export interface StepBreakdown {
  /** Steps summarised (after the warm-up). */
  steps: number;
  warmup: number;
  rows: PhaseRow[];
  stepMedianMs: number;
  stepMeanMs: number;
  samplesPerS: number;
  /**
   * Raw: median wall time of all steps with an evaluation in flight over all those without, minus 1
   * (NaN when either set is empty). Biased when the two sets mix 1-4 forward passes differently.
   */
  evalSlowdown: number;
  stepsWithEval: number;
  /**
   * Like with like: per number of forward passes, median with / median without; the ratios averaged
   * weighted by each group's steps with an evaluation in flight, minus 1 (NaN when no group has both).
   */
  evalSlowdownMatched: number;
  /** The groups of evalSlowdownMatched (only those with steps of both kinds). */
  evalGroups: EvalGroup[];
  peakDeviceBytes: number;
  /** Paced evaluation's hold on the device while training ran (evalDeviceShare); absent without paced evaluations. */
  evalDevice?: EvalDeviceShare;
}

/**
 * The evaluations' device time while paced: every kernel of a paced evaluation runs inside a busy window
 * (a chunk from its first enqueue to its stream's drain), so the windows' share of the paced wall time
 * bounds the time evaluation can take from the training stream's kernels.
 */
export interface EvalDeviceShare {
  evaluations: number;
  busyMs: number;
  pausedMs: number;
  /** busy / (busy + paused) */
  share: number;
}

export function evalDeviceShare(evals: readonly EvalRecord[]): EvalDeviceShare | undefined {
  const paced = evals.filter((e) => (e.eval_busy_ms ?? 0) + (e.eval_paused_ms ?? 0) > 0);
  if (paced.length === 0) return undefined;
  const busyMs = paced.reduce((a, e) => a + (e.eval_busy_ms ?? 0), 0);
  const pausedMs = paced.reduce((a, e) => a + (e.eval_paused_ms ?? 0), 0);
  return { evaluations: paced.length, busyMs, pausedMs, share: busyMs / (busyMs + pausedMs) };
}

export interface EvalGroup {
  forwardPasses: number;
  withEval: number;
  without: number;
  /** median wall with / median wall without */
  ratio: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}
const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

export function stepBreakdown(records: readonly StepRecord[], warmup = Math.min(3, Math.floor(records.length / 5)), evals: readonly EvalRecord[] = []): StepBreakdown {
  const rs = records.slice(warmup);
  const wall = (r: StepRecord) => r.wall_ms ?? r.step_ms;
  const walls = rs.map(wall);
  const phases: [string, (r: StepRecord) => number][] = [
    ['data wait', (r) => r.data_wait_ms], ['forward', (r) => r.forward_ms], ['backward', (r) => r.backward_ms],
    ['optimizer', (r) => r.optimizer_ms], ['bookkeeping (eval hand-off, checkpoint)', (r) => r.bookkeeping_ms],
  ];
  const stepMean = mean(walls);
  const rows: PhaseRow[] = phases.map(([phase, get]) => {
    const xs = rs.map(get);
    return { phase, medianMs: median(xs), meanMs: mean(xs), share: mean(xs) / stepMean };
  });
  if (rs.length > 0 && rs.every((r) => r.feature_slices_ms !== undefined)) {
    // within forward: the host work of getting the inputs (not a phase of its own: not added to the rest)
    const xs = rs.map((r) => r.feature_slices_ms!);
    rows.splice(2, 0, { phase: '  of which host feature slices', medianMs: median(xs), meanMs: mean(xs), share: mean(xs) / stepMean });
  }
  if (rs.some((r) => r.checkpoint_ms !== undefined)) {
    // within bookkeeping: the training thread's part of checkpoints (the writing is the writer thread's)
    const xs = rs.map((r) => r.checkpoint_ms ?? 0);
    const at = rows.findIndex((r) => r.phase.startsWith('bookkeeping')) + 1;
    rows.splice(at, 0, { phase: '  of which checkpoints (training thread)', medianMs: median(xs), meanMs: mean(xs), share: mean(xs) / stepMean });
  }
  if (rs.length > 0 && rs.every((r) => r.h2d_stage_ms !== undefined)) {
    // the training thread's time staging batches (pinned copy + upload enqueue); on CUDA done one step ahead,
    // while the GPU computes (so not subtracted from 'other' there: it lengthens the wall only if not hidden)
    const xs = rs.map((r) => r.h2d_stage_ms!);
    rows.splice(1, 0, { phase: 'host-to-device copy (host staging)', medianMs: median(xs), meanMs: mean(xs), share: mean(xs) / stepMean });
  }
  const accounted = rs.map((r) => r.data_wait_ms + r.forward_ms + r.backward_ms + r.optimizer_ms + r.bookkeeping_ms
    + (r.wall_ms === undefined ? r.h2d_stage_ms ?? 0 : 0));
  const other = walls.map((w, i) => w - accounted[i]!);
  rows.push({ phase: 'other (host between phases)', medianMs: median(other), meanMs: mean(other), share: mean(other) / stepMean });
  // diagnosis rows (not added to the rest): the device-idle gap between steps, and main-thread GC anywhere in the step
  for (const [phase, get] of [['  of which gap between steps (device idle)', (r: StepRecord) => r.host_gap_ms], ['main-thread GC (any phase)', (r: StepRecord) => r.gc_ms]] as const) {
    if (rs.length === 0 || !rs.every((r) => get(r) !== undefined)) continue;
    const xs = rs.map((r) => get(r)!);
    rows.push({ phase, medianMs: median(xs), meanMs: mean(xs), share: mean(xs) / stepMean });
  }
  const withEval = rs.filter((r) => r.evals_in_flight > 0).map(wall);
  const without = rs.filter((r) => r.evals_in_flight === 0).map(wall);
  const evalGroups = matchedEvalGroups(rs, wall);
  const weight = evalGroups.reduce((a, g) => a + g.withEval, 0);
  const evalDevice = evalDeviceShare(evals);
  return {
    steps: rs.length, warmup, rows, stepMedianMs: median(walls), stepMeanMs: stepMean,
    samplesPerS: rs.length / (walls.reduce((a, b) => a + b, 0) / 1000),
    evalSlowdown: withEval.length && without.length ? median(withEval) / median(without) - 1 : NaN,
    stepsWithEval: withEval.length,
    evalSlowdownMatched: weight > 0 ? evalGroups.reduce((a, g) => a + g.withEval * g.ratio, 0) / weight - 1 : NaN,
    evalGroups,
    peakDeviceBytes: Math.max(0, ...records.map((r) => r.device_bytes_after_forward ?? 0)),
    ...(evalDevice ? { evalDevice } : {}),
  };
}

/** Steps grouped by forward passes; per group with steps of both kinds, the ratio of the medians. */
function matchedEvalGroups(rs: readonly StepRecord[], wall: (r: StepRecord) => number): EvalGroup[] {
  const groups = new Map<number, { with: number[]; without: number[] }>();
  for (const r of rs) {
    let g = groups.get(r.forward_passes);
    if (!g) groups.set(r.forward_passes, (g = { with: [], without: [] }));
    (r.evals_in_flight > 0 ? g.with : g.without).push(wall(r));
  }
  return [...groups].sort((a, b) => a[0] - b[0]).filter(([, g]) => g.with.length > 0 && g.without.length > 0)
    .map(([forwardPasses, g]) => ({ forwardPasses, withEval: g.with.length, without: g.without.length, ratio: median(g.with) / median(g.without) }));
}

/** The breakdown as a text table. */
export function formatBreakdown(b: StepBreakdown): string {
  const lines = [`per-step breakdown over ${b.steps} steps (after ${b.warmup} warm-up steps)`,
    `${'phase'.padEnd(42)}${'median ms'.padStart(12)}${'mean ms'.padStart(12)}${'share'.padStart(9)}`];
  for (const r of b.rows) lines.push(`${r.phase.padEnd(42)}${r.medianMs.toFixed(1).padStart(12)}${r.meanMs.toFixed(1).padStart(12)}${(100 * r.share).toFixed(2).padStart(8)}%`);
  lines.push(`${'step (wall)'.padEnd(42)}${b.stepMedianMs.toFixed(1).padStart(12)}${b.stepMeanMs.toFixed(1).padStart(12)}`);
  lines.push(`samples/s: ${b.samplesPerS.toFixed(3)}   (${(b.stepMeanMs / 1000).toFixed(3)} s per step)`);
  const pct = (x: number) => `${x >= 0 ? '' : '-'}${(100 * Math.abs(x)).toFixed(2)}%`;
  if (Number.isNaN(b.evalSlowdownMatched)) {
    lines.push(`evaluation overlap (per number of forward passes): ${b.stepsWithEval} steps had an evaluation in flight (no group with steps of both kinds: no comparison possible)`);
  } else {
    const matched = b.evalGroups.reduce((a, g) => a + g.withEval, 0);
    lines.push(`evaluation overlap (per number of forward passes, weighted by steps with evaluation): ${matched} steps with an evaluation in flight, ` +
      `step ${pct(b.evalSlowdownMatched)} longer than without`);
    lines.push(`  ${b.evalGroups.map((g) => `${g.forwardPasses} pass${g.forwardPasses === 1 ? '' : 'es'}: ${g.withEval} with / ${g.without} without, ${pct(g.ratio - 1)}`).join('; ')}`);
  }
  if (!Number.isNaN(b.evalSlowdown)) {
    lines.push(`evaluation overlap, raw (all steps, mixed forward passes): ${b.stepsWithEval} steps with an evaluation in flight, median step ${(100 * b.evalSlowdown).toFixed(2)}% longer than without`);
  }
  if (b.evalDevice) {
    const d = b.evalDevice;
    lines.push(`evaluation's hold on the device while paced (${d.evaluations} evaluation${d.evaluations === 1 ? '' : 's'}): ` +
      `busy ${(d.busyMs / 1000).toFixed(2)} s of ${((d.busyMs + d.pausedMs) / 1000).toFixed(1)} s = ${(100 * d.share).toFixed(2)}% ` +
      `(bounds the device time it takes from training)`);
  }
  if (b.peakDeviceBytes > 0) lines.push(`peak live device memory (core tensors, end of forward): ${(b.peakDeviceBytes / 2 ** 30).toFixed(2)} GiB`);
  return lines.join('\n');
}
