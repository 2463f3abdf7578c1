// Rigid-group and chi-angle index tables per residue type (21 = 20 + UNK):
// the 8 rigid groups of AlphaFold2 supplementary 1.8 (Table 2: backbone,
// pre-omega, phi, psi, chi1..chi4), as OpenFold builds them in
// data_transforms.atom37_to_frames / get_chi_atom_indices and
// residue_constants._make_rigid_group_constants.

import { ATOM_ORDER, ATOM_TYPE_NUM, RESTYPE_1TO3, RESTYPES, RESTYPE_ORDER, RESTYPE_3TO1 } from '../residue_constants.ts';
import { ATOM14_NUM, NUM_RESTYPES_WITH_UNK } from './atom14_tables.ts';
import {
  CHI_ANGLES_ATOMS, CHI_ANGLES_MASK, CHI_PI_PERIODIC, RESIDUE_ATOM_RENAMING_SWAPS,
  RESTYPE_NAME_TO_ATOM14_NAMES, RIGID_GROUP_ATOM_POSITIONS,
} from './residue_atom_tables.ts';

export const NUM_RIGID_GROUPS = 8;

/** [21, 4, 4] atom37 indices of the 4 atoms of each chi angle (0 where undefined). */
export const CHI_ATOM_INDICES: Readonly<Int32Array> = (() => {
  const out = new Int32Array(NUM_RESTYPES_WITH_UNK * 16);
  RESTYPES.forEach((letter, r) => {
    CHI_ANGLES_ATOMS[RESTYPE_1TO3[letter]!]!.forEach((atoms, c) => {
      atoms.forEach((name, k) => { out[r * 16 + c * 4 + k] = ATOM_ORDER.get(name)!; });
    });
  });
  return out;
})();

/** [21, 4] chi-angle existence, UNK row zero. */
export const CHI_ANGLES_MASK_WITH_UNK: Readonly<Float32Array> = Float32Array.from([...CHI_ANGLES_MASK.flat(), 0, 0, 0, 0]);

/** [21, 4] 1 for chi angles symmetric under a 180-degree rotation. */
export const CHI_PI_PERIODIC_TABLE: Readonly<Float32Array> = Float32Array.from(CHI_PI_PERIODIC.flat());

/**
 * [21, 8, 3] atom37 indices of the three atoms that define each rigid group's
 * frame (point on -x axis, origin, point in xy plane); 0 where the group is absent.
 */
export const RESTYPE_RIGIDGROUP_BASE_ATOM37_IDX: Readonly<Int32Array> = (() => {
  const out = new Int32Array(NUM_RESTYPES_WITH_UNK * NUM_RIGID_GROUPS * 3);
  const set = (r: number, g: number, names: readonly string[]) => {
    names.forEach((n, k) => { out[(r * NUM_RIGID_GROUPS + g) * 3 + k] = ATOM_ORDER.get(n)!; });
  };
  for (let r = 0; r < NUM_RESTYPES_WITH_UNK; r++) {
    set(r, 0, ['C', 'CA', 'N']);
    set(r, 3, ['CA', 'C', 'O']);
  }
  RESTYPES.forEach((letter, r) => {
    const chis = CHI_ANGLES_ATOMS[RESTYPE_1TO3[letter]!]!;
    for (let c = 0; c < 4; c++) if (CHI_ANGLES_MASK[r]![c]) set(r, c + 4, chis[c]!.slice(1));
  });
  return out;
})();

/** [21, 8] 1 where the rigid group exists (backbone and psi always; chis per residue). */
export const RESTYPE_RIGIDGROUP_MASK: Readonly<Float32Array> = (() => {
  const out = new Float32Array(NUM_RESTYPES_WITH_UNK * NUM_RIGID_GROUPS);
  for (let r = 0; r < NUM_RESTYPES_WITH_UNK; r++) {
    out[r * 8 + 0] = 1;
    out[r * 8 + 3] = 1;
    if (r < 20) for (let c = 0; c < 4; c++) out[r * 8 + 4 + c] = CHI_ANGLES_MASK[r]![c]!;
  }
  return out;
})();

/** [21, 8] 1 for the last chi group of residues with a renaming swap (its frame flips by pi). */
export const RESTYPE_RIGIDGROUP_IS_AMBIGUOUS: Readonly<Float32Array> = (() => {
  const out = new Float32Array(NUM_RESTYPES_WITH_UNK * NUM_RIGID_GROUPS);
  for (const resname of Object.keys(RESIDUE_ATOM_RENAMING_SWAPS)) {
    const r = RESTYPE_ORDER.get(RESTYPE_3TO1[resname]!)!;
    const lastChi = CHI_ANGLES_MASK[r]!.reduce((a, b) => a + b, 0) - 1;
    out[r * 8 + lastChi + 4] = 1;
  }
  return out;
})();

