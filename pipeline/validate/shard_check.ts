// Checks of one shard file (run in validate's worker threads): integrity,
// schema and version, and every row (row_checks.ts). Returns the defects and
// the rows' index entries for the cross-check against the index.
import { join } from 'node:path';
import { openFeatureFile, type FeatureFile } from '../arrow/feature_file_reader.ts';
import { SCHEMA_VERSION, SCHEMA_VERSION_KEY, SHARD_COLUMNS, SHARD_FEATURES } from '../dataset/feature_table.ts';
import { entryFromRow, type PlacedEntry } from '../dataset/shard_set.ts';
import type { Defect } from './defects.ts';
import { checkRow } from './row_checks.ts';

/** What the cross-check needs of a row (its index entry without the sequence). */
export type RowEntry = Omit<PlacedEntry, 'sequence'>;

export interface ShardCheck {
  name: string;
  defects: Defect[];
  /** One per row; null where the row could not be read. */
  entries: (RowEntry | null)[];
  /** False when the file could not be opened at all. */
  readable: boolean;
  bytes: number;
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

export function checkShard(datasetDir: string, shardsDir: string, name: string): ShardCheck {
  const result: ShardCheck = { name, defects: [], entries: [], readable: false, bytes: 0 };
  let file: FeatureFile;
  try {
    file = openFeatureFile(join(datasetDir, shardsDir, name));
  } catch (error) {
    result.defects.push({ kind: 'shard_unreadable', shard: name, chain: '', message: (error as Error).message });
    return result;
  }
  try {
    result.readable = true;
    result.bytes = file.byteLength;
    const checkable = checkSchema(file, name, result.defects);
    for (let i = 0; i < file.numRows; i++) {
      let row;
      try {
        row = file.row(i);
      } catch (error) {
        result.defects.push({ kind: 'shard_unreadable', shard: name, chain: '', message: `row ${i}: ${(error as Error).message}` });
        result.entries.push(null);
        continue;
      }
      const { sequence: _sequence, ...entry } = entryFromRow(row.features, row.columns, name, i);
      result.entries.push(entry);
      if (checkable) result.defects.push(...checkRow(row.features, row.columns, name));
    }
  } finally {
    file.close();
  }
  return result;
}
