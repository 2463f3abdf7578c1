// A3M alignments, as AlphaFold/OpenFold's `parsers.parse_a3m`: FASTA records
// whose upper-case letters and '-' are the aligned columns and whose
// lower-case letters are insertions; the number of insertions before a column
// goes into that column of the deletion matrix (insertions after the last
// column are dropped, as in AlphaFold).
//
// Strict and streaming: `A3mReader` is fed lines or text chunks and keeps only
// the parsed rows, so a large file never has to be one string.
//
// DISCREPANCY: '.' is ignored (AlphaFold would count it as a column); any other
// character outside A-Z, a-z and '-' is a ParseError, and every row must have
// the query's number of columns (AlphaFold would fail later or silently).
// DISCREPANCY: a NUL byte ends the alignment (ColabFold server files end with
// one; OpenFold reads it as a residue and fails). Text after it other than
// whitespace or NULs is a ParseError.

import { FeatureError, ParseError } from '../errors.ts';
import { Int32RowAllocator, LineSplitter, decodeAscii, forEachLine, isStripSpace } from './text_lines.ts';
import type { Msa, MsaReader } from './types.ts';

const CODE_GT = 62;
const CODE_HASH = 35;
const CODE_DASH = 45;
const CODE_DOT = 46;

export class A3mReader implements MsaReader {
  private readonly sequences: string[] = [];
  private readonly deletionMatrix: Int32Array[] = [];
  private readonly descriptions: string[] = [];
  private description: string | null = null;
  private headerLine = 0;
  private parts: string[] = [];
  private partLines: number[] = [];
  private queryLength = -1;
  private ended = false;
  private lastLine = 0;
  private outBuffer = new Uint8Array(1024);
  private splitter: LineSplitter | null = null;
  private readonly rows = new Int32RowAllocator();

  constructor(private readonly source: string) {}

  /** Feeds a chunk of text (any size, lines may be split across chunks). */
  push(chunk: string): void {
    if (this.splitter === null) this.splitter = new LineSplitter((line, n) => this.pushLine(line, n));
    this.splitter.push(chunk);
  }

  /** Feeds one line (without its line terminator) with its 1-based number. */
  pushLine(line: string, lineNumber: number): void {
    this.lastLine = lineNumber;
    const n = line.length;
    let start = 0;
    let end = n;
    while (start < end && isStripSpace(line.charCodeAt(start))) start++;
    while (end > start && isStripSpace(line.charCodeAt(end - 1))) end--;
    if (this.ended) {
      for (let i = start; i < end; i++) {
        if (line.charCodeAt(i) !== 0 && !isStripSpace(line.charCodeAt(i))) {
          throw new ParseError({ source: this.source, line: lineNumber }, 'text after the NUL byte that ends the alignment');
        }
      }
      return;
    }
    if (start === end) return;
    const first = line.charCodeAt(start);
    if (first === CODE_GT) {
      if (line.indexOf('\0', start) >= 0) {
        throw new ParseError({ source: this.source, line: lineNumber }, 'NUL byte inside a header line');
      }
      this.closeRecord();
      this.description = line.slice(start + 1, end);
      this.headerLine = lineNumber;
      return;
    }
    if (first === CODE_HASH) return;
    const nul = line.indexOf('\0', start);
    if (nul >= 0) {
      this.ended = true;
      this.pushLine(line.slice(nul), lineNumber); // checks what follows the NUL
      const before = line.slice(start, nul);
      let stop = before.length;
      while (stop > 0 && isStripSpace(before.charCodeAt(stop - 1))) stop--;
      if (stop > 0) this.addSequencePart(before.slice(0, stop), lineNumber);
      return;
    }
    this.addSequencePart(start === 0 && end === n ? line : line.slice(start, end), lineNumber);
  }

  /** Feeds the rest of a text pushed with `push` and returns the alignment. */
  finish(): Msa {
    if (this.splitter !== null) this.splitter.end();
    this.closeRecord();
    if (this.sequences.length === 0) {
      throw new FeatureError({ source: this.source, line: Math.max(1, this.lastLine) }, 'empty MSA: no sequences');
    }
    return { sequences: this.sequences, deletionMatrix: this.deletionMatrix, descriptions: this.descriptions };
  }

  private addSequencePart(part: string, lineNumber: number): void {
    if (this.description === null) {
      throw new ParseError({ source: this.source, line: lineNumber }, 'sequence line before the first ">" header');
    }
    this.parts.push(part);
    this.partLines.push(lineNumber);
  }

  private closeRecord(): void {
    if (this.description === null) return;
    const raw = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('');
    this.processRow(raw);
    this.descriptions.push(this.description);
    this.description = null;
    this.parts.length = 0;
    this.partLines.length = 0;
  }

  private lineOfOffset(offset: number): number {
    let seen = 0;
    for (let p = 0; p < this.parts.length; p++) {
      seen += (this.parts[p] as string).length;
      if (offset < seen) return this.partLines[p] as number;
    }
    return this.headerLine;
  }

  private processRow(raw: string): void {
    const n = raw.length;
    const isQuery = this.queryLength < 0;
    const limit = isQuery ? n : this.queryLength;
    // The query's row is sized to its raw length and trimmed below.
    const deletions = isQuery ? new Int32Array(limit) : this.rows.allocate(limit);
    if (this.outBuffer.length < n) this.outBuffer = new Uint8Array(n * 2);
    const out = this.outBuffer;
    let column = 0;
    let count = 0;
    let copied = true; // the aligned string equals `raw` (no insertions, no '.')
    for (let i = 0; i < n; i++) {
      const c = raw.charCodeAt(i);
      if ((c >= 65 && c <= 90) || c === CODE_DASH) {
        if (column >= limit) {
          throw new ParseError(
            { source: this.source, line: this.headerLine },
            `row has more aligned columns than the query (${this.queryLength})`,
          );
        }
        deletions[column] = count;
        out[column] = c;
        column++;
        count = 0;
      } else if (c >= 97 && c <= 122) {
        count++;
        copied = false;
      } else if (c === CODE_DOT) {
        copied = false;
      } else {
        throw new ParseError(
          { source: this.source, line: this.lineOfOffset(i) },
          `illegal character ${JSON.stringify(raw[i])} in an A3M sequence`,
        );
      }
    }
    if (isQuery) {
      if (column === 0) throw new FeatureError({ source: this.source, line: this.headerLine }, 'the query has no aligned columns');
      this.queryLength = column;
    } else if (column !== this.queryLength) {
      throw new ParseError(
        { source: this.source, line: this.headerLine },
        `row has ${column} aligned columns, the query has ${this.queryLength}`,
      );
    }
    this.sequences.push(copied ? raw : decodeAscii(out, column));
    this.deletionMatrix.push(isQuery && column !== limit ? deletions.slice(0, column) : deletions);
  }
}

/** Parses a whole A3M text (see A3mReader for the rules). */
export function parseA3m(text: string, source: string): Msa {
  const reader = new A3mReader(source);
  forEachLine(text, (line, lineNumber) => reader.pushLine(line, lineNumber));
  return reader.finish();
}
