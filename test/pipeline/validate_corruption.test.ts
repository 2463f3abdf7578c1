// The corruption suite: every defect `validate` knows is planted in a copy of
// a clean dataset (built from real minitrain chains), and validate must
// report it by name. Plants that change row content recompute the row's
// content hash (and the index) so that only the planted defect remains.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numeric, zeros, type FeatureDict, type NumericTensor } from '../../features/tensor.ts';
import type { PlainValue } from '../../pipeline/arrow/column_types.ts';
import { FeatureFileWriter, openFeatureFile, type FeatureColumnSpec } from '../../pipeline/arrow/index.ts';
import { contentHash } from '../../pipeline/dataset/content_hash.ts';
import { SCHEMA_VERSION_KEY, SHARD_COLUMNS, SHARD_FEATURES, shardFeatureSpecs } from '../../pipeline/dataset/feature_table.ts';
import { readIndex, writeIndex, type IndexRow } from '../../pipeline/dataset/index_file.ts';
import { DEFECT_KINDS, type DefectKind } from '../../pipeline/validate/defects.ts';
import { validateDataset } from '../../pipeline/validate/validate_dataset.ts';
import { buildArgs, runCli } from './build_fixture_support.ts';

const root = mkdtempSync(join(tmpdir(), 'validate-corruption-'));
after(() => rmSync(root, { recursive: true, force: true }));
const clean = join(root, 'clean');
const SHARD = join('shards', 'shard-00000.arrow');
let copies = 0;

interface Row {
  features: FeatureDict;
  columns: Record<string, PlainValue>;
}

function copyOfClean(): string {
  const dir = join(root, `copy-${copies++}`);
  cpSync(clean, dir, { recursive: true });
  return dir;
}

async function editIndex(dir: string, edit: (rows: IndexRow[]) => IndexRow[]): Promise<void> {
  const { rows, metadata } = await readIndex(join(dir, 'index.parquet'));
  await writeIndex(join(dir, 'index.parquet'), edit(rows), metadata);
}

/** Rewrites shard 0 through `edit`; rows flagged in `rehash` get a recomputed content hash, carried into the index. */
async function editShard(
  dir: string,
  edit: (rows: Row[]) => Row[],
  options: { rehash?: boolean; metadata?: (m: Record<string, string>) => Record<string, string>; features?: Record<string, FeatureColumnSpec> } = {},
): Promise<void> {
  const path = join(dir, SHARD);
  const file = openFeatureFile(path);
  const rows: Row[] = [];
  for (let i = 0; i < file.numRows; i++) rows.push(file.row(i));
  const metadata = Object.fromEntries(file.metadata);
  file.close();
  const edited = edit(rows);
  const writer = new FeatureFileWriter(path, {
    metadata: options.metadata ? options.metadata(metadata) : metadata,
    columnTypes: { ...SHARD_COLUMNS },
    features: options.features ?? shardFeatureSpecs(),
  });
  const hashes = new Map<string, string>();
  for (const row of edited) {
    if (options.rehash === true) {
      row.columns.content_hash = contentHash(row.features, row.columns);
      hashes.set(String(row.columns.chain_id), row.columns.content_hash);
    }
    writer.append(row.features, row.columns);
  }
  writer.close();
  if (hashes.size > 0) await editIndex(dir, (rows) => rows.map((r) => ({ ...r, content_hash: hashes.get(r.chain_id) ?? r.content_hash })));
}

function tensor(row: Row, name: string): NumericTensor {
  return row.features[name] as NumericTensor;
}

function firstPresentAtom(row: Row): number {
  const mask = tensor(row, 'all_atom_mask').data as Float32Array;
  return mask.indexOf(1);
}

async function kindsOf(dir: string): Promise<Set<DefectKind>> {
  const report = await validateDataset(dir);
  for (const d of report.defects) {
    assert.ok(d.kind in DEFECT_KINDS);
    assert.equal(typeof d.message, 'string');
  }
  return new Set(report.defects.map((d) => d.kind));
}

