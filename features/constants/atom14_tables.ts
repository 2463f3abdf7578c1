// Derived atom14 <-> atom37 index tables, per residue type (21 = 20 + UNK),
// as OpenFold builds them in data_transforms.make_atom14_masks and
// make_atom14_positions (AlphaFold2 supplementary 1.2.1; the atom14 layout).
// UNK (index 20) gets all-zero rows, as in the reference.

import { ATOM_ORDER, ATOM_TYPE_NUM, RESTYPE_1TO3, RESTYPES, RESTYPE_ORDER, RESTYPE_3TO1 } from '../residue_constants.ts';
import { RESIDUE_ATOMS, RESIDUE_ATOM_RENAMING_SWAPS, RESTYPE_NAME_TO_ATOM14_NAMES } from './residue_atom_tables.ts';

export const NUM_RESTYPES_WITH_UNK = 21;
export const ATOM14_NUM = 14;

function build() {
  // [21, 14] atom37 index of each atom14 slot (0 for empty slots and UNK).
  const atom14ToAtom37 = new Int32Array(NUM_RESTYPES_WITH_UNK * ATOM14_NUM);
  // [21, 37] atom14 slot of each atom37 atom (0 where absent).
  const atom37ToAtom14 = new Int32Array(NUM_RESTYPES_WITH_UNK * ATOM_TYPE_NUM);
  // [21, 14] 1 where the slot holds an atom.
  const atom14Mask = new Float32Array(NUM_RESTYPES_WITH_UNK * ATOM14_NUM);
  // [21, 37] 1 where the residue has that heavy atom.
  const atom37Mask = new Float32Array(NUM_RESTYPES_WITH_UNK * ATOM_TYPE_NUM);
  // [21, 14] atom14 slot after the 180-degree renaming swap (identity if none).
  const renamingPermutation = new Int32Array(NUM_RESTYPES_WITH_UNK * ATOM14_NUM);
  // [21, 14] 1 for atoms taking part in a renaming swap.
  const atom14IsAmbiguous = new Float32Array(NUM_RESTYPES_WITH_UNK * ATOM14_NUM);

  for (let r = 0; r < NUM_RESTYPES_WITH_UNK; r++) {
    for (let a = 0; a < ATOM14_NUM; a++) renamingPermutation[r * ATOM14_NUM + a] = a;
  }
  RESTYPES.forEach((letter, r) => {
    const resname = RESTYPE_1TO3[letter]!;
    const names = RESTYPE_NAME_TO_ATOM14_NAMES[resname]!;
    names.forEach((name, a) => {
      if (name === '') return;
      const a37 = ATOM_ORDER.get(name)!;
      atom14ToAtom37[r * ATOM14_NUM + a] = a37;
      atom37ToAtom14[r * ATOM_TYPE_NUM + a37] = a;
      atom14Mask[r * ATOM14_NUM + a] = 1;
    });
    for (const name of RESIDUE_ATOMS[resname]!) atom37Mask[r * ATOM_TYPE_NUM + ATOM_ORDER.get(name)!] = 1;
  });
  for (const [resname, swaps] of Object.entries(RESIDUE_ATOM_RENAMING_SWAPS)) {
    const r = RESTYPE_ORDER.get(RESTYPE_3TO1[resname]!)!;
    const names = RESTYPE_NAME_TO_ATOM14_NAMES[resname]!;
    for (const [a1, a2] of Object.entries(swaps)) {
      const i = names.indexOf(a1);
      const j = names.indexOf(a2);
      renamingPermutation[r * ATOM14_NUM + i] = j;
      renamingPermutation[r * ATOM14_NUM + j] = i;
      atom14IsAmbiguous[r * ATOM14_NUM + i] = 1;
      atom14IsAmbiguous[r * ATOM14_NUM + j] = 1;
    }
  }
  return { atom14ToAtom37, atom37ToAtom14, atom14Mask, atom37Mask, renamingPermutation, atom14IsAmbiguous };
}

const TABLES = build();

/** [21, 14] atom37 index of each atom14 slot. */
export const RESTYPE_ATOM14_TO_ATOM37: Readonly<Int32Array> = TABLES.atom14ToAtom37;
/** [21, 37] atom14 slot of each atom37 atom (0 where absent). */
export const RESTYPE_ATOM37_TO_ATOM14: Readonly<Int32Array> = TABLES.atom37ToAtom14;
/** [21, 14] atom14 slot occupancy. */
export const RESTYPE_ATOM14_MASK: Readonly<Float32Array> = TABLES.atom14Mask;
/** [21, 37] atom37 occupancy. */
export const RESTYPE_ATOM37_MASK: Readonly<Float32Array> = TABLES.atom37Mask;
/** [21, 14] slot that each slot swaps with under the renaming (itself if none). */
export const RESTYPE_ATOM14_RENAMING: Readonly<Int32Array> = TABLES.renamingPermutation;
/** [21, 14] 1 for ambiguous (swappable) atoms. */
export const RESTYPE_ATOM14_IS_AMBIGUOUS: Readonly<Float32Array> = TABLES.atom14IsAmbiguous;
