// Where template structures come from: `<mmcif dir>/<pdb id>.cif`, parsed
// with our mmCIF parser and kept in a small cache (a worker featurizes many
// chains that share templates), plus the PDB's obsolete.dat id remapping.
// AlphaFold reads the same files in templates._process_single_hit.
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../features/errors.ts';
import { parseMmcif } from '../features/parsers/mmcif.ts';
import type { MmcifObject } from '../features/parsers/types.ts';
import { parseObsoleteList } from '../features/templates/hit_filters.ts';

export type TemplateStructure =
  | { kind: 'parsed'; path: string; mmcif: MmcifObject }
  | { kind: 'missing'; path: string }
  | { kind: 'unparsable'; path: string; reason: string };

export interface TemplateSourceOptions {
  mmcifDir: string;
  /** The PDB's obsolete.dat. */
  obsoletePath?: string;
  /** Parsed structures kept in memory (default 32). */
  cacheSize?: number;
}

export class TemplateSource {
  readonly mmcifDir: string;
  /** Lower-case obsolete id -> lower-case replacement. */
  readonly obsolete: ReadonlyMap<string, string>;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, Promise<TemplateStructure>>();

  private constructor(mmcifDir: string, obsolete: ReadonlyMap<string, string>, cacheSize: number) {
    this.mmcifDir = mmcifDir;
    this.obsolete = obsolete;
    this.cacheSize = cacheSize;
  }

  /** Checks the folder and reads obsolete.dat; bad paths are InputErrors naming them. */
  static async open(options: TemplateSourceOptions): Promise<TemplateSource> {
    const info = await stat(options.mmcifDir).catch(() => null);
    if (info === null || !info.isDirectory()) {
      throw new InputError({ source: options.mmcifDir }, 'the template mmCIF folder does not exist or is not a folder');
    }
    let obsolete = new Map<string, string>();
    if (options.obsoletePath !== undefined) {
      let text;
      try {
        text = await readFile(options.obsoletePath, 'utf8');
      } catch (error) {
        throw new InputError({ source: options.obsoletePath }, `cannot read the obsolete list: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      obsolete = parseObsoleteList(text);
    }
    return new TemplateSource(options.mmcifDir, obsolete, options.cacheSize ?? 32);
  }

  /** The parsed structure of a lower-case PDB id, or why there is none. */
  structure(pdbId: string): Promise<TemplateStructure> {
    const cached = this.cache.get(pdbId);
    if (cached !== undefined) {
      // Refresh its place in the LRU order.
      this.cache.delete(pdbId);
      this.cache.set(pdbId, cached);
      return cached;
    }
    const loading = this.load(pdbId);
    this.cache.set(pdbId, loading);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return loading;
  }

  private async load(pdbId: string): Promise<TemplateStructure> {
    const path = join(this.mmcifDir, `${pdbId}.cif`);
    let text;
    try {
      // Synchronous for the same reason as chain_features.ts' reads.
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', path };
      return { kind: 'unparsable', path, reason: (error as Error).message };
    }
    try {
      return { kind: 'parsed', path, mmcif: parseMmcif(text, pdbId, path) };
    } catch (error) {
      if (error instanceof InputError) return { kind: 'unparsable', path, reason: error.message };
      throw error;
    }
  }
}
