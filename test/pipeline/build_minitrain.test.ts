// `scalefold build` on the real minitrain fixture (19 chains, OpenFold
// layout): a full build, a rebuild that skips everything, the index, the
// chain_data_cache.json export, a row equal to the per-chain pipeline run
// directly, and `validate` finding nothing on the clean dataset.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nonensembledTransforms } from '../../features/transforms/nonensembled.ts';
import type { NumericTensor } from '../../features/tensor.ts';
import { openFeatureFile } from '../../pipeline/arrow/index.ts';
import { computeChainFeatures } from '../../pipeline/chain_features.ts';
import { readIndex } from '../../pipeline/dataset/index_file.ts';
import { SCHEMA_VERSION, SCHEMA_VERSION_KEY, SHARD_FEATURES } from '../../pipeline/dataset/feature_table.ts';
import { ALIGNMENTS, MMCIFS, buildArgs, expectedClusterSize, manifestChains, runCli, writeClusterFile, writeObsoleteDat } from './build_fixture_support.ts';

const root = mkdtempSync(join(tmpdir(), 'build-minitrain-'));
after(() => rmSync(root, { recursive: true, force: true }));
const out = join(root, 'dataset');
const clusterFile = join(root, 'clusters.txt');
const obsolete = join(root, 'obsolete.dat');
writeClusterFile(clusterFile);
writeObsoleteDat(obsolete);
const args = buildArgs(out, ['--cluster-file', clusterFile, '--obsolete', obsolete]);

test('build, rebuild (all skipped), and validate clean on minitrain', async (t) => {
  const manifest = manifestChains();
  const first = await runCli(args);
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.deepEqual(
    { done: summary.done, skipped: summary.skipped, failed: summary.failed, filtered: summary.filtered, total: summary.total },
    { done: 19, skipped: 0, failed: 0, filtered: {}, total: 19 },
  );
  assert.equal(readFileSync(join(out, 'errors.jsonl'), 'utf8'), '');
  assert.match(first.stderr, /committed shard-00000\.arrow/);

  await t.test('the index has one row per chain with the fixture sequence lengths', async () => {
    const { rows, metadata } = await readIndex(join(out, 'index.parquet'));
    assert.equal(metadata[SCHEMA_VERSION_KEY], SCHEMA_VERSION);
    assert.deepEqual(rows.map((r) => r.chain_id).sort(), manifest.map((c) => c.chain).sort());
    for (const r of rows) {
      const m = manifest.find((c) => c.chain === r.chain_id)!;
      assert.equal(r.seq_length, m.length, r.chain_id);
      assert.equal(`${r.pdb_id}_${r.chain}`, r.chain_id);
      assert.equal(r.cluster_size, expectedClusterSize(r.chain_id), r.chain_id);
      assert.ok(r.msa_depth >= 1);
      assert.equal(r.num_templates, 0);
      assert.match(r.content_hash, /^[0-9a-f]{64}$/);
      assert.match(r.release_date, /^\d{4}-\d{2}-\d{2}$/);
      // MLPerf cutoff: the release date minus 60 days.
      assert.equal(Date.parse(r.release_date) - Date.parse(r.template_cutoff), 60 * 86_400_000, r.chain_id);
    }
  });

  await t.test('chain_data_cache.json is in OpenFold format', () => {
    const cache = JSON.parse(readFileSync(join(out, 'chain_data_cache.json'), 'utf8'));
    assert.deepEqual(Object.keys(cache).sort(), manifest.map((c) => c.chain).sort());
    for (const m of manifest) {
      const e = cache[m.chain];
      assert.deepEqual(Object.keys(e).sort(), ['cluster_size', 'release_date', 'resolution', 'seq']);
      assert.equal(e.seq, m.sequence);
      assert.equal(e.cluster_size, expectedClusterSize(m.chain));
    }
    assert.equal(cache['3zee_A'].resolution, 6.1);
    assert.equal(cache['1psm_A'].release_date, '1995-02-07');
  });

  await t.test('a shard row equals the per-chain pipeline run directly (2q2k_A)', async () => {
    const { rows } = await readIndex(join(out, 'index.parquet'));
    const place = rows.find((r) => r.chain_id === '2q2k_A')!;
    const file = openFeatureFile(join(out, 'shards', place.shard));
    const row = file.row(place.row);
    file.close();
    assert.equal(row.columns.chain_id, '2q2k_A');
    const raw = await computeChainFeatures({ input: { kind: 'mmcif', path: join(MMCIFS, '2q2k.cif'), chainId: 'A' }, alignmentDir: join(ALIGNMENTS, '2q2k_A'), msaOrder: 'sorted' });
    const direct = nonensembledTransforms(raw.features, { supervised: true });
    assert.deepEqual(Object.keys(row.features).sort(), Object.keys(SHARD_FEATURES).sort());
    for (const name of Object.keys(SHARD_FEATURES)) {
      const got = row.features[name] as NumericTensor;
      const want = direct[name] as NumericTensor;
      assert.deepEqual(got.shape, want.shape, name);
      assert.equal(got.dtype, want.dtype, name);
      assert.deepEqual(Array.from(got.data as ArrayLike<number | bigint>), Array.from(want.data as ArrayLike<number | bigint>), name);
    }
    assert.equal(row.columns.sequence, raw.info.sequence);
  });

  await t.test('a second run skips every chain and leaves the index unchanged', async () => {
    const before = await readIndex(join(out, 'index.parquet'));
    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    const s = JSON.parse(again.stdout);
    assert.equal(s.done, 0);
    assert.equal(s.skipped, 19);
    assert.equal(s.failed, 0);
    assert.deepEqual((await readIndex(join(out, 'index.parquet'))).rows, before.rows);
    assert.deepEqual(readdirSync(join(out, 'shards')).sort(), ['shard-00000.arrow', 'shard-00000.json']);
  });

  await t.test('a shard whose sidecar is lost is recovered from the shard, stale temporaries are removed', async () => {
    const before = await readIndex(join(out, 'index.parquet'));
    rmSync(join(out, 'shards', 'shard-00000.json'));
    writeFileSync(join(out, 'shards', 'shard-00001.arrow.tmp-99999-1'), 'half a shard');
    writeFileSync(join(out, 'index.parquet.tmp-99999'), 'half an index');
    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /recovered shard-00000\.arrow \(its sidecar was missing\)/);
    assert.match(again.stderr, /removed unfinished shard-00001\.arrow\.tmp-99999-1/);
    assert.equal(JSON.parse(again.stdout).skipped, 19);
    assert.deepEqual((await readIndex(join(out, 'index.parquet'))).rows, before.rows);
    assert.deepEqual(readdirSync(join(out, 'shards')).sort(), ['shard-00000.arrow', 'shard-00000.json']);
    assert.deepEqual(readdirSync(out).sort(), ['chain_data_cache.json', 'errors.jsonl', 'index.parquet', 'shards', 'summary.json']);
  });

  await t.test('resuming with other options is refused (no mixed dataset)', async () => {
    const other = await runCli([...args, '--max-template-date', '2020-01-01']);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /shard-00000\.arrow: built with other options .*build into a new --out folder/);
    assert.equal(other.stdout, '');
  });

  await t.test('validate finds no defect', async () => {
    const v = await runCli(['validate', out, '--json']);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(JSON.parse(v.stdout), { ok: true, defects: [] });
  });
});
