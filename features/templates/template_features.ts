// Template features of one hit and their stacking: AlphaFold's
// `_extract_template_features` (after the template was located or realigned),
// `HhsearchHitFeaturizer.get_templates`' stacking and OpenFold's
// `empty_template_feats` (alphafold/data/templates.py; OpenFold
// openfold/data/templates.py).
import type { MmcifObject } from '../parsers/types.ts';
import { HHBLITS_AA_TO_ID, ATOM_TYPE_NUM } from '../residue_constants.ts';
import { numeric, strings, type FeatureDict, type NumericDType } from '../tensor.ts';
import { chainAtomCoords, findCaDistanceViolation } from '../raw/atom_coords.ts';
import { FeatureError } from '../errors.ts';
import type { ResidueMapping } from './hit_mapping.ts';
import { TemplateSkip } from './template_skip.ts';

/**
 * template_aatype is float32 in AlphaFold and in OpenFold's empty templates,
 * int64 in OpenFold's filled ones. DISCREPANCY: we always write int64 (empty
 * or not), the dtype of OpenFold's TEMPLATE_FEATURES table.
 */
export const TEMPLATE_AATYPE_DTYPE = 'int64' satisfies NumericDType;
/** 22: the HHblits alphabet (20 residues, X, gap); template_aatype is in HHblits order. */
const HHBLITS_CLASSES = 22;
/** `_extract_template_features` rejects templates only when neighbouring CA atoms are this far apart. */
const MAX_CA_CA_DISTANCE = 150.0;

/** One accepted template. */
export interface SingleTemplate {
  /** [N_res, 37, 3] */
  positions: Float32Array;
  /** [N_res, 37] */
  mask: Float32Array;
  /** Length N_res, '-' where the query residue has no template residue. */
  sequence: string;
  /** `<pdb id>_<chain>` */
  domainName: string;
  sumProbs: number;
}

export interface ExtractTemplateRequest {
  mmcif: MmcifObject;
  /** Lower-case PDB id (after obsolete remapping). */
  pdbId: string;
  /** The chain the template was found in. */
  chainId: string;
  /** The template sequence that `mapping` indexes (hit sequence or realigned mmCIF sequence). */
  templateSequence: string;
  /** Where `templateSequence` starts in the chain's SEQRES (0 after realignment). */
  offset: number;
  mapping: ResidueMapping;
  query: string;
  sumProbs: number;
  zeroCenter: boolean;
}

/** Python list indexing: -1 is the last element (AlphaFold reads index -1 for unaligned realigned residues). */
function pythonIndex(index: number, length: number): number {
  const resolved = index < 0 ? length + index : index;
  if (resolved < 0 || resolved >= length) {
    throw new TemplateSkip('bad_mapping', `template residue index ${index} is outside the chain (${length} residues)`);
  }
  return resolved;
}

