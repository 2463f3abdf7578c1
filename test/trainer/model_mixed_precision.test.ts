// Mixed precision (runtime trunkDtype 'bfloat16'): the tiny golden model with
// a bf16 trunk (embedders, templates, extra-MSA stack, Evoformer) and fp32
// masters, structure module, heads and losses, against the float64 OpenFold
// golden. The bounds come from a float32 run of the same model scaled by
// eps(bf16)/eps(fp32) = 2^16 (trainer/model/precision_check.ts explains
// them); a run with one Evoformer layer skipped must break them. The bf16
// shadow copies of the parameters (ParamStore.setShadow) give bit-identical
// results to casting on use when they equal cast(master).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../trainer/core/tensor.ts';
import { cast, keep, scope } from '../../trainer/autograd/index.ts';
import { evalRuntime } from '../../trainer/model/runtime.ts';
import type { TensorPlacement } from '../../trainer/model/host_tensor.ts';
import { bf16Tolerance, bf16Violations, precisionErrors } from '../../trainer/model/precision_check.ts';
import { golden, runTiny, type TinyRun } from './model_tiny_support.ts';

const fp32 = { dtype: 'float32', device: 'cpu' } as const;
const bf16Trunk = (p: TensorPlacement) => evalRuntime(p, { trunkDtype: 'bfloat16' });
const errorsOf = (r: TinyRun) => precisionErrors(r.loss, r.grads, (n) => golden.loss(n), (n) => golden.grad(n).data);

const f32Run = runTiny(fp32, (p) => evalRuntime(p));
const bf16Run = runTiny(fp32, bf16Trunk);
const bounds = bf16Tolerance(errorsOf(f32Run));

test('bf16 trunk: loss terms and gradients within the bf16 bounds derived from the float32 run', () => {
  const e = errorsOf(bf16Run);
  assert.deepEqual(bf16Violations(e, bounds), []);
  // it is really bf16: clearly less accurate than float32 (a run that ignored trunkDtype would pass the bounds too)
  assert.ok(e.gradGlobal > 100 * errorsOf(f32Run).gradGlobal, `bf16 gradient error ${e.gradGlobal} vs float32 ${errorsOf(f32Run).gradGlobal}`);
});

test('bf16 trunk: the bounds catch a wrong layer (one Evoformer MSA transition skipped)', () => {
  const broken = runTiny(fp32, bf16Trunk, {
    prepare: (params) => {
      for (const name of ['evoformer.blocks.1.msa_transition.linear_2.weight', 'evoformer.blocks.1.msa_transition.linear_2.bias']) {
        const t = params.get(name);
        const zero = keep(tensor(new Float32Array(t.size), t.shape, fp32));
        zero.requiresGrad = true;
        params.tensors.set(name, zero);
        t.dispose();
      }
    },
  });
  const v = bf16Violations(errorsOf(broken), bounds);
  assert.ok(v.some((x) => x.startsWith('loss')), `loss terms within bounds: ${v.join('; ')}`);
  assert.ok(v.some((x) => x.startsWith('gradients')), `gradients within bounds: ${v.join('; ')}`);
});

test('bf16 trunk: dtypes at the boundaries (bf16 recycled pair; fp32 structure module, heads, loss, master gradients)', () => {
  assert.deepEqual(bf16Run.dtypes, {
    pair: 'float32', msa: 'float32', single: 'float32', smSingle: 'float32', lddtLogits: 'float32', recycledPair: 'bfloat16', total: 'float32',
  });
  assert.deepEqual([...bf16Run.gradDtypes], ['float32']);
  // parameters are cast on use (no shadows here), recorded so their gradients reach the masters
  assert.ok((bf16Run.ops.get('cast') ?? 0) > 300, `cast nodes: ${bf16Run.ops.get('cast')}`);
  assert.equal(bf16Run.ops.get('cast_via') ?? 0, 0);
});

test('checkpointed blocks in the bf16 trunk: bit-identical losses and gradients to the bf16 trunk without checkpointing', () => {
  const ckpt = runTiny(fp32, (p) => evalRuntime(p, { trunkDtype: 'bfloat16', checkpointBlocks: true }));
  assert.deepEqual(ckpt.loss, bf16Run.loss);
  for (const [name, g] of bf16Run.grads) assert.deepEqual(ckpt.grads.get(name), g, name);
});

test('bf16 shadows equal to cast(master) give bit-identical losses and gradients to casting on use', () => {
  const trunk = /^(input_embedder|recycling_embedder|template_embedder|extra_msa_embedder|extra_msa_stack|evoformer)\./;
  let shadows = 0;
  const withShadows = runTiny(fp32, bf16Trunk, {
    prepare: (params) => scope(() => {
      for (const [name, t] of params.tensors) {
        if (!trunk.test(name)) continue;
        params.setShadow(name, cast(t, 'bfloat16'));
        shadows++;
      }
    }),
  });
  assert.ok(shadows > 300);
  assert.ok((withShadows.ops.get('cast_via') ?? 0) >= shadows, `castVia nodes: ${withShadows.ops.get('cast_via')} for ${shadows} shadows`);
  assert.deepEqual(withShadows.loss, bf16Run.loss);
  for (const [name, g] of bf16Run.grads) assert.deepEqual(withShadows.grads.get(name), g, name);
});
