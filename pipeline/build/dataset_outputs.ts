// The bookkeeping files of a dataset besides its shards: errors.jsonl (one
// `{chain, stage, message}` object per failed chain of the last run), and at
// the end of a run index.parquet and OpenFold's chain_data_cache.json,
// streamed shard by shard from the sidecars so memory does not grow with the
// number of chains.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DurableFile } from '../arrow/durable_file.ts';
import { INDEX_FILE, writeIndex, type IndexRow } from '../dataset/index_file.ts';
import { readShardEntries, type PlacedEntry } from '../dataset/shard_set.ts';
import type { ChainCacheEntry } from './chain_task.ts';

export const ERRORS_FILE = 'errors.jsonl';
export const CHAIN_DATA_CACHE_FILE = 'chain_data_cache.json';

export class ErrorLog {
  private readonly fd: number;
  count = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  add(chain: string, stage: string, message: string): void {
    writeSync(this.fd, JSON.stringify({ chain, stage, message }) + '\n');
    this.count += 1;
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

function toIndexRow(e: PlacedEntry): IndexRow {
  const { sequence: _sequence, ...row } = e;
  return row;
}

function cacheEntryOf(e: PlacedEntry): ChainCacheEntry {
  return { release_date: e.release_date, seq: e.sequence, resolution: e.resolution ?? 0, ...(e.cluster_size === null ? {} : { cluster_size: e.cluster_size }) };
}

/**
 * Writes index.parquet (every committed row, first occurrence of a chain
 * wins) and chain_data_cache.json (those rows plus `filtered`, the chains the
 * filters dropped). Returns the number of index rows.
 */
export async function writeDatasetIndex(
  outDir: string,
  shardNames: readonly string[],
  filtered: ReadonlyMap<string, ChainCacheEntry>,
  metadata: Record<string, string>,
): Promise<number> {
  const cacheFile = new DurableFile(join(outDir, CHAIN_DATA_CACHE_FILE));
  const encoder = new TextEncoder();
  let first = true;
  const addCacheEntry = (chain: string, entry: ChainCacheEntry): void => {
    cacheFile.write(encoder.encode(`${first ? '{\n' : ',\n'}    ${JSON.stringify(chain)}: ${JSON.stringify(entry)}`));
    first = false;
  };
  let rows = 0;
  const seen = new Set<string>();
  function* indexRows(): Generator<IndexRow> {
    for (const shard of shardNames) {
      for (const e of readShardEntries(outDir, shard)) {
        if (seen.has(e.chain_id)) continue;
        seen.add(e.chain_id);
        rows += 1;
        addCacheEntry(e.chain_id, cacheEntryOf(e));
        yield toIndexRow(e);
      }
    }
  }
  try {
    await writeIndex(join(outDir, INDEX_FILE), indexRows(), metadata);
    for (const [chain, entry] of filtered) addCacheEntry(chain, entry);
    cacheFile.write(encoder.encode(first ? '{}\n' : '\n}\n'));
    cacheFile.commit();
  } catch (error) {
    cacheFile.abort();
    throw error;
  }
  return rows;
}
