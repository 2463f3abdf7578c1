// The native fused optimizer op on the CPU (the reference the CUDA kernel
// is held to) against the TS reference: bit for bit, with and without the
// global-norm clip, and its input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../trainer/core/tensor.ts';
import { scope } from '../../trainer/autograd/index.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { AdamSwaPlan, fusedAdamSwaDevice, gradNormSq } from '../../trainer/train/fused_adam_swa_native.ts';
import { compareAdamSwa } from './adam_swa_check.ts';

const SIZES = [1, 7, 128, 4096, 4097, 3 * 4096 + 5, 20_000];

test('adam_swa on the CPU equals the TS reference bit for bit (no clip)', () => {
  const r = compareAdamSwa('cpu', SIZES, 4, ALPHAFOLD_ADAM_SWA, { clip: null, seed: 11, lr: 1e-3 });
  assert.deepEqual(r.mismatches, { param: 0, m: 0, v: 0, average: 0, bf16: 0 });
});

test('adam_swa with the device clip equals clip + reference bit for bit; the squared norm agrees', () => {
  const r = compareAdamSwa('cpu', SIZES, 3, { ...ALPHAFOLD_ADAM_SWA, averageDecay: 0.9 }, { clip: 0.1, seed: 5, lr: 5e-4 });
  assert.equal(r.clippedSteps, 3, 'the random gradients are large enough to be clipped');
  assert.ok(r.normSqRelDiff < 1e-12, `squared norm relative difference ${r.normSqRelDiff}`);
  assert.deepEqual(r.mismatches, { param: 0, m: 0, v: 0, average: 0, bf16: 0 });
});

test('the planned form (adam_swa_plan + adam_swa_step) equals the TS reference bit for bit', () => {
  const r = compareAdamSwa('cpu', SIZES, 3, { ...ALPHAFOLD_ADAM_SWA, averageDecay: 0.9 }, { clip: 0.1, seed: 8, lr: 5e-4, form: 'plan' });
  assert.equal(r.clippedSteps, 3);
  assert.deepEqual(r.mismatches, { param: 0, m: 0, v: 0, average: 0, bf16: 0 });
  const n = compareAdamSwa('cpu', SIZES, 2, ALPHAFOLD_ADAM_SWA, { clip: null, seed: 9, lr: 1e-3, form: 'plan' });
  assert.deepEqual(n.mismatches, { param: 0, m: 0, v: 0, average: 0, bf16: 0 });
});

test('adam_swa without clipping where the norm is below the bound', () => {
  const r = compareAdamSwa('cpu', [5, 300], 2, ALPHAFOLD_ADAM_SWA, { clip: 1e6, seed: 2, lr: 1e-3 });
  assert.equal(r.clippedSteps, 0);
  assert.deepEqual(r.mismatches, { param: 0, m: 0, v: 0, average: 0, bf16: 0 });
});

test('grad_norm_sq and adam_swa reject mismatched inputs', () => {
  scope(() => {
    const a = tensor([1, 2, 3], [3]);
    const b = tensor([1, 2], [2]);
    assert.equal(gradNormSq([a, b]).toArray()[0], 1 + 4 + 9 + 1 + 4);
    const slot = { param: a, m: tensor([0, 0, 0], [3]), v: tensor([0, 0, 0], [3]), average: tensor([0, 0, 0], [3]), copy: null };
    assert.throws(() => fusedAdamSwaDevice([slot], [b], 1e-3, 1, ALPHAFOLD_ADAM_SWA), /does not match/);
    assert.throws(() => fusedAdamSwaDevice([slot], [tensor([1, 2, 3], [3], { dtype: 'float64' })], 1e-3, 1, ALPHAFOLD_ADAM_SWA), /float32/);
    assert.throws(() => fusedAdamSwaDevice([{ ...slot, copy: tensor([0, 0, 0], [3]) }], [a], 1e-3, 1, ALPHAFOLD_ADAM_SWA), /bfloat16/);
    const plan = AdamSwaPlan.build([slot]);
    assert.throws(() => plan.step([b], 1e-3, 1, ALPHAFOLD_ADAM_SWA), /gradient 0 is float32\[2\]@cpu, the parameter has 3 elements/);
    assert.throws(() => plan.step([a, a], 1e-3, 1, ALPHAFOLD_ADAM_SWA), /2 gradients for 1 parameters/);
    plan.dispose();
  });
});
