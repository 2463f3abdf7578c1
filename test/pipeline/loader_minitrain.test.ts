// The training loader on a dataset built from the real minitrain fixture:
// determinism, ready-first vs strict delivery, skipped hung samples and dead
// workers, bounded memory with a slow consumer, and a shutdown that never hangs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { perStepConfig } from '../../features/transforms/config.ts';
import { buildDataset } from '../../pipeline/build/build_dataset.ts';
import { Progress } from '../../pipeline/build/progress.ts';
import { viewBatch } from '../../pipeline/loader/batch_layout.ts';
import { DatasetRows } from '../../pipeline/loader/dataset_rows.ts';
import { perStepTransforms } from '../../features/transforms/ensembled/per_step.ts';
import type { NumericTensor } from '../../features/tensor.ts';
import { TrainingLoader, type LoaderOptions } from '../../pipeline/loader/training_loader.ts';
import { ALIGNMENTS, MMCIFS } from './build_fixture_support.ts';

const dataset = join(mkdtempSync(join(tmpdir(), 'loader-minitrain-')), 'dataset');
// Small per-step sizes keep the suite quick; the code path is the full one.
const perStep = perStepConfig({ cropSize: 48, maxMsaClusters: 16, maxExtraMsa: 64, maxPasses: 2 });

before(async () => {
  await buildDataset({ mmcifDir: MMCIFS, alignmentDir: ALIGNMENTS, outDir: dataset, threads: 2, progress: new Progress(new PassThrough() as unknown as NodeJS.WriteStream, false) });
});

function options(overrides: Partial<LoaderOptions>): Partial<LoaderOptions> & { datasetDir: string } {
  return { datasetDir: dataset, perStep, workers: 2, depth: 4, steps: 10, sampler: { seed: 42, epochLength: 64 }, ...overrides };
}

async function collect(loader: TrainingLoader) {
  const out: { step: number; chainId: string; bytes: Uint8Array }[] = [];
  for await (const b of loader) out.push({ step: b.sample.step, chainId: b.sample.chainId, bytes: b.bytes });
  return out;
}

test('the same seed gives the same samples and byte-identical batches; strict keeps sampler order', async () => {
  const a = await collect(await TrainingLoader.open(options({ order: 'strict' })));
  const b = await collect(await TrainingLoader.open(options({ order: 'strict', workers: 1 })));
  assert.deepEqual(a.map((x) => x.step), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(a.map((x) => x.chainId), b.map((x) => x.chainId));
  // Everything but the header's preparation time (bytes 16..24) must be equal.
  const content = (bytes: Uint8Array) => Buffer.concat([bytes.subarray(0, 16), bytes.subarray(24)]);
  a.forEach((x, i) => assert.ok(content(x.bytes).equals(content(b[i]!.bytes)), `step ${x.step} differs`));
  // The batch written in place by the worker equals the per-step transforms run here.
  const loader = await TrainingLoader.open(options({ steps: 1 }));
  const rows = await DatasetRows.open(dataset);
  for await (const batch of loader) {
    const expected = perStepTransforms(rows.features(batch.sample.chainId), {
      seed: batch.sample.seed, config: { ...perStep, passes: batch.sample.forwardPasses },
    });
    const got = viewBatch(batch.layout, batch.bytes);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort());
    for (const [key, tensor] of Object.entries(expected)) {
      const t = tensor as NumericTensor;
      assert.deepEqual(got[key]!.shape, t.shape, key);
      assert.deepEqual((got[key] as NumericTensor).data, t.data, key);
    }
  }
  rows.close();
  const other = await collect(await TrainingLoader.open(options({ order: 'strict', sampler: { seed: 43, epochLength: 64 } })));
  assert.notDeepEqual(other.map((x) => x.chainId), a.map((x) => x.chainId));
});

test('ready-first delivers every step exactly once and overtakes slow samples', async () => {
  const loader = await TrainingLoader.open(options({
    order: 'ready-first', steps: 16, depth: 6,
    faults: { stragglerRate: 0.25, stragglerMs: 700, crashSamples: new Set() },
  }));
  const got = await collect(loader);
  const steps = got.map((x) => x.step);
  assert.deepEqual([...steps].sort((p, q) => p - q), Array.from({ length: 16 }, (_, i) => i));
  assert.notDeepEqual(steps, Array.from({ length: 16 }, (_, i) => i), 'no sample was overtaken');
  // The packed buffer decodes to the batch table's shapes.
  const first = await TrainingLoader.open(options({ steps: 1 }));
  for await (const b of first) {
    const views = viewBatch(b.layout, b.bytes);
    assert.deepEqual(views.msa_feat!.shape, [b.passes, 16, 48, 49]);
    assert.deepEqual(views.extra_msa!.shape, [b.passes, 64, 48]);
    assert.equal(b.passes, b.sample.forwardPasses);
  }
});

for (const order of ['strict', 'ready-first'] as const) {
  test(`${order}: a hung sample and a crashed worker are skipped and reported, training goes on`, async () => {
    const probe = await TrainingLoader.open(options({ steps: 0 }));
    const crashAt = probe.sampler.sampleForStep(3).globalIndex;
    await probe.close();
    const reported: string[] = [];
    const loader = await TrainingLoader.open(options({
      order, steps: 10, timeoutMs: 4000,
      faults: { stragglerRate: 0.15, stragglerMs: 600_000, crashSamples: new Set([crashAt]) },
      onSkip: (s) => reported.push(`${s.sample.step}:${s.reason}`),
    }));
    const got = await collect(loader);
    const skippedSteps = loader.skipped.map((s) => s.sample.step).sort((p, q) => p - q);
    assert.ok(loader.skipped.some((s) => s.reason === 'timeout'), `no timeout among ${reported.join(' ')}`);
    assert.ok(loader.skipped.some((s) => s.reason === 'error' && s.sample.step === 3), `crash not reported: ${reported.join(' ')}`);
    assert.deepEqual(
      [...got.map((x) => x.step), ...skippedSteps].sort((p, q) => p - q),
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.equal(reported.length, loader.skipped.length);
  });
}

test('memory stays bounded with a slow consumer, and close() returns while samples are stuck', async () => {
  const loader = await TrainingLoader.open(options({ steps: 12, depth: 3 }));
  let seen = 0;
  for await (const _ of loader) {
    seen += 1;
    assert.ok(loader.buffered <= 3, `buffered ${loader.buffered} > depth 3`);
    await sleep(150);
    if (seen === 5) break; // the iterator's finally closes the loader
  }
  const stuck = await TrainingLoader.open(options({ steps: 8, faults: { stragglerRate: 1, stragglerMs: 600_000, crashSamples: new Set() } }));
  await sleep(300);
  const started = Date.now();
  await stuck.close();
  assert.ok(Date.now() - started < 60_000);
});

test('loader-bench prints one JSON object with the wait figures', async () => {
  const { spawnSync } = await import('node:child_process');
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'trainer/cli.ts', 'loader-bench', dataset,
    '--steps', '4', '--step-ms', '20', '--workers', '2', '--depth', '3', '--crop', '32', '--json'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const figures = JSON.parse(result.stdout);
  for (const key of ['order', 'step_ms', 'steps', 'mean_wait_ms', 'p99_wait_ms', 'samples_per_s']) assert.ok(key in figures, key);
  assert.equal(figures.order, 'ready-first');
  assert.equal(figures.steps, 4);
  assert.equal(figures.delivered, 4);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'trainer/cli.ts', 'loader-bench', dataset, '--order', 'sideways'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
});
