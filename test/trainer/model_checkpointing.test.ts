// Activation checkpointing of the trunk's blocks (runtime checkpointBlocks,
// OpenFold blocks_per_ckpt = 1) on the tiny golden model, float64 on the CPU:
// the same losses and bit-identical gradients as without it, with dropout off
// (the golden) and on (every trunk dropout at OpenFold's training rates: the
// re-run must replay the first run's seeds), and fewer tensors alive after
// the forward (checkpointing in the bf16 trunk: model_mixed_precision.test.ts).
// Also: alphaFold frees the recycled tensors of its earlier passes itself
// (nothing leaks without disposeRecycled, which stays harmless).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryStats } from '../../trainer/core/tensor.ts';
import { noGrad, scope } from '../../trainer/autograd/index.ts';
import { evalRuntime, trainingRuntime } from '../../trainer/model/runtime.ts';
import { alphaFold } from '../../trainer/model/alphafold.ts';
import type { AlphaFoldConfig } from '../../trainer/model/config_types.ts';
import { disposeRecycled } from '../../trainer/train/train_step.ts';
import { features, golden, runTiny, type TinyRun } from './model_tiny_support.ts';

const f64 = { dtype: 'float64', device: 'cpu' } as const;

function assertSameRun(a: TinyRun, b: TinyRun, what: string): void {
  assert.deepEqual(a.loss, b.loss, `${what}: loss terms`);
  for (const [name, g] of a.grads) assert.deepEqual(b.grads.get(name), g, `${what}: gradient of ${name}`);
}

/** The tiny config with OpenFold's training dropout in every trunk stack and the structure module. */
function withDropout(c: AlphaFoldConfig): AlphaFoldConfig {
  const d = structuredClone(c);
  d.model.evoformer_stack.msa_dropout = 0.15;
  d.model.evoformer_stack.pair_dropout = 0.25;
  d.model.extra_msa.extra_msa_stack.msa_dropout = 0.15;
  d.model.extra_msa.extra_msa_stack.pair_dropout = 0.25;
  d.model.template.template_pair_stack.dropout_rate = 0.25;
  d.model.structure_module.dropout_rate = 0.1;
  return d;
}

test('checkpointed blocks: same losses, bit-identical gradients, fewer live tensors after the forward (golden, dropout off)', () => {
  const plain = runTiny(f64, (p) => evalRuntime(p));
  const ckpt = runTiny(f64, (p) => evalRuntime(p, { checkpointBlocks: true }));
  assertSameRun(plain, ckpt, 'eval');
  assert.ok(Math.abs(plain.loss.loss! - golden.loss('loss')) <= 1e-11 * golden.loss('loss'));
  assert.ok(ckpt.liveAfterForward.hostBytes < 0.75 * plain.liveAfterForward.hostBytes,
    `host bytes after the forward: ${ckpt.liveAfterForward.hostBytes} checkpointed vs ${plain.liveAfterForward.hostBytes}`);
  assert.ok(ckpt.liveAfterForward.tensors < plain.liveAfterForward.tensors);
  // every Evoformer, extra-MSA and template-pair block is one checkpoint node
  const c = golden.config.model;
  assert.equal(ckpt.ops.get('checkpoint'), c.evoformer_stack.no_blocks + c.extra_msa.extra_msa_stack.no_blocks
    + c.template.template_pair_stack.no_blocks * golden.input('template_aatype', 0).shape[0]!);
});

test('checkpointed blocks with dropout on: the re-run replays the seeds (bit-identical gradients)', () => {
  const config = withDropout(golden.config);
  const plain = runTiny(f64, (p) => trainingRuntime(p, 5, 3), { config });
  const ckpt = runTiny(f64, (p) => trainingRuntime(p, 5, 3, { checkpointBlocks: true }), { config });
  assertSameRun(plain, ckpt, 'training');
  // the dropout is really on: the loss is not the golden's (dropout off)
  assert.ok(Math.abs(plain.loss.loss! - golden.loss('loss')) > 1e-3 * golden.loss('loss'), `loss ${plain.loss.loss} with dropout`);
});

test('alphaFold frees the earlier passes\' recycled tensors; the last pass\'s go with the caller\'s scope', () => {
  const params = golden.params(f64);
  // 4 passes over the golden's 2 recycling slices (the later passes reuse the last)
  const f = (name: string, k: number) => features(name, Math.min(k, golden.iterations - 1));
  const before = memoryStats().liveTensors;
  let alive: boolean[] = [];
  noGrad(() => scope(() => {
    const out = alphaFold(params, evalRuntime(f64), golden.config, f, 4);
    alive = out.recycled.map((r) => !r.m1Prev.disposed && !r.zPrev.disposed);
  }));
  assert.deepEqual(alive, [false, false, false, true]);
  assert.equal(memoryStats().liveTensors, before, 'nothing outlives the scope');
  // the trainer's disposeRecycled stays harmless (before or after the scope ends)
  scope(() => {
    const out = noGrad(() => alphaFold(params, evalRuntime(f64), golden.config, f, 2));
    disposeRecycled(out.recycled);
  });
  assert.equal(memoryStats().liveTensors, before);
  params.dispose();
});
