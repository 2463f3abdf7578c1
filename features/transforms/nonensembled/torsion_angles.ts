// atom37_to_torsion_angles of OpenFold (openfold/data/data_transforms.py):
// the 7 torsion angles (pre-omega, phi, psi, chi1..chi4) of each residue as
// (sin, cos), their mask, and the alternative angles with pi-periodic chis
// flipped (AlphaFold2 supplementary 1.8.1, Algorithm 24 torsion definitions,
// Algorithm 27 / Table 2). Computed in float32 with torch's operation order
// (geometry/rigid_f32.ts), so masked-out angles built from atoms at the origin
// come out as in the reference.
// OpenFold's sign convention: psi is negated (the reference multiplies sin
// and cos of torsion 2 by -1).

import { ATOM_TYPE_NUM } from '../../residue_constants.ts';
import { numeric, type FeatureDict } from '../../tensor.ts';
import { CHI_ANGLES_MASK_WITH_UNK, CHI_ATOM_INDICES, CHI_PI_PERIODIC_TABLE } from '../../constants/rigid_group_tables.ts';
import { frameFrom3Points, invertApply, type Frame } from '../../geometry/rigid_f32.ts';
import { float32Values, getNumeric, intValues } from '../tensor_access.ts';

const f = Math.fround;
const EPS_F32 = f(1e-8);
const N = 0, CA = 1, C = 2, O = 4;
const TORSION_SIGN = [1, 1, -1, 1, 1, 1, 1];

/** Torsion angles for `prefix` '' (the chain) or 'template_' (every template). */
export function atom37ToTorsionAngles(prefix: '' | 'template_') {
  return function atom37ToTorsionAnglesStep(d: FeatureDict): FeatureDict {
    const aatypeAll = intValues(getNumeric(d, prefix + 'aatype'));
    const positionsT = getNumeric(d, prefix + 'all_atom_positions');
    const positions = float32Values(positionsT);
    const mask = float32Values(getNumeric(d, prefix + 'all_atom_mask'));
    const lead = positionsT.shape.slice(0, -2); // [*, N_res]
    const numRes = lead[lead.length - 1] ?? 0;
    const total = aatypeAll.length;
    const sinCos = new Float32Array(total * 14); // [*, N_res, 7, 2]
    const altSinCos = new Float32Array(total * 14);
    const angleMask = new Float32Array(total * 7); // [*, N_res, 7]
    const zero = new Float32Array(3 * ATOM_TYPE_NUM);
    const frame: Frame = { rot: new Float32Array(9), trans: new Float32Array(3) };
    const rel = new Float32Array(3);
    // For each torsion: 4 (array, offset) pairs naming its atoms.
    const arrs: ArrayLike<number>[] = new Array(4);
    const offs = new Int32Array(4);
    for (let k = 0; k < total; k++) {
      const rt = Math.min(aatypeAll[k]!, 20);
      const first = k % numRes === 0;
      const cur = k * ATOM_TYPE_NUM;
      const prev = (k - 1) * ATOM_TYPE_NUM;
      const prevPos: ArrayLike<number> = first ? zero : positions;
      const prevAt = first ? 0 : prev * 3;
      const pm = (a: number) => (first ? 0 : mask[prev + a]!);
      const m = (a: number) => mask[cur + a]!;
      for (let t = 0; t < 7; t++) {
        let tmask: number;
        if (t === 0) {
          arrs[0] = prevPos; offs[0] = prevAt + CA * 3;
          arrs[1] = prevPos; offs[1] = prevAt + C * 3;
          arrs[2] = positions; offs[2] = (cur + N) * 3;
          arrs[3] = positions; offs[3] = (cur + CA) * 3;
          tmask = pm(CA) * pm(C) * m(N) * m(CA);
        } else if (t === 1) {
          arrs[0] = prevPos; offs[0] = prevAt + C * 3;
          arrs[1] = positions; offs[1] = (cur + N) * 3;
          arrs[2] = positions; offs[2] = (cur + CA) * 3;
          arrs[3] = positions; offs[3] = (cur + C) * 3;
          tmask = pm(C) * m(N) * m(CA) * m(C);
        } else if (t === 2) {
          arrs[0] = positions; offs[0] = (cur + N) * 3;
          arrs[1] = positions; offs[1] = (cur + CA) * 3;
          arrs[2] = positions; offs[2] = (cur + C) * 3;
          arrs[3] = positions; offs[3] = (cur + O) * 3;
          tmask = m(N) * m(CA) * m(C) * m(O);
        } else {
          const chi = t - 3;
          tmask = CHI_ANGLES_MASK_WITH_UNK[rt * 4 + chi]!;
          for (let j = 0; j < 4; j++) {
            const atom = CHI_ATOM_INDICES[rt * 16 + chi * 4 + j]!;
            arrs[j] = positions; offs[j] = (cur + atom) * 3;
            tmask *= m(atom);
          }
        }
        angleMask[k * 7 + t] = tmask;
        // Frame: x from atom 1 to atom 2, xy plane through atom 0; the 4th atom in it.
        frameFrom3Points(arrs[1]!, offs[1]!, arrs[2]!, offs[2]!, arrs[0]!, offs[0]!, 1e-8, frame.rot, frame.trans);
        invertApply(frame, arrs[3]!, offs[3]!, rel);
        const s = rel[2]!, c = rel[1]!;
        const denom = f(Math.sqrt(f(f(f(s * s) + f(c * c)) + EPS_F32)));
        const sign = TORSION_SIGN[t]!;
        const sn = f(s / denom) * sign, cs = f(c / denom) * sign;
        const o = (k * 7 + t) * 2;
        sinCos[o] = sn; sinCos[o + 1] = cs;
        const mirror = t >= 3 ? 1 - 2 * CHI_PI_PERIODIC_TABLE[rt * 4 + t - 3]! : 1;
        altSinCos[o] = sn * mirror; altSinCos[o + 1] = cs * mirror;
      }
    }
    return {
      ...d,
      [prefix + 'torsion_angles_sin_cos']: numeric('float32', [...lead, 7, 2], sinCos),
      [prefix + 'alt_torsion_angles_sin_cos']: numeric('float32', [...lead, 7, 2], altSinCos),
      [prefix + 'torsion_angles_mask']: numeric('float32', [...lead, 7], angleMask),
    };
  };
}

/** get_chi_angles: the chi part (torsions 3..6) of the torsion features. */
export function getChiAngles(d: FeatureDict): FeatureDict {
  const sinCos = float32Values(getNumeric(d, 'torsion_angles_sin_cos'));
  const mask = float32Values(getNumeric(d, 'torsion_angles_mask'));
  const n = mask.length / 7;
  const chiSinCos = new Float32Array(n * 8);
  const chiMask = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    chiSinCos.set(sinCos.subarray(i * 14 + 6, i * 14 + 14), i * 8);
    chiMask.set(mask.subarray(i * 7 + 3, i * 7 + 7), i * 4);
  }
  return {
    ...d,
    chi_angles_sin_cos: numeric('float32', [n, 4, 2], chiSinCos),
    chi_mask: numeric('float32', [n, 4], chiMask),
  };
}
