// `scalefold breakdown RUN_DIR [--baseline RUN_DIR]`: the per-step time
// breakdown of a finished (or killed) pretrain run from its metrics.jsonl
// (trainer/train/step_breakdown.ts), and, against a baseline run of the same
// seed without evaluation, the evaluation overlap measured on the same
// samples (trainer/train/paired_overlap.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../features/errors.ts';
import { EXIT_OK, UsageError, optionalInteger, parseCommandArgs, type Command } from '../../pipeline/cli/command.ts';
import { writeResult } from '../../pipeline/cli/log.ts';
import { MetricsLog } from '../train/metrics_log.ts';
import { formatPairedOverlap, pairedOverlap } from '../train/paired_overlap.ts';
import { formatBreakdown, stepBreakdown } from '../train/step_breakdown.ts';

const HELP = `usage: scalefold breakdown RUN_DIR [--baseline RUN_DIR] [--warmup N] [--json]

Prints the per-step time breakdown of a pretrain run (its RUN_DIR/metrics.jsonl):
median and mean per phase (data wait, host-to-device copy, forward, backward,
optimizer, bookkeeping), samples/s, and the evaluation overlap within the run.

  --baseline DIR  a run of the same seed and options with --eval-every 0: each step of
                  RUN_DIR is paired with the baseline step of the same sample (same chain,
                  crop and forward passes), and the overlap is the median time ratio of the
                  steps with an evaluation in flight over that of the steps without, minus 1,
                  with a 95% bootstrap interval (checkpoint steps left out of both)
  --warmup N      steps left out at the start of each run (default 3)
  --json          print {"breakdown": ..., "paired": ...} as JSON on stdout instead of text`;

function readRun(runDir: string): MetricsLog {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path)) throw new InputError({ source: path }, 'missing: not a pretrain run folder');
  const log = MetricsLog.read(path);
  if (log.steps().length === 0) throw new InputError({ source: path }, 'no step records');
  return log;
}

export const breakdownCommand: Command = {
  name: 'breakdown',
  summary: 'per-step time breakdown of a pretrain run; evaluation overlap against a baseline run',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { baseline: { type: 'string' }, warmup: { type: 'string' }, json: { type: 'boolean' } }, true);
    if (positionals.length !== 1) throw new UsageError('give exactly one RUN_DIR');
    const warmup = optionalInteger(values, 'warmup', 0) ?? 3;
    const run = readRun(positionals[0]!);
    const steps = run.steps();
    const breakdown = stepBreakdown(steps, Math.min(warmup, steps.length - 1), run.evals());
    const baselineDir = typeof values.baseline === 'string' ? values.baseline : undefined;
    const paired = baselineDir === undefined ? undefined : pairedOverlap(steps, readRun(baselineDir).steps(), { warmup });
    if (values.json === true) {
      writeResult(JSON.stringify({ breakdown, ...(paired ? { paired } : {}) }));
    } else {
      writeResult(formatBreakdown(breakdown) + (paired ? '\n' + formatPairedOverlap(paired) : ''));
    }
    return EXIT_OK;
  },
};
