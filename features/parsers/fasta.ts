// FASTA, as AlphaFold/OpenFold's `parsers.parse_fasta`: a '>' line starts a
// record (its description is the rest of the stripped line), '#' lines and
// blank lines are skipped, sequence lines are stripped and concatenated.
//
// DISCREPANCY (strictness): a sequence line before the first header, or a
// sequence character that is not printable ASCII (controls, NUL, inner
// whitespace, non-ASCII), is a ParseError where AlphaFold would crash or keep
// it.

import { ParseError } from '../errors.ts';
import { forEachLine, stripBounds } from './text_lines.ts';
import type { FastaRecords } from './types.ts';

export function parseFasta(text: string, source: string): FastaRecords {
  const sequences: string[] = [];
  const descriptions: string[] = [];
  let parts: string[] | null = null;
  const close = (): void => {
    if (parts !== null) sequences.push(parts.join(''));
  };
  forEachLine(text, (line, lineNumber) => {
    const [start, end] = stripBounds(line);
    if (start === end) return;
    const first = line.charCodeAt(start);
    if (first === 62) {
      close();
      descriptions.push(line.slice(start + 1, end));
      parts = [];
      return;
    }
    if (first === 35) return;
    if (parts === null) throw new ParseError({ source, line: lineNumber }, 'sequence line before the first ">" header');
    for (let i = start; i < end; i++) {
      const c = line.charCodeAt(i);
      if (c < 33 || c > 126) {
        throw new ParseError({ source, line: lineNumber }, `illegal character ${JSON.stringify(line[i])} in a FASTA sequence`);
      }
    }
    parts.push(line.slice(start, end));
  });
  close();
  return { sequences, descriptions };
}