function normalize(v: number[]): number[] {
  const n = Math.hypot(v[0]!, v[1]!, v[2]!);
  return v.map((x) => x / n);
}

/** Rigid 4x4 from an x axis, a vector in the xy plane and a translation (Gram-Schmidt). */
function rigidFromAxes(ex: number[], ey: number[], t: readonly number[]): number[] {
  const x = normalize(ex);
  const d = ey[0]! * x[0]! + ey[1]! * x[1]! + ey[2]! * x[2]!;
  const y = normalize(ey.map((v, i) => v - d * x[i]!));
  const z = [x[1]! * y[2]! - x[2]! * y[1]!, x[2]! * y[0]! - x[0]! * y[2]!, x[0]! * y[1]! - x[1]! * y[0]!];
  return [x[0]!, y[0]!, z[0]!, t[0]!, x[1]!, y[1]!, z[1]!, t[1]!, x[2]!, y[2]!, z[2]!, t[2]!, 0, 0, 0, 1];
}

const IDENTITY_4X4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

function buildRigidGroupGeometry() {
  // [21, 8, 4, 4] default frame of each group relative to its parent group.
  const defaultFrames = new Float32Array(NUM_RESTYPES_WITH_UNK * 8 * 16);
  // [21, 14] rigid group of each atom14 atom; [21, 14, 3] its position in that group's frame.
  const atom14ToGroup = new Int32Array(NUM_RESTYPES_WITH_UNK * ATOM14_NUM);
  const atom14Positions = new Float32Array(NUM_RESTYPES_WITH_UNK * ATOM14_NUM * 3);
  // [21, 37] rigid group of each atom37 atom.
  const atom37ToGroup = new Int32Array(NUM_RESTYPES_WITH_UNK * ATOM_TYPE_NUM);
  RESTYPES.forEach((letter, r) => {
    const resname = RESTYPE_1TO3[letter]!;
    const pos = new Map<string, readonly number[]>();
    for (const [name, group, p] of RIGID_GROUP_ATOM_POSITIONS[resname]!) {
      pos.set(name, p);
      const a14 = RESTYPE_NAME_TO_ATOM14_NAMES[resname]!.indexOf(name);
      atom14ToGroup[r * ATOM14_NUM + a14] = group;
      atom37ToGroup[r * ATOM_TYPE_NUM + ATOM_ORDER.get(name)!] = group;
      atom14Positions.set(p, (r * ATOM14_NUM + a14) * 3);
    }
    const sub = (a: readonly number[], b: readonly number[]) => a.map((v, i) => v - b[i]!);
    const put = (g: number, m: number[]) => defaultFrames.set(m, (r * 8 + g) * 16);
    put(0, IDENTITY_4X4);
    put(1, IDENTITY_4X4);
    put(2, rigidFromAxes(sub(pos.get('N')!, pos.get('CA')!), [1, 0, 0], pos.get('N')!));
    put(3, rigidFromAxes(sub(pos.get('C')!, pos.get('CA')!), sub(pos.get('CA')!, pos.get('N')!), pos.get('C')!));
    const chis = CHI_ANGLES_ATOMS[resname]!;
    if (CHI_ANGLES_MASK[r]![0]) {
      const [p0, p1, p2] = chis[0]!.slice(0, 3).map((n) => pos.get(n)!);
      put(4, rigidFromAxes(sub(p2!, p1!), sub(p0!, p1!), p2!));
    }
    for (let c = 1; c < 4; c++) {
      if (!CHI_ANGLES_MASK[r]![c]) continue;
      const end = pos.get(chis[c]![2]!)!;
      put(4 + c, rigidFromAxes([...end], [-1, 0, 0], end));
    }
  });
  return { defaultFrames, atom14ToGroup, atom14Positions, atom37ToGroup };
}

const GEOMETRY = buildRigidGroupGeometry();

/** [21, 8, 4, 4] default frame of each rigid group in its parent's frame (Algorithm 24 literature frames). */
export const RESTYPE_RIGID_GROUP_DEFAULT_FRAME: Readonly<Float32Array> = GEOMETRY.defaultFrames;
/** [21, 14] rigid-group index of each atom14 atom. */
export const RESTYPE_ATOM14_TO_RIGID_GROUP: Readonly<Int32Array> = GEOMETRY.atom14ToGroup;
/** [21, 14, 3] literature position of each atom14 atom in its rigid group's frame. */
export const RESTYPE_ATOM14_RIGID_GROUP_POSITIONS: Readonly<Float32Array> = GEOMETRY.atom14Positions;
/** [21, 37] rigid-group index of each atom37 atom. */
export const RESTYPE_ATOM37_TO_RIGID_GROUP: Readonly<Int32Array> = GEOMETRY.atom37ToGroup;
