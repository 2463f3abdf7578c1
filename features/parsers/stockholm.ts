// Stockholm alignments, as AlphaFold/OpenFold's `parsers.parse_stockholm`:
// sequence lines `name aligned` (markup '#...', '//' and blank lines skipped)
// are joined by name across blocks, in order of first appearance; the first
// name is the query. Columns where the query has '-' are dropped from every
// row; a residue (non '-') of a row in such a column counts as a deletion in
// the next kept column. Descriptions are the sequence names.
//
// Streaming: `StockholmReader` processes each line as it arrives, keeping per
// row only the kept columns and the deletion counts (a row line that arrives
// before the query's line of its block waits until the query catches up).
//
// DISCREPANCY (strictness): characters other than letters, '-' and '.', a
// line that is not two fields, and rows whose total length differs from the
// query's are ParseErrors (AlphaFold would crash or silently truncate).

import { FeatureError, ParseError } from '../errors.ts';
import { Int32RowAllocator, LineSplitter, Uint8RowAllocator, decodeAscii, forEachLine, isStripSpace } from './text_lines.ts';
import type { Msa, MsaReader } from './types.ts';

const CODE_DASH = 45;

/** 1 for the characters allowed in an aligned sequence: letters, '-', '.'. */
const ALIGNED_CHARACTER = ((): Uint8Array => {
  const table = new Uint8Array(128);
  for (let c = 65; c <= 90; c++) table[c] = 1;
  for (let c = 97; c <= 122; c++) table[c] = 1;
  table[CODE_DASH] = 1;
  table[46] = 1;
  return table;
})();

const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_INTS = new Int32Array(0);

class StockholmRow {
  /** Kept columns so far (views into the reader's shared blocks). */
  out: Uint8Array = EMPTY_BYTES;
  outLength = 0;
  deletions: Int32Array = EMPTY_INTS;
  deletionCount = 0;
  /** Insertions seen since the last kept column. */
  pending = 0;
  /** Raw alignment characters consumed so far. */
  consumed = 0;
  waiting: string[] = [];
  lastLine = 0;

  constructor(readonly name: string) {}

  /** Room for `extra` more kept columns (exact on the first call, doubling after). */
  ensure(extra: number, bytes: Uint8RowAllocator, ints: Int32RowAllocator): void {
    const need = this.outLength + extra;
    if (need > this.out.length) {
      const size = this.out.length === 0 ? need : Math.max(need, this.out.length * 2);
      const out = bytes.allocate(size);
      out.set(this.out.subarray(0, this.outLength));
      this.out = out;
      const deletions = ints.allocate(size);
      deletions.set(this.deletions.subarray(0, this.deletionCount));
      this.deletions = deletions;
    }
  }
}

export class StockholmReader implements MsaReader {
  private readonly rows = new Map<string, StockholmRow>();
  private readonly order: StockholmRow[] = [];
  private readonly waitingRows = new Set<StockholmRow>();
  private query: Uint8Array = new Uint8Array(1024);
  private queryLength = 0;
  /** keptBefore[i]: query columns without '-' among the first i. */
  private keptBefore: Int32Array = new Int32Array(1025);
  private readonly bytes = new Uint8RowAllocator();
  private readonly ints = new Int32RowAllocator();
  private lastLine = 0;
  private splitter: LineSplitter | null = null;

  constructor(private readonly source: string) {}

  /** Feeds a chunk of text (any size). */
  push(chunk: string): void {
    if (this.splitter === null) this.splitter = new LineSplitter((line, n) => this.pushLine(line, n));
    this.splitter.push(chunk);
  }

  /** Feeds one line (without its terminator) with its 1-based number. */
  pushLine(line: string, lineNumber: number): void {
    this.lastLine = lineNumber;
    let start = 0;
    let end = line.length;
    while (start < end && isStripSpace(line.charCodeAt(start))) start++;
    if (start === end) return;
    const first = line.charCodeAt(start);
    if (first === 35) return; // '#'
    if (first === 47 && line.charCodeAt(start + 1) === 47) return; // '//'
    while (end > start && isStripSpace(line.charCodeAt(end - 1))) end--;
    let nameEnd = start;
    while (nameEnd < end && !isStripSpace(line.charCodeAt(nameEnd))) nameEnd++;
    let seqStart = nameEnd;
    while (seqStart < end && isStripSpace(line.charCodeAt(seqStart))) seqStart++;
    if (seqStart === end) {
      throw new ParseError({ source: this.source, line: lineNumber }, 'expected "<name> <aligned sequence>", found one field');
    }
    const name = line.slice(start, nameEnd);
    let row = this.rows.get(name);
    if (row === undefined) {
      row = new StockholmRow(name);
      this.rows.set(name, row);
      this.order.push(row);
    }
    row.lastLine = lineNumber;
    if (row === this.order[0]) {
      this.extendQuery(line, seqStart, end, lineNumber);
      this.consume(row, line, seqStart, end, lineNumber);
      for (const waiting of this.waitingRows) this.drain(waiting);
      return;
    }
    if (row.waiting.length === 0 && row.consumed + (end - seqStart) <= this.queryLength) {
      this.consume(row, line, seqStart, end, lineNumber);
    } else {
      this.checkCharacters(line, seqStart, end, lineNumber);
      row.waiting.push(line.slice(seqStart, end));
      this.waitingRows.add(row);
      this.drain(row);
    }
  }

