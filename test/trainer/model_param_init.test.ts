import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../trainer/model/config.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { syntheticBatch } from '../../trainer/model/synthetic_batch.ts';

const specs = modelParamSpec(loadConfig('initial_training', { 'model.evoformer_stack.no_blocks': 1 }));

function stats(v: Float64Array): { mean: number; std: number; maxAbs: number } {
  let s = 0;
  let s2 = 0;
  let m = 0;
  for (const x of v) {
    s += x;
    s2 += x * x;
    m = Math.max(m, Math.abs(x));
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(s2 / v.length - mean * mean), maxAbs: m };
}

test('inits follow the kinds: truncated normals with the fan-in std, glorot bounds, zeros/ones, IPA head weights', () => {
  const values = initParams(specs, 3);
  const get = (n: string) => values.get(n)!;
  // lecun: std 1/sqrt(fan_in), truncated at 2 std of the underlying normal
  const lecun = stats(get('evoformer.blocks.0.outer_product_mean.linear_1.weight')); // [32, 256]
  assert.ok(Math.abs(lecun.std - 1 / 16) < 0.004, `lecun std ${lecun.std}`);
  assert.ok(lecun.maxAbs <= (2 / 16) / 0.87962566103423978 + 1e-12);
  const he = stats(get('evoformer.blocks.0.msa_transition.linear_1.weight')); // [1024, 256]
  assert.ok(Math.abs(he.std - Math.sqrt(2 / 256)) < 0.003, `he std ${he.std}`);
  const glorot = stats(get('evoformer.blocks.0.msa_att_row.mha.linear_q.weight')); // [256, 256]
  assert.ok(glorot.maxAbs <= Math.sqrt(6 / 512));
  assert.ok(Math.abs(glorot.std - Math.sqrt(6 / 512) / Math.sqrt(3)) < 0.003);
  assert.ok(get('evoformer.blocks.0.msa_att_row.mha.linear_o.weight').every((x) => x === 0));
  assert.ok(get('evoformer.blocks.0.msa_att_row.mha.linear_g.bias').every((x) => x === 1));
  assert.ok(get('structure_module.layer_norm_s.weight').every((x) => x === 1));
  assert.ok(get('structure_module.ipa.head_weights').every((x) => Math.abs(Math.log1p(Math.exp(x)) - 1) < 1e-15));
});

test('inits are reproducible from the seed and differ across seeds and tensors', () => {
  const a = initParams(specs.slice(0, 6), 11);
  const b = initParams(specs.slice(0, 6), 11);
  const c = initParams(specs.slice(0, 6), 12);
  const name = specs[0]!.name;
  assert.deepEqual(a.get(name), b.get(name));
  assert.notDeepEqual(a.get(name), c.get(name));
  assert.notDeepEqual(a.get(specs[0]!.name)!.slice(0, 10), a.get(specs[2]!.name)!.slice(0, 10));
});

test('synthetic batch has the shapes of a real one', () => {
  const f = syntheticBatch({ nRes: 12, nMsa: 5, nExtra: 7, nTemplates: 2, iterations: 1 }, 1);
  assert.deepEqual(f('msa_feat', 0).shape, [5, 12, 49]);
  assert.deepEqual(f('target_feat', 0).shape, [12, 22]);
  assert.deepEqual(f('extra_msa', 0).shape, [7, 12]);
  assert.deepEqual(f('template_all_atom_mask', 0).shape, [2, 12, 37]);
  assert.deepEqual(f('rigidgroups_gt_frames', 0).shape, [12, 8, 4, 4]);
  assert.ok(f('aatype', 0).data.every((x) => Number.isInteger(x) && x >= 0 && x < 20));
  assert.throws(() => f('no_such_feature', 0), /no recipe/);
});

test('initial-training widths (2 Evoformer blocks) run a finite forward, loss and backward on a synthetic batch', async () => {
  const { ParamStore } = await import('../../trainer/model/params.ts');
  const { alphaFold } = await import('../../trainer/model/alphafold.ts');
  const { alphaFoldLoss } = await import('../../trainer/model/alphafold_loss.ts');
  const { evalRuntime } = await import('../../trainer/model/runtime.ts');
  const { Tape, gradientOf, recordOn, scope } = await import('../../trainer/autograd/index.ts');
  const c = loadConfig('initial_training', {
    'model.evoformer_stack.no_blocks': 2, 'model.extra_msa.extra_msa_stack.no_blocks': 1, 'model.template.template_pair_stack.no_blocks': 1,
    'model.structure_module.no_blocks': 2,
  });
  const s = modelParamSpec(c);
  const params = ParamStore.fromValues(s, initParams(s, 5), 'float32');
  const f = syntheticBatch({ nRes: 10, nMsa: 3, nExtra: 5, nTemplates: 2, iterations: 2 }, 9);
  const place = { dtype: 'float32', device: 'cpu' } as const;
  let total = NaN;
  scope(() => {
    const tape = new Tape();
    let loss!: ReturnType<typeof alphaFoldLoss>;
    recordOn(tape, () => {
      loss = alphaFoldLoss(alphaFold(params, evalRuntime(place), c, f, 2), c, f, 1);
    });
    total = loss.breakdown.loss;
    gradientOf(tape, loss.total);
  });
  assert.ok(Number.isFinite(total) && total > 0, `loss ${total}`);
  // initialisation zeroes the output layers, so only some gradients are nonzero; all must be finite
  let nonzero = 0;
  for (const t of params.tensors.values()) {
    if (!t.grad) continue;
    const g = t.grad.toArray();
    assert.ok(g.every(Number.isFinite));
    if (g.some((x) => x !== 0)) nonzero++;
  }
  assert.ok(nonzero > 10, `${nonzero} parameter tensors got a nonzero gradient`);
  params.dispose();
});
