// Encodes one feature dict (plus plain column values) as one Arrow IPC record
// batch message: continuation marker, metadata length, metadata flatbuffer,
// padding, body. Runs wherever the row is computed (a build worker), so the
// thread that writes the file only appends bytes (encoded_file_writer.ts).
import { RecordBatchStreamWriter, type Schema } from 'apache-arrow';
import type { ArrayBufferViewInput } from 'apache-arrow/util/buffer';
import type { FeatureDict } from '../../features/tensor.ts';
import type { PlainValue } from './column_types.ts';
import { checkRowAgainstLayout, encodeRow, schemaOfLayout, type FeatureFileLayout } from './encode_row.ts';

/** A stream writer whose bytes are collected per call instead of queued. */
class CapturingStreamWriter extends RecordBatchStreamWriter {
  chunks: Uint8Array[] = [];
  total = 0;

  protected override _write(chunk: ArrayBufferViewInput): this {
    if (this._started && ArrayBuffer.isView(chunk) && chunk.byteLength > 0) {
      this.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.total += chunk.byteLength;
      this._position += chunk.byteLength;
    }
    return this;
  }

  take(): Uint8Array {
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    this.chunks = [];
    this.total = 0;
    return out;
  }
}

export interface MessageLengths {
  /** Prefix + metadata flatbuffer + padding (a FileBlock's metaDataLength). */
  metaDataLength: number;
  bodyLength: number;
}

/** The block lengths of one encoded record batch message. */
export function messageLengths(message: Uint8Array): MessageLengths {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if (message.byteLength < 8 || view.getInt32(0, true) !== -1) throw new Error('not an encapsulated Arrow IPC message');
  const metaDataLength = 8 + view.getInt32(4, true);
  if (metaDataLength > message.byteLength || metaDataLength % 8 !== 0) throw new Error(`bad message metadata length ${metaDataLength}`);
  return { metaDataLength, bodyLength: message.byteLength - metaDataLength };
}

export class RowEncoder {
  readonly schema: Schema;
  private readonly writer = new CapturingStreamWriter();

  constructor(
    readonly layout: FeatureFileLayout,
    metadata: Record<string, string> = {},
  ) {
    this.schema = schemaOfLayout(layout, metadata);
    // The stream starts with the schema message: written once here and dropped.
    this.writer.reset(undefined, this.schema);
    this.writer.take();
  }

  /** The record batch message of one row; throws (naming `label`) unless the row fits the layout. */
  encode(row: FeatureDict, columns: Record<string, PlainValue>, label: string): Uint8Array {
    checkRowAgainstLayout(row, this.layout, label);
    this.writer.write(encodeRow(this.schema, this.layout, row, columns));
    return this.writer.take();
  }
}
