// The per-step time breakdown of a run (issue #8's table: data wait, forward,
// backward, optimizer, bookkeeping, and the cost of the evaluation overlap),
// from its metrics.jsonl step records: median and mean per phase over the
// steps after a warm-up, each phase's share of the step, samples/s, and the
// largest live device memory seen. On CUDA the phases are CUDA-event times
// (step_clock.ts) and a step's wall time is from the previous step's end.
import type { StepRecord } from './metrics_log.ts';

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
  /** Median wall time of steps with an evaluation in flight over those without, minus 1 (NaN when either set is empty). */
  evalSlowdown: number;
  stepsWithEval: number;
  peakDeviceBytes: number;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}
const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

export function stepBreakdown(records: readonly StepRecord[], warmup = Math.min(3, Math.floor(records.length / 5))): StepBreakdown {
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
  const accounted = rs.map((r) => r.data_wait_ms + r.forward_ms + r.backward_ms + r.optimizer_ms + r.bookkeeping_ms);
  const other = walls.map((w, i) => w - accounted[i]!);
  rows.push({ phase: 'other (host between phases)', medianMs: median(other), meanMs: mean(other), share: mean(other) / stepMean });
  const withEval = rs.filter((r) => r.evals_in_flight > 0).map(wall);
  const without = rs.filter((r) => r.evals_in_flight === 0).map(wall);
  return {
    steps: rs.length, warmup, rows, stepMedianMs: median(walls), stepMeanMs: stepMean,
    samplesPerS: rs.length / (walls.reduce((a, b) => a + b, 0) / 1000),
    evalSlowdown: withEval.length && without.length ? median(withEval) / median(without) - 1 : NaN,
    stepsWithEval: withEval.length,
    peakDeviceBytes: Math.max(0, ...records.map((r) => r.device_bytes_after_forward ?? 0)),
  };
}

/** The breakdown as a text table. */
export function formatBreakdown(b: StepBreakdown): string {
  const lines = [`per-step breakdown over ${b.steps} steps (after ${b.warmup} warm-up steps)`,
    `${'phase'.padEnd(42)}${'median ms'.padStart(12)}${'mean ms'.padStart(12)}${'share'.padStart(9)}`];
  for (const r of b.rows) lines.push(`${r.phase.padEnd(42)}${r.medianMs.toFixed(1).padStart(12)}${r.meanMs.toFixed(1).padStart(12)}${(100 * r.share).toFixed(2).padStart(8)}%`);
  lines.push(`${'step (wall)'.padEnd(42)}${b.stepMedianMs.toFixed(1).padStart(12)}${b.stepMeanMs.toFixed(1).padStart(12)}`);
  lines.push(`samples/s: ${b.samplesPerS.toFixed(3)}   (${(b.stepMeanMs / 1000).toFixed(3)} s per step)`);
  lines.push(Number.isNaN(b.evalSlowdown)
    ? `evaluation overlap: ${b.stepsWithEval} steps had an evaluation in flight (no comparison possible)`
    : `evaluation overlap: ${b.stepsWithEval} steps with an evaluation in flight, median step ${(100 * b.evalSlowdown).toFixed(2)}% longer than without`);
  if (b.peakDeviceBytes > 0) lines.push(`peak live device memory (core tensors, end of forward): ${(b.peakDeviceBytes / 2 ** 30).toFixed(2)} GiB`);
  return lines.join('\n');
}
