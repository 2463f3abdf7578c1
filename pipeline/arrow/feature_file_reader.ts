// Reads Arrow IPC feature files: the whole file (readFeatureFile) or one row
// at a time (openFeatureFile) with one positioned read per row. Row tensors
// are typed-array views into that row's buffer (Arrow keeps IPC buffers
// 8-byte aligned), which can be a SharedArrayBuffer for the loader.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { makeData, RecordBatch, RecordBatchReader, Struct, type Schema } from 'apache-arrow';
import { Footer, type FileBlock } from 'apache-arrow/ipc/metadata/file';
import { Message } from 'apache-arrow/ipc/metadata/message';
import { VectorLoader } from 'apache-arrow/visitor/vectorloader';
import type { FeatureDict } from '../../features/tensor.ts';
import { ROWS_PER_BATCH_KEY, type PlainValue } from './column_types.ts';
import { decodedLayoutOf, decodeRow, type DecodedLayout, type DecodedRow } from './decode_row.ts';

const MAGIC = 'ARROW1';
const TRAILER_BYTES = 4 + MAGIC.length;

export class FeatureFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'FeatureFileError';
  }
}

export interface RowReadOptions {
  /** Back the row's buffer with a SharedArrayBuffer (to hand it to other threads). */
  shared?: boolean;
}

export interface FeatureFile {
  readonly path: string;
  readonly numRows: number;
  readonly schema: Schema;
  readonly metadata: Map<string, string>;
  readonly layout: DecodedLayout;
  /** Size of the file in bytes. */
  readonly byteLength: number;
  /** Decodes row i (0-based) with one positioned read. */
  row(i: number, options?: RowReadOptions): DecodedRow;
  close(): void;
}

function readAt(fd: number, position: number, length: number, into?: Uint8Array): Uint8Array {
  const out = into ?? new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return out;
}

/** The schema as an IPC stream message (continuation, length, flatbuffer, padding to 8). */
function schemaFrame(schema: Schema): Uint8Array {
  const body = Message.encode(Message.from(schema));
  const padded = (body.byteLength + 8 + 7) & ~7;
  const frame = new Uint8Array(padded);
  const view = new DataView(frame.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, padded - 8, true);
  frame.set(body, 8);
  return frame;
}

function batchRowCount(fd: number, block: FileBlock): number {
  const meta = readAt(fd, block.offset, block.metaDataLength);
  const view = new DataView(meta.buffer);
  const start = view.getInt32(0, true) === -1 ? 8 : 4;
  const message = Message.decode(meta.subarray(start));
  if (!message.isRecordBatch()) throw new Error('block is not a record batch');
  return Number(message.header().length);
}

class FeatureFileImpl implements FeatureFile {
  readonly numRows: number;
  readonly schema: Schema;
  readonly metadata: Map<string, string>;
  readonly layout: DecodedLayout;
  readonly byteLength: number;
  private fd: number | null;
  private readonly blocks: FileBlock[];
  private readonly frame: Uint8Array;
  private readonly structType: Struct;
  /** First row of each batch (plus the total at the end). */
  private readonly batchStarts: number[] | null;

  constructor(readonly path: string) {
    const fd = openSync(path, 'r');
    this.fd = fd;
    try {
      this.byteLength = fstatSync(fd).size;
      if (this.byteLength < 2 * 8 + TRAILER_BYTES) throw new Error(`too short for an Arrow IPC file (${this.byteLength} bytes)`);
      const head = Buffer.from(readAt(fd, 0, 6)).toString('latin1');
      const trailer = readAt(fd, this.byteLength - TRAILER_BYTES, TRAILER_BYTES);
      const tail = Buffer.from(trailer.subarray(4)).toString('latin1');
      if (head !== MAGIC || tail !== MAGIC) throw new Error('not an Arrow IPC file (magic bytes missing: truncated or not Arrow)');
      const footerLength = new DataView(trailer.buffer).getInt32(0, true);
      const footerStart = this.byteLength - TRAILER_BYTES - footerLength;
      if (footerLength <= 0 || footerStart < 8) throw new Error(`bad footer length ${footerLength}`);
      const footer = Footer.decode(readAt(fd, footerStart, footerLength));
      this.schema = footer.schema;
      this.metadata = new Map(footer.schema.metadata);
      this.blocks = [...footer.recordBatches()];
      for (const b of this.blocks) {
        if (b.offset < 8 || b.offset + b.metaDataLength + b.bodyLength > footerStart) throw new Error(`record batch block at ${b.offset} lies outside the data`);
      }
      this.layout = decodedLayoutOf(this.schema);
      this.frame = schemaFrame(this.schema);
      this.structType = new Struct(this.schema.fields);
      if (this.metadata.get(ROWS_PER_BATCH_KEY) === '1') {
        this.batchStarts = null;
        this.numRows = this.blocks.length;
      } else {
        const starts = [0];
        for (const b of this.blocks) starts.push(starts[starts.length - 1]! + batchRowCount(fd, b));
        this.batchStarts = starts;
        this.numRows = starts[starts.length - 1]!;
      }
    } catch (error) {
      closeSync(fd);
      this.fd = null;
      if (error instanceof FeatureFileError) throw error;
      throw new FeatureFileError(path, (error as Error).message);
    }
  }

