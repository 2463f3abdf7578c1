// Layout ops: permute, slice, pad, concat, index_select / embedding,
// one_hot, cast, dropout. Gradient checks in float64, values checked directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../trainer/core/tensor.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { Rng, checkGradients, noLeaks, randomInput } from './core_gradcheck.ts';

test('permute: values and gradient', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('permute', ([x]) => ag.permute(x, [2, 0, 1]), [randomInput(rng, [2, 3, 4])], { rng });
    ag.scope(() => assert.deepEqual(ag.permute(tensor([1, 2, 3, 4, 5, 6], [2, 3]), [1, 0]).toNumbers(), [1, 4, 2, 5, 3, 6]));
  }));

test('slice and pad are each other\'s backward', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('slice', ([x]) => ag.slice(x, [1, 0, 2], [2, 3, -1]), [randomInput(rng, [3, 3, 5])], { rng });
    checkGradients('pad', ([x]) => ag.pad(x, [1, 0], [2, 3], 0.5), [randomInput(rng, [2, 3])], { rng });
    ag.scope(() => {
      assert.deepEqual(ag.slice(tensor([1, 2, 3, 4, 5, 6], [2, 3]), [0, 1], [2, 2]).toNumbers(), [2, 3, 5, 6]);
      assert.deepEqual(ag.pad(tensor([1, 2], [1, 2]), [0, 1], [1, 0], 9).toNumbers(), [9, 1, 2, 9, 9, 9]);
    });
  }));

test('concat along an inner axis', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('concat', ([a, b, c]) => ag.concat([a, b, c], 1), [randomInput(rng, [2, 1, 3]), randomInput(rng, [2, 2, 3]), randomInput(rng, [2, 3, 3])], { rng });
    ag.scope(() => assert.deepEqual(ag.concat([tensor([1, 2], [2, 1]), tensor([3, 4], [2, 1])], -1).toNumbers(), [1, 3, 2, 4]));
  }));

test('index_select with repeated indices accumulates the gradient; embedding', () =>
  noLeaks(() => {
    const rng = new Rng();
    const idx = Int32Array.from([2, 0, 2, 3]);
    checkGradients('indexSelect axis 1', ([x, i]) => ag.indexSelect(x, i, 1), [randomInput(rng, [2, 4, 3]), { shape: [4], values: idx, dtype: 'int32' }], { rng });
    const tokens = Int32Array.from({ length: 6 }, () => Math.floor(rng.next() * 5));
    checkGradients('embedding', ([t, i]) => ag.embedding(t, i), [randomInput(rng, [5, 4]), { shape: [2, 3], values: tokens, dtype: 'int32' }], { rng });
    ag.scope(() => {
      assert.throws(() => ag.indexSelect(tensor([1, 2], [2]), tensor([5], [1], { dtype: 'int32' }), 0), /index_select: index 5 out of range \[0, 2\)/);
    });
  }));

test('one_hot', () =>
  noLeaks(() =>
    ag.scope(() => {
      assert.deepEqual(ag.oneHot(tensor([2, 0], [2], { dtype: 'int32' }), 3).toNumbers(), [0, 0, 1, 1, 0, 0]);
      assert.equal(ag.oneHot(tensor([1], [1], { dtype: 'int32' }), 4, 'bfloat16').dtype, 'bfloat16');
    })));

test('cast between float32, bfloat16 and float64: rounding and gradient', () =>
  noLeaks(() => {
    const rng = new Rng();
    ag.scope(() => {
      // bf16 keeps 8 bits of mantissa: 1 + 2^-8 rounds to even (1), 1 + 3 * 2^-8 to 1 + 2^-6
      const x = tensor([1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, 65280], [4]);
      assert.deepEqual(ag.cast(x, 'bfloat16').toNumbers(), [1, 1 + 2 ** -6, -2.5, 65280]);
      assert.deepEqual(ag.cast(ag.cast(x, 'bfloat16'), 'float32').toNumbers(), [1, 1 + 2 ** -6, -2.5, 65280]);
    });
    // a cast is linear: its central difference is exact up to the float32
    // rounding of the shifted inputs (6e-8 / eps), so eps 1e-2 and tol 1e-4
    checkGradients('cast f64->f32->f64', ([x]) => ag.cast(ag.cast(x, 'float32'), 'float64'), [randomInput(rng, [5])], { rng, eps: 1e-2, tol: 1e-4, skipF32: true });
  }));

test('dropout: mask shared along the given axis, kept values scaled by 1/(1-rate), same seed same mask', () =>
  noLeaks(() => {
    const rng = new Rng();
    const seed = Math.floor(rng.next() * 1e9);
    checkGradients('dropout rowwise', ([x]) => ag.dropout(x, 0.25, seed, [0]), [randomInput(rng, [4, 6, 3])], { rng });
    ag.scope(() => {
      const x = ag.addScalar(ag.mulScalar(tensor(new Float64Array(64 * 200).fill(0), [64, 200]), 0), 1);
      const y = ag.dropout(x, 0.25, seed, [0]).toNumbers();
      for (let r = 1; r < 64; r++) for (let c = 0; c < 200; c++) assert.equal(y[r * 200 + c], y[c]);
      const kept = y.slice(0, 200).filter((v) => v !== 0);
      for (const v of kept) assert.ok(Math.abs(v - 4 / 3) < 1e-6);
      assert.ok(kept.length > 110 && kept.length < 190, `kept ${kept.length} of 200 at rate 0.25`);
      assert.deepEqual(ag.dropout(x, 0.25, seed, [0]).toNumbers(), y);
    });
  }));
