// Writes feature dicts as an Arrow IPC *file* (random access; footer with the
// record batch offsets), one row per record batch so that a reader can fetch
// any row with one positioned read. Streams to disk: memory use is one row,
// not the file. The file appears at its final path only when closed (see
// durable_file.ts). Rows are encoded by row_encoder.ts, here or in the thread
// that computed them (appendEncoded).
import type { FeatureDict } from '../../features/tensor.ts';
import { layoutOfRow } from './encode_row.ts';
import { EncodedFeatureFileWriter } from './encoded_file_writer.ts';
import { RowEncoder } from './row_encoder.ts';
import type { FeatureColumnSpec, PlainColumnType, PlainValue } from './column_types.ts';

/** A plain (non-feature) column given for all rows at once. */
export interface PlainColumn {
  type: PlainColumnType;
  values: PlainValue[];
}

export interface FeatureFileOptions {
  /** Schema-level key/value metadata (schema version, feature config, ...). */
  metadata?: Record<string, string>;
  /** Plain columns outside the feature dict, one value per row. */
  columns?: Record<string, PlainColumn>;
}

export interface FeatureFileWriterOptions {
  metadata?: Record<string, string>;
  /** Types of the plain columns that append() will be given. */
  columnTypes?: Record<string, PlainColumnType>;
  /**
   * The feature columns, in file order. When absent, the first appended row
   * defines them (its keys in sorted order). Needed to write a file of 0 rows
   * with feature columns.
   */
  features?: Record<string, FeatureColumnSpec>;
}

export class FeatureFileWriter {
  readonly path: string;
  private readonly file: EncodedFeatureFileWriter;
  private readonly metadata: Record<string, string>;
  private readonly columnTypes: Record<string, PlainColumnType>;
  private encoder: RowEncoder | null = null;
  private closed = false;

  constructor(path: string, options: FeatureFileWriterOptions = {}) {
    this.path = path;
    this.metadata = options.metadata ?? {};
    this.columnTypes = options.columnTypes ?? {};
    this.file = new EncodedFeatureFileWriter(path);
    if (options.features !== undefined) {
      this.encoder = new RowEncoder({ features: Object.entries(options.features), columns: Object.entries(this.columnTypes) }, this.metadata);
    }
  }

  get numRows(): number {
    return this.file.numRows;
  }

  /** Bytes written so far (the file grows by about this much). */
  get bytesWritten(): number {
    return this.file.bytesWritten;
  }

  append(row: FeatureDict, columns: Record<string, PlainValue> = {}): number {
    if (this.closed) throw new Error(`${this.path}: writer is closed`);
    this.encoder ??= new RowEncoder(layoutOfRow(row, this.columnTypes), this.metadata);
    return this.file.append(this.encoder.encode(row, columns, `${this.path} row ${this.file.numRows}`));
  }

  /** Appends a row already encoded by a RowEncoder of the same layout (e.g. in a worker thread). */
  appendEncoded(message: Uint8Array): number {
    if (this.closed) throw new Error(`${this.path}: writer is closed`);
    if (this.encoder === null) throw new Error(`${this.path}: appendEncoded needs the features given up front`);
    return this.file.append(message);
  }

  /** Writes the footer, fsyncs and renames the file into place. */
  close(): void {
    if (this.closed) return;
    this.encoder ??= new RowEncoder({ features: [], columns: Object.entries(this.columnTypes) }, this.metadata);
    this.closed = true;
    this.file.close(this.encoder.schema);
  }

  /** Drops the unfinished file. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.abort();
  }
}

/**
 * Writes `rows` (all with the same keys, dtypes and ndims) to an Arrow IPC
 * file at `path`, plus optional plain columns and schema metadata.
 */
export async function writeFeatureFile(path: string, rows: FeatureDict[], options: FeatureFileOptions = {}): Promise<void> {
  const columns = options.columns ?? {};
  const columnTypes: Record<string, PlainColumnType> = {};
  for (const [name, column] of Object.entries(columns)) {
    if (column.values.length !== rows.length) {
      throw new Error(`column '${name}' has ${column.values.length} values for ${rows.length} rows`);
    }
    columnTypes[name] = column.type;
  }
  const writer = new FeatureFileWriter(path, { metadata: options.metadata ?? {}, columnTypes });
  try {
    rows.forEach((row, i) => {
      const values: Record<string, PlainValue> = {};
      for (const [name, column] of Object.entries(columns)) values[name] = column.values[i]!;
      writer.append(row, values);
    });
    writer.close();
  } catch (error) {
    writer.abort();
    throw error;
  }
}
