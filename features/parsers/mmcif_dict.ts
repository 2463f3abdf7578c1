// The mmCIF data items as Biopython's MMCIF2Dict builds them (the
// `_mmcif_dict` AlphaFold reads): the first token is the `data_` block name;
// then `loop_` starts a table whose column names are the leading tokens
// starting with '_' and whose values fill the columns row by row until a
// token starting with '_' at the start of a row; outside loops tokens pair up
// as name, value. A name given again replaces the earlier values.
//
// Values stay token references into the text; a column is a view on them.

import { ParseError } from '../errors.ts';
import { pyInt } from './py_numbers.ts';
import { tokenLine, tokenValue, tokenizeMmcif } from './mmcif_tokenizer.ts';
import type { MmcifTokens } from './mmcif_tokenizer.ts';

interface LoopTable {
  /** Token index of the first value; -1 while the loop has none. */
  base: number;
  columns: number;
  values: number;
}

type ItemRef = { loop: LoopTable; column: number } | { token: number };

/** One data item's values: `length` entries, row `r` is token `tokenAt(r)`. */
export class MmcifColumn {
  constructor(
    private readonly tokens: MmcifTokens,
    readonly length: number,
    private readonly base: number,
    private readonly stride: number,
  ) {}

  /** The whole mmCIF text the offsets of `range` refer to. */
  get text(): string {
    return this.tokens.text;
  }

  tokenAt(row: number): number {
    return this.base + row * this.stride;
  }

  value(row: number): string {
    return tokenValue(this.tokens, this.tokenAt(row));
  }

  values(): string[] {
    const out = new Array<string>(this.length);
    for (let r = 0; r < this.length; r++) out[r] = this.value(r);
    return out;
  }

  /** Whether row `r` equals `expected`, without making a string. */
  equals(row: number, expected: string): boolean {
    const k = this.tokenAt(row);
    const start = this.tokens.starts[k] as number;
    if (start < 0) return this.tokens.textFields.get(k) === expected;
    const end = this.tokens.ends[k] as number;
    if (end - start !== expected.length) return false;
    const text = this.tokens.text;
    for (let i = 0; i < expected.length; i++) if (text.charCodeAt(start + i) !== expected.charCodeAt(i)) return false;
    return true;
  }

  /** Python int() of row `r`, or null where Python would raise (fast path for plain digits). */
  intAt(row: number): number | null {
    const k = this.tokenAt(row);
    const start = this.tokens.starts[k] as number;
    if (start < 0) return pyInt(this.tokens.textFields.get(k) as string);
    const end = this.tokens.ends[k] as number;
    const text = this.tokens.text;
    let i = start;
    const first = text.charCodeAt(i);
    const negative = first === 45;
    if (negative || first === 43) i++;
    if (i === end || end - i > 15) return pyInt(text.slice(start, end));
    let value = 0;
    for (; i < end; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return pyInt(text.slice(start, end));
      value = value * 10 + digit;
    }
    return negative ? -value : value;
  }

  /** Offsets of row `r` in the text, or null for a text field. */
  range(row: number): [number, number] | null {
    const k = this.tokenAt(row);
    const start = this.tokens.starts[k] as number;
    if (start < 0) return null;
    return [start, this.tokens.ends[k] as number];
  }

  lineOf(row: number): number {
    return tokenLine(this.tokens, this.tokenAt(row));
  }
}

export class MmcifDict {
  constructor(
    readonly tokens: MmcifTokens,
    readonly blockName: string,
    private readonly items: Map<string, ItemRef>,
    readonly source: string,
  ) {}

  has(name: string): boolean {
    return this.items.has(name);
  }

  /** The column of data item `name`, or null when absent. */
  column(name: string): MmcifColumn | null {
    const ref = this.items.get(name);
    if (ref === undefined) return null;
    if ('token' in ref) return new MmcifColumn(this.tokens, 1, ref.token, 0);
    const { loop, column } = ref;
    const length = loop.values > column ? Math.floor((loop.values - column - 1) / loop.columns) + 1 : 0;
    return new MmcifColumn(this.tokens, length, loop.base + column, loop.columns);
  }

  /** The column of a data item that must exist. */
  requireColumn(name: string): MmcifColumn {
    const column = this.column(name);
    if (column === null) {
      throw new ParseError({ source: this.source, category: categoryOf(name) }, `missing data item ${name}`);
    }
    return column;
  }

