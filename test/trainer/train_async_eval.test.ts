// Asynchronous evaluation: every 2 steps the averaged weights go to the
// evaluation worker thread while training continues. Each result arrives
// tagged with its step, after later steps were already taken, and equals a
// synchronous evaluation of that step's averaged weights (from its checkpoint).
// Paced evaluation (eval/op_pacer.ts; the CPU default is unpaced): a paced
// worker pauses in proportion to its chunks until unpaced, a submission
// supersedes one still waiting, and pacing changes no result.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keep } from '../../trainer/autograd/index.ts';
import { memoryStats, parameter, tensor } from '../../trainer/core/tensor.ts';
import { AsyncEvaluator, type EvalResult } from '../../trainer/eval/async_evaluator.ts';
import { evaluate, evaluationParams, validationExamples } from '../../trainer/eval/validation.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { OptimizerState } from '../../trainer/train/optimizer_state.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { loadConfig } from '../../trainer/model/config.ts';
import { ParamStore } from '../../trainer/model/params.ts';
import { readCheckpoint, checkpointName } from '../../trainer/train/checkpoint.ts';
import { pretrain } from '../../trainer/train/pretrain_run.ts';
import { buildChains, quickRun, TRAIN_CHAINS, VAL_CHAINS } from './train_fixture_support.ts';

let dataDir: string;
let valDir: string;
/** The first test's eval records (the host optimizer path). */
let hostPathEvals: Record<string, number>[] = [];

before(async () => {
  dataDir = await buildChains(TRAIN_CHAINS, 'eval-train');
  valDir = await buildChains(VAL_CHAINS, 'eval-val');
});

test('evaluation runs in a worker while training goes on; results belong to their steps', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'train-eval-'));
  const train = quickRun(6, { evalEvery: 2, checkpointEvery: 2 });
  const summary = await pretrain({ dataDir, valDir, outDir, preset: 'tiny', place: { dtype: 'float32', device: 'cpu' }, train, resume: false, log: () => {} });
  assert.equal(summary.steps, 6);
  const lines = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const evalLines = lines.map((r, i) => ({ r, i })).filter((x) => x.r.kind === 'eval');
  assert.deepEqual(evalLines.map((x) => x.r.step), [2, 4, 6]);
  hostPathEvals = evalLines.map((x) => x.r);
  // The first evaluation (worker start-up included) overlapped training: steps after 2 were logged before its result.
  const first = evalLines[0]!;
  assert.ok(first.r.steps_during_eval >= 1, `no step was taken while step 2 was evaluated: ${JSON.stringify(first.r)}`);
  assert.ok(lines.slice(0, first.i).some((r) => r.kind === 'step' && r.step > 2));
  for (const x of evalLines) assert.equal(x.r.chains, VAL_CHAINS.length);
  // unpaced (the CPU default): no pacing figures
  for (const x of evalLines) assert.equal(x.r.eval_busy_ms, undefined);
  // ... and each equals evaluating that step's averaged weights here.
  const config = loadConfig('tiny');
  const place = { dtype: 'float32', device: 'cpu' } as const;
  const examples = await validationExamples(valDir, train.perStep);
  const liveBefore = memoryStats().liveTensors;
  for (const x of evalLines) {
    const ckpt = await readCheckpoint(join(outDir, 'checkpoints', checkpointName(x.r.step)));
    const params = new ParamStore(new Map([...ckpt.ema].map(([name, t]) => [name, keep(parameter(tensor(t.data as Float32Array, t.shape, place)))])));
    const m = evaluate(params, config, place, examples);
    params.dispose();
    assert.equal(x.r.lddt_ca, m.lddt_ca, `lDDT-Ca of step ${x.r.step}`);
    assert.equal(x.r.distogram, m.distogram);
    assert.equal(x.r.plddt, m.plddt);
    assert.ok(m.lddt_ca >= 0 && m.lddt_ca <= 1);
  }
  assert.equal(memoryStats().liveTensors, liveBefore, 'evaluation left tensors behind');
  // the evaluation results moved with the weights (decay 0.9 over 2 steps)
  assert.notEqual(evalLines[0]!.r.distogram, evalLines[2]!.r.distogram);
  for (const f of ['loss_terms.svg', 'lddt_ca.svg', 'learning_rate.svg', 'step_time.svg']) {
    assert.match(readFileSync(join(outDir, f), 'utf8'), /^<svg [^>]*>[\s\S]*<polyline/, f);
  }
  assert.ok(existsSync(join(outDir, 'checkpoints', 'step-000006', 'ema.safetensors')));
});

