// The dataset index: one Parquet row per chain (chain id, PDB id, chain,
// sequence length, resolution, release date, cluster size, MSA depth, number
// of templates, shard, row, content hash, template cutoff), in shard order,
// streamed (memory does not grow with the number of chains), written under a
// temporary name and renamed into place.
import { renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import parquet from '@dsnp/parquetjs';
import { syncDirectory } from '../arrow/durable_file.ts';
import { fsyncPath } from './fs_sync.ts';

export interface IndexRow {
  chain_id: string;
  pdb_id: string;
  chain: string;
  seq_length: number;
  /** Å; null when the mmCIF gives none. */
  resolution: number | null;
  release_date: string;
  /** Chains in the chain's cluster; -1 when the cluster file lacks it, null without a cluster file. */
  cluster_size: number | null;
  msa_depth: number;
  num_templates: number;
  /** Shard file name under `shards/`. */
  shard: string;
  row: number;
  content_hash: string;
  template_cutoff: string;
}

export const INDEX_FILE = 'index.parquet';

const SCHEMA = new parquet.ParquetSchema({
  chain_id: { type: 'UTF8' },
  pdb_id: { type: 'UTF8' },
  chain: { type: 'UTF8' },
  seq_length: { type: 'INT32' },
  resolution: { type: 'DOUBLE', optional: true },
  release_date: { type: 'UTF8' },
  cluster_size: { type: 'INT32', optional: true },
  msa_depth: { type: 'INT32' },
  num_templates: { type: 'INT32' },
  shard: { type: 'UTF8' },
  row: { type: 'INT32' },
  content_hash: { type: 'UTF8' },
  template_cutoff: { type: 'UTF8' },
});

export async function writeIndex(path: string, rows: Iterable<IndexRow>, metadata: Record<string, string> = {}): Promise<void> {
  const temp = join(dirname(path), `${basename(path)}.tmp-${process.pid}`);
  const writer = await parquet.ParquetWriter.openFile(SCHEMA, temp);
  for (const [k, v] of Object.entries(metadata)) writer.setMetadata(k, v);
  for (const row of rows) {
    const record: Record<string, unknown> = { ...row };
    if (row.resolution === null) delete record.resolution;
    if (row.cluster_size === null) delete record.cluster_size;
    await writer.appendRow(record);
  }
  await writer.close();
  fsyncPath(temp);
  renameSync(temp, path);
  syncDirectory(dirname(path));
}

export async function readIndex(path: string): Promise<{ rows: IndexRow[]; metadata: Record<string, string> }> {
  const reader = await parquet.ParquetReader.openFile(path);
  try {
    const cursor = reader.getCursor();
    const rows: IndexRow[] = [];
    for (let record = (await cursor.next()) as Record<string, unknown> | null; record; record = (await cursor.next()) as Record<string, unknown> | null) {
      rows.push({
        chain_id: String(record.chain_id),
        pdb_id: String(record.pdb_id),
        chain: String(record.chain),
        seq_length: Number(record.seq_length),
        resolution: record.resolution === undefined || record.resolution === null ? null : Number(record.resolution),
        release_date: String(record.release_date),
        cluster_size: record.cluster_size === undefined || record.cluster_size === null ? null : Number(record.cluster_size),
        msa_depth: Number(record.msa_depth),
        num_templates: Number(record.num_templates),
        shard: String(record.shard),
        row: Number(record.row),
        content_hash: String(record.content_hash),
        template_cutoff: String(record.template_cutoff),
      });
    }
    return { rows, metadata: { ...(reader.getMetadata() as Record<string, string>) } };
  } finally {
    await reader.close();
  }
}
