// Per-residue-type distance bounds between atom14 atoms for the within-residue
// violation term (OpenFold residue_constants.load_stereo_chemical_props and
// make_atom14_dists_bounds): van der Waals lower bounds (radius sum minus the
// overlap tolerance, no upper bound) overwritten, for bonded pairs and the
// virtual bonds across each bond angle (law of cosines, propagated stddev),
// by length ± tolerance_factor·stddev. Stored as float32, as the reference.
import { RESTYPE_1TO3, RESTYPES } from '../../features/residue_constants.ts';
import { RESTYPE_NAME_TO_ATOM14_NAMES } from '../../features/constants/residue_atom_tables.ts';
import { STEREO_CHEMICAL_PROPS_LINES } from './stereo_chemical_props.ts';

/** Van der Waals radii by element (first letter of the atom name). */
export const VAN_DER_WAALS_RADIUS: Readonly<Record<string, number>> = { C: 1.7, N: 1.55, O: 1.52, S: 1.8 };

interface Bond { a: string; b: string; length: number; stddev: number }
interface Angle { a: string; b: string; c: string; rad: number; stddevRad: number }

function parseStereoProps(): { bonds: Map<string, Bond[]>; angles: Map<string, Angle[]> } {
  const bonds = new Map<string, Bond[]>();
  const angles = new Map<string, Angle[]>();
  const lines = STEREO_CHEMICAL_PROPS_LINES;
  let i = 1; // header
  for (; i < lines.length && lines[i]!.trim() !== '-'; i++) {
    const [bond, res, len, sd] = lines[i]!.trim().split(/\s+/) as [string, string, string, string];
    const [a, b] = bond.split('-') as [string, string];
    if (!bonds.has(res)) bonds.set(res, []);
    bonds.get(res)!.push({ a, b, length: Number(len), stddev: Number(sd) });
  }
  i += 3; // '-', empty line, header
  for (; i < lines.length && lines[i]!.trim() !== '-'; i++) {
    const [angle, res, deg, sd] = lines[i]!.trim().split(/\s+/) as [string, string, string, string];
    const [a, b, c] = angle.split('-') as [string, string, string];
    if (!angles.has(res)) angles.set(res, []);
    angles.get(res)!.push({ a, b, c, rad: (Number(deg) / 180) * Math.PI, stddevRad: (Number(sd) / 180) * Math.PI });
  }
  return { bonds, angles };
}

/** The bond implied by each bond angle (atoms 1 and 3), with its propagated stddev. */
function virtualBonds(bonds: readonly Bond[], angles: readonly Angle[]): Bond[] {
  const key = (x: string, y: string) => [x, y].sort().join('-');
  const cache = new Map(bonds.map((b) => [key(b.a, b.b), b]));
  return angles.map((ang) => {
    const b1 = cache.get(key(ang.a, ang.b))!;
    const b2 = cache.get(key(ang.b, ang.c))!;
    const g = ang.rad;
    const length = Math.sqrt(b1.length ** 2 + b2.length ** 2 - 2 * b1.length * b2.length * Math.cos(g));
    const outer = 0.5 / length;
    const dGamma = 2 * b1.length * b2.length * Math.sin(g) * outer;
    const dB1 = (2 * b1.length - 2 * b2.length * Math.cos(g)) * outer;
    const dB2 = (2 * b2.length - 2 * b1.length * Math.cos(g)) * outer;
    const stddev = Math.sqrt((dGamma * ang.stddevRad) ** 2 + (dB1 * b1.stddev) ** 2 + (dB2 * b2.stddev) ** 2);
    return { a: ang.a, b: ang.c, length, stddev };
  });
}

export interface Atom14Bounds {
  /** [21, 14, 14] */ lower: Float32Array;
  /** [21, 14, 14] */ upper: Float32Array;
}

export function atom14DistanceBounds(overlapTolerance: number, bondLengthToleranceFactor: number): Atom14Bounds {
  const { bonds, angles } = parseStereoProps();
  const lower = new Float32Array(21 * 14 * 14);
  const upper = new Float32Array(21 * 14 * 14);
  RESTYPES.forEach((letter, r) => {
    const resname = RESTYPE_1TO3[letter]!;
    const atoms = RESTYPE_NAME_TO_ATOM14_NAMES[resname]!;
    const set = (i: number, j: number, lo: number, hi: number) => {
      lower[(r * 14 + i) * 14 + j] = lo;
      lower[(r * 14 + j) * 14 + i] = lo;
      upper[(r * 14 + i) * 14 + j] = hi;
      upper[(r * 14 + j) * 14 + i] = hi;
    };
    atoms.forEach((a1, i) => {
      if (!a1) return;
      atoms.forEach((a2, j) => {
        if (!a2 || i === j) return;
        set(i, j, VAN_DER_WAALS_RADIUS[a1[0]!]! + VAN_DER_WAALS_RADIUS[a2[0]!]! - overlapTolerance, 1e10);
      });
    });
    const resBonds = bonds.get(resname) ?? [];
    for (const b of [...resBonds, ...virtualBonds(resBonds, angles.get(resname) ?? [])]) {
      set(atoms.indexOf(b.a), atoms.indexOf(b.b), b.length - bondLengthToleranceFactor * b.stddev, b.length + bondLengthToleranceFactor * b.stddev);
    }
  });
  return { lower, upper };
}
