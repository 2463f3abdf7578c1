// Mixed precision gradients of bf16 weight copies: the matmul op's outDtype
// (bf16 operands, the fp32 accumulator as the output), and a linear layer
// whose weight is a bf16 cast / castVia of a float32 master giving that
// master a gradient that was never rounded to bf16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parameter, tensor, DTYPE_CODES } from '../../trainer/core/tensor.ts';
import { runOpAll } from '../../trainer/core/ops.ts';
import { Tape, add, cast, castVia, gradientOf, keep, layerNorm, linear, mul, recordOn, scope, sum } from '../../trainer/autograd/index.ts';

const bf16 = { dtype: 'bfloat16' } as const;
const parameterLike = (values: number[], shape: number[]) => parameter(tensor(values, shape));

/** Rounds to the nearest bf16 (ties to even), as the core does. */
function toBf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = (u[0]! + 0x7fff + ((u[0]! >> 16) & 1)) & 0xffff0000;
  return f[0]!;
}

test('matmul outDtype float32: bf16 operands, the unrounded fp32 products; other widenings and a bias are refused', () =>
  scope(() => {
    // 1 + 2^-8 needs 9 mantissa bits: exact in float32, rounded away in bf16
    const a = tensor([1, 1, 0, 1], [2, 2], bf16);
    const b = tensor([1, 2 ** -8, 0, 1], [2, 2], bf16);
    const [wide] = runOpAll('matmul', [a, b], { outDtype: DTYPE_CODES.float32 });
    assert.equal(wide!.dtype, 'float32');
    assert.deepEqual(wide!.toNumbers(), [1, 1 + 2 ** -8, 0, 1]);
    const [narrow] = runOpAll('matmul', [a, b]);
    assert.deepEqual(narrow!.toNumbers(), [1, toBf16(1 + 2 ** -8), 0, 1]);
    assert.notEqual(narrow!.toNumbers()[1], wide!.toNumbers()[1]);
    const f32 = tensor([1, 2, 3, 4], [2, 2]);
    assert.throws(() => runOpAll('matmul', [f32, f32], { outDtype: DTYPE_CODES.float64 }), /outDtype may only widen bfloat16 inputs to float32/);
    assert.throws(() => runOpAll('matmul', [a, b, tensor([1, 1], [2], bf16)], { outDtype: DTYPE_CODES.float32 }), /not offered with a bias/);
  }));

for (const via of ['cast', 'castVia'] as const) {
  test(`linear on a bf16 ${via} of a float32 weight: the master's gradient is the fp32 sum, not a bf16-rounded one`, () => {
    // dW[o, i] = sum_r dy[r, o] x[r, i] with dy = 1: the column sums of x, 1 + 2^-8 (not representable in bf16)
    const master = keep(parameterLike([1, 0, 0, 1], [2, 2]));
    const shadow = keep(tensor([1, 0, 0, 1], [2, 2], bf16));
    scope(() => {
      const tape = new Tape();
      const loss = recordOn(tape, () => {
        const w = via === 'cast' ? cast(master, 'bfloat16') : castVia(master, shadow);
        const x = tensor([1, 0, 2 ** -8, 1], [2, 2], bf16);
        return sum(cast(linear(x, w, null), 'float32'));
      });
      gradientOf(tape, loss);
    });
    assert.equal(master.grad!.dtype, 'float32');
    assert.deepEqual(master.grad!.toNumbers(), [1 + 2 ** -8, 1, 1 + 2 ** -8, 1]);
    master.dispose();
    shadow.dispose();
  });
}

test('a bf16 weight copy used by a linear (float32 gradient) and by a product (bf16 gradient): both reach the master, summed in float32', () => {
  const master = keep(parameterLike([1, 2, 3, 4], [2, 2]));
  scope(() => {
    const tape = new Tape();
    const loss = recordOn(tape, () => {
      const w = cast(master, 'bfloat16');
      const x = tensor([1, 0, 0, 1], [2, 2], bf16);
      // d/dw of sum(x w^T) = column sums of x = [1, 1] per row; d/dw of sum(w * 2) = 2
      return sum(cast(add(linear(x, w, null), mul(w, tensor([2, 2, 2, 2], [2, 2], bf16))), 'float32'));
    });
    gradientOf(tape, loss);
  });
  assert.equal(master.grad!.dtype, 'float32');
  assert.deepEqual(master.grad!.toNumbers(), [3, 3, 3, 3]);
  master.dispose();
});

