// Differentiable elementwise ops with broadcasting (native: ops/unary.cpp,
// ops/binary.cpp). Binary gradients come back at the broadcast shape and are
// summed back to each input's shape (sumTo).
import { DTYPE_CODES, Tensor, tensor, type DType } from '../core/tensor.ts';
import { runOp, runOpAll } from '../core/ops.ts';
import { record } from './tape.ts';

export type UnaryFn = 'neg' | 'abs' | 'sigmoid' | 'softplus' | 'relu' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'clamp';
export type BinaryFn = 'add' | 'sub' | 'mul' | 'div' | 'minimum' | 'maximum' | 'mul_sigmoid';

/**
 * Sums g (at a broadcast shape) back to shape. Always a new tensor. With
 * dtype float32 for a bf16 g, the sum comes out unrounded in float32 (the
 * gradient of a bf16 copy of a float32 parameter, layout.ts gradientDtype).
 */
export function sumTo(g: Tensor, shape: readonly number[], dtype: DType = g.dtype): Tensor {
  const extra = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < extra || (shape[i - extra] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  if (axes.length === 0 && dtype === g.dtype) return g.reshape(shape);
  const [s] = runOpAll('reduce_sum', [g], dtype === g.dtype ? { axes } : { axes, outDtype: DTYPE_CODES[dtype] });
  const r = s.reshape(shape);
  s.dispose();
  return r;
}

function unary(fn: UnaryFn, x: Tensor, lo = -Infinity, hi = Infinity): Tensor {
  const attrs = { fn, lo, hi };
  const [y] = runOpAll('unary', [x], attrs);
  record(fn, [x], [y], [x, y], (g, [sx, sy]) => [g[0] ? runOpAll('unary_backward', [g[0], sx, sy], attrs)[0] : null]);
  return y;
}

export const neg = (x: Tensor) => unary('neg', x);
export const abs = (x: Tensor) => unary('abs', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const softplus = (x: Tensor) => unary('softplus', x);
export const relu = (x: Tensor) => unary('relu', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const rsqrt = (x: Tensor) => unary('rsqrt', x);
export const square = (x: Tensor) => unary('square', x);
export const clamp = (x: Tensor, lo: number, hi: number) => unary('clamp', x, lo, hi);

/**
 * The gradient of add / sub straight from g (d/da = 1, d/db = ±1): g itself
 * (a new handle) where the input was not broadcast, else its sum; no
 * binary_backward copies, and the operands are not saved.
 */
function addSubGradients(fn: 'add' | 'sub', g: Tensor, a: Tensor, b: Tensor): [Tensor | null, Tensor | null] {
  const ra = a.requiresGrad ? sumTo(g, a.shape) : null;
  let rb: Tensor | null = null;
  if (b.requiresGrad) {
    const summed = sumTo(g, b.shape);
    if (fn === 'add') rb = summed;
    else {
      rb = runOpAll('unary', [summed], { fn: 'neg', lo: -Infinity, hi: Infinity })[0]!;
      summed.dispose();
    }
  }
  return [ra, rb];
}

function binary(fn: BinaryFn, a: Tensor, b: Tensor): Tensor {
  const [y] = runOpAll('binary', [a, b], { fn });
  if (fn === 'add' || fn === 'sub') {
    // saves nothing: the gradient needs neither operand
    record(fn, [a, b], [y], [], (g) => (g[0] ? addSubGradients(fn, g[0], a, b) : [null, null]));
    return y;
  }
  record(fn, [a, b], [y], [a, b], (g, [sa, sb]) => {
    if (!g[0]) return [null, null];
    // only the gradients of inputs that take one (a mask's is never computed)
    const need = (a.requiresGrad ? 1 : 0) | (b.requiresGrad ? 2 : 0);
    if (need === 0) return [null, null];
    const [da, db] = runOp('binary_backward', [g[0], sa, sb], { fn, need });
    const ra = da ? sumTo(da, a.shape) : null;
    const rb = db ? sumTo(db, b.shape) : null;
    da?.dispose();
    db?.dispose();
    return [ra, rb];
  });
  return y;
}

export const add = (a: Tensor, b: Tensor) => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor) => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor) => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor) => binary('div', a, b);
export const minimum = (a: Tensor, b: Tensor) => binary('minimum', a, b);
export const maximum = (a: Tensor, b: Tensor) => binary('maximum', a, b);
/** a * sigmoid(b) in one pass (AlphaFold's gating; one kernel forward, one backward). */
export const mulSigmoid = (a: Tensor, b: Tensor) => binary('mul_sigmoid', a, b);

/** A rank-0 constant of like's dtype and device. */
export function scalarLike(value: number, like: Tensor): Tensor {
  return tensor([value], [], { dtype: like.dtype, device: like.device });
}
export const addScalar = (x: Tensor, v: number) => add(x, scalarLike(v, x));
export const mulScalar = (x: Tensor, v: number) => mul(x, scalarLike(v, x));

/** where(cond, a, b): a where cond != 0, else b (cond is not differentiated). */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const [y] = runOpAll('where', [cond, a, b]);
  record('where', [cond, a, b], [y], [cond], (g, [c]) => {
    if (!g[0]) return [null, null, null];
    const zero = scalarLike(0, g[0]);
    const [ga] = runOpAll('where', [c, g[0], zero]);
    const [gb] = runOpAll('where', [c, zero, g[0]]);
    const ra = sumTo(ga, a.shape);
    const rb = sumTo(gb, b.shape);
    for (const t of [zero, ga, gb]) t.dispose();
    return [null, ra, rb];
  });
  return y;
}
