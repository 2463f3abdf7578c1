// Input embedder (Alg. 3/4) and recycling embedder (Alg. 32) against the
// float64 intermediates of test/fixtures/golden/model_tiny (final iteration).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldenState } from '../../trainer/model/golden_state.ts';
import { compareArrays, withinTolerance } from '../../trainer/model/compare.ts';
import { floatTensor, type TensorPlacement } from '../../trainer/model/host_tensor.ts';
import { inputEmbedder, relposOneHot } from '../../trainer/model/input_embedder.ts';
import { distanceBinsOneHot, linspace, recyclingEmbedder } from '../../trainer/model/recycling_embedder.ts';
import { scope } from '../../trainer/autograd/index.ts';
import type { Tensor } from '../../trainer/core/tensor.ts';

const golden = await GoldenState.read('test/fixtures/golden/model_tiny');
const place: TensorPlacement = { dtype: 'float64', device: 'cpu' };
const params = golden.params(place);
const last = golden.iterations - 1;

// README: outputs and act/* within 1e-10·max|b| + 1e-12 per tensor.
function assertClose(ours: Tensor, name: string): void {
  const c = compareArrays(ours.toArray(), golden.output(name).data);
  assert.ok(withinTolerance(c, 1e-10, 1e-12), `${name}: max err ${c.maxAbsError} vs max ${c.maxAbsRef}`);
}

test('relpos one-hot clips at ±k (Alg. 4)', () => {
  const oh = relposOneHot({ shape: [3], data: new Float64Array([0, 1, 100]) }, 32);
  const argmax = (i: number, j: number) => oh.data.subarray((i * 3 + j) * 65, (i * 3 + j + 1) * 65).indexOf(1);
  assert.deepEqual([argmax(0, 0), argmax(0, 1), argmax(1, 0), argmax(0, 2), argmax(2, 0)], [32, 31, 33, 0, 64]);
});

test('linspace matches torch (two-sided) and bins use strict edges', () => {
  assert.deepEqual(linspace(3.25, 20.75, 15).slice(0, 3), [3.25, 4.5, 5.75]);
  assert.equal(linspace(3.25, 20.75, 15)[14], 20.75);
  const x = { shape: [2, 3], data: new Float64Array([0, 0, 0, 4.5, 0, 0]) };
  const oh = distanceBinsOneHot(x, 3.25, 20.75, 15, 1e8);
  // d² = 20.25 is exactly the lower edge of bin 1 and the upper edge of bin 0: no bin.
  assert.equal(oh.data.subarray(15, 30).reduce((a, b) => a + b, 0), 0);
});

test('input embedder reproduces act/iter*/input_embedder_m and _z', () => {
  scope(() => {
    const { m, z } = inputEmbedder(
      params.view('input_embedder'),
      floatTensor(golden.input('target_feat', last), place),
      golden.input('residue_index', last),
      floatTensor(golden.input('msa_feat', last), place),
      golden.config.model.input_embedder.relpos_k,
      place,
    );
    assertClose(m, `act/iter${last}/input_embedder_m`);
    assertClose(z, `act/iter${last}/input_embedder_z`);
  });
});

test('recycling embedder reproduces act/iter*/recycling_embedder_m and _z', () => {
  scope(() => {
    const it = `act/iter${last}`;
    const { m, z } = recyclingEmbedder(
      params.view('recycling_embedder'),
      golden.config.model.recycling_embedder,
      floatTensor(golden.output(`${it}/recycle_in_m_1_prev`), place),
      floatTensor(golden.output(`${it}/recycle_in_z_prev`), place),
      golden.output(`${it}/recycle_in_pseudo_beta_x_prev`),
      place,
    );
    assertClose(m, `${it}/recycling_embedder_m`);
    assertClose(z, `${it}/recycling_embedder_z`);
  });
});
