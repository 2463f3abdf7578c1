// Which chains a build covers and where their inputs are. As in OpenFold's
// OpenFoldSingleDataset, the alignment folders `{pdb}_{chain}/` (or the keys
// of an alignment_db index) define the chains; the structure of `{pdb}_{chain}`
// is `<mmcif dir>/{pdb}.cif`. Cluster sizes come from an OpenFold cluster
// file (scripts/generate_chain_data_cache.py: one cluster per line, chain
// names `{PDB}_{CHAIN}` separated by spaces, matched upper-case).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../features/errors.ts';
import { readAlignmentIndex, type AlignmentDbEntry } from './alignment_db.ts';

export type AlignmentSource = { kind: 'dir'; path: string } | { kind: 'db'; entry: AlignmentDbEntry };

export interface ChainSpec {
  /** `{pdb}_{chain}`, as the alignment folder is named. */
  chain: string;
  pdbId: string;
  chainId: string;
  mmcifPath: string;
  alignment: AlignmentSource;
}

export function splitChainName(chain: string): { pdbId: string; chainId: string } | null {
  const at = chain.indexOf('_');
  if (at <= 0 || at === chain.length - 1) return null;
  return { pdbId: chain.slice(0, at), chainId: chain.slice(at + 1) };
}

export interface ChainDiscovery {
  chains: ChainSpec[];
  /** Names that cannot be chains (no `_`), or `--chains` entries without alignments. */
  rejected: { chain: string; message: string }[];
}

export async function discoverChains(options: {
  mmcifDir: string;
  alignmentDir?: string;
  alignmentIndex?: string;
  only?: readonly string[];
}): Promise<ChainDiscovery> {
  const sources = new Map<string, AlignmentSource>();
  if (options.alignmentIndex !== undefined) {
    for (const [chain, entry] of await readAlignmentIndex(options.alignmentIndex)) sources.set(chain, { kind: 'db', entry });
  } else if (options.alignmentDir !== undefined) {
    let entries;
    try {
      entries = await readdir(options.alignmentDir, { withFileTypes: true });
    } catch (error) {
      throw new InputError({ source: options.alignmentDir }, `cannot read the alignment folder: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    for (const e of entries) {
      if (e.isDirectory() || e.isSymbolicLink()) sources.set(e.name, { kind: 'dir', path: join(options.alignmentDir, e.name) });
    }
  }
  const rejected: ChainDiscovery['rejected'] = [];
  let names = [...sources.keys()].sort();
  if (options.only !== undefined) {
    const wanted = new Set(options.only);
    for (const name of [...wanted].sort()) {
      if (!sources.has(name)) rejected.push({ chain: name, message: 'no alignments for this chain (not in the alignment folder or index)' });
    }
    names = names.filter((n) => wanted.has(n));
  }
  const chains: ChainSpec[] = [];
  for (const name of names) {
    const split = splitChainName(name);
    if (split === null) {
      rejected.push({ chain: name, message: `'${name}' is not named {pdb}_{chain}` });
      continue;
    }
    chains.push({ chain: name, ...split, mmcifPath: join(options.mmcifDir, `${split.pdbId}.cif`), alignment: sources.get(name)! });
  }
  return { chains, rejected };
}

/** OpenFold cluster file -> upper-case chain name -> cluster size. */
export async function readClusterFile(path: string): Promise<Map<string, number>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError({ source: path }, `cannot read the cluster file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const sizes = new Map<string, number>();
  for (const line of text.split('\n')) {
    const members = line.trim().split(/\s+/).filter((m) => m.length > 0);
    for (const m of members) sizes.set(m.toUpperCase(), members.length);
  }
  return sizes;
}

/** `--chains`: a comma-separated list, or the path of a file of names separated by whitespace or commas. */
export async function readChainList(value: string): Promise<string[]> {
  const text = await readFile(value, 'utf8').catch(() => null);
  const source = text ?? value;
  return source.split(/[\s,]+/).filter((n) => n.length > 0);
}
