// `scalefold sample`: the per-step transforms through the command line, on a
// file written by `features --transforms nonensembled` (and one written
// directly from the golden non-ensembled arrays), against OpenFold's
// randomness-free per-step golden; determinism across processes; errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpyDir } from '../../pipeline/npy_dir.ts';
import { readFeatureFile, writeFeatureFile } from '../../pipeline/arrow/index.ts';
import type { NumericTensor } from '../../features/tensor.ts';
import { compareNumeric } from '../features/helpers/compare_features.ts';
import { firstPass, leadingBox } from '../features/helpers/slice_tensor.ts';

const DATA = 'test/fixtures/openfold_test_data';
const GOLDEN = 'test/fixtures/golden/openfold_raw_short';
const TOL = { atol: 1e-5, rtol: 1e-5 };

function scalefold(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'trainer/cli.ts', ...args], { encoding: 'utf8' });
}

async function withTmp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sample-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function assertMatchesIdentityGolden(outPath: string): Promise<void> {
  const { rows } = await readFeatureFile(outPath);
  assert.equal(rows.length, 1);
  const batch = rows[0]!;
  const golden = (await readNpyDir(`${GOLDEN}/ensembled_identity`)) as Record<string, NumericTensor>;
  const problems: string[] = [];
  for (const k of ['aatype', 'bert_mask', 'extra_deletion_value', 'extra_has_deletion', 'extra_msa', 'extra_msa_mask', 'msa_feat', 'msa_mask', 'seq_mask', 'target_feat', 'true_msa']) {
    const ours = firstPass(batch[k] as NumericTensor);
    assert.deepEqual(ours.shape, golden[`padded_${k}`]!.shape, k);
    problems.push(...compareNumeric(`padded_${k}`, ours, golden[`padded_${k}`]!, TOL));
    if (golden[k] !== undefined) problems.push(...compareNumeric(k, leadingBox(ours, golden[k]!.shape), golden[k]!, TOL));
  }
  assert.deepEqual(problems, []);
}

test('features --transforms nonensembled | sample --no-randomness matches OpenFold\'s randomness-free per-step golden', async () => {
  await withTmp(async (dir) => {
    const features = join(dir, 'short.arrow');
    const made = scalefold('features', '--fasta', `${DATA}/short.fasta`, '--alignments', `${DATA}/alignments`, '--msa-order', 'sorted',
      '--mmcif-dir', `${DATA}/mmcifs`, '--max-template-date', '2021-10-10', '--zero-center-templates',
      '--transforms', 'nonensembled', '--out', features);
    assert.equal(made.status, 0, made.stderr);
    const out = join(dir, 'sample.arrow');
    const sampled = scalefold('sample', features, '--no-randomness', '--out', out);
    assert.equal(sampled.status, 0, sampled.stderr);
    assert.equal(sampled.stdout.trim(), out);
    await assertMatchesIdentityGolden(out);
  });
});

test('sample --no-randomness on a file written from the golden non-ensembled arrays (row 1 of 2)', async () => {
  await withTmp(async (dir) => {
    const input = join(dir, 'golden.arrow');
    const nonensembled = await readNpyDir(`${GOLDEN}/nonensembled`);
    // Row 0: another chain, cut to the same (unsupervised) keys, as rows of one file must be.
    const full = await readNpyDir('test/fixtures/golden/mmcif_2q2k_A_with_msa/nonensembled');
    const other = Object.fromEntries(Object.keys(nonensembled).map((k) => [k, full[k]!]));
    await writeFeatureFile(input, [other, nonensembled], { metadata: { 'scalefold:transforms': 'nonensembled' } });
    const out = join(dir, 'sample.arrow');
    const r = scalefold('sample', input, '--row', '1', '--no-randomness', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    await assertMatchesIdentityGolden(out);
  });
});

test('the same seed gives byte-identical output in separate processes; another seed does not', async () => {
  await withTmp(async (dir) => {
    const input = join(dir, 'golden.arrow');
    await writeFeatureFile(input, [await readNpyDir('test/fixtures/golden/mmcif_2q2k_A_with_msa/nonensembled')]);
    const outs = ['a', 'b', 'c'].map((n) => join(dir, `${n}.arrow`));
    for (const [out, seed] of [[outs[0]!, '17'], [outs[1]!, '17'], [outs[2]!, '18']] as const) {
      const r = scalefold('sample', input, '--seed', seed, '--passes', '3', '--out', out);
      assert.equal(r.status, 0, r.stderr);
    }
    const [a, b, c] = await Promise.all(outs.map((p) => readFile(p)));
    assert.ok(a!.equals(b!));
    assert.ok(!a!.equals(c!));
    const { rows } = await readFeatureFile(outs[0]!);
    assert.deepEqual(rows[0]!['msa_feat']!.shape, [3, 124, 256, 49]);
  });
});

test('bad use: raw features are refused (exit 1), --seed is required (exit 2), a missing row is bad input', async () => {
  await withTmp(async (dir) => {
    const raw = join(dir, 'raw.arrow');
    await writeFeatureFile(raw, [await readNpyDir('test/fixtures/golden/mmcif_2q2k_A')], { metadata: { 'scalefold:transforms': 'raw' } });
    const out = join(dir, 'o.arrow');
    const r1 = scalefold('sample', raw, '--seed', '1', '--out', out);
    assert.equal(r1.status, 1);
    assert.match(r1.stderr, /--transforms nonensembled/);
    const r2 = scalefold('sample', raw, '--out', out);
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /--seed/);
    const r3 = scalefold('sample', raw, '--row', '5', '--seed', '1', '--out', out);
    assert.equal(r3.status, 1);
    assert.match(r3.stderr, /row 5/);
    const r4 = scalefold('sample', join(dir, 'missing.arrow'), '--seed', '1', '--out', out);
    assert.equal(r4.status, 1);
  });
});
