// Training-set filters applied by build, as OpenFold applies them to the
// chain data cache (openfold/data/data_modules.py
// OpenFoldSingleDataset.deterministic_train_filter: resolution_filter and
// aa_count_filter), plus release-date bounds.
// DISCREPANCY: OpenFold filters when sampling; we filter once at build time
// (a filtered chain is counted in the summary and gets no row).

export interface FilterOptions {
  /** Å; chains resolved worse are dropped (OpenFold: 9). A resolution of 0 (none given) passes. */
  maxResolution: number;
  /** Largest share of one residue type in the chain (OpenFold: 0.8). */
  maxSingleResidueFraction: number;
  /** YYYY-MM-DD bounds on the chain's release date, inclusive. */
  minReleaseDate?: string;
  maxReleaseDate?: string;
}

export const DEFAULT_FILTERS: FilterOptions = { maxResolution: 9, maxSingleResidueFraction: 0.8 };

/** The filter names as they appear in the summary's `filtered` object. */
export type FilterReason = 'resolution' | 'single_residue_type' | 'release_date';

export function filterReason(
  chain: { sequence: string; resolution: number; releaseDate: string },
  options: FilterOptions,
): FilterReason | null {
  if (chain.resolution > options.maxResolution) return 'resolution';
  const counts = new Map<string, number>();
  let largest = 0;
  for (const c of chain.sequence) {
    const n = (counts.get(c) ?? 0) + 1;
    counts.set(c, n);
    if (n > largest) largest = n;
  }
  if (chain.sequence.length > 0 && largest / chain.sequence.length > options.maxSingleResidueFraction) return 'single_residue_type';
  if (options.minReleaseDate !== undefined && chain.releaseDate < options.minReleaseDate) return 'release_date';
  if (options.maxReleaseDate !== undefined && chain.releaseDate > options.maxReleaseDate) return 'release_date';
  return null;
}