  row(i: number, options: RowReadOptions = {}): DecodedRow {
    if (this.fd === null) throw new FeatureFileError(this.path, 'file is closed');
    if (!Number.isInteger(i) || i < 0 || i >= this.numRows) throw new RangeError(`${this.path}: row ${i} out of range [0, ${this.numRows})`);
    const [batchIndex, j] = this.locate(i);
    const block = this.blocks[batchIndex]!;
    const length = block.metaDataLength + block.bodyLength;
    let batch: RecordBatch | undefined;
    try {
      const bytes = new Uint8Array(options.shared === true ? new SharedArrayBuffer(length) : new ArrayBuffer(length));
      readAt(this.fd, block.offset, length, bytes);
      batch = this.loadBatch(bytes, block) ?? this.loadBatchAsStream(bytes, options.shared === true);
    } catch (error) {
      throw new FeatureFileError(this.path, `row ${i}: ${(error as Error).message}`);
    }
    if (batch === undefined || batch.numRows <= j) throw new FeatureFileError(this.path, `row ${i}: record batch ${batchIndex} is empty or corrupt`);
    return decodeRow(batch, j, this.layout);
  }

  /**
   * Decodes a record batch message with the file's schema (decoded once), as
   * Arrow's own reader does (RecordBatchReaderImpl._loadRecordBatch); null for
   * a compressed batch, which goes through the stream reader instead.
   */
  private loadBatch(bytes: Uint8Array, block: FileBlock): RecordBatch | null {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const continued = view.getInt32(0, true) === -1;
    const start = continued ? 8 : 4;
    const metaLength = view.getInt32(continued ? 4 : 0, true);
    if (metaLength <= 0 || start + metaLength > block.metaDataLength) throw new Error(`bad message length ${metaLength}`);
    const message = Message.decode(bytes.subarray(start, start + metaLength));
    if (!message.isRecordBatch()) throw new Error('block is not a record batch');
    const header = message.header();
    if (header.compression != null) return null;
    if (message.bodyLength !== block.bodyLength) throw new Error(`body length ${message.bodyLength} differs from the footer's ${block.bodyLength}`);
    const body = bytes.subarray(block.metaDataLength, block.metaDataLength + block.bodyLength);
    const children = new VectorLoader(body, header.nodes, header.buffers, new Map(), this.schema.metadataVersion).visitMany(this.schema.fields);
    return new RecordBatch(this.schema, makeData({ type: this.structType, length: Number(header.length), children }));
  }

  private loadBatchAsStream(bytes: Uint8Array, shared: boolean): RecordBatch | undefined {
    const total = this.frame.byteLength + bytes.byteLength;
    const framed = new Uint8Array(shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total));
    framed.set(this.frame, 0);
    framed.set(bytes, this.frame.byteLength);
    const next = RecordBatchReader.from(framed).next();
    return next.done === true ? undefined : (next.value as RecordBatch);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private locate(i: number): [number, number] {
    if (this.batchStarts === null) return [i, 0];
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.batchStarts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return [lo, i - this.batchStarts[lo]!];
  }
}

/** Opens a feature file for row-at-a-time reading. Throws FeatureFileError on a truncated or corrupt file. */
export function openFeatureFile(path: string): FeatureFile {
  return new FeatureFileImpl(path);
}

export interface FeatureFileContents {
  rows: FeatureDict[];
  /** Plain columns: name -> one value per row. */
  columns: Record<string, PlainValue[]>;
  metadata: Map<string, string>;
}

/** Reads every row of a feature file. */
export async function readFeatureFile(path: string): Promise<FeatureFileContents> {
  const file = openFeatureFile(path);
  try {
    const rows: FeatureDict[] = [];
    const columns: Record<string, PlainValue[]> = {};
    for (const { name } of file.layout.columns) columns[name] = [];
    for (let i = 0; i < file.numRows; i++) {
      const row = file.row(i);
      rows.push(row.features);
      for (const [name, value] of Object.entries(row.columns)) columns[name]!.push(value);
    }
    return { rows, columns, metadata: file.metadata };
  } finally {
    file.close();
  }
}