test('evaluation under the bf16 trunk on bf16 weight copies equals casting on use, and differs from fp32', async () => {
  const config = loadConfig('tiny');
  const place = { dtype: 'float32', device: 'cpu' } as const;
  const examples = (await validationExamples(valDir, quickRun(1).perStep)).slice(0, 1);
  const specs = modelParamSpec(config);
  const init = initParams(specs, 7);
  const names = specs.map((s) => s.name);
  // the initialisation zeroes the heads' final layers: a deterministic perturbation makes every output depend on the trunk
  const values = specs.map((s, i) => Float32Array.from(init.get(s.name)!, (x, j) => x + 0.05 * Math.sin(j * 12.9898 + i * 78.233)));
  const shapes = specs.map((s) => s.shape);
  const bf16 = { trunkDtype: 'bfloat16' } as const;
  const liveBefore = memoryStats().liveTensors;
  const withCopies = evaluationParams(names, shapes, values, place, bf16);
  assert.ok(names.every((n) => withCopies.shadow(n)?.dtype === 'bfloat16'));
  const castOnUse = evaluationParams(names, shapes, values, place);
  assert.equal(castOnUse.shadow(names[0]!), null);
  const a = evaluate(withCopies, config, place, examples, bf16);
  const b = evaluate(castOnUse, config, place, examples, bf16);
  const fp32 = evaluate(castOnUse, config, place, examples);
  withCopies.dispose();
  castOnUse.dispose();
  assert.deepEqual(a, b);
  assert.notEqual(a.distogram, fp32.distogram);
  assert.ok(Math.abs(a.distogram - fp32.distogram) < 0.05 * Math.abs(fp32.distogram));
  assert.equal(memoryStats().liveTensors, liveBefore);
});

test('paced: a submission supersedes one still waiting; unpaced, every one is kept; results equal synchronous evaluation', async () => {
  const config = loadConfig('tiny');
  const place = { dtype: 'float32', device: 'cpu' } as const;
  const perStep = quickRun(1).perStep;
  const specs = modelParamSpec(config);
  const opt = OptimizerState.fromWeights(specs, initParams(specs, 11), ALPHAFOLD_ADAM_SWA);
  const weightsOf = (step: number) => opt.slots.map((s) => Float32Array.from(s.param, (x, j) => x + 0.01 * step * Math.sin(j + step)));
  const results: EvalResult[] = [];
  const skips: [number, number][] = [];
  // a share this small keeps step 1's evaluation running (paused) until unpace()
  const evaluator = new AsyncEvaluator({ valDir, preset: 'tiny', perStep, device: 'cpu', share: 0.001 }, (r) => results.push(r), (a, b) => skips.push([a, b]));
  const submit = (step: number) => {
    weightsOf(step).forEach((w, i) => opt.slots[i]!.average.set(w));
    evaluator.submit(step, opt.slots);
  };
  try {
    submit(1);
    submit(2);
    submit(3); // 2 was waiting: superseded
    assert.deepEqual(skips, [[2, 3]]);
    assert.equal(evaluator.inFlight, 2);
    evaluator.unpace();
    submit(4); // unpaced: kept behind 3
    assert.equal(evaluator.inFlight, 3);
    await evaluator.drain();
  } finally {
    await evaluator.close();
  }
  assert.deepEqual(results.map((r) => r.step), [1, 3, 4]);
  assert.deepEqual(skips, [[2, 3]]);
  const examples = await validationExamples(valDir, perStep);
  for (const r of results) {
    const params = evaluationParams(opt.slots.map((s) => s.name), opt.slots.map((s) => s.shape), weightsOf(r.step), place);
    const m = evaluate(params, config, place, examples);
    params.dispose();
    assert.equal(r.metrics.distogram, m.distogram, `step ${r.step}`);
    assert.equal(r.metrics.lddt_ca, m.lddt_ca, `step ${r.step}`);
  }
  // step 1 ran paced until released: its pauses are 999x its measured chunks
  const p1 = results[0]!.paced!;
  assert.ok(Math.abs(p1.slept_ms - p1.busy_ms * 999) <= 1e-9 * Math.max(1, p1.slept_ms));
  assert.deepEqual(results[2]!.paced, { busy_ms: 0, slept_ms: 0 });
});

test('with the device optimizer (fused path) the averages reach the worker in one flat copy: the same results', async () => {
  assert.equal(hostPathEvals.length, 3, 'runs after the first test');
  const outDir = mkdtempSync(join(tmpdir(), 'train-eval-fused-'));
  const train = quickRun(6, { evalEvery: 2, checkpointEvery: 2 });
  await pretrain({ dataDir, valDir, outDir, preset: 'tiny', place: { dtype: 'float32', device: 'cpu' }, train, resume: false, log: () => {}, optimizer: 'fused' });
  const evals = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.kind === 'eval');
  assert.deepEqual(evals.map((r) => r.step), [2, 4, 6]);
  evals.forEach((r, i) => {
    for (const key of ['lddt_ca', 'distogram', 'plddt', 'plddt_loss']) assert.equal(r[key], hostPathEvals[i]![key], `step ${r.step} ${key}`);
  });
});