const PLANTS: { kind: DefectKind; what: string; plant: (dir: string) => Promise<void> | void }[] = [
  { kind: 'shard_unreadable', what: 'truncated shard', plant: (dir) => truncateSync(join(dir, SHARD), Math.floor(statSync(join(dir, SHARD)).size / 2)) },
  {
    kind: 'shard_unreadable',
    what: "a row's metadata overwritten",
    plant: (dir) => {
      const bytes = readFileSync(join(dir, SHARD));
      bytes.fill(0xff, 8, 8 + 64);
      writeFileSync(join(dir, SHARD), bytes);
    },
  },
  { kind: 'index_unreadable', what: 'garbage index', plant: (dir) => writeFileSync(join(dir, 'index.parquet'), 'not parquet') },
  { kind: 'schema_version', what: 'other schema version', plant: (dir) => editShard(dir, (r) => r, { metadata: (m) => ({ ...m, [SCHEMA_VERSION_KEY]: '0' }) }) },
  {
    kind: 'schema_mismatch',
    what: 'a feature dropped',
    plant: (dir) => {
      const features = shardFeatureSpecs();
      delete features.seq_mask;
      return editShard(dir, (rows) => rows.map((r) => ({ ...r, features: Object.fromEntries(Object.entries(r.features).filter(([k]) => k !== 'seq_mask')) })), { features, rehash: true });
    },
  },
  {
    kind: 'shape_mismatch',
    what: 'hhblits_profile with 21 classes',
    plant: (dir) =>
      editShard(
        dir,
        (rows) => {
          const p = tensor(rows[0]!, 'hhblits_profile');
          const n = p.shape[0]!;
          const data = new Float32Array(n * 21);
          for (let i = 0; i < n; i++) data.set((p.data as Float32Array).subarray(i * 22, i * 22 + 21), i * 21);
          rows[0]!.features.hhblits_profile = numeric('float32', [n, 21], data);
          return rows;
        },
        { rehash: true },
      ),
  },
  { kind: 'non_finite', what: 'NaN in pseudo_beta', plant: (dir) => editShard(dir, (rows) => ((tensor(rows[1]!, 'pseudo_beta').data as Float32Array)[4] = Number.NaN, rows), { rehash: true }) },
  {
    kind: 'value_out_of_range',
    what: 'MSA token 30',
    plant: (dir) => editShard(dir, (rows) => { const m = tensor(rows[0]!, 'msa').data as BigInt64Array; m[m.length - 1] = 30n; return rows; }, { rehash: true }),
  },
  {
    kind: 'value_out_of_range',
    what: 'a mask of 0.5',
    plant: (dir) => editShard(dir, (rows) => ((tensor(rows[2]!, 'seq_mask').data as Float32Array)[0] = 0.5, rows), { rehash: true }),
  },
  {
    kind: 'sequence_mismatch',
    what: 'sequence column differs from aatype',
    plant: (dir) =>
      editShard(dir, (rows) => {
        const s = String(rows[0]!.columns.sequence);
        rows[0]!.columns.sequence = (s[0] === 'W' ? 'C' : 'W') + s.slice(1);
        return rows;
      }, { rehash: true }),
  },
  {
    kind: 'msa_query_mismatch',
    what: 'first MSA row differs from the query',
    plant: (dir) => editShard(dir, (rows) => { const m = tensor(rows[1]!, 'msa').data as BigInt64Array; m[3] = (m[3]! + 1n) % 20n; return rows; }, { rehash: true }),
  },
  {
    kind: 'coordinates_missing',
    what: 'a present atom at the origin',
    plant: (dir) => editShard(dir, (rows) => { const a = firstPresentAtom(rows[0]!); (tensor(rows[0]!, 'all_atom_positions').data as Float32Array).fill(0, 3 * a, 3 * a + 3); return rows; }, { rehash: true }),
  },
  {
    kind: 'coordinates_implausible',
    what: 'a present atom 50,000 Å out',
    plant: (dir) => editShard(dir, (rows) => { const a = firstPresentAtom(rows[0]!); (tensor(rows[0]!, 'all_atom_positions').data as Float32Array)[3 * a] = 5e4; return rows; }, { rehash: true }),
  },
  {
    kind: 'template_leakage',
    what: 'a template released after the cutoff',
    plant: async (dir) => {
      let chain = '';
      await editShard(dir, (rows) => {
        const row = rows[0]!;
        chain = String(row.columns.chain_id);
        const nRes = String(row.columns.sequence).length;
        for (const [name, entry] of Object.entries(SHARD_FEATURES)) {
          if (entry.dims[0] !== 'N_templ') continue;
          const shape = entry.dims.map((d) => (d === 'N_templ' ? 1 : d === 'N_res' ? nRes : (d as number)));
          row.features[name] = zeros(entry.dtype, shape);
        }
        (tensor(row, 'template_aatype').data as BigInt64Array).fill(21n);
        (tensor(row, 'template_mask').data as Float32Array)[0] = 1;
        row.columns.template_release_dates = ['2030-01-01'];
        row.columns.template_domain_names = ['9xyz_A'];
        return rows;
      }, { rehash: true });
      await editIndex(dir, (rows) => rows.map((r) => (r.chain_id === chain ? { ...r, num_templates: 1 } : r)));
    },
  },
  { kind: 'hash_mismatch', what: 'resolution changed, hash kept', plant: (dir) => editShard(dir, (rows) => ((tensor(rows[0]!, 'resolution').data as Float32Array)[0] = 1.25, rows)) },
  { kind: 'duplicate_chain', what: 'a row repeated', plant: (dir) => editShard(dir, (rows) => [...rows, rows[0]!]) },
  { kind: 'duplicate_chain', what: 'an index row repeated', plant: (dir) => editIndex(dir, (rows) => [...rows, rows[0]!]) },
  { kind: 'index_dangling', what: 'index row past the shard end', plant: (dir) => editIndex(dir, (rows) => [{ ...rows[0]!, row: 999 }, ...rows.slice(1)]) },
  { kind: 'index_dangling', what: 'index row in a missing shard', plant: (dir) => editIndex(dir, (rows) => [{ ...rows[0]!, shard: 'shard-00042.arrow' }, ...rows.slice(1)]) },
  { kind: 'index_missing_row', what: 'index row removed', plant: (dir) => editIndex(dir, (rows) => rows.slice(1)) },
  { kind: 'index_mismatch', what: 'index msa_depth off by one', plant: (dir) => editIndex(dir, (rows) => [{ ...rows[0]!, msa_depth: rows[0]!.msa_depth + 1 }, ...rows.slice(1)]) },
];

