// Resume is exact on the CPU: a run stopped after k steps and resumed from its
// checkpoint gives the uninterrupted run's losses bit for bit (sampler and
// dropout streams keyed by (seed, step), fp32 master weights and Adam state
// stored in F32), and its final weights equal the uninterrupted run's.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestCheckpoint } from '../../trainer/train/checkpoint.ts';
import { pretrain, type PretrainOptions } from '../../trainer/train/pretrain_run.ts';
import { buildChains, quickRun, TRAIN_CHAINS } from './train_fixture_support.ts';

let dataDir: string;
const quiet = () => {};

before(async () => {
  dataDir = await buildChains(TRAIN_CHAINS, 'resume');
});

function options(outDir: string, steps: number, resume: boolean): PretrainOptions {
  return {
    dataDir, outDir, preset: 'tiny', place: { dtype: 'float32', device: 'cpu' }, resume, log: quiet,
    train: quickRun(steps, { evalEvery: 0, checkpointEvery: 2, lr: { baseLr: 0, maxLr: 1e-3, warmupSteps: 2, startDecayAfter: 4, decayEvery: 1, decayFactor: 0.5 } }),
  };
}

function stepLosses(outDir: string): number[] {
  return readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.kind === 'step').map((r) => r.loss);
}

test('a run resumed from step 3 repeats the uninterrupted run bit for bit', async () => {
  const whole = mkdtempSync(join(tmpdir(), 'train-whole-'));
  const split = mkdtempSync(join(tmpdir(), 'train-split-'));
  const a = await pretrain(options(whole, 6, false));
  assert.equal(a.steps, 6);
  const first = await pretrain(options(split, 3, false));
  assert.equal(first.steps, 3);
  const second = await pretrain(options(split, 6, true));
  assert.equal(second.startStep, 3);
  assert.equal(second.steps, 6);
  // the losses, bit for bit (the schedule decays at step 4: the LR state is restored too)
  assert.deepEqual(first.losses.concat(second.losses), a.losses);
  assert.deepEqual(stepLosses(split), stepLosses(whole));
  // the final weights, averaged weights and Adam moments
  const x = (await latestCheckpoint(join(whole, 'checkpoints')))!;
  const y = (await latestCheckpoint(join(split, 'checkpoints')))!;
  assert.equal(x.state.step, 6);
  assert.equal(y.state.step, 6);
  for (const key of ['model', 'ema', 'optimizer'] as const) {
    for (const [name, t] of x[key]) assert.deepEqual(y[key].get(name)!.data, t.data, `${key} ${name}`);
  }
  // and a fresh run in the same folder starts over
  const again = await pretrain(options(split, 2, false));
  assert.equal(again.startStep, 0);
  assert.deepEqual(stepLosses(split), a.losses.slice(0, 2));
});

test('step ends deferred to the next step (the cuda default) give the same records, and resume stays exact', async () => {
  const stepRecords = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((r) => r.kind === 'step').map((r) => ({ step: r.step, sample: r.sample_step, loss: r.loss, grad: r.grad_norm, lr: r.lr }));
  const at = (dir: string, steps: number, resume: boolean, deferStepEnd: boolean): PretrainOptions => {
    const o = options(dir, steps, resume);
    o.train = { ...o.train, checkpointEvery: 3 };
    return { ...o, deferStepEnd };
  };
  const direct = mkdtempSync(join(tmpdir(), 'train-direct-'));
  const deferred = mkdtempSync(join(tmpdir(), 'train-deferred-'));
  const split = mkdtempSync(join(tmpdir(), 'train-deferred-split-'));
  const a = await pretrain(at(direct, 7, false, false));
  const b = await pretrain(at(deferred, 7, false, true));
  assert.deepEqual(b.losses, a.losses);
  assert.equal(stepRecords(deferred).length, 7);
  assert.deepEqual(stepRecords(deferred), stepRecords(direct));
  // a SIGTERM arriving between steps, while step 5's end is deferred (it is raised as step 4 is logged, which
  // happens after step 5 was enqueued): the loop stops, step 5 is finished and logged, then checkpointed
  let signalled = false;
  const first = await pretrain({
    ...at(split, 7, false, true),
    log: (line) => {
      if (!signalled && line.startsWith('step 4/')) {
        signalled = true;
        setImmediate(() => process.emit('SIGTERM', 'SIGTERM'));
      }
    },
  });
  assert.ok(first.interrupted);
  assert.equal(first.steps, 5);
  assert.equal(stepRecords(split).length, 5);
  assert.equal((await latestCheckpoint(join(split, 'checkpoints')))!.state.step, 5);
  const second = await pretrain(at(split, 7, true, true));
  assert.equal(second.startStep, 5);
  assert.deepEqual(stepRecords(split), stepRecords(direct));
});

test('resuming with other settings is refused, naming both', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-mismatch-'));
  await pretrain(options(dir, 1, false));
  const other = options(dir, 2, true);
  other.train.seed = 7;
  await assert.rejects(pretrain(other), /another run configuration/);
});

test('ready-first delivery: a run stopped with samples overtaken resumes without repeating or losing one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-ready-first-'));
  const base = options(dir, 12, false);
  base.train = { ...base.train, order: 'ready-first', loaderWorkers: 2, loaderDepth: 6 };
  const faults = { stragglerRate: 0.4, stragglerMs: 800, crashSamples: new Set<number>() };
  const consumed = () => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)).filter((r) => r.kind === 'step').map((r) => r.sample_step as number);
  let stopped = false;
  const first = await pretrain({
    ...base, loaderFaults: faults,
    log: () => {
      // stop as soon as a sample was overtaken (a gap below the largest consumed sample step)
      const got = consumed();
      if (!stopped && got.length > 0 && Math.max(...got) + 1 > got.length) {
        stopped = true;
        process.emit('SIGTERM', 'SIGTERM');
      }
    },
  });
  assert.ok(stopped && first.interrupted, 'no sample was overtaken');
  const ckpt = (await latestCheckpoint(join(dir, 'checkpoints')))!;
  assert.equal(ckpt.state.step, first.steps);
  assert.ok(ckpt.state.consumedAhead.length > 0, JSON.stringify(ckpt.state));
  const second = await pretrain({ ...base, resume: true, loaderFaults: faults });
  assert.equal(second.steps, 12);
  assert.deepEqual([...consumed()].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i));
});
