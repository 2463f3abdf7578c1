// HHsearch/HHblits result files (.hhr), as AlphaFold/OpenFold's
// `parsers.parse_hhr` and `_parse_hhr_hit`: every paragraph that starts with
// a line `No <n>` is one hit; its second line is the hit's name ('>' dropped),
// its third the summary (`Probab=... Aligned_cols=... Sum_probs=...`), then
// alignment blocks of `Q <name> <start> <residues> <end> (<length>)` and
// `T ...` lines (ss_dssp, ss_pred and Consensus lines skipped). Indices are
// 0-based residue numbers counted from each line's start position, -1 at '-'.
//
// Where AlphaFold raises (a malformed line, a block whose length does not
// agree with its start and end), we raise ParseError with the line number.

import { ParseError } from '../errors.ts';
import { pyFloat, pyInt } from './py_numbers.ts';
import type { TemplateHit } from './types.ts';

// Python's str.splitlines() line boundaries.
const PY_LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

// The alignment line patterns of AlphaFold's parser (JavaScript and Python
// agree on them; both run in linear time on any line).
const QUERY_LINE_PATTERN = /^[\t ]*([0-9]*) ([A-Z-]*)[\t ]*([0-9]*) \([0-9]*\)/;
const HIT_LINE_PATTERN = /^[\t ]*([0-9]*) ([A-Z-]*)[\t ]*[0-9]* \([0-9]*\)/;

export function parseHhr(text: string, source: string): TemplateHit[] {
  const lines = text.split(PY_LINE_BREAK);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const blockStarts: number[] = [];
  for (let i = 0; i < lines.length; i++) if ((lines[i] as string).startsWith('No ')) blockStarts.push(i);
  const hits: TemplateHit[] = [];
  for (let b = 0; b < blockStarts.length; b++) {
    const start = blockStarts[b] as number;
    const end = b + 1 < blockStarts.length ? (blockStarts[b + 1] as number) : lines.length;
    hits.push(parseHit(lines, start, end, source));
  }
  return hits;
}

function parseHit(lines: string[], start: number, end: number, source: string): TemplateHit {
  const fail = (offset: number, reason: string): never => {
    throw new ParseError({ source, line: start + offset + 1 }, reason);
  };
  const words = (lines[start] as string).trim().split(/\s+/);
  const index = pyInt(words[words.length - 1] as string);
  if (index === null) fail(0, 'hit number is not an integer');
  if (end - start < 2) fail(0, 'hit paragraph ends before its name line');
  const name = (lines[start + 1] as string).slice(1);
  if (end - start < 3) fail(1, 'hit paragraph ends before its summary line');
  const summary = splitSummary(lines[start + 2] as string);
  if (summary === null) return fail(2, 'could not parse the hit summary line (Probab=... Template_Neff=...)');
  const values = summary.map((group) => pyFloat(group));
  if (values.some((value) => value === null)) fail(2, 'a number of the summary line is not a number');
  const alignedColsFloat = values[3] as number;
  if (!Number.isFinite(alignedColsFloat)) fail(2, 'Aligned_cols is not finite');
  const alignedCols = Math.trunc(alignedColsFloat);
  const sumProbs = values[6] as number;

  let query = '';
  let hitSequence = '';
  const indicesQuery: number[] = [];
  const indicesHit: number[] = [];
  let blockLength: number | null = null;
  for (let i = start + 3; i < end; i++) {
    const line = lines[i] as string;
    const isQuery = line.startsWith('Q ');
    if (!isQuery && !line.startsWith('T ')) continue;
    const tag = line.slice(2);
    if (tag.startsWith('ss_dssp') || tag.startsWith('ss_pred') || tag.startsWith('Consensus')) continue;
    const offset = i - start;
    const match = (isQuery ? QUERY_LINE_PATTERN : HIT_LINE_PATTERN).exec(line.slice(17));
    if (match === null) return fail(offset, `could not parse the alignment line ${JSON.stringify(line)}`);
    const first = pyInt(match[1] as string);
    if (first === null) return fail(offset, 'alignment line without a start position');
    const residues = match[2] as string;
    if (isQuery) {
      const last = pyInt(match[3] as string);
      if (last === null) return fail(offset, 'query line without an end position');
      let gaps = 0;
      for (let k = 0; k < residues.length; k++) if (residues.charCodeAt(k) === 45) gaps++;
      blockLength = last - (first - 1) + gaps;
      if (blockLength !== residues.length) fail(offset, 'query block length does not agree with its start and end');
      query += residues;
      appendIndices(residues, first - 1, indicesQuery);
    } else {
      if (blockLength !== residues.length) fail(offset, 'template block length differs from the query block');
      hitSequence += residues;
      appendIndices(residues, first - 1, indicesHit);
    }
  }
  return { index: index as number, name, alignedCols, sumProbs, query, hitSequence, indicesQuery, indicesHit };
}

const SUMMARY_KEYS = ['E-value=', 'Score=', 'Aligned_cols=', 'Identities=', 'Similarity=', 'Sum_probs=', 'Template_Neff='];

/**
 * The eight values of `Probab=.. E-value=.. Score=.. Aligned_cols=..
 * Identities=..% Similarity=.. Sum_probs=.. Template_Neff=..`, or null.
 * DISCREPANCY: AlphaFold matches this with a regular expression of greedy
 * groups (which backtracks badly on long malformed lines); we split at the
 * first occurrence of each key, which gives the same values whenever each key
 * appears once.
 */
function splitSummary(line: string): string[] | null {
  if (!line.startsWith('Probab=')) return null;
  const groups: string[] = [];
  let position = 'Probab='.length;
  for (const key of SUMMARY_KEYS) {
    const at = line.indexOf(key, position);
    if (at < 0) return null;
    let group = line.slice(position, at);
    if (key === 'Similarity=') {
      // `Identities=(.*)%[\t ]*Similarity=`: the value ends with '%' and blanks.
      let end = group.length;
      while (end > 0 && (group.charCodeAt(end - 1) === 32 || group.charCodeAt(end - 1) === 9)) end--;
      if (end === 0 || group.charCodeAt(end - 1) !== 37) return null;
      group = group.slice(0, end - 1);
    }
    groups.push(group);
    position = at + key.length;
  }
  groups.push(line.slice(position));
  return groups;
}

function appendIndices(residues: string, start: number, indices: number[]): void {
  let counter = start;
  for (let k = 0; k < residues.length; k++) {
    if (residues.charCodeAt(k) === 45) indices.push(-1);
    else indices.push(counter++);
  }
}
