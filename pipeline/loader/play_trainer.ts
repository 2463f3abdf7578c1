// Plays a trainer with a fixed step time against the loader and measures how
// long each step waits for its batch (ScaleFold's data-wait figure).
import { setTimeout as sleep } from 'node:timers/promises';
import { TrainingLoader, type LoaderOptions } from './training_loader.ts';

export interface PlayResult {
  order: string;
  step_ms: number;
  steps: number;
  delivered: number;
  skipped: number;
  workers: number;
  depth: number;
  /** Mean wait per step after the first (the first step waits for the pipeline to fill). */
  mean_wait_ms: number;
  p50_wait_ms: number;
  p99_wait_ms: number;
  max_wait_ms: number;
  first_wait_ms: number;
  /** mean_wait_ms / step_ms. */
  wait_fraction: number;
  samples_per_s: number;
  median_prepare_ms: number;
  straggler_rate: number;
  straggler_ms: number;
  seconds: number;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function playTrainer(
  options: Partial<LoaderOptions> & { datasetDir: string },
  stepMs: number,
  onStep: (step: number, waitMs: number) => void = () => {},
): Promise<PlayResult> {
  const loader = await TrainingLoader.open(options);
  const waits: number[] = [];
  const prepares: number[] = [];
  const started = performance.now();
  try {
    for (;;) {
      const asked = performance.now();
      const batch = await loader.next();
      if (batch === null) break;
      const wait = performance.now() - asked;
      waits.push(wait);
      prepares.push(batch.prepareMs);
      onStep(waits.length, wait);
      if (stepMs > 0) await sleep(stepMs);
    }
  } finally {
    await loader.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const steady = waits.slice(1);
  const sorted = [...steady].sort((a, b) => a - b);
  const mean = steady.length > 0 ? steady.reduce((s, w) => s + w, 0) / steady.length : 0;
  const faults = options.faults;
  return {
    order: options.order ?? 'ready-first',
    step_ms: stepMs,
    steps: options.steps ?? 0,
    delivered: waits.length,
    skipped: loader.skipped.length,
    workers: options.workers ?? 0,
    depth: options.depth ?? 0,
    mean_wait_ms: mean,
    p50_wait_ms: percentile(sorted, 0.5),
    p99_wait_ms: percentile(sorted, 0.99),
    max_wait_ms: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
    first_wait_ms: waits[0] ?? 0,
    wait_fraction: stepMs > 0 ? mean / stepMs : 0,
    samples_per_s: waits.length / seconds,
    median_prepare_ms: percentile([...prepares].sort((a, b) => a - b), 0.5),
    straggler_rate: faults?.stragglerRate ?? 0,
    straggler_ms: faults?.stragglerMs ?? 0,
    seconds,
  };
}