  /** Ends the input and returns the alignment. */
  finish(): Msa {
    if (this.splitter !== null) this.splitter.end();
    const query = this.order[0];
    if (query === undefined) {
      throw new FeatureError({ source: this.source, line: Math.max(1, this.lastLine) }, 'no sequences: a Stockholm file without a query');
    }
    if (query.outLength === 0) {
      throw new FeatureError({ source: this.source, line: query.lastLine }, 'the query has no aligned columns');
    }
    const sequences: string[] = [];
    const deletionMatrix: Int32Array[] = [];
    const descriptions: string[] = [];
    for (const row of this.order) {
      if (row.waiting.length > 0 || row.consumed !== this.queryLength) {
        const total = row.consumed + row.waiting.reduce((sum, s) => sum + s.length, 0);
        throw new ParseError(
          { source: this.source, line: row.lastLine },
          `row ${row.name} has ${total} alignment columns, the query has ${this.queryLength}`,
        );
      }
      sequences.push(decodeAscii(row.out, row.outLength));
      deletionMatrix.push(row.deletions.subarray(0, row.deletionCount));
      descriptions.push(row.name);
    }
    return { sequences, deletionMatrix, descriptions };
  }

  private checkCharacters(line: string, start: number, end: number, lineNumber: number): void {
    for (let i = start; i < end; i++) {
      const c = line.charCodeAt(i);
      if (c >= 128 || ALIGNED_CHARACTER[c] !== 1) {
        if (isStripSpace(c)) {
          throw new ParseError({ source: this.source, line: lineNumber }, 'expected "<name> <aligned sequence>", found more fields');
        }
        throw new ParseError({ source: this.source, line: lineNumber }, `illegal character ${JSON.stringify(line[i])} in a Stockholm sequence`);
      }
    }
  }

  private extendQuery(line: string, start: number, end: number, lineNumber: number): void {
    this.checkCharacters(line, start, end, lineNumber);
    const need = this.queryLength + (end - start);
    if (need > this.query.length) {
      const grown = new Uint8Array(Math.max(need, this.query.length * 2));
      grown.set(this.query.subarray(0, this.queryLength));
      this.query = grown;
      const kept = new Int32Array(grown.length + 1);
      kept.set(this.keptBefore.subarray(0, this.queryLength + 1));
      this.keptBefore = kept;
    }
    for (let i = start; i < end; i++) {
      const at = this.queryLength + i - start;
      const c = line.charCodeAt(i);
      this.query[at] = c;
      this.keptBefore[at + 1] = (this.keptBefore[at] as number) + (c === CODE_DASH ? 0 : 1);
    }
    this.queryLength = need;
  }

  private drain(row: StockholmRow): void {
    while (row.waiting.length > 0) {
      const available = this.queryLength - row.consumed;
      if (available <= 0) return;
      const segment = row.waiting[0] as string;
      if (segment.length <= available) {
        this.consume(row, segment, 0, segment.length, row.lastLine);
        row.waiting.shift();
      } else {
        this.consume(row, segment, 0, available, row.lastLine);
        row.waiting[0] = segment.slice(available);
        return;
      }
    }
    this.waitingRows.delete(row);
  }

  /**
   * Aligns text[start, end) (from column row.consumed on) against the query's
   * columns; the query must already reach that far. Checks the characters.
   */
  private consume(row: StockholmRow, text: string, start: number, end: number, lineNumber: number): void {
    const from = row.consumed;
    row.ensure((this.keptBefore[from + end - start] as number) - (this.keptBefore[from] as number), this.bytes, this.ints);
    const query = this.query;
    const out = row.out;
    const deletions = row.deletions;
    let outLength = row.outLength;
    let deletionCount = row.deletionCount;
    let pending = row.pending;
    let column = row.consumed;
    for (let i = start; i < end; i++, column++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || ALIGNED_CHARACTER[c] !== 1) this.checkCharacters(text, i, i + 1, lineNumber);
      if (query[column] === CODE_DASH) {
        if (c !== CODE_DASH) pending++;
      } else {
        deletions[deletionCount++] = pending;
        pending = 0;
        out[outLength++] = c;
      }
    }
    row.outLength = outLength;
    row.deletionCount = deletionCount;
    row.pending = pending;
    row.consumed = column;
  }
}

/** Parses a whole Stockholm text (see StockholmReader for the rules). */
export function parseStockholm(text: string, source: string): Msa {
  const reader = new StockholmReader(source);
  forEachLine(text, (line, lineNumber) => reader.pushLine(line, lineNumber));
  return reader.finish();
}
