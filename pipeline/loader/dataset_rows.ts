// Row access to a built dataset for the loader: the Parquet index says where
// each chain lives; a row is read with one positioned read into a
// SharedArrayBuffer, so the typed arrays of its features are handed to a
// worker thread without a copy.
import { join } from 'node:path';
import { openFeatureFile, type FeatureFile } from '../arrow/index.ts';
import { INDEX_FILE, readIndex, type IndexRow } from '../dataset/index_file.ts';
import { SHARDS_DIR } from '../dataset/shard_set.ts';
import type { FeatureDict } from '../../features/tensor.ts';
import type { SamplerEntry } from './sampler.ts';
import type { RowLocation } from './sample_task.ts';

export class DatasetRows {
  private readonly files = new Map<string, FeatureFile>();

  private constructor(
    readonly datasetDir: string,
    readonly index: ReadonlyMap<string, IndexRow>,
  ) {}

  static async open(datasetDir: string): Promise<DatasetRows> {
    const { rows } = await readIndex(join(datasetDir, INDEX_FILE));
    return new DatasetRows(datasetDir, new Map(rows.map((r) => [r.chain_id, r])));
  }

  /** Sampler entries of every indexed chain (missing resolution counts as 0 Å, cluster size as 1). */
  samplerEntries(): SamplerEntry[] {
    return [...this.index.values()].map((r) => ({
      chainId: r.chain_id,
      length: r.seq_length,
      clusterSize: r.cluster_size !== null && r.cluster_size > 0 ? r.cluster_size : 1,
      resolution: r.resolution ?? 0,
      releaseDate: r.release_date,
    }));
  }

  /** Where a chain's row is stored (what the loader's workers read). */
  location(chainId: string): RowLocation {
    const entry = this.index.get(chainId);
    if (entry === undefined) throw new RangeError(`chain ${chainId} is not in ${join(this.datasetDir, INDEX_FILE)}`);
    return { file: join(this.datasetDir, SHARDS_DIR, entry.shard), row: entry.row };
  }

  /** The stored features of a chain, backed by a SharedArrayBuffer. */
  features(chainId: string): FeatureDict {
    const { file: path, row } = this.location(chainId);
    let file = this.files.get(path);
    if (file === undefined) {
      file = openFeatureFile(path);
      this.files.set(path, file);
    }
    return file.row(row, { shared: true }).features;
  }

  close(): void {
    for (const file of this.files.values()) file.close();
    this.files.clear();
  }
}
