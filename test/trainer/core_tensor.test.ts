// Tensors of the native core: dtypes, shapes and strides, reshape views,
// explicit disposal and the live counters, errors on misuse, pinned buffers
// and host copies, and the CUDA answers on a machine without a GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, memoryStats, cudaInfo } from '../../trainer/core/tensor.ts';
import { native } from '../../trainer/core/binding.ts';
import { opNames, runOpAll } from '../../trainer/core/ops.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { noLeaks } from './core_gradcheck.ts';

test('tensors of every dtype round-trip their values, shapes and strides', () =>
  noLeaks(() =>
    ag.scope(() => {
      const f32 = tensor([1.5, -2, 3], [3, 1]);
      assert.equal(f32.dtype, 'float32');
      assert.deepEqual(f32.shape, [3, 1]);
      assert.deepEqual(f32.toNumbers(), [1.5, -2, 3]);
      const f64 = tensor([0.1, 0.2], [2], { dtype: 'float64' });
      assert.deepEqual(f64.toNumbers(), [0.1, 0.2]);
      const i32 = tensor([7, -8], [1, 2], { dtype: 'int32' });
      assert.ok(i32.toArray() instanceof Int32Array);
      assert.deepEqual(i32.toNumbers(), [7, -8]);
      const bf = tensor([1, 0.5, 3.140625], [3], { dtype: 'bfloat16' });
      assert.deepEqual(bf.toNumbers(), [1, 0.5, 3.140625]);
      assert.deepEqual(zeros([2, 3, 4]).strides, [12, 4, 1]);
      assert.equal(zeros([2, 3, 4]).size, 24);
    })));

test('reshape shares the storage; -1 infers an axis; a bad reshape names the shapes', () =>
  noLeaks(() =>
    ag.scope(() => {
      const before = memoryStats().liveStorages;
      const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const y = x.reshape([3, -1]);
      assert.deepEqual(y.shape, [3, 2]);
      assert.equal(memoryStats().liveStorages, before + 1);
      assert.throws(() => x.reshape([4, 2]), /reshape: cannot view float32\[2,3\]@cpu as \[4,2\]/);
    })));

test('dispose frees at once; a disposed tensor is an error, not a crash', () => {
  const before = memoryStats();
  const x = tensor(new Float32Array(1000), [10, 100]);
  assert.equal(memoryStats().hostBytes, before.hostBytes + 4000);
  assert.equal(memoryStats().liveTensors, before.liveTensors + 1);
  x.dispose();
  x.dispose(); // idempotent
  assert.equal(x.disposed, true);
  assert.deepEqual(memoryStats(), before);
  assert.throws(() => x.toArray(), /toArray: tensor was already disposed/);
  assert.throws(() => ag.exp(x), /unary: tensor was already disposed/);
});

test('scopes free what they created except what they return or keep', () =>
  noLeaks(() => {
    const before = memoryStats().liveTensors;
    let keptNeg = null as ReturnType<typeof tensor> | null;
    const result = ag.scope(() => {
      const a = tensor([1, 2], [2]);
      const inner = ag.scope(() => {
        ag.exp(a); // freed by the inner scope
        return ag.add(a, a); // moves to the outer scope, then is returned
      });
      keptNeg = ag.keep(ag.neg(a));
      return { inner };
    });
    assert.equal(memoryStats().liveTensors, before + 2);
    assert.deepEqual(result.inner.toNumbers(), [2, 4]);
    assert.deepEqual(keptNeg!.toNumbers(), [-1, -2]);
    result.inner.dispose();
    keptNeg!.dispose();
    assert.throws(() => ag.scope(() => { tensor([1], [1]); throw new Error('boom'); }), /boom/);
    assert.equal(memoryStats().liveTensors, before);
  }));

test('misuse is a JS error naming the op: wrong input count, unknown op, bad attributes', () =>
  noLeaks(() =>
    ag.scope(() => {
      const x = tensor([1, 2, 3], [3]);
      assert.throws(() => runOpAll('unary', [x, x], { fn: 'exp' }), /unary: expects 1 inputs, got 2/);
      assert.throws(() => runOpAll('nope', [x]), /no op named 'nope'/);
      assert.throws(() => runOpAll('unary', [x], { fn: 'tanh2' }), /unary: unknown function 'tanh2'/);
      assert.throws(() => runOpAll('permute', [x], {}), /permute: missing list attribute 'perm'/);
      assert.throws(() => runOpAll('slice', [x], { begin: [2], size: [2] }), /slice: slice \[2\] \+ \[2\] outside the input/);
      assert.throws(() => tensor([1, 2], [3]), /fromArray: 2 values for shape \[3\]/);
    })));

test('every op of the native table is reachable and listed', () => {
  const names = opNames();
  for (const op of ['unary', 'binary', 'where', 'cast', 'permute', 'slice', 'pad', 'concat', 'index_select', 'index_add', 'one_hot', 'reduce_sum', 'reduce_max', 'dropout_mask', 'softmax', 'layer_norm', 'matmul', 'attention', 'global_attention']) {
    assert.ok(names.includes(op), `${op} missing from the op table`);
    assert.ok(names.includes(`${op}_backward`) || ['binary', 'where', 'cast', 'permute', 'slice', 'pad', 'concat', 'index_select', 'index_add', 'one_hot', 'reduce_sum', 'dropout_mask', 'matmul'].includes(op), `${op}_backward missing`);
  }
});

test('pinned buffers and async host copies (plain host memory on the CPU)', () =>
  noLeaks(() =>
    ag.scope(() => {
      const x = tensor([1, 2, 3, 4], [4]);
      const buf = native.pinnedBuffer(16);
      native.copyToHostAsync(x.handle, buf);
      assert.deepEqual(Array.from(new Float32Array(buf)), [1, 2, 3, 4]);
      new Float32Array(buf).set([5, 6, 7, 8]);
      native.copyFromHostAsync(x.handle, buf);
      assert.deepEqual(x.toNumbers(), [5, 6, 7, 8]);
      assert.throws(() => native.copyToHostAsync(x.handle, native.pinnedBuffer(8)), /copyToHostAsync: buffer of 8 bytes, tensor needs 16/);
    })));

test('without a usable GPU, CUDA requests are refused with an error; with one, a round trip works', () =>
  noLeaks(() =>
    ag.scope(() => {
      const info = cudaInfo();
      if (!info.usable) {
        assert.throws(() => tensor([1, 2], [2], { device: 'cuda' }), /no CUDA device is usable here|has no CUDA/);
        assert.throws(() => native.eventCreate(), /eventCreate/);
        assert.equal(native.streamCurrent(), 0);
      } else {
        const x = tensor([1, 2], [2], { device: 'cuda' });
        assert.deepEqual(x.to('cpu').toNumbers(), [1, 2]);
      }
    })));