  /** Names of the data items starting with `prefix` (e.g. `_exptl.`), in file order. */
  namesWithPrefix(prefix: string): string[] {
    const names: string[] = [];
    for (const name of this.items.keys()) if (name.startsWith(prefix)) names.push(name);
    return names;
  }

  /**
   * Rows of a category as records (AlphaFold's `mmcif_loop_to_list`): every
   * item starting with `prefix`; their lengths must agree.
   */
  categoryRows(prefix: string): Record<string, string>[] {
    const names = this.namesWithPrefix(prefix);
    if (names.length === 0) return [];
    const columns = names.map((name) => this.column(name) as MmcifColumn);
    const length = (columns[0] as MmcifColumn).length;
    if (columns.some((c) => c.length !== length)) {
      throw new ParseError(
        { source: this.source, category: prefix.replace(/\.$/, '') },
        'the items of this category have different numbers of values (truncated loop?)',
      );
    }
    const rows: Record<string, string>[] = [];
    for (let r = 0; r < length; r++) {
      const row: Record<string, string> = {};
      for (let c = 0; c < names.length; c++) row[names[c] as string] = (columns[c] as MmcifColumn).value(r);
      rows.push(row);
    }
    return rows;
  }
}

export function categoryOf(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

function isLoopKeyword(tokens: MmcifTokens, k: number): boolean {
  const start = tokens.starts[k] as number;
  if (start < 0) return (tokens.textFields.get(k) as string).toLowerCase() === 'loop_';
  if ((tokens.ends[k] as number) - start !== 5) return false;
  const t = tokens.text;
  return (
    (t.charCodeAt(start) | 32) === 108 &&
    (t.charCodeAt(start + 1) | 32) === 111 &&
    (t.charCodeAt(start + 2) | 32) === 111 &&
    (t.charCodeAt(start + 3) | 32) === 112 &&
    t.charCodeAt(start + 4) === 95
  );
}

function startsWithUnderscore(tokens: MmcifTokens, k: number): boolean {
  const start = tokens.starts[k] as number;
  if (start < 0) return (tokens.textFields.get(k) as string).startsWith('_');
  return start < (tokens.ends[k] as number) && tokens.text.charCodeAt(start) === 95;
}

/** Tokenizes and builds the data items of an mmCIF text. */
export function readMmcifDict(text: string, source: string): MmcifDict {
  const tokens = tokenizeMmcif(text, source);
  if (tokens.count === 0) throw new ParseError({ source, line: 1 }, 'no data: the file holds only comments or blanks');
  const blockToken = tokenValue(tokens, 0);
  if (!blockToken.startsWith('data_')) {
    throw new ParseError({ source, line: tokenLine(tokens, 0) }, "the file must begin with a 'data_' block header");
  }
  const items = new Map<string, ItemRef>();
  let loop: LoopTable | null = null;
  let loopNames: string[] = [];
  let positionInRow = 0; // loop.values % loop.columns, kept as a counter
  let pendingName = -1;
  for (let k = 1; k < tokens.count; k++) {
    if (isLoopKeyword(tokens, k)) {
      loop = { base: -1, columns: 0, values: 0 };
      loopNames = [];
      positionInRow = 0;
      continue;
    }
    if (loop !== null) {
      if (positionInRow === 0 && startsWithUnderscore(tokens, k)) {
        if (loop.values > 0) {
          loop = null; // the loop ends; this token is read as a name below
        } else {
          const name = tokenValue(tokens, k);
          if (loopNames.includes(name)) {
            throw new ParseError({ source, line: tokenLine(tokens, k) }, `data item ${name} listed twice in one loop`);
          }
          loopNames.push(name);
          items.set(name, { loop, column: loop.columns });
          loop.columns++;
          continue;
        }
      } else {
        if (loop.columns === 0) {
          throw new ParseError({ source, line: tokenLine(tokens, k) }, 'loop_ value before any data item name');
        }
        if (loop.base < 0) loop.base = k;
        loop.values++;
        if (++positionInRow === loop.columns) positionInRow = 0;
        continue;
      }
    }
    if (pendingName < 0) {
      pendingName = k;
    } else {
      items.set(tokenValue(tokens, pendingName), { token: k });
      pendingName = -1;
    }
  }
  return new MmcifDict(tokens, blockToken.slice(5), items, source);
}
