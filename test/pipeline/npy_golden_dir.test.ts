import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { readNpyDir } from '../../pipeline/npy_dir.ts';

test('readNpyDir reads a real golden dir: every manifest entry, its dtype and shape', async () => {
  const dir = 'test/fixtures/golden/mmcif_2q2k_A';
  const manifest = JSON.parse(await readFile(`${dir}/manifest.json`, 'utf8')) as {
    arrays: Array<{ name: string; dtype: string; shape: number[] }>;
  };
  const dict = await readNpyDir(dir);
  assert.equal(Object.keys(dict).length, manifest.arrays.length);
  const dtypes: Record<string, string> = { '<i4': 'int32', '<i8': 'int64', '<f4': 'float32', '<f8': 'float64', '|b1': 'bool' };
  for (const entry of manifest.arrays) {
    const t = dict[entry.name]!;
    assert.deepEqual(t.shape, entry.shape, entry.name);
    if (entry.dtype === 'object') assert.equal(t.kind, 'string');
    else assert.ok(t.kind === 'numeric' && t.dtype === dtypes[entry.dtype], entry.name);
  }
  const seq = dict['sequence']!;
  assert.ok(seq.kind === 'string');
  assert.equal(seq.values[0]!.length, 70);
  const dn = dict['domain_name']!;
  assert.ok(dn.kind === 'string' && dn.values[0] === '2q2k_A');
  const mask = dict['all_atom_mask']!;
  assert.ok(mask.kind === 'numeric' && mask.dtype === 'float32');
  // 25 of 70 residues are unresolved in 2q2k_A (README): their CA mask is 0.
  let unresolved = 0;
  for (let r = 0; r < 70; r++) if (mask.data[r * 37 + 1] === 0) unresolved++;
  assert.equal(unresolved, 25);
});
