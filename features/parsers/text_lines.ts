// Line splitting shared by the line-oriented parsers: '\n' ends a line, a
// '\r' before it is dropped, and the final line need not end with '\n'.
// Lines are handed out with their 1-based number.

export type LineSink = (line: string, lineNumber: number) => void;

/** Calls `sink` for every line of `text`, in order. Returns the line count. */
export function forEachLine(text: string, sink: LineSink, firstLineNumber = 1): number {
  let lineNumber = firstLineNumber;
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    sink(text.slice(start, stop), lineNumber);
    lineNumber++;
    start = end + 1;
  }
  return lineNumber - firstLineNumber;
}

/**
 * Incremental form: feed text chunks of any size; complete lines go to the
 * sink as they arrive, and `end()` flushes the last unterminated line.
 */
export class LineSplitter {
  private rest = '';
  private nextLine = 1;

  constructor(private readonly sink: LineSink) {}

  push(chunk: string): void {
    const last = chunk.lastIndexOf('\n');
    if (last < 0) {
      this.rest += chunk;
      return;
    }
    const complete = this.rest + chunk.slice(0, last);
    this.rest = chunk.slice(last + 1);
    this.nextLine += forEachLine(complete, this.sink, this.nextLine);
    // forEachLine does not count an empty final segment; keep numbering exact.
    if (complete.length === 0 || complete.charCodeAt(complete.length - 1) === 10) {
      this.sink('', this.nextLine);
      this.nextLine++;
    }
  }

  end(): void {
    if (this.rest.length > 0) {
      const line = this.rest.charCodeAt(this.rest.length - 1) === 13 ? this.rest.slice(0, -1) : this.rest;
      this.sink(line, this.nextLine);
      this.nextLine++;
    }
    this.rest = '';
  }
}

/** Python str.strip() for the ASCII whitespace the parsers meet (space, \t, \n, \v, \f, \r). */
export function isStripSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** [start, end) of `line` without leading and trailing whitespace. */
export function stripBounds(line: string): [number, number] {
  let start = 0;
  let end = line.length;
  while (start < end && isStripSpace(line.charCodeAt(start))) start++;
  while (end > start && isStripSpace(line.charCodeAt(end - 1))) end--;
  return [start, end];
}

/** The string of bytes[0, length), each byte one character (ASCII input). */
export function decodeAscii(bytes: Uint8Array, length: number): string {
  let text = '';
  for (let start = 0; start < length; start += 8192) {
    const stop = Math.min(length, start + 8192);
    text += String.fromCharCode.apply(null, bytes.subarray(start, stop) as unknown as number[]);
  }
  return text;
}

/**
 * Hands out Int32Array rows carved from shared blocks (subarray views), so an
 * MSA of many short rows does not allocate one buffer per row.
 */
export class Int32RowAllocator {
  private block = new Int32Array(0);
  private used = 0;

  constructor(private readonly blockSize = 1 << 18) {}

  allocate(length: number): Int32Array {
    if (this.used + length > this.block.length) {
      this.block = new Int32Array(Math.max(this.blockSize, length));
      this.used = 0;
    }
    const row = this.block.subarray(this.used, this.used + length);
    this.used += length;
    return row;
  }
}

/** The same for Uint8Array rows. */
export class Uint8RowAllocator {
  private block = new Uint8Array(0);
  private used = 0;

  constructor(private readonly blockSize = 1 << 18) {}

  allocate(length: number): Uint8Array {
    if (this.used + length > this.block.length) {
      this.block = new Uint8Array(Math.max(this.blockSize, length));
      this.used = 0;
    }
    const row = this.block.subarray(this.used, this.used + length);
    this.used += length;
    return row;
  }
}