test('validate reports every planted defect by name', async (t) => {
  const built = await runCli(buildArgs(clean, ['--chains', '1psm_A,2q2k_A,4dmd_A']));
  assert.equal(built.code, 0, built.stderr);
  assert.deepEqual(await kindsOf(clean), new Set());

  for (const { kind, what, plant } of PLANTS) {
    await t.test(`${kind}: ${what}`, async () => {
      const dir = copyOfClean();
      await plant(dir);
      const kinds = await kindsOf(dir);
      assert.ok(kinds.has(kind), `expected ${kind}, got [${[...kinds].join(', ')}]`);
    });
  }

  await t.test('every defect kind has a plant', () => {
    assert.deepEqual(new Set(PLANTS.map((p) => p.kind)), new Set(Object.keys(DEFECT_KINDS)));
  });

  await t.test('the command prints the defects as JSON and exits 1', async () => {
    const dir = copyOfClean();
    await editIndex(dir, (rows) => rows.slice(1));
    const v = await runCli(['validate', dir, '--json']);
    assert.equal(v.code, 1);
    const out = JSON.parse(v.stdout);
    assert.equal(out.ok, false);
    assert.deepEqual(Object.keys(out.defects[0]).sort(), ['chain', 'kind', 'message', 'shard']);
    assert.equal(out.defects[0].kind, 'index_missing_row');
    assert.match(v.stderr, /index_missing_row/);
  });
});
