// The op dispatch path (trainer/core/ops.ts + src/addon.cpp): op names
// resolved to table ids, output dtype/device/shape taken from the buffer
// run() fills (and the describe() fallback when it cannot), absent outputs,
// reshape/alias shapes without describe, and the errors that must still name
// the op and the shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, memoryStats, Tensor } from '../../trainer/core/tensor.ts';
import { native } from '../../trainer/core/binding.ts';
import { opNames, rebindDescribeBuffer, runOp, runOpAll } from '../../trainer/core/ops.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { noLeaks } from './core_gradcheck.ts';

/** Asserts a tensor's TS description matches what the core reports for its handle. */
function matchesCore(t: Tensor): void {
  const d = native.describe(t.handle);
  assert.deepEqual([t.dtype, t.device, [...t.shape]], [['float32', 'float64', 'bfloat16', 'int32'][d[0]], ['cpu', 'cuda'][d[1]], d.slice(2)]);
}

function sampleOutputs(): Tensor[] {
  const x = tensor([1, 2, 3, 4, 5, 6], [1, 2, 3]);
  const y = tensor([1, 2, 3], [3], { dtype: 'float64' });
  const outs: Tensor[] = [];
  outs.push(...runOpAll('binary', [x, tensor([1, 1, 1], [3])], { fn: 'add' }));
  outs.push(...runOpAll('permute', [x], { perm: [2, 0, 1] }));
  outs.push(...runOpAll('reduce_sum', [x], { axes: [1] }));
  outs.push(...runOpAll('cast', [y], { dtype: 3 }));
  outs.push(...runOpAll('cast', [y], { dtype: 2 }));
  outs.push(...runOpAll('unary', [tensor([2], [])], { fn: 'exp', lo: -Infinity, hi: Infinity }));
  outs.push(x.reshape([3, -1]), x.reshape([6]), x.reshape([1, 1, 6, 1]), x.alias());
  return outs;
}

test('outputs carry the dtype, device and shape the core reports (buffer path and describe fallback)', () =>
  noLeaks(() =>
    ag.scope(() => {
      const fast = sampleOutputs();
      for (const t of fast) matchesCore(t);
      assert.deepEqual(fast.map((t) => [...t.shape]), [[1, 2, 3], [3, 1, 2], [1, 1, 3], [3], [3], [], [3, 2], [6], [1, 1, 6, 1], [1, 2, 3]]);
      assert.deepEqual(fast[3].dtype, 'int32');
      assert.deepEqual(fast[4].dtype, 'bfloat16');
      // A buffer too small for any description: run() marks it, and runOp falls back to describe().
      const tiny = new Float64Array(2);
      native.bindDescribeBuffer(tiny);
      try {
        const slow = sampleOutputs();
        assert.equal(tiny[0], -1);
        assert.deepEqual(slow.map((t) => [t.dtype, t.device, [...t.shape]]), fast.map((t) => [t.dtype, t.device, [...t.shape]]));
        for (const t of slow) matchesCore(t);
        slow[slow.length - 1].dispose();
      } finally {
        rebindDescribeBuffer();
      }
      fast[fast.length - 1].dispose();
    })));

test('the description buffer records absent outputs; runOp keeps them null', () =>
  noLeaks(() =>
    ag.scope(() => {
      const q = tensor(Array.from({ length: 8 }, (_, i) => i / 8), [1, 2, 1, 4]);
      const [out, raw, lse] = runOp('attention', [q, q, q, null, null, null]);
      assert.ok(out && raw && lse);
      const g = tensor(new Array(8).fill(1), [1, 2, 1, 4]);
      const grads = runOp('attention_backward', [q, q, q, null, null, null, raw, lse, g]);
      assert.equal(grads.length, 5);
      assert.deepEqual(grads.map((t) => (t === null ? null : [...t.shape])), [[1, 2, 1, 4], [1, 2, 1, 4], [1, 2, 1, 4], null, null]);
      for (const t of grads) if (t) matchesCore(t);
      assert.throws(() => runOpAll('attention_backward', [q, q, q, null, null, null, raw, lse, g]), /attention_backward: the native op returned no tensor/);
    })));

test('op names resolve to ids; ids and names dispatch alike; unknown names and ids raise', () =>
  noLeaks(() =>
    ag.scope(() => {
      const names = opNames();
      names.forEach((n, i) => assert.equal(native.opId(n), i));
      assert.throws(() => native.opId('no_such_op'), /no op named 'no_such_op'/);
      assert.throws(() => runOp('no_such_op', []), /no op named 'no_such_op'/);
      assert.throws(() => runOp('no_such_op', []), /no op named 'no_such_op'/);
      const a = tensor([1, 2], [2]);
      const b = tensor([3, 4], [2]);
      const byId = native.run(native.opId('binary'), [a.handle, b.handle], { fn: 'mul' });
      const byName = native.run('binary', [a.handle, b.handle], { fn: 'mul' });
      const [x, y] = [new Tensor(byId[0]!), new Tensor(byName[0]!)];
      assert.deepEqual(x.toNumbers(), [3, 8]);
      assert.deepEqual(y.toNumbers(), [3, 8]);
      assert.throws(() => native.run(names.length, [], {}), /no op with id/);
      assert.throws(() => native.run(-1, [], {}), /no op with id/);
      assert.throws(() => native.run(0.5, [], {}), /no op with id/);
    })));

test('misuse still raises errors naming the op and the shapes; nothing leaks', () =>
  noLeaks(() =>
    ag.scope(() => {
      const before = memoryStats().liveTensors;
      const a = tensor([1, 2, 3], [3]);
      const b = tensor([1, 2], [2]);
      assert.throws(() => runOp('binary', [a, b], { fn: 'add' }), /binary.*float32\[3\]@cpu.*float32\[2\]@cpu/);
      assert.throws(() => runOp('permute', [a], { perm: [0, 1] }), /permute/);
      assert.throws(() => runOp('permute', [a], {}), /permute: missing list attribute 'perm'/);
      const gone = tensor([1], [1]);
      gone.dispose();
      assert.throws(() => runOp('unary', [gone], { fn: 'exp' }), /unary: tensor was already disposed/);
      assert.throws(() => native.run('binary', [a.handle, 'x' as unknown as typeof a.handle], { fn: 'add' }), /binary: expected a tensor handle/);
      assert.equal(memoryStats().liveTensors, before + 2);
      // A failed call leaves the next one intact.
      const [c] = runOpAll('binary', [a, a], { fn: 'add' });
      assert.deepEqual(c.toNumbers(), [2, 4, 6]);
      matchesCore(c);
    })));
