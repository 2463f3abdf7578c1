// The tape's ownership of saved tensors: values saved for backward survive
// the scope that made them (the tape holds its own handles) and are freed by
// backward or release(); inputs that need no gradient get none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, memoryStats } from '../../trainer/core/tensor.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { noLeaks } from './core_gradcheck.ts';

test('activations saved for backward outlive their scope and are freed by backward', () =>
  noLeaks(() => {
    const w = tensor([0.5, -1, 2], [3], { dtype: 'float64' });
    w.requiresGrad = true;
    const x = tensor([1, 2, 3], [3], { dtype: 'float64' });
    const tape = new ag.Tape();
    const loss = ag.recordOn(tape, () => ag.scope(() => ag.sum(ag.exp(ag.mul(x, w)))));
    const during = memoryStats().liveTensors;
    ag.gradientOf(tape, loss);
    assert.ok(memoryStats().liveTensors < during);
    const expected = [1, 2, 3].map((xi, i) => xi * Math.exp(xi * [0.5, -1, 2][i]));
    w.grad!.toNumbers().forEach((g, i) => assert.ok(Math.abs(g - expected[i]) < 1e-12));
    assert.equal(x.grad, null);
    for (const t of [w, x, loss]) t.dispose();
  }));

test('release() frees a tape that is never replayed', () =>
  noLeaks(() => {
    const w = tensor([1, 2], [2]);
    w.requiresGrad = true;
    const tape = new ag.Tape();
    ag.scope(() => {
      ag.recordOn(tape, () => ag.softmax(ag.mul(w, w)));
    });
    assert.ok(tape.nodes.length === 2);
    tape.release();
    w.dispose();
  }));
