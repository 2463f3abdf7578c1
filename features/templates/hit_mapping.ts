// Query -> template residue mappings of AlphaFold's template step
// (alphafold/data/templates.py; OpenFold openfold/data/templates.py):
// `_build_query_to_hit_index_mapping`, `_find_template_in_pdb` and the mapping
// half of `_realign_pdb_template_to_query` (kalign itself runs in pipeline/).
import type { MmcifObject, TemplateHit } from '../parsers/types.ts';
import { TemplateSkip } from './template_skip.ts';

/** Query residue index -> template residue index. */
export type ResidueMapping = Map<number, number>;

/** `_build_query_to_hit_index_mapping`: indices relative to the whole query and the gap-free hit. */
export function buildQueryToHitMapping(hit: TemplateHit, query: string): ResidueMapping {
  const mapping: ResidueMapping = new Map();
  if (hit.query.length === 0) return mapping;
  const hitQuery = hit.query.replaceAll('-', '');
  const hitSequence = hit.hitSequence.replaceAll('-', '');
  const queryOffset = query.indexOf(hitQuery);
  const minHit = minNonNegative(hit.indicesHit);
  const minQuery = minNonNegative(hit.indicesQuery);
  const columns = Math.min(hit.indicesHit.length, hit.indicesQuery.length);
  for (let c = 0; c < columns; c++) {
    const h = hit.indicesHit[c]!;
    const q = hit.indicesQuery[c]!;
    if (h === -1 || q === -1) continue;
    const t = h - minHit;
    const i = q - minQuery;
    if (t >= hitSequence.length || i + queryOffset >= query.length) continue;
    mapping.set(i + queryOffset, t);
  }
  return mapping;
}

function minNonNegative(values: readonly number[]): number {
  let min = Infinity;
  for (const v of values) if (v > -1 && v < min) min = v;
  return min;
}

export interface TemplateLocation {
  /** The SEQRES of the chain found. */
  seqres: string;
  chainId: string;
  /** Where the hit's template sequence starts in that SEQRES. */
  offset: number;
}

/**
 * `_find_template_in_pdb`: the hit's chain if its SEQRES contains the template
 * sequence, else the first chain that contains it, else the first chain that
 * matches with X as a wildcard on either side; null when none does.
 */
export function findTemplateInMmcif(mmcif: MmcifObject, chainId: string, templateSequence: string): TemplateLocation | null {
  const own = mmcif.chainToSeqres.get(chainId);
  if (own && own.includes(templateSequence)) {
    return { seqres: own, chainId, offset: own.indexOf(templateSequence) };
  }
  for (const [id, seqres] of mmcif.chainToSeqres) {
    if (seqres && seqres.includes(templateSequence)) return { seqres, chainId: id, offset: seqres.indexOf(templateSequence) };
  }
  const pattern = new RegExp(
    Array.from(templateSequence, (aa) => (aa === 'X' ? '.' : `(?:${escapeRegExp(aa)}|X)`)).join(''),
  );
  for (const [id, seqres] of mmcif.chainToSeqres) {
    const match = pattern.exec(seqres);
    if (match !== null) return { seqres, chainId: id, offset: match.index };
  }
  return null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The mmCIF sequence to realign a hit to: the hit's chain, or the only chain
 * of the file when the hit's chain is unknown.
 */
export function realignmentTarget(mmcif: MmcifObject, chainId: string): string {
  const own = mmcif.chainToSeqres.get(chainId);
  if (own) return own;
  if (mmcif.chainToSeqres.size === 1) return [...mmcif.chainToSeqres.values()][0]!;
  throw new TemplateSkip(
    'realign',
    `could not find chain ${chainId} in ${mmcif.fileId}; it may not be a protein chain`,
  );
}

/**
 * The second half of `_realign_pdb_template_to_query`: given the hit's template
 * sequence and the mmCIF sequence aligned to each other (kalign's output, in
 * that order), map the query onto the mmCIF sequence. Requires 90 % identity
 * relative to the shorter sequence.
 */
export function realignMapping(
  oldSequence: string,
  newSequence: string,
  oldAligned: string,
  newAligned: string,
  oldMapping: ResidueMapping,
): { templateSequence: string; mapping: ResidueMapping } {
  if (oldAligned.length !== newAligned.length) {
    throw new TemplateSkip('realign', 'kalign returned rows of different lengths');
  }
  const oldToNew = new Map<number, number>();
  let oldIndex = -1;
  let newIndex = -1;
  let same = 0;
  for (let c = 0; c < oldAligned.length; c++) {
    const a = oldAligned[c]!;
    const b = newAligned[c]!;
    if (a !== '-') oldIndex += 1;
    if (b !== '-') newIndex += 1;
    if (a !== '-' && b !== '-') {
      oldToNew.set(oldIndex, newIndex);
      if (a === b) same += 1;
    }
  }
  const identity = same / Math.min(oldSequence.length, newSequence.length);
  if (identity < 0.9) {
    throw new TemplateSkip(
      'realign',
      `insufficient similarity of the hit sequence ${oldSequence} to the mmCIF sequence ${newSequence} ` +
        `(identity ${identity.toFixed(3)} < 0.9 of the shorter sequence)`,
    );
  }
  const mapping: ResidueMapping = new Map();
  for (const [queryIndex, oldTemplateIndex] of oldMapping) mapping.set(queryIndex, oldToNew.get(oldTemplateIndex) ?? -1);
  return { templateSequence: newSequence.replaceAll('-', ''), mapping };
}
