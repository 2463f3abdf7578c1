// Bad chains never stop a build: each goes to errors.jsonl (chain, stage,
// message) and the summary, the exit code is 1, and the good chains form a
// clean dataset. OpenFold's filters (resolution, single residue type,
// release date) drop chains and are counted by name.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIndex } from '../../pipeline/dataset/index_file.ts';
import { ALIGNMENTS, MMCIFS, runCli } from './build_fixture_support.ts';

const root = mkdtempSync(join(tmpdir(), 'build-quarantine-'));
after(() => rmSync(root, { recursive: true, force: true }));
const mmcifs = join(root, 'mmcifs');
const alignments = join(root, 'alignments');
mkdirSync(mmcifs);
mkdirSync(alignments);
for (const name of readdirSync(MMCIFS)) symlinkSync(join(MMCIFS, name), join(mmcifs, name));
for (const chain of ['1psm_A', '2q2k_A', '3zee_A', '4zey_A', '4dmd_A']) symlinkSync(join(ALIGNMENTS, chain), join(alignments, chain));
// A chain the mmCIF does not have, a chain without an mmCIF, a folder that is no chain name.
cpSync(join(ALIGNMENTS, '2q2k_A'), join(alignments, '2q2k_Z'), { recursive: true });
cpSync(join(ALIGNMENTS, '2q2k_A'), join(alignments, '9zzz_A'), { recursive: true });
cpSync(join(ALIGNMENTS, '2q2k_A'), join(alignments, '1abc'), { recursive: true });
// A real chain whose MSA is damaged: the query row lost its last residues.
mkdirSync(join(alignments, '4dmd_B'));
const a3m = readFileSync(join(ALIGNMENTS, '4dmd_B', 'uniref.a3m'), 'utf8').split('\n');
a3m[1] = a3m[1]!.slice(0, 20);
writeFileSync(join(alignments, '4dmd_B', 'uniref.a3m'), a3m.join('\n'));

test('bad chains are quarantined, filters are counted, good chains are built', async () => {
  const out = join(root, 'dataset');
  const run = await runCli([
    'build', '--mmcif-dir', mmcifs, '--alignment-dir', alignments, '--out', out, '--threads', '2', '--json',
    '--max-resolution', '5', '--max-single-residue-fraction', '0.3', '--max-release-date', '2012-12-31',
  ]);
  assert.equal(run.code, 1, run.stderr);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.done, 2);
  assert.equal(summary.failed, 4);
  assert.deepEqual(summary.filtered, { resolution: 1, single_residue_type: 1, release_date: 1 });
  assert.equal(summary.total, 9);

  const errors = readFileSync(join(out, 'errors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const byChain = new Map(errors.map((e) => [e.chain, e]));
  assert.deepEqual([...byChain.keys()].sort(), ['1abc', '2q2k_Z', '4dmd_B', '9zzz_A']);
  for (const e of errors) assert.deepEqual(Object.keys(e).sort(), ['chain', 'message', 'stage']);
  assert.equal(byChain.get('1abc').stage, 'input');
  assert.equal(byChain.get('2q2k_Z').stage, 'mmcif');
  assert.match(byChain.get('2q2k_Z').message, /chain 'Z' is not a protein chain of 2q2k/);
  assert.equal(byChain.get('9zzz_A').stage, 'mmcif');
  assert.match(byChain.get('9zzz_A').message, /9zzz\.cif: cannot read the mmCIF: ENOENT/);
  assert.equal(byChain.get('4dmd_B').stage, 'features');
  assert.match(byChain.get('4dmd_B').message, /uniref\.a3m/);

  const { rows } = await readIndex(join(out, 'index.parquet'));
  assert.deepEqual(rows.map((r) => r.chain_id).sort(), ['2q2k_A', '4dmd_A']);
  const cache = JSON.parse(readFileSync(join(out, 'chain_data_cache.json'), 'utf8'));
  assert.deepEqual(Object.keys(cache).sort(), ['1psm_A', '2q2k_A', '3zee_A', '4dmd_A', '4zey_A']);

  const v = await runCli(['validate', out, '--json']);
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual(JSON.parse(v.stdout), { ok: true, defects: [] });
});

test('usage errors exit with 2', async () => {
  const noOut = await runCli(['build', '--mmcif-dir', mmcifs, '--alignment-dir', alignments]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out is required/);
  const both = await runCli(['build', '--mmcif-dir', mmcifs, '--alignment-dir', alignments, '--alignment-index', 'x', '--out', join(root, 'x')]);
  assert.equal(both.code, 2);
  const badDate = await runCli(['build', '--mmcif-dir', mmcifs, '--alignment-dir', alignments, '--out', join(root, 'y'), '--max-template-date', '2020-13-01']);
  assert.equal(badDate.code, 2);
  const validateNoDir = await runCli(['validate']);
  assert.equal(validateNoDir.code, 2);
});
