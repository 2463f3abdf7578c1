// Shared helpers of the core and tape suites: a seeded generator (the seed is
// drawn fresh each run and printed in every failure), random tensors, a
// float64 gradient check along random directions, float32-vs-float64
// agreement, and a leak check on the native live-tensor counter.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { Tensor, tensor, memoryStats, type DType } from '../../trainer/core/tensor.ts';
import { Tape, recordOn, noGrad, scope, gradientOf, mul, sum } from '../../trainer/autograd/index.ts';

export class Rng {
  private state: number;
  constructor(readonly seed: number = randomInt(2 ** 31)) {
    this.state = seed >>> 0;
  }
  /** uniform in [0, 1) (mulberry32) */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  values(n: number, lo = -1, hi = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
  normals(n: number, scale = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * scale;
    return out;
  }
}

export const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** One input of a checked function: its values, and whether it is differentiated. */
export interface InputSpec {
  shape: number[];
  values: Float64Array | Int32Array;
  dtype?: DType; // default: the check's float dtype; int32 inputs are never differentiated
  grad?: boolean; // default true for float inputs
}

export function randomInput(rng: Rng, shape: number[], lo = -1, hi = 1, grad = true): InputSpec {
  return { shape, values: rng.values(count(shape), lo, hi), grad };
}

function makeInputs(specs: InputSpec[], dtype: DType, shift?: { dirs: Float64Array[]; eps: number }): Tensor[] {
  return specs.map((s, i) => {
    if (s.dtype === 'int32') return tensor(s.values, s.shape, { dtype: 'int32' });
    let v = Float64Array.from(s.values);
    if (shift && s.grad !== false) v = v.map((x, k) => x + shift.eps * shift.dirs[i][k]);
    const t = tensor(v, s.shape, { dtype: s.dtype ?? dtype });
    if (s.grad !== false) t.requiresGrad = true;
    return t;
  });
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

interface Evaluation {
  output: number[];
  loss: number;
  grads: (number[] | null)[];
}

/** L = sum(f(inputs) * w); returns f's output, L and dL/dinput by the tape. */
function evaluate(fn: (xs: Tensor[]) => Tensor, specs: InputSpec[], weights: Float64Array, dtype: DType, withGrad: boolean): Evaluation {
  return scope(() => {
    const xs = makeInputs(specs, dtype);
    const tape = new Tape();
    const { out, loss } = (withGrad ? recordOn : (_t: Tape, f: () => { out: Tensor; loss: Tensor }) => noGrad(f))(tape, () => {
      const o = fn(xs);
      const w = tensor(weights, o.shape, { dtype: o.dtype });
      return { out: o, loss: sum(mul(o, w)) };
    });
    const result: Evaluation = { output: out.toNumbers(), loss: loss.toNumbers()[0], grads: [] };
    if (withGrad) {
      gradientOf(tape, loss);
      result.grads = xs.map((x) => (x.grad ? x.grad.toNumbers() : null));
    }
    tape.release();
    return result;
  });
}

export interface CheckOptions {
  rng: Rng;
  eps?: number; // central-difference step (float64)
  tol?: number; // relative tolerance of the directional derivative (float64)
  directions?: number;
  f32Tol?: number; // relative error of float32 outputs and gradients against float64
  skipF32?: boolean;
}

/**
 * Float64 gradient check along random directions u: the tape's sum_i <g_i, u_i>
 * against (L(x + eps u) - L(x - eps u)) / (2 eps); then the same function in
 * float32 against float64 (outputs and gradients). Central differences err
 * by O(eps^2 f''') plus rounding O(1e-16 / eps): 1e-6 relative is ample at
 * eps = 1e-5 on inputs of order 1. float32 rounds at 6e-8 per operation; a
 * few hundred accumulated operations stay below 1e-5 relative on the outputs,
 * and gradients (which subtract nearly equal terms in softmax and layer norm
 * backward) below 1e-4.
 */
export function checkGradients(name: string, fn: (xs: Tensor[]) => Tensor, specs: InputSpec[], options: CheckOptions): void {
  const { rng } = options;
  const eps = options.eps ?? 1e-5;
  const tol = options.tol ?? 1e-6;
  const where = `${name} (seed ${rng.seed})`;
  const outputSize = scope(() => noGrad(() => fn(makeInputs(specs, 'float64')).size));
  const weights = rng.normals(outputSize);
  const base = evaluate(fn, specs, weights, 'float64', true);
  specs.forEach((s, i) => {
    if (s.grad !== false && s.dtype !== 'int32') assert.ok(base.grads[i] !== null, `${where}: no gradient reached input ${i}`);
  });
  for (let d = 0; d < (options.directions ?? 2); d++) {
    const dirs = specs.map((s) => rng.normals(count(s.shape)));
    let analytic = 0;
    specs.forEach((s, i) => {
      const g = base.grads[i];
      if (s.grad !== false && g) analytic += dot(g, dirs[i]);
    });
    const lossAt = (sign: number) =>
      scope(() =>
        noGrad(() => {
          const xs = makeInputs(specs, 'float64', { dirs, eps: sign * eps });
          const o = fn(xs);
          const w = tensor(weights, o.shape, { dtype: 'float64' });
          return sum(mul(o, w)).toNumbers()[0];
        }),
      );
    const numeric = (lossAt(1) - lossAt(-1)) / (2 * eps);
    const err = Math.abs(analytic - numeric) / Math.max(1, Math.abs(numeric));
    assert.ok(err <= tol, `${where}: directional derivative ${analytic} vs central difference ${numeric} (rel err ${err.toExponential(2)} > ${tol})`);
  }
  if (options.skipF32) return;
  const f32 = evaluate(fn, specs, weights, 'float32', true);
  const f32Tol = options.f32Tol ?? 1e-5;
  const outErr = relErr(f32.output, base.output);
  assert.ok(outErr <= f32Tol, `${where}: float32 output vs float64 rel err ${outErr.toExponential(2)} > ${f32Tol}`);
  // A gradient that is zero in exact arithmetic (e.g. a bias shared by every
  // key of a softmax) is rounding noise in both precisions: compare each
  // gradient relative to the largest gradient norm instead of its own.
  const norm = (g: number[]) => Math.sqrt(g.reduce((a, b) => a + b * b, 0));
  const largest = Math.max(...base.grads.map((g) => (g ? norm(g) : 0)));
  specs.forEach((_s, i) => {
    const g64 = base.grads[i];
    const g32 = f32.grads[i];
    if (!g64 || !g32) return;
    const diff = norm(g32.map((v, k) => v - g64[k]));
    const e = diff / Math.max(norm(g64), 1e-3 * largest);
    assert.ok(e <= f32Tol * 10, `${where}: float32 gradient of input ${i} vs float64 rel err ${e.toExponential(2)} > ${f32Tol * 10}`);
  });
}

/** Runs body and asserts that no native tensor outlived it. */
export function noLeaks(body: () => void): void {
  const before = memoryStats();
  body();
  const after = memoryStats();
  assert.equal(after.liveTensors, before.liveTensors, `live tensor handles: ${before.liveTensors} before, ${after.liveTensors} after`);
  assert.equal(after.liveStorages, before.liveStorages, 'live storages changed');
  assert.equal(after.hostBytes, before.hostBytes, 'live host bytes changed');
}
