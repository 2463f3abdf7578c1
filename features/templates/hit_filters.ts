// Template hit prefilters and PDB id handling of AlphaFold's template search
// (alphafold/data/templates.py; OpenFold openfold/data/templates.py):
// `_get_pdb_id_and_chain`, `_parse_obsolete` with OpenFold's
// `_replace_obsolete_references`, `_assess_hhsearch_hit` and the sort of the
// surviving hits by sum_probs.
import type { TemplateHit } from '../parsers/types.ts';
import { TemplateSkip } from './template_skip.ts';

export interface TemplateFilterOptions {
  /** YYYY-MM-DD: templates released after it are dropped. */
  maxTemplateDate: string;
  /** Upper-case PDB id -> YYYY-MM-DD, when release dates are known without parsing (AlphaFold's release_dates_path). */
  releaseDates?: ReadonlyMap<string, string>;
  /** Lower-case obsolete PDB id -> lower-case replacement id. */
  obsolete?: ReadonlyMap<string, string>;
  /** Exact matches covering more than this share of the query are duplicates (0.95). */
  maxSubsequenceRatio?: number;
  /** Hits aligning at most this share of the query are dropped (0.1). */
  minAlignRatio?: number;
}

const PDB_ID_AND_CHAIN = /^[a-zA-Z\d]{4}_[a-zA-Z0-9.]+/;

/** `3U8V_A ...` -> { pdbId: '3u8v', chainId: 'A' }. */
export function pdbIdAndChain(hit: TemplateHit): { pdbId: string; chainId: string } {
  const match = PDB_ID_AND_CHAIN.exec(hit.name);
  if (match === null) {
    throw new TemplateSkip('bad_hit_name', `hit name does not start with PDBID_chain: ${hit.name}`);
  }
  const [pdbId, chainId] = match[0].split('_') as [string, string];
  return { pdbId: pdbId.toLowerCase(), chainId };
}

/**
 * The PDB's obsolete.dat: `OBSLTE    31-JUL-94 116L     216L` lines with a
 * replacement (lines of 30 characters or fewer have none). Chains of
 * replacements are followed to their last entry.
 */
export function parseObsoleteList(text: string): Map<string, string> {
  const direct = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line.startsWith('OBSLTE') && line.length > 30) {
      direct.set(line.slice(20, 24).toLowerCase(), line.slice(29, 33).toLowerCase());
    }
  }
  const resolved = new Map<string, string>();
  for (const from of direct.keys()) {
    let to = direct.get(from)!;
    const visited = new Set<string>([from]);
    while (direct.has(to) && !visited.has(to)) {
      visited.add(to);
      to = direct.get(to)!;
    }
    resolved.set(from, to);
  }
  return resolved;
}

/** The PDB id to read for a hit: replaced by its successor when obsolete and of unknown date. */
export function effectivePdbId(pdbId: string, options: TemplateFilterOptions): string {
  if (options.releaseDates?.has(pdbId.toUpperCase())) return pdbId;
  return options.obsolete?.get(pdbId) ?? pdbId;
}

/** `_assess_hhsearch_hit`: throws a TemplateSkip('prefilter') when the hit is rejected. */
export function assessHit(hit: TemplateHit, pdbId: string, query: string, options: TemplateFilterOptions): void {
  const maxSubsequenceRatio = options.maxSubsequenceRatio ?? 0.95;
  const minAlignRatio = options.minAlignRatio ?? 0.1;
  const alignRatio = hit.alignedCols / query.length;
  const templateSequence = hit.hitSequence.replaceAll('-', '');
  const lengthRatio = templateSequence.length / query.length;
  const releaseDate = options.releaseDates?.get(pdbId.toUpperCase());
  if (releaseDate !== undefined && releaseDate > options.maxTemplateDate) {
    throw new TemplateSkip('prefilter', `date (${releaseDate}) > max template date (${options.maxTemplateDate})`);
  }
  if (alignRatio <= minAlignRatio) {
    throw new TemplateSkip('prefilter', `proportion of residues aligned to query too small: align ratio ${alignRatio}`);
  }
  if (lengthRatio > maxSubsequenceRatio && query.includes(templateSequence)) {
    throw new TemplateSkip('prefilter', `template is an exact subsequence of query with large coverage: length ratio ${lengthRatio}`);
  }
  if (templateSequence.length < 10) {
    throw new TemplateSkip('prefilter', `template too short: length ${templateSequence.length}`);
  }
}

export interface PrefilteredHits {
  /** Hits that passed, sorted by sum_probs, highest first (stable). */
  accepted: TemplateHit[];
  /** One line per rejected hit. */
  rejected: { hit: TemplateHit; reason: TemplateSkip }[];
}

/** `_prefilter_hit` over every hit, then the sort of HhsearchHitFeaturizer.get_templates. */
export function prefilterHits(query: string, hits: readonly TemplateHit[], options: TemplateFilterOptions): PrefilteredHits {
  const accepted: TemplateHit[] = [];
  const rejected: PrefilteredHits['rejected'] = [];
  for (const hit of hits) {
    try {
      const { pdbId } = pdbIdAndChain(hit);
      assessHit(hit, effectivePdbId(pdbId, options), query, options);
      accepted.push(hit);
    } catch (error) {
      if (!(error instanceof TemplateSkip)) throw error;
      rejected.push({ hit, reason: error });
    }
  }
  // DISCREPANCY: a hit without sum_probs sorts as 0 (Python would fail to compare None).
  accepted.sort((a, b) => (b.sumProbs ?? 0) - (a.sumProbs ?? 0));
  return { accepted, rejected };
}
