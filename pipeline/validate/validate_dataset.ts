// `scalefold validate`: reads every shard and the index of a dataset built by
// `scalefold build` and lists its defects (defects.ts): file integrity, schema
// and version, every row against the feature table (row_checks.ts), and the
// index against the shards.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openFeatureFile, type FeatureFile } from '../arrow/feature_file_reader.ts';
import { SCHEMA_VERSION, SCHEMA_VERSION_KEY, SHARD_COLUMNS, SHARD_FEATURES } from '../dataset/feature_table.ts';
import { INDEX_FILE, readIndex, type IndexRow } from '../dataset/index_file.ts';
import { entryFromRow, shardNumber, SHARDS_DIR, type PlacedEntry } from '../dataset/shard_set.ts';
import type { Defect } from './defects.ts';
import { checkRow } from './row_checks.ts';

export interface ValidationReport {
  ok: boolean;
  defects: Defect[];
  shards: number;
  rows: number;
  /** Bytes of shard files read. */
  bytes: number;
  seconds: number;
}

/** Schema defects of one shard; false when its rows cannot be checked against the table. */
function checkSchema(file: FeatureFile, shard: string, defects: Defect[]): boolean {
  const version = file.metadata.get(SCHEMA_VERSION_KEY);
  if (version !== SCHEMA_VERSION) {
    defects.push({
      kind: 'schema_version',
      shard,
      chain: '',
      message: version === undefined ? `no ${SCHEMA_VERSION_KEY} in the schema metadata` : `schema version ${version}, this reader understands ${SCHEMA_VERSION} (rebuild the dataset)`,
    });
    return false;
  }
  const add = (message: string) => defects.push({ kind: 'schema_mismatch', shard, chain: '', message });
  const features = new Map(file.layout.features.map((f) => [f.name, f.spec]));
  for (const [name, entry] of Object.entries(SHARD_FEATURES)) {
    const spec = features.get(name);
    if (spec === undefined) add(`feature '${name}' is missing`);
    else if (spec.kind !== 'numeric' || spec.dtype !== entry.dtype || spec.ndim !== entry.dims.length) {
      add(`feature '${name}' is ${spec.kind === 'numeric' ? `${spec.dtype} of rank ${spec.ndim}` : 'a string'}, expected ${entry.dtype} of rank ${entry.dims.length}`);
    }
  }
  for (const name of features.keys()) if (SHARD_FEATURES[name] === undefined) add(`unknown feature '${name}'`);
  const columns = new Map(file.layout.columns.map((c) => [c.name, c.type]));
  for (const [name, type] of Object.entries(SHARD_COLUMNS)) {
    const got = columns.get(name);
    if (got === undefined) add(`column '${name}' is missing`);
    else if (got !== type) add(`column '${name}' is ${got}, expected ${type}`);
  }
  return true;
}

const INDEX_FIELDS: readonly (keyof IndexRow)[] = [
  'chain_id', 'pdb_id', 'chain', 'seq_length', 'resolution', 'release_date', 'cluster_size', 'msa_depth', 'num_templates', 'template_cutoff',
];

export async function validateDataset(datasetDir: string, onShard?: (name: string, done: number, total: number) => void): Promise<ValidationReport> {
  const started = performance.now();
  const defects: Defect[] = [];
  let index: IndexRow[] | null = null;
  try {
    index = (await readIndex(join(datasetDir, INDEX_FILE))).rows;
  } catch (error) {
    defects.push({ kind: 'index_unreadable', shard: '', chain: '', message: `${INDEX_FILE}: ${(error as Error).message}` });
  }

  let names: string[] = [];
  try {
    names = readdirSync(join(datasetDir, SHARDS_DIR)).filter((n) => shardNumber(n) !== null).sort();
  } catch {
    names = [];
  }
  const shardRows = new Map<string, (PlacedEntry | null)[]>();
  const chainPlaces = new Map<string, string>();
  let rows = 0;
  let bytes = 0;
  names.forEach((name, k) => {
    onShard?.(name, k, names.length);
    let file: FeatureFile;
    try {
      file = openFeatureFile(join(datasetDir, SHARDS_DIR, name));
    } catch (error) {
      defects.push({ kind: 'shard_unreadable', shard: name, chain: '', message: (error as Error).message });
      return;
    }
    try {
      bytes += file.byteLength;
      const checkable = checkSchema(file, name, defects);
      const entries: (PlacedEntry | null)[] = [];
      for (let i = 0; i < file.numRows; i++) {
        let row;
        try {
          row = file.row(i);
        } catch (error) {
          defects.push({ kind: 'shard_unreadable', shard: name, chain: '', message: `row ${i}: ${(error as Error).message}` });
          entries.push(null);
          continue;
        }
        rows += 1;
        const entry = entryFromRow(row.features, row.columns, name, i);
        entries.push(entry);
        const earlier = chainPlaces.get(entry.chain_id);
        if (earlier !== undefined) {
          defects.push({ kind: 'duplicate_chain', shard: name, chain: entry.chain_id, message: `row ${i} repeats the chain of ${earlier}` });
        } else {
          chainPlaces.set(entry.chain_id, `${name} row ${i}`);
        }
        if (checkable) defects.push(...checkRow(row.features, row.columns, name));
      }
      shardRows.set(name, entries);
    } finally {
      file.close();
    }
  });

  if (index !== null) crossCheckIndex(index, shardRows, defects);
  const seconds = (performance.now() - started) / 1000;
  return { ok: defects.length === 0, defects, shards: names.length, rows, bytes, seconds };
}

function crossCheckIndex(index: readonly IndexRow[], shardRows: Map<string, (PlacedEntry | null)[]>, defects: Defect[]): void {
  const seen = new Set<string>();
  const referenced = new Set<string>();
  for (const row of index) {
    if (seen.has(row.chain_id)) {
      defects.push({ kind: 'duplicate_chain', shard: row.shard, chain: row.chain_id, message: `the index lists ${row.chain_id} more than once` });
      continue;
    }
    seen.add(row.chain_id);
    const entries = shardRows.get(row.shard);
    if (entries === undefined || row.row < 0 || row.row >= entries.length) {
      defects.push({ kind: 'index_dangling', shard: row.shard, chain: row.chain_id, message: `the index points at ${row.shard} row ${row.row}, which does not exist` });
      continue;
    }
    referenced.add(`${row.shard}\0${row.row}`);
    const entry = entries[row.row];
    if (entry === null || entry === undefined) continue; // unreadable row, reported already
    if (entry.content_hash !== row.content_hash) {
      defects.push({ kind: 'hash_mismatch', shard: row.shard, chain: row.chain_id, message: `index hash ${row.content_hash}, shard row hash ${entry.content_hash}` });
    }
    const differing = INDEX_FIELDS.filter((f) => entry[f] !== row[f]);
    if (differing.length > 0) {
      const detail = differing.map((f) => `${f}: index ${JSON.stringify(row[f])}, shard ${JSON.stringify(entry[f])}`).join('; ');
      defects.push({ kind: 'index_mismatch', shard: row.shard, chain: row.chain_id, message: `${row.shard} row ${row.row}: ${detail}` });
    }
  }
  for (const [shard, entries] of shardRows) {
    entries.forEach((entry, i) => {
      if (entry !== null && !referenced.has(`${shard}\0${i}`)) {
        defects.push({ kind: 'index_missing_row', shard, chain: entry.chain_id, message: `${shard} row ${i} (${entry.chain_id}) has no index row` });
      }
    });
  }
}
