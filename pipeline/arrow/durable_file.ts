// A file written under a temporary name and made visible only when complete:
// write -> fsync -> rename -> fsync of the directory. A process killed at
// any moment (SIGKILL included) leaves either no file at the final path or
// the complete one; at worst a `*.tmp-<pid>` file that readers never look at.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const BUFFER_BYTES = 1 << 20;

export const TEMP_MARKER = '.tmp-';

export function isTemporaryName(name: string): boolean {
  return name.includes(TEMP_MARKER);
}

export class DurableFile {
  readonly path: string;
  readonly tempPath: string;
  private fd: number | null;
  private readonly buffer = new Uint8Array(BUFFER_BYTES);
  private used = 0;
  private written = 0;

  constructor(path: string) {
    this.path = path;
    this.tempPath = join(dirname(path), `${basename(path)}${TEMP_MARKER}${process.pid}-${Math.floor(performance.now() * 1000)}`);
    this.fd = openSync(this.tempPath, 'w');
  }

  /** Bytes handed to write() so far. */
  get position(): number {
    return this.written;
  }

  write(chunk: ArrayBufferView): void {
    const fd = this.requireOpen();
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.written += bytes.byteLength;
    if (this.used + bytes.byteLength <= BUFFER_BYTES) {
      this.buffer.set(bytes, this.used);
      this.used += bytes.byteLength;
      return;
    }
    this.flush();
    if (bytes.byteLength >= BUFFER_BYTES) writeFully(fd, bytes);
    else {
      this.buffer.set(bytes, 0);
      this.used = bytes.byteLength;
    }
  }

  /** Flush, fsync, rename into place and fsync the directory. */
  commit(): void {
    const fd = this.requireOpen();
    this.flush();
    fsyncSync(fd);
    closeSync(fd);
    this.fd = null;
    renameSync(this.tempPath, this.path);
    syncDirectory(dirname(this.path));
  }

  /** Drop the temporary file; the final path is left untouched. */
  abort(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    rmSync(this.tempPath, { force: true });
  }

  private flush(): void {
    if (this.used > 0) writeFully(this.requireOpen(), this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private requireOpen(): number {
    if (this.fd === null) throw new Error(`${this.path}: file already committed or aborted`);
    return this.fd;
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
}

export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Write `bytes` durably at `path` (temp name, fsync, rename). */
export function writeFileDurably(path: string, bytes: Uint8Array | string): void {
  const file = new DurableFile(path);
  try {
    file.write(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    file.commit();
  } catch (error) {
    file.abort();
    throw error;
  }
}
