// Differentiable reductions (native: ops/reduce.cpp): sum and mean over axes,
// AlphaFold's masked mean (OpenFold utils.tensor_utils.masked_mean), and max
// over one axis.
import { Tensor } from '../core/tensor.ts';
import { runOpAll } from '../core/ops.ts';
import { record } from './tape.ts';
import { add, div, mul, scalarLike, mulScalar } from './elementwise.ts';

function normAxes(x: Tensor, axes: readonly number[] | undefined): number[] {
  const all = axes ?? x.shape.map((_, i) => i);
  return all.map((a) => (a < 0 ? a + x.rank : a));
}

function dropAxes(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

/** Sum over axes (all when omitted); keepDims keeps them as 1. */
export function sum(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  const ax = normAxes(x, axes);
  const [kept] = runOpAll('reduce_sum', [x], { axes: ax });
  let y = kept;
  if (!keepDims) {
    y = kept.reshape(dropAxes(x.shape, ax));
    kept.dispose();
  }
  record('sum', [x], [y], [], (g) => {
    if (!g[0]) return [null];
    const keptShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
    const gk = g[0].reshape(keptShape);
    const zeros = runOpAll('fill', [gk], { value: 0, shape: x.shape })[0];
    const [dx] = runOpAll('binary', [zeros, gk], { fn: 'add' });
    zeros.dispose();
    gk.dispose();
    return [dx];
  });
  return y;
}

export function mean(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  const ax = normAxes(x, axes);
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  return mulScalar(sum(x, ax, keepDims), 1 / count);
}

/** sum(mask * x) / (eps + sum(mask)) over axes; mask broadcasts against x. */
export function maskedMean(x: Tensor, mask: Tensor, axes: readonly number[], eps = 1e-4, keepDims = false): Tensor {
  const prod = mul(x, mask);
  const ax = normAxes(prod, axes);
  const num = sum(prod, ax, keepDims);
  const [onesLikeX] = runOpAll('fill', [x], { value: 1 });
  const den = add(sum(mul(mask, onesLikeX), ax, keepDims), scalarLike(eps, x));
  return div(num, den);
}

/** Max over one axis (the gradient goes to the first maximum). */
export function max(x: Tensor, axis: number, keepDims = false): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  const [kept, arg] = runOpAll('reduce_max', [x], { axis: a });
  let y = kept;
  if (!keepDims) {
    y = kept.reshape(dropAxes(x.shape, [a]));
    kept.dispose();
  }
  record('max', [x], [y], [arg, x], (g, [sArg, sx]) => {
    if (!g[0]) return [null];
    const gk = g[0].reshape(sArg.shape);
    const [dx] = runOpAll('reduce_max_backward', [gk, sArg, sx], { axis: a });
    gk.dispose();
    return [dx];
  });
  arg.dispose();
  return y;
}
