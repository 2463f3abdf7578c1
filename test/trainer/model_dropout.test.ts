// Row- and column-wise dropout of the Evoformer residual adds (suppl. 1.11.6):
// masks shared along the named axis, inverted scaling, seeded and reproducible,
// off outside training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../trainer/core/tensor.ts';
import { scope } from '../../trainer/autograd/index.ts';
import { addDropout } from '../../trainer/model/evoformer_block.ts';
import { evalRuntime, trainingRuntime } from '../../trainer/model/runtime.ts';

const place = { dtype: 'float64', device: 'cpu' } as const;
const [A, B, C] = [6, 5, 4];

function run(rt: ReturnType<typeof trainingRuntime>, sharedAxis: number): Float64Array {
  return scope(() => {
    const x = tensor(new Float64Array(A * B * C), [A, B, C], place);
    const u = tensor(new Float64Array(A * B * C).fill(1), [A, B, C], place);
    return Float64Array.from(addDropout(rt, x, u, 0.5, sharedAxis).toArray());
  });
}

test('row-wise dropout shares its mask along axis -3 and scales kept values by 1/(1-p)', () => {
  const y = run(trainingRuntime(place, 1, 0), -3);
  assert.ok(y.every((v) => v === 0 || v === 2));
  assert.ok(y.some((v) => v === 0) && y.some((v) => v === 2));
  for (let a = 1; a < A; a++) assert.deepEqual(y.subarray(a * B * C, (a + 1) * B * C), y.subarray(0, B * C));
});

test('column-wise dropout shares its mask along axis -2', () => {
  const y = run(trainingRuntime(place, 1, 0), -2);
  for (let a = 0; a < A; a++) for (let b = 1; b < B; b++) {
    assert.deepEqual(y.subarray((a * B + b) * C, (a * B + b + 1) * C), y.subarray(a * B * C, (a * B + 1) * C));
  }
});

test('the same (seed, step) gives the same masks; another step another; eval adds the update unchanged', () => {
  assert.deepEqual(run(trainingRuntime(place, 3, 7), -3), run(trainingRuntime(place, 3, 7), -3));
  assert.notDeepEqual(run(trainingRuntime(place, 3, 7), -3), run(trainingRuntime(place, 3, 8), -3));
  assert.ok(run(evalRuntime(place), -3).every((v) => v === 1));
});
