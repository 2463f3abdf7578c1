// Assembles an Arrow IPC file from record batch messages encoded elsewhere
// (row_encoder.ts): magic, the messages one after another, then the stream
// end marker, the footer (schema + the blocks' offsets and lengths), its
// length and the magic again, as Arrow's RecordBatchFileWriter lays it out.
// Durable: written under a temporary name, fsynced and renamed on close.
import { MetadataVersion, type Schema } from 'apache-arrow';
import { FileBlock, Footer } from 'apache-arrow/ipc/metadata/file';
import { DurableFile } from './durable_file.ts';
import { messageLengths } from './row_encoder.ts';

const MAGIC = new TextEncoder().encode('ARROW1');

export class EncodedFeatureFileWriter {
  private readonly file: DurableFile;
  private readonly blocks: FileBlock[] = [];
  private closed = false;

  constructor(readonly path: string) {
    this.file = new DurableFile(path);
    this.file.write(MAGIC);
    this.file.write(new Uint8Array(2));
  }

  get numRows(): number {
    return this.blocks.length;
  }

  get bytesWritten(): number {
    return this.file.position;
  }

  /** Appends one row's record batch message; returns its row index. */
  append(message: Uint8Array): number {
    if (this.closed) throw new Error(`${this.path}: writer is closed`);
    const { metaDataLength, bodyLength } = messageLengths(message);
    this.blocks.push(new FileBlock(metaDataLength, bodyLength, this.file.position));
    this.file.write(message);
    return this.blocks.length - 1;
  }

  /** Writes the footer with `schema` (that of every appended message), fsyncs and renames into place. */
  close(schema: Schema): void {
    if (this.closed) return;
    this.closed = true;
    const footer = Footer.encode(new Footer(schema, MetadataVersion.V5, this.blocks, []));
    this.file.write(Int32Array.of(-1, 0));
    this.file.write(footer);
    this.file.write(Int32Array.of(footer.byteLength));
    this.file.write(MAGIC);
    this.file.commit();
  }

  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.abort();
  }
}
