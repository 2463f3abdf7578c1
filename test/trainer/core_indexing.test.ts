// The core's coalesced index math (launch.h: Indexer, FastDiv, DivMod; the
// CUDA kernels use the same code) against plain JS references, on random
// shapes with size-1 axes, broadcasts of every pattern, random permutes and
// random sets of reduced axes, in float64 (exact for these ops up to the
// summation order of reduce_sum).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../trainer/core/tensor.ts';
import { runOpAll } from '../../trainer/core/ops.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { Rng, noLeaks } from './core_gradcheck.ts';

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const stridesOf = (s: readonly number[]) => {
  const st = new Array<number>(s.length).fill(1);
  for (let k = s.length - 2; k >= 0; k--) st[k] = st[k + 1] * s[k + 1];
  return st;
};
/** Multi-index of linear index i in shape s. */
const unravel = (i: number, s: readonly number[]) => {
  const idx = new Array<number>(s.length).fill(0);
  for (let k = s.length - 1; k >= 0; k--) {
    idx[k] = i % s[k];
    i = Math.floor(i / s[k]);
  }
  return idx;
};
const randomShape = (rng: Rng, rank: number, max: number) => Array.from({ length: rank }, () => 1 + Math.floor(rng.next() * max));
const randomValues = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => Math.round(rng.next() * 2000 - 1000) / 8);

test('binary ops over random broadcast patterns match a JS reference', () =>
  noLeaks(() => {
    const rng = new Rng();
    for (let c = 0; c < 60; c++) {
      const rank = 1 + Math.floor(rng.next() * 5);
      const out = randomShape(rng, rank, 6);
      // each operand: a suffix of the output's axes, each axis either full or 1
      const operand = (r: number) => {
        return out.slice(rank - r).map((d) => (rng.next() < 0.4 ? 1 : d));
      };
      const sa = operand(rank); // a has the full rank, b a random suffix of it
      const sb = operand(1 + Math.floor(rng.next() * rank));
      const full = out.map((_, k) => Math.max(k >= rank - sa.length ? sa[k - rank + sa.length] : 1, k >= rank - sb.length ? sb[k - rank + sb.length] : 1));
      const va = randomValues(rng, numel(sa));
      const vb = randomValues(rng, numel(sb));
      const read = (v: Float64Array, s: number[], idx: number[]) => {
        const st = stridesOf(s);
        let off = 0;
        for (let k = 0; k < s.length; k++) off += (s[k] === 1 ? 0 : idx[idx.length - s.length + k]) * st[k];
        return v[off];
      };
      const expect = Array.from({ length: numel(full) }, (_, i) => {
        const idx = unravel(i, full);
        return read(va, sa, idx) - read(vb, sb, idx);
      });
      ag.scope(() => {
        const got = runOpAll('binary', [tensor(va, sa, { dtype: 'float64' }), tensor(vb, sb, { dtype: 'float64' })], { fn: 'sub' })[0];
        assert.deepEqual(got.shape, full, `shape of ${sa} - ${sb}`);
        assert.deepEqual(got.toNumbers(), expect, `${sa} - ${sb}`);
      });
    }
  }));

test('permute over random shapes (size-1 axes, moved and kept inner axes) matches a JS reference', () =>
  noLeaks(() => {
    const rng = new Rng();
    for (let c = 0; c < 60; c++) {
      const rank = 1 + Math.floor(rng.next() * 5);
      const shape = randomShape(rng, rank, 5);
      const perm = Array.from({ length: rank }, (_, i) => i);
      for (let i = rank - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      const v = randomValues(rng, numel(shape));
      const outShape = perm.map((p) => shape[p]);
      const st = stridesOf(shape);
      const expect = Array.from({ length: numel(outShape) }, (_, i) => {
        const idx = unravel(i, outShape);
        return v[idx.reduce((off, x, k) => off + x * st[perm[k]], 0)];
      });
      ag.scope(() => assert.deepEqual(ag.permute(tensor(v, shape, { dtype: 'float64' }), perm).toNumbers(), expect, `${shape} perm ${perm}`));
    }
  }));

test('reduce_sum over random axis sets (several groups, size-1 axes) matches a JS reference', () =>
  noLeaks(() => {
    const rng = new Rng();
    for (let c = 0; c < 60; c++) {
      const rank = 1 + Math.floor(rng.next() * 5);
      const shape = randomShape(rng, rank, 5);
      const axes = shape.map((_, i) => i).filter(() => rng.next() < 0.5);
      const v = randomValues(rng, numel(shape)); // multiples of 1/8 below 2^10: sums are exact in float64
      const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const expect = new Array<number>(numel(outShape)).fill(0);
      const ost = stridesOf(outShape);
      for (let i = 0; i < v.length; i++) {
        const idx = unravel(i, shape);
        expect[idx.reduce((off, x, k) => off + (axes.includes(k) ? 0 : x) * ost[k], 0)] += v[i];
      }
      ag.scope(() => {
        const got = runOpAll('reduce_sum', [tensor(v, shape, { dtype: 'float64' })], { axes })[0];
        assert.deepEqual(got.shape, outShape);
        assert.deepEqual(got.toNumbers(), expect, `${shape} axes ${axes}`);
      });
    }
  }));

test('index_select, one_hot and reduce_max index math on odd sizes', () =>
  noLeaks(() => {
    const rng = new Rng();
    for (let c = 0; c < 20; c++) {
      const shape = randomShape(rng, 3, 7);
      const axis = Math.floor(rng.next() * 3);
      const m = 1 + Math.floor(rng.next() * 9);
      const idx = Int32Array.from({ length: m }, () => Math.floor(rng.next() * shape[axis]));
      const v = randomValues(rng, numel(shape));
      const outShape = shape.map((d, k) => (k === axis ? m : d));
      const st = stridesOf(shape);
      const expect = Array.from({ length: numel(outShape) }, (_, i) => {
        const at = unravel(i, outShape);
        at[axis] = idx[at[axis]];
        return v[at.reduce((off, x, k) => off + x * st[k], 0)];
      });
      ag.scope(() => {
        assert.deepEqual(ag.indexSelect(tensor(v, shape, { dtype: 'float64' }), tensor(idx, [m], { dtype: 'int32' }), axis).toNumbers(), expect);
        const hot = ag.oneHot(tensor(idx, [m], { dtype: 'int32' }), shape[axis], 'float64').toNumbers();
        assert.deepEqual(hot, Array.from({ length: m * shape[axis] }, (_, i) => (idx[Math.floor(i / shape[axis])] === i % shape[axis] ? 1 : 0)));
        const mx = ag.max(tensor(v, shape, { dtype: 'float64' }), axis).toNumbers();
        const red = shape.filter((_, k) => k !== axis);
        const expectMax = Array.from({ length: numel(red) }, (_, i) => {
          const r = unravel(i, red);
          let best = -Infinity;
          for (let j = 0; j < shape[axis]; j++) {
            const at = [...r.slice(0, axis), j, ...r.slice(axis)];
            best = Math.max(best, v[at.reduce((off, x, k) => off + x * st[k], 0)]);
          }
          return best;
        });
        assert.deepEqual(mx, expectMax);
      });
    }
  }));
