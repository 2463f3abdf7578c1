// `scalefold validate`: reads every shard and the index of a dataset built by
// `scalefold build` and lists its defects (defects.ts): file integrity, schema
// and version, every row against the feature table (row_checks.ts), and the
// index against the shards. Shards are checked in parallel worker threads.
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { INDEX_FILE, readIndex, type IndexRow } from '../dataset/index_file.ts';
import { shardNumber, SHARDS_DIR } from '../dataset/shard_set.ts';
import type { Defect } from './defects.ts';
import { checkShard, type RowEntry, type ShardCheck } from './shard_check.ts';

export interface ValidationReport {
  ok: boolean;
  defects: Defect[];
  shards: number;
  rows: number;
  /** Bytes of shard files read. */
  bytes: number;
  seconds: number;
}

const INDEX_FIELDS: readonly (keyof IndexRow)[] = [
  'chain_id', 'pdb_id', 'chain', 'seq_length', 'resolution', 'release_date', 'cluster_size', 'msa_depth', 'num_templates', 'template_cutoff',
];

/** Shards checked in order: in this thread, or by a pool of `threads` workers when there are several shards. */
async function checkShards(datasetDir: string, names: string[], threads: number, onShard?: (name: string) => void): Promise<ShardCheck[]> {
  if (threads <= 1 || names.length <= 1) {
    return names.map((name) => {
      onShard?.(name);
      return checkShard(datasetDir, SHARDS_DIR, name);
    });
  }
  const pool = new Piscina({
    filename: new URL('./shard_check_worker_entry.mjs', import.meta.url).href,
    minThreads: Math.min(threads, names.length),
    maxThreads: Math.min(threads, names.length),
    execArgv: [],
  });
  try {
    return await Promise.all(
      names.map(async (name) => {
        const check = (await pool.run({ datasetDir, shardsDir: SHARDS_DIR, name })) as ShardCheck;
        onShard?.(name);
        return check;
      }),
    );
  } finally {
    await pool.destroy();
  }
}

export interface ValidateOptions {
  /** Worker threads for the shards (default: one per core). */
  threads?: number;
  onShard?: (name: string) => void;
}

export async function validateDataset(datasetDir: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const threads = options.threads ?? availableParallelism();
  const onShard = options.onShard;
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
  const checks = await checkShards(datasetDir, names, threads, onShard);
  const shardRows = new Map<string, (RowEntry | null)[]>();
  const chainPlaces = new Map<string, string>();
  let rows = 0;
  let bytes = 0;
  for (const check of checks) {
    defects.push(...check.defects);
    bytes += check.bytes;
    if (!check.readable) continue;
    check.entries.forEach((entry, i) => {
      if (entry === null) return;
      rows += 1;
      const earlier = chainPlaces.get(entry.chain_id);
      if (earlier !== undefined) {
        defects.push({ kind: 'duplicate_chain', shard: check.name, chain: entry.chain_id, message: `row ${i} repeats the chain of ${earlier}` });
      } else {
        chainPlaces.set(entry.chain_id, `${check.name} row ${i}`);
      }
    });
    shardRows.set(check.name, check.entries);
  }

  if (index !== null) crossCheckIndex(index, shardRows, defects);
  const seconds = (performance.now() - started) / 1000;
  return { ok: defects.length === 0, defects, shards: names.length, rows, bytes, seconds };
}

function crossCheckIndex(index: readonly IndexRow[], shardRows: Map<string, (RowEntry | null)[]>, defects: Defect[]): void {
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
