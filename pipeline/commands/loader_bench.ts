// `scalefold loader-bench DATASET_DIR`: plays a trainer with a fixed step time
// against the training loader and prints the wait per step.
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { InputError } from '../../features/errors.ts';
import { perStepConfig } from '../../features/transforms/config.ts';
import { EXIT_OK, UsageError, optionalInteger, optionalString, parseCommandArgs, type Command } from '../cli/command.ts';
import { log, writeResult } from '../cli/log.ts';
import { playTrainer } from '../loader/play_trainer.ts';
import type { DeliveryOrder } from '../loader/prefetch_queue.ts';

const HELP = `usage: scalefold loader-bench DATASET_DIR [options]

Plays a trainer with a fixed step time against the training loader (sampler,
per-step transforms in worker threads, ready-first or strict delivery) and
prints the time each step waits for its batch.

  --order ready-first|strict   delivery order (default ready-first)
  --steps N                    steps to play (default 50)
  --step-ms N                  the trainer's step time in ms (default 1000)
  --workers N                  worker threads (default: cores - 1)
  --depth N                    batches in flight or waiting (default 8)
  --straggler-rate P           fraction of samples made slow (default 0)
  --straggler-ms T             extra preparation time of a slow sample (default 0)
  --timeout-ms N               skip a sample that takes longer (default 120000)
  --crop N                     crop size (default 256, the initial-training preset)
  --seed S                     sampler seed (default 0)
  --json                       print one JSON object on stdout`;

function optionalNumber(values: Record<string, unknown>, name: string, fallback: number): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(parsed) || parsed < 0) throw new UsageError(`--${name} must be a non-negative number, got '${String(value)}'`);
  return parsed;
}

export const loaderBenchCommand: Command = {
  name: 'loader-bench',
  summary: 'measure the loader: wait per step against a simulated trainer',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      order: { type: 'string' }, steps: { type: 'string' }, 'step-ms': { type: 'string' }, workers: { type: 'string' },
      depth: { type: 'string' }, 'straggler-rate': { type: 'string' }, 'straggler-ms': { type: 'string' },
      'timeout-ms': { type: 'string' }, crop: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' },
    }, true);
    if (positionals.length !== 1) throw new UsageError('give exactly one DATASET_DIR');
    const datasetDir = positionals[0]!;
    const info = await stat(datasetDir).catch(() => null);
    if (info === null || !info.isDirectory()) throw new InputError({ source: datasetDir }, 'the dataset folder does not exist or is not a folder');
    const order = (optionalString(values, 'order') ?? 'ready-first') as DeliveryOrder;
    if (order !== 'ready-first' && order !== 'strict') throw new UsageError(`--order must be ready-first or strict, got '${order}'`);
    const stragglerRate = optionalNumber(values, 'straggler-rate', 0);
    if (stragglerRate > 1) throw new UsageError('--straggler-rate must be within 0..1');
    const steps = optionalInteger(values, 'steps', 1) ?? 50;
    const stepMs = optionalNumber(values, 'step-ms', 1000);
    const workers = optionalInteger(values, 'workers', 1) ?? Math.max(1, availableParallelism() - 1);
    const depth = optionalInteger(values, 'depth', 1) ?? 8;
    const crop = optionalInteger(values, 'crop', 1) ?? 256;
    log(`loader-bench: ${steps} steps of ${stepMs} ms, order ${order}, ${workers} workers, depth ${depth}, crop ${crop}`);
    const result = await playTrainer({
      datasetDir, order, steps, workers, depth,
      timeoutMs: optionalInteger(values, 'timeout-ms', 1) ?? 120_000,
      perStep: perStepConfig({ cropSize: crop }),
      sampler: { seed: optionalInteger(values, 'seed', 0) ?? 0, epochLength: Math.max(steps, 1) },
      faults: { stragglerRate, stragglerMs: optionalNumber(values, 'straggler-ms', 0), crashSamples: new Set() },
      onSkip: (s) => log(`loader-bench: skipped step ${s.sample.step} (${s.sample.chainId}): ${s.message}`),
    }, stepMs, (step, wait) => {
      if (step % 10 === 0) log(`loader-bench: step ${step}/${steps}, waited ${wait.toFixed(1)} ms`);
    });
    log(`loader-bench: mean wait ${result.mean_wait_ms.toFixed(2)} ms per step (${(100 * result.wait_fraction).toFixed(2)}% of the step), p99 ${result.p99_wait_ms.toFixed(1)} ms, first ${result.first_wait_ms.toFixed(0)} ms, ${result.samples_per_s.toFixed(2)} samples/s, ${result.skipped} skipped`);
    if (values.json === true) writeResult(JSON.stringify(result));
    return EXIT_OK;
  },
};
