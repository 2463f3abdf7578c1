// Reductions, softmax, log-softmax and cross-entropy: float64 gradient checks
// and float32 agreement; values against direct computations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../trainer/core/tensor.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { Rng, checkGradients, noLeaks, randomInput } from './core_gradcheck.ts';

test('sum over one axis, several axes and all axes', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('sum axis 1', ([x]) => ag.sum(x, [1]), [randomInput(rng, [2, 3, 4])], { rng });
    checkGradients('sum axes 0,2 keepDims', ([x]) => ag.sum(x, [0, 2], true), [randomInput(rng, [2, 3, 4])], { rng });
    checkGradients('sum all', ([x]) => ag.sum(x), [randomInput(rng, [2, 3, 4])], { rng });
    ag.scope(() => assert.deepEqual(ag.sum(tensor([1, 2, 3, 4, 5, 6], [2, 3]), [0]).toNumbers(), [5, 7, 9]));
  }));

test('mean and masked mean (AlphaFold masked_mean with eps)', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('mean', ([x]) => ag.mean(x, [-1]), [randomInput(rng, [3, 5])], { rng });
    const mask = Float64Array.from({ length: 15 }, (_, i) => (i % 5 === 0 || rng.next() < 0.6 ? 1 : 0));
    checkGradients(
      'maskedMean',
      ([x, m]) => ag.maskedMean(x, m, [-1]),
      [randomInput(rng, [3, 5]), { shape: [3, 5], values: mask, grad: false }],
      { rng },
    );
    ag.scope(() => {
      const v = ag.maskedMean(tensor([1, 2, 3, 4], [1, 4], { dtype: 'float64' }), tensor([1, 0, 1, 0], [1, 4], { dtype: 'float64' }), [1], 0);
      assert.deepEqual(v.toNumbers(), [2]);
    });
  }));

test('max over an axis: values, and the gradient goes to the maximum', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('max axis 1', ([x]) => ag.max(x, 1), [randomInput(rng, [3, 5, 2])], { rng });
    ag.scope(() => assert.deepEqual(ag.max(tensor([1, 7, 3, 9, 2, 4], [2, 3]), -1).toNumbers(), [7, 9]));
  }));

test('softmax and log-softmax over the last axis', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('softmax', ([x]) => ag.softmax(x), [randomInput(rng, [4, 7], -3, 3)], { rng });
    checkGradients('logSoftmax', ([x]) => ag.logSoftmax(x), [randomInput(rng, [4, 7], -3, 3)], { rng });
    ag.scope(() => {
      const p = ag.softmax(tensor([0, Math.log(3)], [1, 2], { dtype: 'float64' })).toNumbers();
      assert.ok(Math.abs(p[0] - 0.25) < 1e-12 && Math.abs(p[1] - 0.75) < 1e-12);
    });
  }));

test('softmax cross-entropy with soft labels', () =>
  noLeaks(() => {
    const rng = new Rng();
    const labels = rng.values(4 * 6, 0, 1);
    checkGradients(
      'softmaxCrossEntropy',
      ([logits, l]) => ag.softmaxCrossEntropy(logits, l),
      [randomInput(rng, [4, 6], -3, 3), { shape: [4, 6], values: labels, grad: false }],
      { rng },
    );
    ag.scope(() => {
      const ce = ag.softmaxCrossEntropy(tensor([0, 0], [1, 2], { dtype: 'float64' }), tensor([1, 0], [1, 2], { dtype: 'float64' }));
      assert.ok(Math.abs(ce.toNumbers()[0] - Math.log(2)) < 1e-12);
    });
  }));
