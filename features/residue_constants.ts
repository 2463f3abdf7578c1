// AlphaFold's residue constants: residue and atom orders and the alphabets used
// by the MSA and sequence features (AlphaFold2 supplementary 1.2.9, Table 1;
// the tables of AlphaFold's common/residue_constants module).
// The atom14 / rigid-group / chi tables used by the training labels live in
// their own modules beside this one.

/** The 20 standard residues in AlphaFold's order (alphabetical by 3-letter code). */
export const RESTYPES = [
  'A', 'R', 'N', 'D', 'C', 'Q', 'E', 'G', 'H', 'I',
  'L', 'K', 'M', 'F', 'P', 'S', 'T', 'W', 'Y', 'V',
] as const;

/** Number of standard residue types (20); index 20 is unknown 'X', 21 the gap. */
export const RESTYPE_NUM = RESTYPES.length;
export const UNKNOWN_RESTYPE = 20;
/** `RESTYPES` plus 'X': the 21 columns of the one-hot `aatype` raw feature. */
export const RESTYPES_WITH_X = [...RESTYPES, 'X'] as const;

/** Residue letter -> index in RESTYPES (0..19). */
export const RESTYPE_ORDER: ReadonlyMap<string, number> = new Map(RESTYPES.map((r, i) => [r, i]));

export const RESTYPE_1TO3: Readonly<Record<string, string>> = {
  A: 'ALA', R: 'ARG', N: 'ASN', D: 'ASP', C: 'CYS', Q: 'GLN', E: 'GLU', G: 'GLY', H: 'HIS', I: 'ILE',
  L: 'LEU', K: 'LYS', M: 'MET', F: 'PHE', P: 'PRO', S: 'SER', T: 'THR', W: 'TRP', Y: 'TYR', V: 'VAL',
};

export const RESTYPE_3TO1: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(RESTYPE_1TO3).map(([one, three]) => [three, one]),
);

/** 3-letter names in RESTYPES order plus 'UNK' (index 20). */
export const RESNAMES: readonly string[] = [...RESTYPES.map((r) => RESTYPE_1TO3[r]!), 'UNK'];

/** The 37 heavy-atom types of the atom37 representation, in AlphaFold's order. */
export const ATOM_TYPES = [
  'N', 'CA', 'C', 'CB', 'O', 'CG', 'CG1', 'CG2', 'OG', 'OG1',
  'SG', 'CD', 'CD1', 'CD2', 'ND1', 'ND2', 'OD1', 'OD2', 'SD', 'CE',
  'CE1', 'CE2', 'CE3', 'NE', 'NE1', 'NE2', 'OE1', 'OE2', 'CH2', 'NH1',
  'NH2', 'OH', 'CZ', 'CZ2', 'CZ3', 'NZ', 'OXT',
] as const;
export const ATOM_TYPE_NUM = ATOM_TYPES.length; // 37
export const ATOM_ORDER: ReadonlyMap<string, number> = new Map(ATOM_TYPES.map((a, i) => [a, i]));

/**
 * The HHblits alphabet used in MSA features: 20 residues in AlphaFold's order,
 * then 'X' (20) and the gap '-' (21). Letters outside it map as HHblits does.
 */
export const HHBLITS_AA_TO_ID: Readonly<Record<string, number>> = {
  A: 0, B: 2, C: 1, D: 2, E: 3, F: 4, G: 5, H: 6, I: 7, J: 20, K: 8, L: 9, M: 10, N: 11,
  O: 20, P: 12, Q: 13, R: 14, S: 15, T: 16, U: 1, V: 17, W: 18, X: 20, Y: 19, Z: 3, '-': 21,
};

/** HHblits alphabet order (0..21): A C D E F G H I K L M N P Q R S T V W Y X -. */
export const ID_TO_HHBLITS_AA = 'ACDEFGHIKLMNPQRSTVWYX-';

/** HHblits index -> AlphaFold residue index (20 = X, 21 = gap). */
export const MAP_HHBLITS_AATYPE_TO_OUR_AATYPE: readonly number[] = Array.from(ID_TO_HHBLITS_AA, (letter) => {
  if (letter === 'X') return UNKNOWN_RESTYPE;
  if (letter === '-') return 21;
  return RESTYPE_ORDER.get(letter)!;
});

/**
 * Sequence letter -> index in RESTYPES_WITH_X for the one-hot `aatype`:
 * AlphaFold's `sequence_to_onehot` with `map_unknown_to_x`: anything that is
 * not one of the 20 standard letters becomes 'X' (20).
 */
export function restypeIndexWithX(letter: string): number {
  return RESTYPE_ORDER.get(letter) ?? UNKNOWN_RESTYPE;
}