/** `_extract_template_features` after `_find_template_in_pdb` / realignment. */
export function extractTemplate(request: ExtractTemplateRequest): SingleTemplate {
  const { mmcif, pdbId, chainId, templateSequence, offset, mapping, query } = request;
  let coords;
  try {
    coords = chainAtomCoords(mmcif, chainId, mmcif.fileId, { zeroCenter: request.zeroCenter });
  } catch (error) {
    if (error instanceof FeatureError) {
      throw new TemplateSkip('no_atom_data', `could not get atom data (${pdbId}_${chainId}): ${error.reason}`);
    }
    throw error;
  }
  const violation = findCaDistanceViolation(coords, MAX_CA_CA_DISTANCE);
  if (violation !== null) {
    throw new TemplateSkip(
      'no_atom_data',
      `could not get atom data (${pdbId}_${chainId}): the distance between residues ${violation.index - 1} and ` +
        `${violation.index} is ${violation.distance.toFixed(6)} > limit ${MAX_CA_CA_DISTANCE}`,
    );
  }
  const numRes = query.length;
  // [N_res, 37, 3] and [N_res, 37]
  const positions = new Float32Array(numRes * ATOM_TYPE_NUM * 3);
  const mask = new Float32Array(numRes * ATOM_TYPE_NUM);
  const letters: string[] = new Array(numRes).fill('-');
  let maskSum = 0;
  let minIndex = Infinity;
  let maxIndex = -Infinity;
  for (const [queryIndex, templateIndex] of mapping) {
    const residue = pythonIndex(templateIndex + offset, coords.numRes);
    positions.set(coords.positions.subarray(residue * ATOM_TYPE_NUM * 3, (residue + 1) * ATOM_TYPE_NUM * 3), queryIndex * ATOM_TYPE_NUM * 3);
    mask.set(coords.mask.subarray(residue * ATOM_TYPE_NUM, (residue + 1) * ATOM_TYPE_NUM), queryIndex * ATOM_TYPE_NUM);
    letters[queryIndex] = templateSequence[pythonIndex(templateIndex, templateSequence.length)]!;
    minIndex = Math.min(minIndex, templateIndex + offset);
    maxIndex = Math.max(maxIndex, templateIndex + offset);
  }
  for (let i = 0; i < mask.length; i++) maskSum += mask[i]!;
  // Alanine, the smallest residue, has 5 atoms.
  if (maskSum < 5) {
    const range = mapping.size > 0 ? `${minIndex}-${maxIndex}` : 'none';
    throw new TemplateSkip('mask_all_zeros', `template all atom mask was all zeros: ${pdbId}_${chainId}. Residue range: ${range}`);
  }
  const sequence = letters.join('');
  for (let i = 0; i < sequence.length; i++) {
    if (HHBLITS_AA_TO_ID[sequence[i]!] === undefined) {
      throw new TemplateSkip('bad_mapping', `template residue ${JSON.stringify(sequence[i])} is outside the HHblits alphabet`);
    }
  }
  return { positions, mask, sequence, domainName: `${pdbId.toLowerCase()}_${chainId}`, sumProbs: request.sumProbs };
}

/** OpenFold's `empty_template_feats(n_res)`: leading dimension 0, names `['']`. */
export function emptyTemplateFeatures(numRes: number): FeatureDict {
  return {
    template_aatype: numeric(TEMPLATE_AATYPE_DTYPE, [0, numRes, HHBLITS_CLASSES], new BigInt64Array(0)),
    template_all_atom_mask: numeric('float32', [0, numRes, ATOM_TYPE_NUM], new Float32Array(0)),
    template_all_atom_positions: numeric('float32', [0, numRes, ATOM_TYPE_NUM, 3], new Float32Array(0)),
    template_domain_names: strings([1], ['']),
    template_sequence: strings([1], ['']),
    template_sum_probs: numeric('float32', [0, 1], new Float32Array(0)),
  };
}

/**
 * template_aatype [N_templ, N_res, 22] (HHblits order one-hot),
 * template_all_atom_mask [N_templ, N_res, 37], template_all_atom_positions
 * [N_templ, N_res, 37, 3], template_domain_names [N_templ],
 * template_sequence [N_templ], template_sum_probs [N_templ, 1].
 */
export function stackTemplates(templates: readonly SingleTemplate[], numRes: number): FeatureDict {
  if (templates.length === 0) return emptyTemplateFeatures(numRes);
  const count = templates.length;
  const aatype = new BigInt64Array(count * numRes * HHBLITS_CLASSES);
  const mask = new Float32Array(count * numRes * ATOM_TYPE_NUM);
  const positions = new Float32Array(count * numRes * ATOM_TYPE_NUM * 3);
  const sumProbs = new Float32Array(count);
  templates.forEach((template, t) => {
    for (let i = 0; i < numRes; i++) {
      aatype[(t * numRes + i) * HHBLITS_CLASSES + HHBLITS_AA_TO_ID[template.sequence[i]!]!] = 1n;
    }
    mask.set(template.mask, t * numRes * ATOM_TYPE_NUM);
    positions.set(template.positions, t * numRes * ATOM_TYPE_NUM * 3);
    sumProbs[t] = template.sumProbs;
  });
  return {
    template_aatype: numeric(TEMPLATE_AATYPE_DTYPE, [count, numRes, HHBLITS_CLASSES], aatype),
    template_all_atom_mask: numeric('float32', [count, numRes, ATOM_TYPE_NUM], mask),
    template_all_atom_positions: numeric('float32', [count, numRes, ATOM_TYPE_NUM, 3], positions),
    template_domain_names: strings([count], templates.map((t) => t.domainName)),
    template_sequence: strings([count], templates.map((t) => t.sequence)),
    template_sum_probs: numeric('float32', [count, 1], sumProbs),
  };
}