test('reduce_sum outDtype float32: the unrounded sum of bf16 values; only bf16 -> float32 widens', () =>
  scope(() => {
    const x = tensor([1, 2 ** -8, 1, 2 ** -8, 3, 5], [3, 2], bf16);
    const [wide] = runOpAll('reduce_sum', [x], { axes: [0], outDtype: DTYPE_CODES.float32 });
    assert.equal(wide!.dtype, 'float32');
    assert.deepEqual(wide!.toNumbers(), [5, 2 ** -7 + 5]);
    const [narrow] = runOpAll('reduce_sum', [x], { axes: [0] });
    assert.deepEqual(narrow!.toNumbers(), wide!.toNumbers().map(toBf16));
    // nothing summed (a size-1 axis): a widening copy
    const [copy] = runOpAll('reduce_sum', [tensor([1.5, -2], [1, 2], bf16)], { axes: [0], outDtype: DTYPE_CODES.float32 });
    assert.deepEqual(copy!.toNumbers(), [1.5, -2]);
    assert.throws(() => runOpAll('reduce_sum', [tensor([1, 2], [2])], { axes: [0], outDtype: DTYPE_CODES.float64 }), /may only widen bfloat16 to float32/);
  }));

test('layer_norm_backward paramGradDtype float32: dgamma, dbeta as float sums (their bf16 rounding is the narrow output), dx unchanged', () =>
  scope(() => {
    const rows = 37, cols = 16;
    const values = Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.7) * 2);
    const x = tensor(values, [rows, cols], bf16);
    const gamma = tensor(Array.from({ length: cols }, (_, i) => 0.5 + i / cols), [cols], bf16);
    const beta = tensor(new Array(cols).fill(0.1), [cols], bf16);
    const dy = tensor(Array.from({ length: rows * cols }, (_, i) => Math.cos(i * 0.3)), [rows, cols], bf16);
    const [, mean, rstd] = runOpAll('layer_norm', [x, gamma, beta], { eps: 1e-5 });
    const narrow = runOpAll('layer_norm_backward', [dy, x, gamma, mean!, rstd!]);
    const wide = runOpAll('layer_norm_backward', [dy, x, gamma, mean!, rstd!], { paramGradDtype: DTYPE_CODES.float32 });
    assert.deepEqual(wide[0]!.toNumbers(), narrow[0]!.toNumbers(), 'dx');
    for (const k of [1, 2]) {
      assert.equal(wide[k]!.dtype, 'float32');
      assert.deepEqual(wide[k]!.toNumbers().map(toBf16), narrow[k]!.toNumbers());
    }
    assert.ok(wide[1]!.toNumbers().some((v, i) => v !== narrow[1]!.toNumbers()[i]), 'some dgamma sum is not a bf16 number');
  }));

test('a bf16 layer norm and biased linear over cast float32 parameters: every master gradient float32, equal to the float32 model within bf16 activations', () => {
  const specs = { gamma: [1, 1.5, 0.5, 2], beta: [0, 0.25, -0.25, 0.5], w: [0.5, -1, 0.25, 1, -0.5, 0.75, 1, 0.5], b: [0.125, -0.25] };
  const run = (dtype: 'float32' | 'bfloat16') => {
    const masters = Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, keep(parameter(tensor(v, k === 'w' ? [2, 4] : [v.length])))]));
    scope(() => {
      const tape = new Tape();
      const loss = recordOn(tape, () => {
        const use = (k: string) => (dtype === 'float32' ? masters[k]! : cast(masters[k]!, dtype));
        const x = tensor([1, -2, 3, 0.5, 2, 1, -1, 0], [2, 4], { dtype });
        const h = linear(layerNorm(x, use('gamma'), use('beta')), use('w'), use('b'));
        return sum(mul(cast(h, 'float32'), tensor([1, 2, 3, 4], [2, 2])));
      });
      gradientOf(tape, loss);
    });
    const grads = Object.fromEntries(Object.entries(masters).map(([k, t]) => [k, { dtype: t.grad!.dtype, values: t.grad!.toNumbers() }]));
    for (const t of Object.values(masters)) t.dispose();
    return grads;
  };
  const ref = run('float32');
  const mixed = run('bfloat16');
  for (const k of Object.keys(specs)) {
    assert.equal(mixed[k]!.dtype, 'float32', k);
    const err = Math.max(...mixed[k]!.values.map((v, i) => Math.abs(v - ref[k]!.values[i]!)));
    const scale = Math.max(...ref[k]!.values.map(Math.abs));
    assert.ok(err <= 2 ** -6 * scale, `${k}: ${err} vs ${scale}`);
  }
});
