// Elementwise ops with broadcasting: float64 gradient checks along random
// directions and float32-vs-float64 agreement, inputs drawn fresh each run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tensor } from '../../trainer/core/tensor.ts';
import { runOp } from '../../trainer/core/ops.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { Rng, checkGradients, noLeaks, randomInput, count, type InputSpec } from './core_gradcheck.ts';

/** Values in [lo, hi] of random sign, kept |x| >= gap away from the kink at 0. */
function awayFromZero(rng: Rng, shape: number[], gap = 0.1): InputSpec {
  const v = rng.values(count(shape), gap, 1).map((x) => (rng.next() < 0.5 ? -x : x));
  return { shape, values: v };
}

const unaryCases: [string, (x: Tensor) => Tensor, (rng: Rng) => InputSpec][] = [
  ['neg', ag.neg, (r) => randomInput(r, [3, 4])],
  ['abs', ag.abs, (r) => awayFromZero(r, [3, 4])],
  ['sigmoid', ag.sigmoid, (r) => randomInput(r, [3, 4], -4, 4)],
  ['softplus', ag.softplus, (r) => randomInput(r, [3, 4], -4, 4)],
  ['relu', ag.relu, (r) => awayFromZero(r, [3, 4])],
  ['exp', ag.exp, (r) => randomInput(r, [3, 4], -2, 2)],
  ['log', ag.log, (r) => randomInput(r, [3, 4], 0.5, 3)],
  ['sqrt', ag.sqrt, (r) => randomInput(r, [3, 4], 0.5, 3)],
  ['rsqrt', ag.rsqrt, (r) => randomInput(r, [3, 4], 0.5, 3)],
  ['square', ag.square, (r) => randomInput(r, [3, 4], -2, 2)],
];

for (const [name, fn, make] of unaryCases) {
  test(`${name}: float64 gradient check and float32 agreement`, () =>
    noLeaks(() => {
      const rng = new Rng();
      checkGradients(name, ([x]) => fn(x), [make(rng)], { rng });
    }));
}

test('clamp: gradient check with the bounds away from every input, values clamped', () =>
  noLeaks(() => {
    const rng = new Rng();
    // inputs in [-1, 1] avoiding +-0.5 by 0.05 so the kinks are not straddled by the differences
    const v = rng.values(12, -1, 1).map((x) => (Math.abs(Math.abs(x) - 0.5) < 0.05 ? x * 0.8 : x));
    checkGradients('clamp', ([x]) => ag.clamp(x, -0.5, 0.5), [{ shape: [3, 4], values: v }], { rng });
    ag.scope(() => {
      const out = ag.clamp(tensor([-2, -0.2, 0.3, 9], [4]), -0.5, 0.5).toNumbers();
      assert.deepEqual(out.map((x) => Math.round(x * 10) / 10), [-0.5, -0.2, 0.3, 0.5]);
    });
  }));

const binaryCases: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', ag.add],
  ['sub', ag.sub],
  ['mul', ag.mul],
  ['div', ag.div],
  ['minimum', ag.minimum],
  ['maximum', ag.maximum],
  ['mul_sigmoid', ag.mulSigmoid],
];

for (const [name, fn] of binaryCases) {
  test(`${name}: broadcasting [2,3,4] with [3,1] and [4], gradients summed back`, () =>
    noLeaks(() => {
      const rng = new Rng();
      const positive = name === 'div';
      const lo = positive ? 0.5 : -1;
      checkGradients(`${name} [2,3,4]x[3,1]`, ([a, b]) => fn(a, b), [randomInput(rng, [2, 3, 4]), randomInput(rng, [3, 1], lo, 2)], { rng });
      checkGradients(`${name} [4]x[2,3,4]`, ([a, b]) => fn(a, b), [randomInput(rng, [4]), randomInput(rng, [2, 3, 4], lo, 2)], { rng });
    }));
}

test('binary ops compute the right values on a broadcast', () =>
  noLeaks(() =>
    ag.scope(() => {
      const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const b = tensor([10, 20, 30], [3]);
      assert.deepEqual(ag.add(a, b).toNumbers(), [11, 22, 33, 14, 25, 36]);
      assert.deepEqual(ag.sub(b, a).toNumbers(), [9, 18, 27, 6, 15, 24]);
      assert.deepEqual(ag.maximum(a, tensor([3], [1])).toNumbers(), [3, 3, 3, 4, 5, 6]);
    })));

test('mul_sigmoid: a * sigmoid(b); binary_backward gives only the gradients asked for (need)', () =>
  noLeaks(() =>
    ag.scope(() => {
      const a = tensor([1, -2, 3, 0.5], [2, 2], { dtype: 'float64' });
      const b = tensor([0, 1, -1, 2], [2, 2], { dtype: 'float64' });
      const sig = (x: number) => 1 / (1 + Math.exp(-x));
      const y = ag.mulSigmoid(a, b).toNumbers();
      [1, -2, 3, 0.5].forEach((av, i) => assert.ok(Math.abs(y[i]! - av * sig([0, 1, -1, 2][i]!)) < 1e-15));
      const g = tensor([1, 1, 1, 1], [2, 2], { dtype: 'float64' });
      const both = runOp('binary_backward', [g, a, b], { fn: 'mul' });
      const onlyA = runOp('binary_backward', [g, a, b], { fn: 'mul', need: 1 });
      const onlyB = runOp('binary_backward', [g, a, b], { fn: 'mul', need: 2 });
      assert.deepEqual(onlyA[0]!.toNumbers(), both[0]!.toNumbers());
      assert.equal(onlyA[1], null);
      assert.equal(onlyB[0], null);
      assert.deepEqual(onlyB[1]!.toNumbers(), both[1]!.toNumbers());
      assert.throws(() => runOp('binary_backward', [g, a, b], { fn: 'mul', need: 0 }), /need must be 1 \(da\), 2 \(db\) or 3 \(both\)/);
    })));

test('where: selects by mask, gradients go to the chosen side only', () =>
  noLeaks(() => {
    const rng = new Rng();
    const mask = Float64Array.from({ length: 12 }, () => (rng.next() < 0.5 ? 1 : 0));
    checkGradients(
      'where',
      ([c, a, b]) => ag.where(c, a, b),
      [{ shape: [3, 4], values: mask, grad: false }, randomInput(rng, [3, 4]), randomInput(rng, [1, 4])],
      { rng },
    );
  }));

test('mismatched shapes raise an error naming the op and the shapes', () =>
  noLeaks(() =>
    ag.scope(() => {
      const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      assert.throws(() => ag.mul(a, tensor([1, 2], [2])), /binary: shapes do not broadcast \(inputs: float32\[2,3\]@cpu, float32\[2\]@cpu\)/);
      assert.throws(() => ag.add(a, tensor([1, 2, 3], [3], { dtype: 'float64' })), /binary: inputs of different dtypes/);
      assert.throws(() => ag.exp(tensor([1, 2], [2], { dtype: 'int32' })), /unary: needs a floating dtype/);
    })));
