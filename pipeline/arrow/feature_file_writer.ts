// Writes feature dicts as an Arrow IPC *file* (random access; footer with the
// record batch offsets), one row per record batch so that a reader can fetch
// any row with one positioned read. Streams to disk: memory use is one row,
// not the file. The file appears at its final path only when closed (see
// durable_file.ts).
import { RecordBatchFileWriter, type Schema } from 'apache-arrow';
import type { ArrayBufferViewInput } from 'apache-arrow/util/buffer';
import type { FeatureDict } from '../../features/tensor.ts';
import { DurableFile } from './durable_file.ts';
import {
  checkRowAgainstLayout,
  encodeRow,
  layoutOfRow,
  schemaOfLayout,
  type FeatureFileLayout,
} from './encode_row.ts';
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

/** RecordBatchFileWriter whose bytes go straight to a DurableFile, not to an in-memory queue. */
class DiskRecordBatchFileWriter extends RecordBatchFileWriter {
  constructor(private readonly file: DurableFile) {
    super();
  }

  protected override _write(chunk: ArrayBufferViewInput): this {
    if (this._started && ArrayBuffer.isView(chunk) && chunk.byteLength > 0) {
      this.file.write(chunk);
      this._position += chunk.byteLength;
    }
    return this;
  }
}

export class FeatureFileWriter {
  readonly path: string;
  private readonly file: DurableFile;
  private readonly writer: DiskRecordBatchFileWriter;
  private readonly metadata: Record<string, string>;
  private readonly columnTypes: Record<string, PlainColumnType>;
  private layout: FeatureFileLayout | null = null;
  private schema: Schema | null = null;
  private rows = 0;
  private closed = false;

  constructor(path: string, options: FeatureFileWriterOptions = {}) {
    this.path = path;
    this.metadata = options.metadata ?? {};
    this.columnTypes = options.columnTypes ?? {};
    this.file = new DurableFile(path);
    this.writer = new DiskRecordBatchFileWriter(this.file);
    if (options.features !== undefined) {
      this.setLayout({ features: Object.entries(options.features), columns: Object.entries(this.columnTypes) });
    }
  }

  get numRows(): number {
    return this.rows;
  }

  /** Bytes written so far (the file grows by about this much). */
  get bytesWritten(): number {
    return this.file.position;
  }

  append(row: FeatureDict, columns: Record<string, PlainValue> = {}): number {
    if (this.closed) throw new Error(`${this.path}: writer is closed`);
    if (this.layout === null) this.setLayout(layoutOfRow(row, this.columnTypes));
    checkRowAgainstLayout(row, this.layout!, `${this.path} row ${this.rows}`);
    this.writer.write(encodeRow(this.schema!, this.layout!, row, columns));
    return this.rows++;
  }

  /** Writes the footer, fsyncs and renames the file into place. */
  close(): void {
    if (this.closed) return;
    if (this.schema === null) this.setLayout({ features: [], columns: Object.entries(this.columnTypes) });
    this.closed = true;
    this.writer.close();
    this.file.commit();
  }

  /** Drops the unfinished file. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.abort();
  }

  private setLayout(layout: FeatureFileLayout): void {
    this.layout = layout;
    this.schema = schemaOfLayout(layout, this.metadata);
    // Starts the file (magic) with this schema; the footer repeats it.
    this.writer.reset(undefined, this.schema);
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
