// Atom37 coordinates of one chain of a parsed mmCIF: AlphaFold's
// `mmcif_parsing.get_atom_coords` and the template step's `_get_atom_positions`
// (OpenFold openfold/data/mmcif_parsing.py, openfold/data/templates.py).
// Per SEQRES position: the resolved residue's atoms by atom37 name (SE of MSE is
// already SD from the parser), the arginine NH1/NH2 naming fix, and optionally
// OpenFold's zero-centring over every resolved atom of the chain.
import { FeatureError } from '../errors.ts';
import type { MmcifObject } from '../parsers/types.ts';
import { ATOM_ORDER, ATOM_TYPE_NUM } from '../residue_constants.ts';

export interface ChainAtomCoords {
  /** [N_res, 37, 3] float32 values. */
  positions: Float32Array;
  /** [N_res, 37], 1 where the atom is resolved. */
  mask: Float32Array;
  numRes: number;
}

const CD = ATOM_ORDER.get('CD')!;
const NH1 = ATOM_ORDER.get('NH1')!;
const NH2 = ATOM_ORDER.get('NH2')!;
const CA = ATOM_ORDER.get('CA')!;

/** Author chain ids with a SEQRES and a structure, in file order. */
export function availableChains(mmcif: MmcifObject): string[] {
  return [...mmcif.chainToSeqres.keys()].filter((id) => mmcif.seqresToStructure.has(id));
}

/**
 * Atom positions and mask of `chainId` (author chain id). Throws a FeatureError
 * naming `source` when the chain is not a protein chain of the file.
 */
export function chainAtomCoords(
  mmcif: MmcifObject,
  chainId: string,
  source: string,
  options: { zeroCenter: boolean } = { zeroCenter: false },
): ChainAtomCoords {
  const seqres = mmcif.chainToSeqres.get(chainId);
  const structure = mmcif.seqresToStructure.get(chainId);
  if (seqres === undefined || structure === undefined) {
    const known = availableChains(mmcif);
    throw new FeatureError(
      { source, category: '_atom_site' },
      `chain '${chainId}' is not a protein chain of ${mmcif.fileId} (protein chains: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
  const numRes = seqres.length;
  // [N_res, 37, 3] and [N_res, 37]
  const positions = new Float32Array(numRes * ATOM_TYPE_NUM * 3);
  const mask = new Float32Array(numRes * ATOM_TYPE_NUM);
  for (let r = 0; r < numRes; r++) {
    const position = structure[r];
    if (position === undefined || position.isMissing || position.residue === null) continue;
    const residue = position.residue;
    const atomBase = r * ATOM_TYPE_NUM;
    for (const atom of residue.atoms) {
      const index = ATOM_ORDER.get(atom.name);
      if (index === undefined) continue;
      const p = (atomBase + index) * 3;
      positions[p] = atom.x;
      positions[p + 1] = atom.y;
      positions[p + 2] = atom.z;
      mask[atomBase + index] = 1;
    }
    if (residue.name === 'ARG' && mask[atomBase + CD] && mask[atomBase + NH1] && mask[atomBase + NH2]) {
      const cd = (atomBase + CD) * 3;
      const nh1 = (atomBase + NH1) * 3;
      const nh2 = (atomBase + NH2) * 3;
      // AlphaFold compares the float32 norms; squared distances in float64 of
      // the same float32 inputs order the same except at exact ties.
      if (squaredDistance(positions, nh1, cd) > squaredDistance(positions, nh2, cd)) {
        for (let k = 0; k < 3; k++) {
          const t = positions[nh1 + k]!;
          positions[nh1 + k] = positions[nh2 + k]!;
          positions[nh2 + k] = t;
        }
      }
    }
  }
  if (options.zeroCenter) zeroCenter(positions, mask);
  return { positions, mask, numRes };
}

function squaredDistance(positions: Float32Array, a: number, b: number): number {
  const dx = positions[a]! - positions[b]!;
  const dy = positions[a + 1]! - positions[b + 1]!;
  const dz = positions[a + 2]! - positions[b + 2]!;
  return dx * dx + dy * dy + dz * dz;
}

/**
 * OpenFold's `_zero_center_positions`: subtract the mean of every resolved atom.
 * The mean is taken as NumPy takes it for a float32 [M, 3] array along axis 0:
 * a running float32 sum in atom order, then one float32 division.
 */
function zeroCenter(positions: Float32Array, mask: Float32Array): void {
  const sum = [0, 0, 0];
  let count = 0;
  for (let a = 0; a < mask.length; a++) {
    if (mask[a] === 0) continue;
    count += 1;
    for (let k = 0; k < 3; k++) sum[k] = Math.fround(sum[k]! + positions[a * 3 + k]!);
  }
  if (count === 0) return;
  const mean = sum.map((s) => Math.fround(s / count));
  for (let a = 0; a < mask.length; a++) {
    if (mask[a] === 0) continue;
    for (let k = 0; k < 3; k++) positions[a * 3 + k] = Math.fround(positions[a * 3 + k]! - mean[k]!);
  }
}

/**
 * AlphaFold's `_check_residue_distances`: the first pair of consecutive
 * resolved CA atoms further apart than `maxDistance`, or null.
 */
export function findCaDistanceViolation(
  coords: ChainAtomCoords,
  maxDistance: number,
): { index: number; distance: number } | null {
  let previous = -1;
  for (let r = 0; r < coords.numRes; r++) {
    if (coords.mask[r * ATOM_TYPE_NUM + CA] === 0) {
      previous = -1;
      continue;
    }
    if (previous >= 0) {
      const distance = Math.sqrt(squaredDistance(coords.positions, (r * ATOM_TYPE_NUM + CA) * 3, (previous * ATOM_TYPE_NUM + CA) * 3));
      if (distance > maxDistance) return { index: r, distance };
    }
    previous = r;
  }
  return null;
}
