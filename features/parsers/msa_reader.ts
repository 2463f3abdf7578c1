// Choosing the MSA parser by file name: `.a3m` -> A3M, `.sto` -> Stockholm
// (OpenFold's alignment directory layout).
import { A3mReader, parseA3m } from './a3m.ts';
import { StockholmReader, parseStockholm } from './stockholm.ts';
import type { Msa, MsaReader } from './types.ts';

export type MsaFormat = 'a3m' | 'sto';

/** The MSA format of a file name, or null when it is neither .a3m nor .sto. */
export function msaFormatOf(fileName: string): MsaFormat | null {
  if (fileName.endsWith('.a3m')) return 'a3m';
  if (fileName.endsWith('.sto')) return 'sto';
  return null;
}

/** A streaming reader for `format`; `source` names the input in errors. */
export function createMsaReader(format: MsaFormat, source: string): MsaReader {
  return format === 'a3m' ? new A3mReader(source) : new StockholmReader(source);
}

/** Parses a whole MSA text of `format`. */
export function parseMsa(format: MsaFormat, text: string, source: string): Msa {
  return format === 'a3m' ? parseA3m(text, source) : parseStockholm(text, source);
}
