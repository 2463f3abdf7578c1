import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { readNpyDir } from '../../pipeline/npy_dir.ts';
import { nonensembledTransforms } from '../../features/transforms/nonensembled.ts';
import { compareTensor } from './helpers/compare_features.ts';

const GOLDEN = 'test/fixtures/golden';
// Floats within 1e-5 absolute + 1e-5 relative (golden README: a few ULP across torch builds).
const TOL = { atol: 1e-5, rtol: 1e-5 };

const CASES: Array<[string, boolean]> = [
  ['mmcif_2q2k_A', true],
  ['mmcif_3zee_A', true],
  ['mmcif_4i6p_A', true],
  ['mmcif_2q2k_A_with_msa', true],
  ['openfold_raw_short', false],
];

for (const [name, supervised] of CASES) {
  test(`nonensembled transforms match OpenFold on ${name} (${supervised ? 'train' : 'predict'})`, async () => {
    const manifest = JSON.parse(await readFile(`${GOLDEN}/${name}/nonensembled/manifest.json`, 'utf8')) as {
      supervised: boolean; input_tensor_keys: string[];
    };
    assert.equal(manifest.supervised, supervised);
    const raw = await readNpyDir(`${GOLDEN}/${name}`);
    const golden = await readNpyDir(`${GOLDEN}/${name}/nonensembled`);
    const ours = nonensembledTransforms(raw, { supervised });
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(golden).sort());
    const problems = Object.keys(golden).flatMap((k) => compareTensor(k, ours[k], golden[k]!, TOL));
    assert.deepEqual(problems, []);
  });
}

test('the input selection keeps exactly the golden input_tensor_keys', async () => {
  const { selectInputFeatures } = await import('../../features/transforms/nonensembled.ts');
  for (const [name, supervised] of CASES) {
    const manifest = JSON.parse(await readFile(`${GOLDEN}/${name}/nonensembled/manifest.json`, 'utf8')) as { input_tensor_keys: string[] };
    const raw = await readNpyDir(`${GOLDEN}/${name}`);
    assert.deepEqual(Object.keys(selectInputFeatures(raw, { supervised })).sort(), [...manifest.input_tensor_keys].sort(), name);
  }
});
