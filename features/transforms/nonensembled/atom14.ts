// Atom14 steps of OpenFold's nonensembled_transform_fns
// (openfold/data/data_transforms.py): make_atom14_masks and
// make_atom14_positions, with the alternative ground truth for the
// 180-degree-symmetric residues (AlphaFold2 supplementary 1.8.1, Algorithm 26
// renaming; Table 3 ambiguous atoms).

import { ATOM_TYPE_NUM } from '../../residue_constants.ts';
import { numeric, type FeatureDict } from '../../tensor.ts';
import {
  ATOM14_NUM, RESTYPE_ATOM14_IS_AMBIGUOUS, RESTYPE_ATOM14_MASK, RESTYPE_ATOM14_RENAMING,
  RESTYPE_ATOM14_TO_ATOM37, RESTYPE_ATOM37_MASK, RESTYPE_ATOM37_TO_ATOM14,
} from '../../constants/atom14_tables.ts';
import { float32Values, getNumeric, int64Tensor, intValues } from '../tensor_access.ts';

function gatherRows<T extends Int32Array | Float32Array>(table: T, width: number, aatype: Int32Array, out: T): T {
  for (let i = 0; i < aatype.length; i++) out.set(table.subarray(aatype[i]! * width, (aatype[i]! + 1) * width), i * width);
  return out;
}

/** make_atom14_masks: per-residue atom14 <-> atom37 index maps and existence masks. */
export function makeAtom14Masks(d: FeatureDict): FeatureDict {
  const aatype = intValues(getNumeric(d, 'aatype'));
  const n = aatype.length;
  return {
    ...d,
    atom14_atom_exists: numeric('float32', [n, ATOM14_NUM], gatherRows(RESTYPE_ATOM14_MASK, ATOM14_NUM, aatype, new Float32Array(n * ATOM14_NUM))),
    residx_atom14_to_atom37: int64Tensor([n, ATOM14_NUM], gatherRows(RESTYPE_ATOM14_TO_ATOM37, ATOM14_NUM, aatype, new Int32Array(n * ATOM14_NUM))),
    residx_atom37_to_atom14: int64Tensor([n, ATOM_TYPE_NUM], gatherRows(RESTYPE_ATOM37_TO_ATOM14, ATOM_TYPE_NUM, aatype, new Int32Array(n * ATOM_TYPE_NUM))),
    atom37_atom_exists: numeric('float32', [n, ATOM_TYPE_NUM], gatherRows(RESTYPE_ATOM37_MASK, ATOM_TYPE_NUM, aatype, new Float32Array(n * ATOM_TYPE_NUM))),
  };
}

/** make_atom14_positions: ground-truth atom14 positions and masks, plus their renamed alternatives. */
export function makeAtom14Positions(d: FeatureDict): FeatureDict {
  const aatype = intValues(getNumeric(d, 'aatype'));
  const exists = float32Values(getNumeric(d, 'atom14_atom_exists'));
  const to37 = intValues(getNumeric(d, 'residx_atom14_to_atom37'));
  const mask37 = float32Values(getNumeric(d, 'all_atom_mask'));
  const pos37 = float32Values(getNumeric(d, 'all_atom_positions'));
  const n = aatype.length;
  const gtExists = new Float32Array(n * ATOM14_NUM); // [N_res, 14]
  const gtPositions = new Float32Array(n * ATOM14_NUM * 3); // [N_res, 14, 3]
  const altExists = new Float32Array(n * ATOM14_NUM);
  const altPositions = new Float32Array(n * ATOM14_NUM * 3);
  const ambiguous = new Float32Array(n * ATOM14_NUM);
  for (let i = 0; i < n; i++) {
    const rt = aatype[i]!;
    for (let a = 0; a < ATOM14_NUM; a++) {
      const k = i * ATOM14_NUM + a;
      const a37 = i * ATOM_TYPE_NUM + to37[k]!;
      const m = Math.fround(exists[k]! * mask37[a37]!);
      gtExists[k] = m;
      for (let c = 0; c < 3; c++) gtPositions[k * 3 + c] = Math.fround(m * pos37[a37 * 3 + c]!);
      ambiguous[k] = RESTYPE_ATOM14_IS_AMBIGUOUS[rt * ATOM14_NUM + a]!;
    }
    // The renaming is a permutation: slot a of the truth goes to slot swap(a) of the alternative.
    for (let a = 0; a < ATOM14_NUM; a++) {
      const b = RESTYPE_ATOM14_RENAMING[rt * ATOM14_NUM + a]!;
      const src = i * ATOM14_NUM + a;
      const dst = i * ATOM14_NUM + b;
      altExists[dst] = gtExists[src]!;
      for (let c = 0; c < 3; c++) altPositions[dst * 3 + c] = gtPositions[src * 3 + c]!;
    }
  }
  return {
    ...d,
    atom14_gt_exists: numeric('float32', [n, ATOM14_NUM], gtExists),
    atom14_gt_positions: numeric('float32', [n, ATOM14_NUM, 3], gtPositions),
    atom14_alt_gt_exists: numeric('float32', [n, ATOM14_NUM], altExists),
    atom14_alt_gt_positions: numeric('float32', [n, ATOM14_NUM, 3], altPositions),
    atom14_atom_is_ambiguous: numeric('float32', [n, ATOM14_NUM], ambiguous),
  };
}
