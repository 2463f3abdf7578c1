// A build killed with SIGKILL after some chains are finished, then resumed:
// no half-written shard is visible after the kill, chains were left
// unfinished, and the resumed dataset has the same index rows and content
// hashes as an uninterrupted build.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFeatureFile } from '../../pipeline/arrow/index.ts';
import { readIndex, type IndexRow } from '../../pipeline/dataset/index_file.ts';
import { buildArgs, runCli } from './build_fixture_support.ts';

// The smaller chains of minitrain (the suite stays quick on 2 cores).
const CHAINS = ['102m_A', '1psm_A', '2q2k_A', '2q2k_B', '3u8v_A', '3u8v_B', '4dmd_A', '4dmd_B', '4zey_A', '5kc1_A', '5kc1_B', '8f9h_A'];
const root = mkdtempSync(join(tmpdir(), 'build-resume-'));
after(() => rmSync(root, { recursive: true, force: true }));

function placeless(rows: IndexRow[]): Omit<IndexRow, 'shard' | 'row'>[] {
  return rows.map(({ shard: _s, row: _r, ...rest }) => rest).sort((a, b) => (a.chain_id < b.chain_id ? -1 : 1));
}

function committedChains(dataset: string): string[] {
  const dir = join(dataset, 'shards');
  const chains: string[] = [];
  for (const name of readdirSync(dir).filter((n) => /^shard-\d+\.arrow$/.test(n))) {
    const file = openFeatureFile(join(dir, name)); // throws if half-written
    for (let i = 0; i < file.numRows; i++) chains.push(String(file.row(i).columns.chain_id));
    file.close();
  }
  return chains.sort();
}

test('SIGKILL mid-build, then resume: same index and hashes as an uninterrupted build', async () => {
  const list = CHAINS.join(',');
  const reference = join(root, 'reference');
  const ref = await runCli(buildArgs(reference, ['--chains', list]));
  assert.equal(ref.code, 0, ref.stderr);

  const killed = join(root, 'killed');
  let killedAfter = -1;
  const run = await runCli(buildArgs(killed, ['--chains', list, '--shard-rows', '1']), (stderr, kill) => {
    const commits = stderr.match(/committed shard-\d+\.arrow/g)?.length ?? 0;
    if (commits >= 2 && killedAfter < 0) {
      killedAfter = commits;
      kill();
    }
  });
  assert.equal(run.signal, 'SIGKILL', `the build was not killed: ${run.stderr}`);
  assert.ok(killedAfter >= 2);

  // Every visible shard is complete; some chains finished, others not.
  const finished = committedChains(killed);
  assert.ok(finished.length >= 2, `finished: ${finished.join(',')}`);
  assert.ok(finished.length < CHAINS.length, 'the kill came too late: every chain had finished');
  assert.equal(new Set(finished).size, finished.length);

  const resumed = await runCli(buildArgs(killed, ['--chains', list, '--shard-rows', '1']));
  assert.equal(resumed.code, 0, resumed.stderr);
  const summary = JSON.parse(resumed.stdout);
  assert.equal(summary.skipped, finished.length);
  assert.equal(summary.done, CHAINS.length - finished.length);
  assert.equal(summary.failed, 0);

  const a = await readIndex(join(reference, 'index.parquet'));
  const b = await readIndex(join(killed, 'index.parquet'));
  assert.deepEqual(placeless(b.rows), placeless(a.rows));
  assert.deepEqual(committedChains(killed), [...CHAINS].sort());
  assert.equal(readdirSync(join(killed, 'shards')).filter((n) => n.includes('.tmp-')).length, 0);
  assert.equal(readFileSync(join(killed, 'errors.jsonl'), 'utf8'), '');

  const v = await runCli(['validate', killed, '--json']);
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual(JSON.parse(v.stdout), { ok: true, defects: [] });
});

test('SIGTERM: chains in flight are finished and committed, the index covers them, and a rerun completes', async () => {
  // One thread: at most two chains are in flight when the signal comes.
  const list = CHAINS.join(',');
  const args = [...buildArgs(join(root, 'terminated'), ['--chains', list, '--shard-rows', '1']), '--threads', '1'];
  const out = join(root, 'terminated');
  let signalled = false;
  const run = await runCli(args, (stderr, kill) => {
    if (!signalled && /committed shard-\d+\.arrow/.test(stderr)) {
      signalled = true;
      kill('SIGTERM');
    }
  });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /SIGTERM: finishing the chains in flight/);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.interrupted, true);
  assert.equal(summary.failed, 0);
  assert.ok(summary.done >= 1 && summary.done < CHAINS.length, `done ${summary.done}`);
  const { rows } = await readIndex(join(out, 'index.parquet'));
  assert.deepEqual(rows.map((r) => r.chain_id).sort(), committedChains(out));
  assert.equal(rows.length, summary.done);

  const rerun = await runCli(args);
  assert.equal(rerun.code, 0, rerun.stderr);
  const again = JSON.parse(rerun.stdout);
  assert.equal(again.skipped, summary.done);
  assert.equal(again.done, CHAINS.length - summary.done);
  assert.equal(again.interrupted, false);
});
