// mmCIF tokenizer with the rules of Biopython's MMCIF2Dict (which AlphaFold
// and OpenFold parse mmCIF through):
// - a line starting with '#' is a comment line;
// - a line starting with ';' opens a text field that runs to the next line
//   starting with ';' (each content line right-stripped, joined with '\n');
//   the closing line's remainder must start with whitespace and is then
//   tokenized like any other line;
// - other lines are stripped and split on spaces and tabs; a token starting
//   with ' or " runs to the same quote character followed by whitespace or
//   the end of the line (quote characters elsewhere are literal); '#' outside
//   a token starts a comment.
// Quotes are not kept: a quoted token and the same bare token are equal.
//
// Tokens are kept as [start, end) offsets into the text (no string per
// token); text fields, which need joining, are kept as strings aside.
// An unterminated quote or text field is a ParseError with its line.

import { ParseError } from '../errors.ts';

export interface MmcifTokens {
  readonly text: string;
  readonly count: number;
  /** Start offset of each token in `text`; -1 for a text field. */
  readonly starts: Int32Array;
  /** End offset (exclusive) of each token in `text`. */
  readonly ends: Int32Array;
  /** Token index -> value, for text fields. */
  readonly textFields: Map<number, string>;
  /** Token index -> 1-based line where the text field opens. */
  readonly textFieldLines: Map<number, number>;
}

const SPACE = 32;
const TAB = 9;
const HASH = 35;
const SEMICOLON = 59;
const SINGLE_QUOTE = 39;
const DOUBLE_QUOTE = 34;

function isStripSpace(code: number): boolean {
  return code === SPACE || (code >= 9 && code <= 13);
}

class TokenBuilder {
  starts: Int32Array;
  ends: Int32Array;
  count = 0;
  readonly textFields = new Map<number, string>();
  readonly textFieldLines = new Map<number, number>();

  constructor(capacity: number) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  add(start: number, end: number): void {
    if (this.count === this.starts.length) this.grow();
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }

  addTextField(value: string, line: number): void {
    this.textFields.set(this.count, value);
    this.textFieldLines.set(this.count, line);
    this.add(-1, -1);
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    starts.set(this.starts);
    this.starts = starts;
    const ends = new Int32Array(size);
    ends.set(this.ends);
    this.ends = ends;
  }
}

export function tokenizeMmcif(text: string, source: string): MmcifTokens {
  // mmCIF averages well over 4 characters per token; grow if not.
  const tokens = new TokenBuilder(Math.max(1024, text.length >> 2));
  const n = text.length;
  let pos = 0;
  let lineNumber = 0;
  while (pos < n) {
    lineNumber++;
    let lineEnd = text.indexOf('\n', pos);
    if (lineEnd < 0) lineEnd = n;
    const first = text.charCodeAt(pos);
    if (first === HASH) {
      pos = lineEnd + 1;
      continue;
    }
    if (first === SEMICOLON) {
      const openLine = lineNumber;
      const parts: string[] = [text.slice(pos + 1, rightStrip(text, pos + 1, lineEnd))];
      let closed = false;
      pos = lineEnd + 1;
      while (pos < n) {
        lineNumber++;
        let end = text.indexOf('\n', pos);
        if (end < 0) end = n;
        const stop = rightStrip(text, pos, end);
        if (text.charCodeAt(pos) === SEMICOLON && stop > pos) {
          tokens.addTextField(parts.join('\n'), openLine);
          const rest = pos + 1;
          if (rest < stop && text.charCodeAt(rest) !== SPACE && text.charCodeAt(rest) !== TAB) {
            throw new ParseError({ source, line: lineNumber }, 'missing whitespace after the ";" that closes a text field');
          }
          splitLine(text, rest, stop, lineNumber, tokens, source);
          pos = end + 1;
          closed = true;
          break;
        }
        parts.push(text.slice(pos, stop));
        pos = end + 1;
      }
      if (!closed) {
        throw new ParseError({ source, line: openLine }, 'unterminated text field: no closing ";" line');
      }
      continue;
    }
    splitLine(text, pos, lineEnd, lineNumber, tokens, source);
    pos = lineEnd + 1;
  }
  if (lineNumber === 0) throw new ParseError({ source, line: 1 }, 'empty file');
  return {
    text,
    count: tokens.count,
    starts: tokens.starts,
    ends: tokens.ends,
    textFields: tokens.textFields,
    textFieldLines: tokens.textFieldLines,
  };
}

function rightStrip(text: string, start: number, end: number): number {
  while (end > start && isStripSpace(text.charCodeAt(end - 1))) end--;
  return end;
}

/**
 * Biopython's _splitline on text[start, end) after stripping it: bare tokens
 * end at a space or tab (quotes and '#' inside them are literal); a quoted
 * token ends at its quote character followed by a space, a tab or the end.
 */
function splitLine(text: string, start: number, end: number, lineNumber: number, tokens: TokenBuilder, source: string): void {
  while (start < end && isStripSpace(text.charCodeAt(start))) start++;
  while (end > start && isStripSpace(text.charCodeAt(end - 1))) end--;
  let i = start;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      i++;
      continue;
    }
    if (c === HASH) return;
    if (c === SINGLE_QUOTE || c === DOUBLE_QUOTE) {
      const tokenStart = i + 1;
      let j = tokenStart;
      for (;;) {
        while (j < end && text.charCodeAt(j) !== c) j++;
        if (j >= end) throw new ParseError({ source, line: lineNumber }, 'unterminated quoted string');
        const next = j + 1 < end ? text.charCodeAt(j + 1) : SPACE;
        if (next === SPACE || next === TAB) break;
        j++;
      }
      tokens.add(tokenStart, j);
      i = j + 1;
      continue;
    }
    const tokenStart = i++;
    while (i < end) {
      c = text.charCodeAt(i);
      if (c === SPACE || c === TAB) break;
      i++;
    }
    tokens.add(tokenStart, i);
  }
}

/** 1-based line of token `k` (counted on demand: used for error messages). */
export function tokenLine(tokens: MmcifTokens, k: number): number {
  const start = tokens.starts[k] as number;
  if (start < 0) return tokens.textFieldLines.get(k) as number;
  let line = 1;
  for (let at = tokens.text.indexOf('\n'); at >= 0 && at < start; at = tokens.text.indexOf('\n', at + 1)) line++;
  return line;
}

/** The value of token `k`. */
export function tokenValue(tokens: MmcifTokens, k: number): string {
  const start = tokens.starts[k] as number;
  if (start < 0) return tokens.textFields.get(k) as string;
  return tokens.text.slice(start, tokens.ends[k]);
}
