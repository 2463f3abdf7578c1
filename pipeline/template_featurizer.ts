// AlphaFold's HhsearchHitFeaturizer.get_templates with its I/O: prefilter and
// sort the hits (pure, features/templates), then for each surviving hit until
// max_hits distinct templates: read its mmCIF (TemplateSource), drop it when
// released after the cutoff, locate the hit in the SEQRES or realign it with
// kalign, and extract the template (pure). Every skipped hit becomes a
// warning line; none is fatal. (alphafold/data/templates.py,
// OpenFold openfold/data/templates.py `_process_single_hit`.)
import type { TemplateHit } from '../features/parsers/types.ts';
import type { FeatureDict } from '../features/tensor.ts';
import { assessHit, effectivePdbId, pdbIdAndChain, prefilterHits, type TemplateFilterOptions } from '../features/templates/hit_filters.ts';
import { buildQueryToHitMapping, findTemplateInMmcif, realignMapping, realignmentTarget } from '../features/templates/hit_mapping.ts';
import { extractTemplate, stackTemplates, type SingleTemplate } from '../features/templates/template_features.ts';
import { TemplateSkip } from '../features/templates/template_skip.ts';
import { KalignError, kalignAlign } from './kalign.ts';
import type { TemplateSource } from './template_source.ts';

export interface TemplateSearchOptions extends Omit<TemplateFilterOptions, 'obsolete'> {
  /** Distinct templates to keep (AlphaFold: 20). */
  maxHits?: number;
  /** OpenFold's `_zero_center_positions`; AlphaFold's default is false. */
  zeroCenter?: boolean;
  kalignBinary?: string;
}

/** A hit and the HHR file it came from. */
export interface SourcedHit {
  hit: TemplateHit;
  source: string;
}

export interface TemplateSearchResult {
  features: FeatureDict;
  warnings: string[];
}

function describe(hit: TemplateHit, pdbChain: string): string {
  return `${pdbChain} (sum_probs: ${(hit.sumProbs ?? 0).toFixed(2)}, rank: ${hit.index})`;
}

function hitLabel(hit: TemplateHit): string {
  try {
    const { pdbId, chainId } = pdbIdAndChain(hit);
    return `${pdbId}_${chainId}`;
  } catch {
    return hit.name.split(/\s/)[0] ?? hit.name;
  }
}

/** Template features of `query` from hits of one or more HHR files (in file order). */
export async function featurizeTemplateHits(
  query: string,
  hits: readonly SourcedHit[],
  source: TemplateSource,
  options: TemplateSearchOptions,
): Promise<TemplateSearchResult> {
  const filterOptions: TemplateFilterOptions = { ...options, obsolete: source.obsolete };
  const sourceOf = new Map(hits.map((h) => [h.hit, h.source]));
  const { accepted, rejected } = prefilterHits(query, hits.map((h) => h.hit), filterOptions);
  const warnings = rejected.map(({ hit, reason }) => `${describe(hit, hitLabel(hit))}: skipped by prefilter: ${reason.message}`);
  const maxHits = options.maxHits ?? 20;
  const templates: SingleTemplate[] = [];
  const seenSequences = new Set<string>();
  for (const hit of accepted) {
    if (templates.length >= maxHits) break;
    const hhr = sourceOf.get(hit) ?? '?';
    const { pdbId: hitPdbId, chainId } = pdbIdAndChain(hit);
    const pdbId = effectivePdbId(hitPdbId, filterOptions);
    const label = describe(hit, `${pdbId}_${chainId}`);
    try {
      const template = await processHit(query, hit, pdbId, chainId, hhr, source, options, warnings, label);
      if (seenSequences.has(template.sequence)) {
        warnings.push(`${label}: skipped: same aligned template sequence as an earlier template`);
        continue;
      }
      seenSequences.add(template.sequence);
      templates.push(template);
    } catch (error) {
      if (!(error instanceof TemplateSkip)) throw error;
      warnings.push(`${label}: skipped (${error.kind}): ${error.message}`);
    }
  }
  return { features: stackTemplates(templates, query.length), warnings };
}

/** `_process_single_hit` for a hit that passed the prefilter. */
async function processHit(
  query: string,
  hit: TemplateHit,
  pdbId: string,
  chainId: string,
  hhr: string,
  source: TemplateSource,
  options: TemplateSearchOptions,
  warnings: string[],
  label: string,
): Promise<SingleTemplate> {
  // Re-check with the remapped id, as the prefilter did.
  assessHit(hit, pdbId, query, { ...options, obsolete: source.obsolete });
  let mapping = buildQueryToHitMapping(hit, query);
  let templateSequence = hit.hitSequence.replaceAll('-', '');
  const structure = await source.structure(pdbId);
  if (structure.kind === 'missing') throw new TemplateSkip('missing_mmcif', `no mmCIF file ${structure.path}`);
  if (structure.kind === 'unparsable') throw new TemplateSkip('no_chains', `mmCIF could not be parsed: ${structure.reason}`);
  const mmcif = structure.mmcif;
  if (mmcif.header.releaseDate > options.maxTemplateDate) {
    throw new TemplateSkip('date', `template ${pdbId} date (${mmcif.header.releaseDate}) > max template date (${options.maxTemplateDate})`);
  }
  if (mmcif.chainToSeqres.size === 0) throw new TemplateSkip('no_chains', `no chains in PDB: ${pdbId}_${chainId}`);
  let foundChain = chainId;
  let offset = 0;
  const location = findTemplateInMmcif(mmcif, chainId, templateSequence);
  if (location !== null) {
    foundChain = location.chainId;
    offset = location.offset;
  } else {
    // The template database holds another version of this chain: realign.
    warnings.push(`${label}: the exact sequence ${templateSequence} was not found in ${pdbId}_${chainId}; realigning the template to the mmCIF sequence with kalign`);
    const target = realignmentTarget(mmcif, chainId);
    for (const s of [templateSequence, target]) {
      if (s.length < 6) throw new TemplateSkip('realign', `kalign needs sequences of at least 6 residues, got ${s} (${s.length})`);
    }
    let aligned;
    try {
      aligned = await kalignAlign([templateSequence, target], { binary: options.kalignBinary, source: hhr });
    } catch (error) {
      if (error instanceof KalignError) throw new TemplateSkip('realign', `could not align ${templateSequence} to ${target} (${pdbId}_${chainId}): ${error.message}`);
      throw error;
    }
    const realigned = realignMapping(templateSequence, target, aligned[0]!, aligned[1]!, mapping);
    templateSequence = realigned.templateSequence;
    mapping = realigned.mapping;
  }
  return extractTemplate({
    mmcif,
    pdbId,
    chainId: foundChain,
    templateSequence,
    offset,
    mapping,
    query,
    sumProbs: hit.sumProbs ?? 0,
    zeroCenter: options.zeroCenter ?? false,
  });
}
