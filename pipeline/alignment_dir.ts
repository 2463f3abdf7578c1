// Which files of one chain's alignment folder feed the MSA and template
// features, and in which order (OpenFold DataPipeline._parse_msa_data and
// _parse_template_hit_files; AlphaFold pipeline.DataPipeline.process).
// MSAs: every *.a3m and *.sto except uniprot_hits.* (OpenFold keeps it for
// multimer pairing) and hmm_output.* (hmmsearch template hits). Template hits:
// every *.hhr.
// Order `af2`: AlphaFold's fixed uniref90, bfd, mgnify, then any others by
// name. Order `sorted`: OpenFold's directory listing, which is file-system
// order; the goldens were made with it sorted, and sorted is what we use.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError } from '../features/errors.ts';

export type MsaOrder = 'af2' | 'sorted';
export const MSA_ORDERS: readonly MsaOrder[] = ['af2', 'sorted'];

export interface AlignmentFile {
  name: string;
  path: string;
  format: 'a3m' | 'sto' | 'hhr';
}

export interface AlignmentDirListing {
  /** MSA files in the order their rows are concatenated. */
  msaFiles: AlignmentFile[];
  /** HHR files in sorted order; their hits are concatenated. */
  hitFiles: AlignmentFile[];
  /** Files present but not read, with the reason. */
  skipped: { name: string; reason: string }[];
}

const EXCLUDED_MSA_STEMS = new Set(['uniprot_hits', 'hmm_output']);

/** AlphaFold's database order: uniref90 (0), bfd / small_bfd (1), mgnify (2), others (3). */
function af2Rank(name: string): number {
  if (name.startsWith('uniref90')) return 0;
  if (name.startsWith('bfd') || name.startsWith('small_bfd')) return 1;
  if (name.startsWith('mgnify')) return 2;
  return 3;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The MSA file names in the order of `order` (pure; names are file names, not paths). */
export function orderMsaNames(names: readonly string[], order: MsaOrder): string[] {
  const sorted = [...names].sort(byName);
  if (order === 'sorted') return sorted;
  return sorted.sort((a, b) => af2Rank(a) - af2Rank(b) || byName(a, b));
}

/** Classify the file names of an alignment folder (pure). */
export function classifyAlignmentNames(
  names: readonly string[],
  order: MsaOrder,
): { msa: { name: string; format: 'a3m' | 'sto' }[]; hits: string[]; skipped: { name: string; reason: string }[] } {
  const msaNames: string[] = [];
  const formats = new Map<string, 'a3m' | 'sto'>();
  const hits: string[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const name of names) {
    const ext = extname(name);
    const stem = name.slice(0, name.length - ext.length);
    if (ext === '.hhr') {
      hits.push(name);
    } else if (ext === '.a3m' || ext === '.sto') {
      if (EXCLUDED_MSA_STEMS.has(stem)) {
        skipped.push({
          name,
          reason: stem === 'uniprot_hits' ? 'multimer pairing MSA, not used for monomer features' : 'hmmsearch template hits are not read (HHR only)',
        });
      } else {
        msaNames.push(name);
        formats.set(name, ext === '.a3m' ? 'a3m' : 'sto');
      }
    }
  }
  return {
    msa: orderMsaNames(msaNames, order).map((name) => ({ name, format: formats.get(name)! })),
    hits: hits.sort(byName),
    skipped,
  };
}

/** List one chain's alignment folder. */
export async function listAlignmentDir(dir: string, order: MsaOrder): Promise<AlignmentDirListing> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new InputError({ source: dir }, `cannot read the alignment folder: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.isFile()) names.push(entry.name);
    else if (entry.isSymbolicLink() && statSync(join(dir, entry.name), { throwIfNoEntry: false })?.isFile()) names.push(entry.name);
  }
  const classified = classifyAlignmentNames(names, order);
  return {
    msaFiles: classified.msa.map(({ name, format }) => ({ name, path: join(dir, name), format })),
    hitFiles: classified.hits.map((name) => ({ name, path: join(dir, name), format: 'hhr' as const })),
    skipped: classified.skipped,
  };
}
