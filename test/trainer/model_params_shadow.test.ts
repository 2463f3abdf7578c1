// ParamStore shadows (bf16 copies of fp32 master parameters, written by the
// optimizer) and ParamView's compute dtype: use() gives the master, a castVia
// of the shadow, or a recorded cast; the gradient always lands in the master
// in its own dtype; the store owns and frees its shadows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryStats, tensor } from '../../trainer/core/tensor.ts';
import { Tape, cast, gradientOf, keep, recordOn, scope, sum } from '../../trainer/autograd/index.ts';
import { ParamStore } from '../../trainer/model/params.ts';
import type { ParamSpec } from '../../trainer/model/param_tree.ts';

const fp32 = { dtype: 'float32', device: 'cpu' } as const;

function store(): ParamStore {
  return ParamStore.fromValues(
    [{ name: 'a.weight', shape: [2, 3], init: 'lecun_normal', fanIn: 3 }, { name: 'a.bias', shape: [2], init: 'lecun_normal', fanIn: 0 }] satisfies ParamSpec[],
    new Map([['a.weight', [1, 2, 3, 4, 5, 6.01]], ['a.bias', [0.5, -0.25]]]), 'float32');
}

test('setShadow checks dtype, shape and device, owns the shadow and frees a replaced one', () => {
  const before = memoryStats().liveTensors;
  const p = store();
  scope(() => {
    assert.throws(() => p.setShadow('a.weight', tensor([1, 2, 3, 4, 5, 6], [2, 3], fp32)), /must be bfloat16/);
    assert.throws(() => p.setShadow('a.weight', tensor([1, 2, 3], [3], { dtype: 'bfloat16' })), /does not match/);
    assert.throws(() => p.setShadow('missing', tensor([1], [1], { dtype: 'bfloat16' })), /no parameter/);
    p.setShadow('a.weight', cast(p.get('a.weight'), 'bfloat16'));
  });
  const first = p.shadow('a.weight')!;
  assert.ok(!first.disposed, 'the store keeps the shadow past the scope');
  p.setShadow('a.weight', keep(cast(p.get('a.weight'), 'bfloat16')));
  assert.ok(first.disposed, 'a replaced shadow is freed');
  assert.equal(p.shadow('a.bias'), null);
  p.dispose();
  assert.equal(memoryStats().liveTensors, before);
});

test('a bf16 view reads the shadow where set and casts elsewhere; gradients reach the fp32 masters', () => {
  const p = store();
  const shadowValues = [2, 4, 6, 8, 10, 12]; // deliberately not cast(master): proves the shadow is what is read
  p.setShadow('a.weight', keep(tensor(shadowValues, [2, 3], { dtype: 'bfloat16' })));
  scope(() => {
    const v = p.view('', 'bfloat16');
    assert.deepEqual(v.shape('a.weight'), [2, 3]);
    assert.equal(p.view().t('a.weight').dtype, 'float32', 'a view without compute dtype gives the master');
    const tape = new Tape();
    const loss = recordOn(tape, () => {
      const y = v.linear('a', tensor([1, -1, 2], [1, 3], { dtype: 'bfloat16' }));
      assert.equal(y.dtype, 'bfloat16');
      // shadow weight: [2 - 4 + 12, 8 - 10 + 24] + bias
      assert.deepEqual(y.toNumbers(), [10.5, 21.75]);
      return sum(y);
    });
    gradientOf(tape, loss);
  });
  assert.equal(p.get('a.weight').grad!.dtype, 'float32');
  assert.deepEqual(p.get('a.weight').grad!.toNumbers(), [1, -1, 2, 1, -1, 2]);
  assert.equal(p.get('a.bias').grad!.dtype, 'float32');
  assert.deepEqual(p.get('a.bias').grad!.toNumbers(), [1, 1]);
  p.dispose();
});
