// Build from OpenFold's alignment_db (a .db made here from minitrain's real
// alignment files, and its JSON .index) gives the same rows and hashes as the
// build from the alignment folders; an index entry pointing past the end of
// the .db is an error record, not a crash.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAlignmentIndex } from '../../pipeline/build/alignment_db.ts';
import { readIndex, type IndexRow } from '../../pipeline/dataset/index_file.ts';
import { MMCIFS, buildArgs, makeAlignmentDb, runCli, writeClusterFile } from './build_fixture_support.ts';

const CHAINS = ['102m_A', '1psm_A', '2q2k_A', '4dmd_A'];
const root = mkdtempSync(join(tmpdir(), 'build-alignment-db-'));
after(() => rmSync(root, { recursive: true, force: true }));

function placeless(rows: IndexRow[]): Omit<IndexRow, 'shard' | 'row'>[] {
  return rows.map(({ shard: _s, row: _r, ...rest }) => rest).sort((a, b) => (a.chain_id < b.chain_id ? -1 : 1));
}

test('alignment_db input gives the same dataset as alignment folders', async () => {
  const clusters = join(root, 'clusters.txt');
  writeClusterFile(clusters);
  const indexPath = makeAlignmentDb(CHAINS, join(root, 'alignment_db'));
  // One more entry whose bytes lie past the end of the .db.
  const index = JSON.parse(readFileSync(indexPath, 'utf8'));
  index['2q2k_B'] = { db: 'alignment_db_0.db', files: [['bfd_uniclust_hits.a3m', 10 ** 9, 100]] };
  writeFileSync(indexPath, JSON.stringify(index));
  const parsed = await readAlignmentIndex(indexPath);
  assert.deepEqual([...parsed.keys()].sort(), [...CHAINS, '2q2k_B'].sort());
  assert.equal(parsed.get('1psm_A')!.files.length, 4);

  const fromDb = join(root, 'from_db');
  const db = await runCli(['build', '--mmcif-dir', MMCIFS, '--alignment-index', indexPath, '--out', fromDb, '--threads', '2', '--json', '--cluster-file', clusters]);
  assert.equal(db.code, 1, db.stderr);
  const summary = JSON.parse(db.stdout);
  assert.equal(summary.done, 4);
  assert.equal(summary.failed, 1);
  const error = JSON.parse(readFileSync(join(fromDb, 'errors.jsonl'), 'utf8').trim());
  assert.equal(error.chain, '2q2k_B');
  assert.equal(error.stage, 'input');
  assert.match(error.message, /past the end of the db/);

  const fromDir = join(root, 'from_dir');
  const dir = await runCli(buildArgs(fromDir, ['--chains', CHAINS.join(','), '--cluster-file', clusters]));
  assert.equal(dir.code, 0, dir.stderr);
  const a = await readIndex(join(fromDb, 'index.parquet'));
  const b = await readIndex(join(fromDir, 'index.parquet'));
  assert.deepEqual(placeless(a.rows), placeless(b.rows));
  assert.deepEqual(placeless(a.rows).map((r) => r.cluster_size), [4, 1, 2, 2]);
});
