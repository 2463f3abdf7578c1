// Loader benchmark (issue 5): wait per step for strict vs ready-first delivery
// with 5% of samples 20 s slower and a 1 s step, and the loader's maximum
// samples per second on 1 and 2 worker threads at crop 256, on a dataset
// built from the minitrain fixture. Prints figures; asserts nothing.
// BENCH_LOADER_STEPS (default 100) sets the steps of the straggler runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { perStepConfig } from '../../features/transforms/config.ts';
import { buildDataset } from '../../pipeline/build/build_dataset.ts';
import { Progress } from '../../pipeline/build/progress.ts';
import { playTrainer, type PlayResult } from '../../pipeline/loader/play_trainer.ts';

const minitrain = resolve(import.meta.dirname, '..', 'fixtures', 'minitrain');
const root = mkdtempSync(join(tmpdir(), 'bench-loader-'));
const dataset = join(root, 'dataset');
await buildDataset({
  mmcifDir: join(minitrain, 'mmcifs'), alignmentDir: join(minitrain, 'alignments'), outDir: dataset, threads: 2,
  progress: new Progress(new PassThrough() as unknown as NodeJS.WriteStream, false),
});

const steps = Number(process.env.BENCH_LOADER_STEPS ?? 100);
const perStep = perStepConfig({ cropSize: 256 });
const row = (r: PlayResult) =>
  `| ${r.order} | ${r.workers} | ${r.step_ms} | ${r.delivered} | ${r.mean_wait_ms.toFixed(1)} | ${(100 * r.wait_fraction).toFixed(2)}% | ${r.p99_wait_ms.toFixed(0)} | ${r.max_wait_ms.toFixed(0)} | ${r.samples_per_s.toFixed(2)} |`;

console.log(`loader benchmark: minitrain dataset, crop 256, up to 4 passes; ${steps} steps, 5% of samples +20 s, 1 s step;`);
console.log('4 worker threads, 8 batches in flight or waiting (PyTorch DataLoader default: 2 per worker), same for both orders');
console.log('| order | workers | step ms | steps | mean wait ms | wait / step | p99 wait ms | max wait ms | samples/s |');
console.log('|---|---|---|---|---|---|---|---|---|');
const results: PlayResult[] = [];
for (const order of ['strict', 'ready-first'] as const) {
  const r = await playTrainer({
    datasetDir: dataset, order, steps, workers: 4, depth: 8, perStep, timeoutMs: 300_000,
    sampler: { seed: 1, epochLength: steps }, faults: { stragglerRate: 0.05, stragglerMs: 20_000, crashSamples: new Set() },
  }, 1000);
  results.push(r);
  console.log(row(r));
}
console.log(`strict / ready-first mean wait: ${(results[0]!.mean_wait_ms / Math.max(results[1]!.mean_wait_ms, 1e-3)).toFixed(0)}x`);

console.log('\nmaximum loader throughput (no trainer step, no stragglers), crop 256:');
console.log('| workers | samples/s | median per-sample preparation ms |');
console.log('|---|---|---|');
for (const workers of [1, 2]) {
  const r = await playTrainer({
    datasetDir: dataset, order: 'ready-first', steps: 40, workers, depth: 8, perStep, timeoutMs: 300_000,
    sampler: { seed: 2, epochLength: 40 },
  }, 0);
  console.log(`| ${workers} | ${r.samples_per_s.toFixed(2)} | ${r.median_prepare_ms.toFixed(0)} |`);
}
rmSync(root, { recursive: true, force: true });
