// The shards of a dataset: `shards/shard-NNNNN.arrow` (feature files, one row
// per chain) each with a sidecar `shard-NNNNN.json` listing its rows' index
// entries. A shard is written under a temporary name, fsynced and renamed;
// then its sidecar is written the same way. A chain is finished once its
// shard is renamed into place: a shard whose sidecar is missing (killed
// between the two renames) is recovered by reading the shard itself.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureDict } from '../../features/tensor.ts';
import type { PlainValue } from '../arrow/column_types.ts';
import { isTemporaryName, writeFileDurably } from '../arrow/durable_file.ts';
import { openFeatureFile } from '../arrow/feature_file_reader.ts';
import { FeatureFileWriter } from '../arrow/feature_file_writer.ts';
import { RowEncoder } from '../arrow/row_encoder.ts';
import { SCHEMA_VERSION, SCHEMA_VERSION_KEY, SHARD_COLUMNS, shardFeatureSpecs } from './feature_table.ts';
import type { IndexRow } from './index_file.ts';

export const SHARDS_DIR = 'shards';
const SHARD_NAME = /^shard-(\d{5,})\.arrow$/;

/** An index row before it has a place, plus the sequence (for chain_data_cache.json). */
export interface ShardEntry extends Omit<IndexRow, 'shard' | 'row'> {
  sequence: string;
}

export type PlacedEntry = ShardEntry & { shard: string; row: number };

interface Sidecar {
  shard: string;
  schema_version: string;
  rows: PlacedEntry[];
}

export interface ShardLimits {
  /** Close a shard once it holds this many bytes (default 256 MiB). */
  maxBytes: number;
  /** ... or this many rows. */
  maxRows: number;
  /** ... or when it has been open this long, so a kill loses at most this much work. */
  maxSeconds: number;
}

export const DEFAULT_SHARD_LIMITS: ShardLimits = { maxBytes: 256 * 2 ** 20, maxRows: Number.MAX_SAFE_INTEGER, maxSeconds: 120 };

function sidecarName(shard: string): string {
  return shard.replace(/\.arrow$/, '.json');
}

export function shardNumber(name: string): number | null {
  const m = SHARD_NAME.exec(name);
  return m === null ? null : Number(m[1]);
}

function shardName(n: number): string {
  return `shard-${String(n).padStart(5, '0')}.arrow`;
}

/** The encoder of shard rows; rows it encodes can be appended to any shard. */
export function shardRowEncoder(): RowEncoder {
  return new RowEncoder({ features: Object.entries(shardFeatureSpecs()), columns: Object.entries(SHARD_COLUMNS) });
}

/** Index entry of a shard row read back from the shard (recovery, and validate). */
export function entryFromRow(features: FeatureDict, columns: Record<string, PlainValue>, shard: string, row: number): PlacedEntry {
  const str = (v: PlainValue | undefined): string => (typeof v === 'string' ? v : '');
  const sequence = str(columns.sequence);
  return {
    chain_id: str(columns.chain_id),
    pdb_id: str(columns.pdb_id),
    chain: str(columns.chain),
    seq_length: sequence.length,
    resolution: typeof columns.resolution_angstrom === 'number' ? columns.resolution_angstrom : null,
    release_date: str(columns.release_date),
    cluster_size: typeof columns.cluster_size === 'number' ? columns.cluster_size : null,
    msa_depth: features.msa?.shape[0] ?? 0,
    num_templates: features.template_aatype?.shape[0] ?? 0,
    content_hash: str(columns.content_hash),
    template_cutoff: str(columns.template_cutoff),
    sequence,
    shard,
    row,
  };
}

export interface ScanResult {
  /** Committed shards in name order, with their row counts and schema metadata. */
  shards: { name: string; rows: number; metadata: Map<string, string> }[];
  /** Chain ids of every committed row. */
  finished: Set<string>;
  /** Stale temporary files removed, shards recovered without a sidecar. */
  removedTemporaries: string[];
  recovered: string[];
  /** Shards that could not be read (left in place, their chains redone). */
  unreadable: { name: string; message: string }[];
}

