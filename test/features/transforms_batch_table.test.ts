import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { readNpyDir } from '../../pipeline/npy_dir.ts';
import { BATCH_TABLE, batchKeys, batchShape } from '../../features/batch_table.ts';
import { perStepTransforms } from '../../features/transforms/ensembled/per_step.ts';
import { perStepConfig } from '../../features/transforms/config.ts';
import { num } from './helpers/numeric_of.ts';

const GOLDEN = 'test/fixtures/golden';

test('the batch table has exactly the keys of OpenFold\'s training batch (model_tiny input), with the recycling axis first', async () => {
  const manifest = JSON.parse(await readFile(`${GOLDEN}/model_tiny/manifest.json`, 'utf8')) as {
    arrays: Array<{ name: string; group: string; dtype: string; shape: number[] }>;
  };
  const inputs = manifest.arrays.filter((a) => a.group === 'input');
  assert.deepEqual(Object.keys(BATCH_TABLE).sort(), inputs.map((a) => a.name).sort());
  // model_tiny: 70 residues, 4 clusters, 8 extra rows, 4 templates, 2 passes, recycling axis last, float64.
  const sizes = { passes: 2, numRes: 70, numClusters: 4, numExtra: 8, numTemplates: 4 };
  for (const a of inputs) {
    const ours = batchShape(a.name, sizes);
    assert.deepEqual([...ours.slice(1), ours[0]], a.shape, a.name);
    assert.equal(BATCH_TABLE[a.name]!.dtype === 'int64', a.dtype === '<i8', a.name);
  }
});

for (const [name, supervised] of [['mmcif_2q2k_A_with_msa', true], ['openfold_raw_short', false]] as const) {
  test(`every batch key has the table's dtype and shape (${name}, ${supervised ? 'supervised' : 'no structure'})`, async () => {
    const input = await readNpyDir(`${GOLDEN}/${name}/nonensembled`);
    for (const passes of [1, 4]) {
      const batch = perStepTransforms(input, { seed: 3, config: perStepConfig({ passes }) });
      assert.deepEqual(Object.keys(batch).sort(), batchKeys(supervised).sort());
      const sizes = { passes, numRes: 256, numClusters: 124, numExtra: 1024, numTemplates: 4 };
      for (const key of Object.keys(batch)) {
        const t = batch[key]!;
        assert.ok(t.kind === 'numeric');
        assert.equal(t.dtype, BATCH_TABLE[key]!.dtype, key);
        assert.deepEqual(t.shape, batchShape(key, sizes), key);
      }
    }
  });
}

test('residue and template features are the stored ones, cut to the crop window and zero-padded', async () => {
  const input = await readNpyDir(`${GOLDEN}/mmcif_2q2k_A_with_msa/nonensembled`);
  const batch = perStepTransforms(input, { seed: 5, config: perStepConfig({ cropSize: 32, passes: 2 }) });
  const index = num(batch, 'residue_index').data as BigInt64Array;
  const start = Number(index[0]) - Number((num(input, 'residue_index').data as BigInt64Array)[0]);
  for (const [key, spec] of Object.entries(BATCH_TABLE)) {
    if (spec.source !== 'residue' || key === 'target_feat') continue;
    const src = input[key]!;
    const out = batch[key]!;
    assert.ok(src.kind === 'numeric' && out.kind === 'numeric');
    const inner = src.data.length / 70;
    for (let k = 0; k < 2; k++) {
      for (let i = 0; i < 32 * inner; i++) assert.equal(out.data[k * 32 * inner + i], src.data[start * inner + i], `${key}[${k}]`);
    }
  }
  for (const key of ['resolution', 'is_distillation']) {
    assert.equal((num(batch, key).data as Float32Array)[1], (num(input, key).data as Float32Array)[0]);
  }
});
