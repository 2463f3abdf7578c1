// Templates in build: a chain's HHR hit (written here from the real 2q2k
// sequences, in HHsearch's format) is featurized from the real 2q2k mmCIF.
// With the MLPerf cutoff (release date minus 60 days) the hit, released the
// same day as the chain, is dropped; with a global --max-template-date after
// it, the row has one template, its release date and cutoff are stored, and
// validate finds no leakage.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFeatureFile } from '../../pipeline/arrow/index.ts';
import { readIndex } from '../../pipeline/dataset/index_file.ts';
import { ALIGNMENTS, MMCIFS, manifestChains, runCli } from './build_fixture_support.ts';

const root = mkdtempSync(join(tmpdir(), 'build-templates-'));
after(() => rmSync(root, { recursive: true, force: true }));
const alignments = join(root, 'alignments');
const chainDir = join(alignments, '2q2k_B');
mkdirSync(chainDir, { recursive: true });
for (const name of readdirSync(join(ALIGNMENTS, '2q2k_B'))) symlinkSync(join(ALIGNMENTS, '2q2k_B', name), join(chainDir, name));

function hhrLine(kind: 'Q' | 'T', name: string, start: number, residues: string, length: number): string {
  const end = start + residues.replace(/-/g, '').length - 1;
  return `${kind} ${name.padEnd(15)}${String(start).padStart(4)} ${residues} ${String(end).padStart(4)} (${length})`;
}

// Query residues 11-70 of 2q2k_B against residues 11-70 of 2q2k chain A (same sequence).
const sequence = manifestChains().find((c) => c.chain === '2q2k_B')!.sequence;
const part = sequence.slice(10);
writeFileSync(
  join(chainDir, 'pdb70_hits.hhr'),
  [
    'Query         2q2k_B',
    `Match_columns ${sequence.length}`,
    '',
    ' No Hit                             Prob E-value P-value  Score    SS Cols Query HMM  Template HMM',
    `  1 2Q2K_A Hypothetical protein    99.9 1E-30   1E-35  150.0   0.0   60   11-70    11-70  (70)`,
    '',
    'No 1',
    '>2Q2K_A Hypothetical protein/DNA Complex',
    'Probab=99.90  E-value=1e-30  Score=150.00  Aligned_cols=60  Identities=100%  Similarity=1.000  Sum_probs=59.0  Template_Neff=1.000',
    '',
    hhrLine('Q', '2q2k_B', 11, part, sequence.length),
    hhrLine('Q', 'Consensus', 11, part, sequence.length),
    ' '.repeat(22) + '|'.repeat(part.length),
    hhrLine('T', 'Consensus', 11, part, 70),
    hhrLine('T', '2Q2K_A', 11, part, 70),
    '',
  ].join('\n'),
);

async function build(out: string, extra: string[]) {
  const run = await runCli(['build', '--mmcif-dir', MMCIFS, '--alignment-dir', alignments, '--out', out, '--threads', '1', '--json', ...extra]);
  assert.equal(run.code, 0, run.stderr);
  const { rows } = await readIndex(join(out, 'index.parquet'));
  assert.equal(rows.length, 1);
  const file = openFeatureFile(join(out, 'shards', rows[0]!.shard));
  const row = file.row(rows[0]!.row);
  file.close();
  return { index: rows[0]!, row };
}

test('template cutoffs: per chain (MLPerf) drops a same-day template, a global date keeps it without leakage', async () => {
  const perChain = await build(join(root, 'per-chain'), []);
  assert.equal(perChain.index.release_date, '2008-02-05');
  assert.equal(perChain.index.template_cutoff, '2007-12-07');
  assert.equal(perChain.index.num_templates, 0);
  assert.deepEqual(perChain.row.columns.template_release_dates, []);

  const global = await build(join(root, 'global'), ['--max-template-date', '2010-01-01']);
  assert.equal(global.index.template_cutoff, '2010-01-01');
  assert.equal(global.index.num_templates, 1);
  assert.deepEqual(global.row.columns.template_release_dates, ['2008-02-05']);
  assert.deepEqual(global.row.columns.template_domain_names, ['2q2k_A']);
  const mask = global.row.features.template_all_atom_mask!;
  assert.deepEqual(mask.shape, [1, 70, 37]);
  // Residues 11-70 of the template are placed; 1-10 are not.
  const m = mask.kind === 'numeric' ? (mask.data as Float32Array) : new Float32Array(0);
  assert.equal(m.subarray(0, 10 * 37).reduce((a, b) => a + b, 0), 0);
  assert.ok(m.subarray(10 * 37).reduce((a, b) => a + b, 0) > 60 * 4);

  const v = await runCli(['validate', join(root, 'global'), '--json']);
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual(JSON.parse(v.stdout), { ok: true, defects: [] });
});
