// The `features` and `export-npy` commands end to end: features -> Arrow file
// -> export-npy -> NPY folder compared with the goldens, the warnings in the
// file's metadata, and bad input reported with exit code 1 and the file's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFeatureFile } from '../../pipeline/arrow/index.ts';
import { readNpyDir } from '../../pipeline/npy_dir.ts';
import { compareWithGolden } from '../features/helpers/raw_golden.ts';
import { compareTensor } from '../features/helpers/compare_features.ts';

const DATA = 'test/fixtures/openfold_test_data';
const GOLDEN = 'test/fixtures/golden';

function scalefold(args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'trainer/cli.ts', ...args], { encoding: 'utf8', ...options });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'scalefold-features-cli-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("features -> Arrow -> export-npy reproduces OpenFold's process_fasta golden, warnings in the metadata", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, 'short.arrow');
    const run = scalefold([
      'features', '--fasta', `${DATA}/short.fasta`, '--alignments', `${DATA}/alignments`,
      '--mmcif-dir', `${DATA}/mmcifs`, '--max-template-date', '2021-10-10', '--msa-order', 'sorted',
      '--zero-center-templates', '--out', out,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), out);
    assert.match(run.stderr, /warning: 1hf9_B .*no mmCIF file/);
    const file = openFeatureFile(out);
    const warnings = JSON.parse(file.metadata.get('scalefold:warnings')!) as string[];
    file.close();
    assert.equal(warnings.length, 3);
    const exported = scalefold(['export-npy', out, '--row', '0', '--out', join(dir, 'npy')]);
    assert.equal(exported.status, 0, exported.stderr);
    const ours = await readNpyDir(join(dir, 'npy'));
    assert.deepEqual(compareWithGolden(ours, await readNpyDir(`${GOLDEN}/openfold_raw_short`)), []);
  });
});

test('an mmCIF chain with --transforms nonensembled gives OpenFold\'s supervised transforms (2q2k_A)', async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, '2q2k.arrow');
    const run = scalefold(['features', '--mmcif', `${DATA}/mmcifs/2q2k.cif`, '--chain', 'A', '--alignments', `${DATA}/alignments/2q2k_A`,
      '--msa-order', 'sorted', '--transforms', 'nonensembled', '--out', out]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(scalefold(['export-npy', out, '--out', join(dir, 'npy')]).status, 0);
    const ours = await readNpyDir(join(dir, 'npy'));
    const golden = await readNpyDir(`${GOLDEN}/mmcif_2q2k_A_with_msa/nonensembled`);
    const problems: string[] = [];
    for (const [key, expected] of Object.entries(golden)) problems.push(...compareTensor(key, ours[key], expected, { atol: 1e-5, rtol: 1e-5 }));
    assert.deepEqual(problems, []);
    assert.ok('backbone_rigid_tensor' in ours && 'atom14_gt_positions' in ours);
  });
});

test('a chain id that does not exist: exit 1, the message names the mmCIF file and the chains', () => {
  const run = scalefold(['features', '--mmcif', `${DATA}/mmcifs/3zee.cif`, '--chain', 'Q', '--out', '/nonexistent/x.arrow']);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /3zee\.cif.*chain 'Q'.*protein chains: A/);
  assert.doesNotMatch(run.stderr, /\n\s+at /); // no stack trace
});

test('an empty MSA file and a FASTA with an invalid residue: exit 1 naming the file', async () => {
  await withTempDir(async (dir) => {
    await mkdir(join(dir, 'aln'));
    await writeFile(join(dir, 'aln', 'bfd_uniclust_hits.a3m'), '');
    const empty = scalefold(['features', '--fasta', `${DATA}/short.fasta`, '--alignments', join(dir, 'aln'), '--out', join(dir, 'x.arrow')]);
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /bfd_uniclust_hits\.a3m.*(empty|no sequence)/);
    await writeFile(join(dir, 'odd.fasta'), '>odd\nMKV*LA\n');
    const odd = scalefold(['features', '--fasta', join(dir, 'odd.fasta'), '--alignments', join(dir, 'aln'), '--out', join(dir, 'x.arrow')]);
    assert.equal(odd.status, 1);
    assert.match(odd.stderr, /odd\.fasta.*invalid residue character "\*" at position 4/);
  });
});

test('a hit that needs realignment without a kalign binary: exit 1, the HHR file named, how to install kalign', async () => {
  await withTempDir(async (dir) => {
    const hhr = await readFile(`${DATA}/alignments/pdb70_hits.hhr`, 'utf8');
    const line = 'T 3U8V_A           50 THVGHGIKHLEDAIKHGEEGHVGVATKHAQEA   81 (93)';
    await writeFile(join(dir, 'pdb70_hits.hhr'), hhr.replace(line, line.replace('LEDAIKH', 'LEDAWKH')));
    const run = scalefold(
      ['features', '--fasta', `${DATA}/short.fasta`, '--alignments', dir, '--mmcif-dir', `${DATA}/mmcifs`,
        '--max-template-date', '2021-10-10', '--out', join(dir, 'x.arrow')],
      { env: { ...process.env, PATH: join(dir, 'empty-path') } },
    );
    assert.equal(run.status, 1);
    assert.match(run.stderr, /pdb70_hits\.hhr.*kalign.*apt-get install kalign/);
  });
});

test('usage errors exit 2; an mmCIF chain round-trips to its golden; export-npy of a missing row exits 1', async () => {
  assert.equal(scalefold(['features', '--fasta', 'a.fasta', '--mmcif', 'b.cif', '--out', 'x.arrow']).status, 2);
  assert.equal(scalefold(['features', '--fasta', `${DATA}/short.fasta`, '--alignments', DATA, '--mmcif-dir', DATA, '--out', 'x.arrow']).status, 2);
  const help = scalefold(['features', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--msa-order/);
  await withTempDir(async (dir) => {
    const out = join(dir, '3zee.arrow');
    assert.equal(scalefold(['features', '--mmcif', `${DATA}/mmcifs/3zee.cif`, '--chain', 'A', '--out', out]).status, 0);
    assert.equal(scalefold(['export-npy', out, '--out', join(dir, 'npy')]).status, 0);
    const ours = await readNpyDir(join(dir, 'npy'));
    assert.deepEqual(compareWithGolden(ours, await readNpyDir(`${GOLDEN}/mmcif_3zee_A`)), []);
    assert.deepEqual(ours.is_distillation!.shape, []);
    const missing = scalefold(['export-npy', out, '--row', '3', '--out', join(dir, 'npy2')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /3zee\.arrow.*row 3 does not exist/);
  });
});
