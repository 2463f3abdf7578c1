// Differentiable layout ops (native: ops/layout.cpp, ops/gather.cpp,
// ops/binary.cpp cast, ops/dropout.cpp): reshape, permute, slice, pad,
// concat, index_select / embedding, one_hot, cast (and castVia, a
// parameter's shadow copy standing for its cast), dropout with a mask shared
// along axes (AlphaFold2 supplementary 1.11.6, DropoutRowwise/Columnwise).
import { Tensor, DTYPE_CODES, type DType } from '../core/tensor.ts';
import { runOpAll } from '../core/ops.ts';
import { record } from './tape.ts';
import { mul } from './elementwise.ts';

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const y = x.reshape(shape);
  record('reshape', [x], [y], [], (g) => [g[0] ? g[0].reshape(x.shape) : null]);
  return y;
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const [y] = runOpAll('permute', [x], { perm });
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p < 0 ? p + perm.length : p] = i));
  record('permute', [x], [y], [], (g) => [g[0] ? runOpAll('permute', [g[0]], { perm: inverse })[0] : null]);
  return y;
}

/** x[begin[i] : begin[i] + size[i]] on every axis (size -1: to the end). */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const sz = size.map((s, i) => (s < 0 ? x.shape[i] - begin[i] : s));
  const [y] = runOpAll('slice', [x], { begin, size: sz });
  const after = x.shape.map((d, i) => d - begin[i] - sz[i]);
  record('slice', [x], [y], [], (g) => [g[0] ? runOpAll('pad', [g[0]], { before: begin, after, value: 0 })[0] : null]);
  return y;
}

export function pad(x: Tensor, before: readonly number[], after: readonly number[], value = 0): Tensor {
  const [y] = runOpAll('pad', [x], { before, after, value });
  record('pad', [x], [y], [], (g) => [g[0] ? runOpAll('slice', [g[0]], { begin: before, size: x.shape })[0] : null]);
  return y;
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const a = axis < 0 ? axis + xs[0].rank : axis;
  const [y] = runOpAll('concat', xs, { axis: a });
  record('concat', [...xs], [y], [], (g) => {
    const g0 = g[0];
    if (!g0) return xs.map(() => null);
    let at = 0;
    return xs.map((x) => {
      const begin = x.shape.map((_, i) => (i === a ? at : 0));
      at += x.shape[a];
      return runOpAll('slice', [g0], { begin, size: x.shape })[0];
    });
  });
  return y;
}

/** Rows of x along axis picked by int32 indices [n]. */
export function indexSelect(x: Tensor, indices: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  const [y] = runOpAll('index_select', [x, indices], { axis: a });
  record('index_select', [x, indices], [y], [indices], (g, [idx]) => [
    g[0] ? runOpAll('index_add', [g[0], idx], { axis: a, size: x.shape[a] })[0] : null,
    null,
  ]);
  return y;
}

/** table[indices]: [..., C] for int32 indices of any shape (AlphaFold's embedders). */
export function embedding(table: Tensor, indices: Tensor): Tensor {
  const flat = indices.reshape([indices.size]);
  const rows = indexSelect(table, flat, 0);
  flat.dispose();
  return reshape(rows, [...indices.shape, table.shape[1]]);
}

export function oneHot(indices: Tensor, classes: number, dtype: DType = 'float32'): Tensor {
  return runOpAll('one_hot', [indices], { classes, dtype: DTYPE_CODES[dtype] })[0];
}

/**
 * bf16 tensors standing for a float32 one (cast / castVia of a master
 * weight): an op may hand their gradient back in float32 (the matmul's weight
 * gradient straight from its fp32 accumulator), and the cast's backward then
 * passes it on without rounding it to bf16 and casting it back.
 */
const widerGradient = new WeakMap<Tensor, DType>();

/** The dtype the gradient of t may come back in: float32 for a bf16 cast of a float32 tensor, else t's own. */
export function gradientDtype(t: Tensor): DType {
  return widerGradient.get(t) ?? t.dtype;
}

/** The cast's backward: g in the source dtype (a handle on g when it already is). */
function castBack(g: Tensor, dtype: DType): Tensor {
  return g.dtype === dtype ? g.reshape(g.shape) : runOpAll('cast', [g], { dtype: DTYPE_CODES[dtype] })[0];
}

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return reshape(x, x.shape);
  const [y] = runOpAll('cast', [x], { dtype: DTYPE_CODES[dtype] });
  if (x.dtype === 'float32' && dtype === 'bfloat16') widerGradient.set(y, 'float32');
  record('cast', [x], [y], [], (g) => [g[0] ? castBack(g[0], x.dtype) : null]);
  return y;
}

/**
 * A parameter's low-precision copy as a differentiable use of the master
 * (mixed precision: the optimizer keeps shadow = cast(master) up to date).
 * The value is the shadow (a new handle on its storage); the gradient comes
 * back cast to the master's dtype, into the master.
 */
export function castVia(master: Tensor, shadow: Tensor): Tensor {
  if (shadow.shape.length !== master.shape.length || shadow.shape.some((d, i) => d !== master.shape[i])) {
    throw new Error(`castVia: shadow ${shadow} does not match master ${master}`);
  }
  if (shadow.device !== master.device) throw new Error(`castVia: shadow ${shadow} is not on the master's device (${master})`);
  const y = shadow.reshape(shadow.shape);
  if (master.dtype === 'float32' && y.dtype === 'bfloat16') widerGradient.set(y, 'float32');
  record('cast_via', [master], [y], [], (g) => [g[0] ? castBack(g[0], master.dtype) : null]);
  return y;
}

/**
 * Dropout with the mask shared along sharedAxes (e.g. [-3] for AlphaFold's
 * row-wise dropout on [N_res, N_res, C_z]); rate 0 returns x unchanged.
 */
export function dropout(x: Tensor, rate: number, seed: number, sharedAxes: readonly number[] = []): Tensor {
  if (rate === 0) return reshape(x, x.shape);
  const shared = sharedAxes.map((a) => (a < 0 ? a + x.rank : a));
  const maskShape = x.shape.map((d, i) => (shared.includes(i) ? 1 : d));
  const [mask] = runOpAll('dropout_mask', [x], { shape: maskShape, rate, seed });
  return mul(x, mask);
}