/** Reads what earlier runs finished; removes their temporary leftovers. Only one build may run on a dataset at a time. */
export function scanShards(datasetDir: string): ScanResult {
  const dir = join(datasetDir, SHARDS_DIR);
  mkdirSync(dir, { recursive: true });
  const names = readdirSync(dir).sort();
  const result: ScanResult = { shards: [], finished: new Set(), removedTemporaries: [], recovered: [], unreadable: [] };
  for (const name of names) {
    if (isTemporaryName(name)) {
      rmSync(join(dir, name), { force: true });
      result.removedTemporaries.push(name);
    }
  }
  for (const name of names) {
    if (shardNumber(name) === null) continue;
    const sidecarPath = join(dir, sidecarName(name));
    let metadata: Map<string, string>;
    try {
      const file = openFeatureFile(join(dir, name));
      metadata = file.metadata;
      file.close();
    } catch (error) {
      result.unreadable.push({ name, message: (error as Error).message });
      continue;
    }
    let rows: PlacedEntry[] | null = null;
    try {
      const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8')) as Sidecar;
      if (sidecar.shard === name && Array.isArray(sidecar.rows)) rows = sidecar.rows;
    } catch {
      rows = null;
    }
    if (rows === null) {
      try {
        rows = readEntriesFromShard(join(dir, name), name);
        writeFileDurably(sidecarPath, JSON.stringify({ shard: name, schema_version: SCHEMA_VERSION, rows } satisfies Sidecar));
        result.recovered.push(name);
      } catch (error) {
        result.unreadable.push({ name, message: (error as Error).message });
        continue;
      }
    }
    result.shards.push({ name, rows: rows.length, metadata });
    for (const e of rows) result.finished.add(e.chain_id);
  }
  return result;
}

/** The rows of a committed shard, from its sidecar (after scanShards has recovered missing ones). */
export function readShardEntries(datasetDir: string, shard: string): PlacedEntry[] {
  const sidecar = JSON.parse(readFileSync(join(datasetDir, SHARDS_DIR, sidecarName(shard)), 'utf8')) as Sidecar;
  return sidecar.rows;
}

function readEntriesFromShard(path: string, name: string): PlacedEntry[] {
  const file = openFeatureFile(path);
  try {
    const rows: PlacedEntry[] = [];
    for (let i = 0; i < file.numRows; i++) {
      const { features, columns } = file.row(i);
      rows.push(entryFromRow(features, columns, name, i));
    }
    return rows;
  } finally {
    file.close();
  }
}

/** Appends rows to a rolling sequence of shards, numbered after the existing ones. */
export class ShardSetWriter {
  private readonly dir: string;
  private next: number;
  private writer: FeatureFileWriter | null = null;
  private name = '';
  private rows: PlacedEntry[] = [];
  private openedAt = 0;

  constructor(
    datasetDir: string,
    existing: readonly string[],
    private readonly limits: ShardLimits,
    private readonly metadata: Record<string, string>,
    private readonly onCommit: (shard: string, rows: PlacedEntry[]) => void,
  ) {
    this.dir = join(datasetDir, SHARDS_DIR);
    mkdirSync(this.dir, { recursive: true });
    this.next = Math.max(-1, ...existing.map((n) => shardNumber(n) ?? -1)) + 1;
  }

  /** Appends a row encoded by shardRowEncoder() (in a worker). */
  append(message: Uint8Array, entry: ShardEntry): PlacedEntry {
    if (this.writer === null) this.open();
    const row = this.writer!.appendEncoded(message);
    const placed = { ...entry, shard: this.name, row };
    this.rows.push(placed);
    if (this.writer!.bytesWritten >= this.limits.maxBytes || this.rows.length >= this.limits.maxRows) this.commit();
    return placed;
  }

  /** Commits the open shard if it has been open longer than the time limit. */
  tick(): void {
    if (this.writer !== null && (performance.now() - this.openedAt) / 1000 >= this.limits.maxSeconds) this.commit();
  }

  /** Commits the open shard (if any rows). */
  close(): void {
    if (this.writer !== null) this.commit();
  }

  private open(): void {
    this.name = shardName(this.next++);
    const metadata = { ...this.metadata, [SCHEMA_VERSION_KEY]: SCHEMA_VERSION };
    this.writer = new FeatureFileWriter(join(this.dir, this.name), { metadata, columnTypes: { ...SHARD_COLUMNS }, features: shardFeatureSpecs() });
    this.rows = [];
    this.openedAt = performance.now();
  }

  private commit(): void {
    const writer = this.writer!;
    this.writer = null;
    writer.close();
    const rows = this.rows;
    writeFileDurably(join(this.dir, sidecarName(this.name)), JSON.stringify({ shard: this.name, schema_version: SCHEMA_VERSION, rows } satisfies Sidecar));
    this.onCommit(this.name, rows);
  }
}
