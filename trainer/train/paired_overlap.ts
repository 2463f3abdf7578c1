// The cost of asynchronous evaluation measured on identical work (issue #8:
// evaluation must not lengthen a step by more than 2 %). Within one run a
// step's time depends on its sample (crop, MSA depth, 1-4 forward passes), so
// steps with and without an evaluation in flight are not alike. Here a run
// with evaluation is paired with a baseline run of the same seed without it:
// the sampler gives every global sample index the same chain, crop and
// forward passes in both runs, so pairing by `sample_step` compares the same
// computation. The ratio of each pair is taken; steps whose partner shows an
// evaluation in flight give the treated ratios, the rest the control ratios
// (they carry whatever differs between the two processes: GPU clocks,
// neighbours on a shared machine). The overlap is the treated median over the
// control median, minus 1, with a seeded bootstrap interval. The placebo
// figure applies the within-run estimate (step_breakdown.ts, per number of
// forward passes) to the baseline, with the run's steps under evaluation
// marked though none ran there: what that estimate reads on no effect at all,
// the noise floor of one run on the machine.
import { Rng } from '../../features/rng.ts';
import type { StepRecord } from './metrics_log.ts';
import { median, stepBreakdown } from './step_breakdown.ts';

export interface PairedOverlap {
  /** Pairs compared (same sample_step, chain and forward passes; warm-up and checkpoint steps left out). */
  pairs: number;
  /** Steps of the run whose sample has no partner in the baseline, or a partner of different work. */
  unmatched: number;
  treated: number;
  control: number;
  /** median(run/baseline, evaluation in flight) / median(run/baseline, none) - 1 */
  overlap: number;
  /** 95 % percentile bootstrap interval of `overlap` (resampling both groups). */
  low: number;
  high: number;
  /** median(run/baseline) - 1 of each group: how far the two processes differ without evaluation, and with. */
  controlRatio: number;
  treatedRatio: number;
  /** The within-run estimate on the baseline with the run's evaluation steps marked (no evaluation ran): its noise floor. */
  placebo: number;
}

function resample(xs: readonly number[], rng: Rng): number[] {
  return xs.map(() => xs[Math.floor(rng.float() * xs.length)]!);
}

const wallOf = (r: StepRecord) => r.wall_ms ?? r.step_ms;

export interface PairOptions {
  /** Steps of each run left out at its start (default 3). */
  warmup?: number;
  resamples?: number;
  seed?: number;
}

/** Pairs `run` (evaluation on) with `baseline` (evaluation off) by sample and measures the overlap. */
export function pairedOverlap(run: readonly StepRecord[], baseline: readonly StepRecord[], options: PairOptions = {}): PairedOverlap {
  const warmup = options.warmup ?? 3;
  const usable = (rs: readonly StepRecord[]) => {
    const first = Math.min(...rs.map((r) => r.step));
    // a checkpoint's copy is bookkeeping of that step, not evaluation: its steps are left out of both sides
    return rs.filter((r) => r.step >= first + warmup && r.checkpoint_ms === undefined);
  };
  const bySample = new Map<number, StepRecord>();
  for (const r of usable(baseline)) bySample.set(r.sample_step, r);
  const treatedRatios: number[] = [];
  const controlRatios: number[] = [];
  let unmatched = 0;
  for (const r of usable(run)) {
    const b = bySample.get(r.sample_step);
    if (!b || b.chain_id !== r.chain_id || b.forward_passes !== r.forward_passes || b.evals_in_flight > 0) {
      unmatched++;
      continue;
    }
    (r.evals_in_flight > 0 ? treatedRatios : controlRatios).push(wallOf(r) / wallOf(b));
  }
  const overlapOf = (t: readonly number[], c: readonly number[]) => median(t) / median(c) - 1;
  const rng = Rng.fromSeed(options.seed ?? 1).derive('bootstrap');
  const draws: number[] = [];
  if (treatedRatios.length > 0 && controlRatios.length > 0) {
    for (let i = 0; i < (options.resamples ?? 2000); i++) draws.push(overlapOf(resample(treatedRatios, rng), resample(controlRatios, rng)));
  }
  draws.sort((a, b) => a - b);
  const at = (q: number) => (draws.length === 0 ? NaN : draws[Math.min(draws.length - 1, Math.floor(q * draws.length))]!);
  return {
    pairs: treatedRatios.length + controlRatios.length, unmatched, treated: treatedRatios.length, control: controlRatios.length,
    overlap: overlapOf(treatedRatios, controlRatios), low: at(0.025), high: at(0.975),
    controlRatio: median(controlRatios) - 1, treatedRatio: median(treatedRatios) - 1,
    placebo: placeboEstimate(run, baseline, warmup),
  };
}

function placeboEstimate(run: readonly StepRecord[], baseline: readonly StepRecord[], warmup: number): number {
  const marked = new Map(run.map((r) => [r.step, r.evals_in_flight]));
  const relabelled = baseline.filter((b) => marked.has(b.step)).map((b) => ({ ...b, evals_in_flight: marked.get(b.step)! }));
  return relabelled.length > warmup ? stepBreakdown(relabelled, warmup).evalSlowdownMatched : NaN;
}

export function formatPairedOverlap(p: PairedOverlap): string {
  const pct = (x: number) => `${x >= 0 ? '+' : '-'}${(100 * Math.abs(x)).toFixed(2)}%`;
  if (p.treated === 0 || p.control === 0) {
    return `paired evaluation overlap: ${p.treated} steps with an evaluation in flight and ${p.control} without were paired ` +
      `with the baseline (${p.unmatched} unmatched): both are needed, no comparison possible`;
  }
  return [
    `paired evaluation overlap (same samples in a baseline run without evaluation): step ${pct(p.overlap)} longer with an evaluation in flight ` +
      `(95% bootstrap interval ${pct(p.low)} .. ${pct(p.high)})`,
    `  ${p.treated} steps with evaluation: ${pct(p.treatedRatio)} against the baseline; ${p.control} without: ${pct(p.controlRatio)} ` +
      `(the two processes' difference); ${p.unmatched} steps unmatched`,
    `  placebo: the within-run estimate (per number of forward passes) on the baseline, with this run's evaluation steps marked: ` +
      `${Number.isNaN(p.placebo) ? 'no comparison possible' : pct(p.placebo)} (no evaluation ran there: the noise floor of one run)`,
  ].join('\n');
}
