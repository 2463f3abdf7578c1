// AlphaFold2 suppl. 1.9.11: structural violations (OpenFold
// loss.find_structural_violations and violation_loss), on the last structure
// module layer's atom14 positions:
//   between residues: C-N bond length, CA-C-N and C-N-CA angle cosines
//     (flat-bottom, tolerance 12 stddev), and heavy-atom clashes;
//   within residues: distances outside the stereochemical bounds.
// DISCREPANCY (OpenFold, kept): the CA-C-N angle term uses the C-N bond
// length stddev (0.014) as its tolerance unit.
// Computed on the host, as values (the reported term and the per-atom
// tensors); the differentiable form used when the term is weighted is
// loss_violation.ts.
import { ATOM_TYPES } from '../../features/residue_constants.ts';
import type { HostArray } from './host_tensor.ts';
import { VAN_DER_WAALS_RADIUS, atom14DistanceBounds } from './violation_tables.ts';

// residue_constants: between_res_bond_length_c_n, _stddev_c_n, cos angles
const C_N_LENGTH = [1.329, 1.341];
const C_N_STDDEV = [0.014, 0.016];
const COS_CA_C_N = -0.4473;
const COS_C_N_CA = [-0.5203, 0.0353];
const PRO = 14;
const CYS_SG = 5;

export interface ViolationBatch {
  atom14_atom_exists: HostArray;
  residue_index: HostArray;
  aatype: HostArray;
  residx_atom14_to_atom37: HostArray;
}

export interface Violations {
  'between_residues/bonds_c_n_loss_mean': number;
  'between_residues/angles_ca_c_n_loss_mean': number;
  'between_residues/angles_c_n_ca_loss_mean': number;
  'between_residues/connections_per_residue_loss_sum': Float64Array;
  'between_residues/connections_per_residue_violation_mask': Float64Array;
  'between_residues/clashes_mean_loss': number;
  'between_residues/clashes_per_atom_loss_sum': Float64Array;
  'between_residues/clashes_per_atom_clash_mask': Float64Array;
  'between_residues/clashes_per_atom_num_clash': Float64Array;
  'within_residues/per_atom_loss_sum': Float64Array;
  'within_residues/per_atom_violations': Float64Array;
  'within_residues/per_atom_num_clash': Float64Array;
  total_per_residue_violations_mask: Float64Array;
}

const relu = (x: number) => (x > 0 ? x : 0);

export function findStructuralViolations(pos: ArrayLike<number>, b: ViolationBatch, toleranceFactor: number, overlapTolerance: number): Violations {
  const n = b.aatype.data.length;
  const exists = b.atom14_atom_exists.data;
  const ri = b.residue_index.data;
  const aa = b.aatype.data;
  const p = (i: number, a: number, c: number) => pos[(i * 14 + a) * 3 + c]!;
  const vec = (i: number, a: number, j: number, c2: number): [number, number, number] => [p(j, c2, 0) - p(i, a, 0), p(j, c2, 1) - p(i, a, 1), p(j, c2, 2) - p(i, a, 2)];
  const norm = (v: number[], eps: number) => Math.sqrt(eps + v[0]! ** 2 + v[1]! ** 2 + v[2]! ** 2);
  // between-residue bonds and angles (eps 1e-6)
  const eps = 1e-6;
  const perRes = new Float64Array(Math.max(n - 1, 0));
  const viol = new Float64Array(Math.max(n - 1, 0));
  const sums = { cn: 0, cnMask: 0, cacn: 0, cacnMask: 0, cnca: 0, cncaMask: 0 };
  for (let i = 0; i < n - 1; i++) {
    const gap = ri[i + 1]! - ri[i]! === 1 ? 1 : 0;
    const ex = (r: number, a: number) => exists[r * 14 + a]!;
    const pro = aa[i + 1] === PRO ? 1 : 0;
    const gtLen = pro ? C_N_LENGTH[1]! : C_N_LENGTH[0]!;
    const gtSd = pro ? C_N_STDDEV[1]! : C_N_STDDEV[0]!;
    const cn = vec(i, 2, i + 1, 0);
    const cnLen = norm(cn, eps);
    const cnErr = Math.sqrt(eps + (cnLen - gtLen) ** 2);
    const cnLoss = relu(cnErr - toleranceFactor * gtSd);
    const m1 = ex(i, 2) * ex(i + 1, 0) * gap;
    sums.cn += m1 * cnLoss;
    sums.cnMask += m1;
    const caC = vec(i, 2, i, 1);
    const caCLen = norm(caC, eps);
    const nCa = vec(i + 1, 0, i + 1, 1);
    const nCaLen = norm(nCa, eps);
    const u1 = caC.map((v) => v / caCLen);
    const u2 = cn.map((v) => v / cnLen);
    const u3 = nCa.map((v) => v / nCaLen);
    const cos1 = u1[0]! * u2[0]! + u1[1]! * u2[1]! + u1[2]! * u2[2]!;
    const err1 = Math.sqrt(eps + (cos1 - COS_CA_C_N) ** 2);
    const loss1 = relu(err1 - toleranceFactor * C_N_STDDEV[0]!);
    const m2 = ex(i, 1) * ex(i, 2) * ex(i + 1, 0) * gap;
    sums.cacn += m2 * loss1;
    sums.cacnMask += m2;
    const cos2 = -u2[0]! * u3[0]! - u2[1]! * u3[1]! - u2[2]! * u3[2]!;
    const err2 = Math.sqrt(eps + (cos2 - COS_C_N_CA[0]!) ** 2);
    const loss2 = relu(err2 - toleranceFactor * COS_C_N_CA[1]!);
    const m3 = ex(i, 2) * ex(i + 1, 0) * ex(i + 1, 1) * gap;
    sums.cnca += m3 * loss2;
    sums.cncaMask += m3;
    perRes[i] = cnLoss + loss1 + loss2;
    viol[i] = Math.max(m1 * (cnErr > toleranceFactor * gtSd ? 1 : 0), m2 * (err1 > toleranceFactor * C_N_STDDEV[0]! ? 1 : 0),
      m3 * (err2 > toleranceFactor * COS_C_N_CA[1]! ? 1 : 0));
  }
  const connLoss = new Float64Array(n);
  const connViol = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    connLoss[i] = 0.5 * ((i < n - 1 ? perRes[i]! : 0) + (i > 0 ? perRes[i - 1]! : 0));
    connViol[i] = Math.max(i < n - 1 ? viol[i]! : 0, i > 0 ? viol[i - 1]! : 0);
  }
  // between-residue clashes (eps 1e-10)
  const radius = new Float64Array(n * 14);
  for (let k = 0; k < n * 14; k++) radius[k] = exists[k]! * VAN_DER_WAALS_RADIUS[ATOM_TYPES[b.residx_atom14_to_atom37.data[k]!]![0]!]!;
  const clashLoss = new Float64Array(n * 14);
  const clashNum = new Float64Array(n * 14);
  const clashMask = new Float64Array(n * 14);
  let clashSum = 0;
  let clashMaskSum = 0;
  // Execution strategy only: a residue pair whose atoms are all farther apart
  // than any clash distance contributes only its pair count to the mask sum.
  // Per residue: the CA and the largest distance of an existing atom from it
  // (from the predicted positions themselves, no geometric assumption).
  let maxRadius = 0;
  for (let k = 0; k < n * 14; k++) maxRadius = Math.max(maxRadius, radius[k]!);
  const farther = 2 * maxRadius - overlapTolerance + 1e-3;
  const reach = new Float64Array(n);
  const count = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 14; a++) {
      if (exists[i * 14 + a]! === 0) continue;
      count[i] += exists[i * 14 + a]!;
      reach[i] = Math.max(reach[i]!, Math.sqrt((p(i, a, 0) - p(i, 1, 0)) ** 2 + (p(i, a, 1) - p(i, 1, 1)) ** 2 + (p(i, a, 2) - p(i, 1, 2)) ** 2));
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!(ri[i]! < ri[j]!)) continue;
      const caDist = Math.sqrt((p(i, 1, 0) - p(j, 1, 0)) ** 2 + (p(i, 1, 1) - p(j, 1, 1)) ** 2 + (p(i, 1, 2) - p(j, 1, 2)) ** 2);
      if (caDist - reach[i]! - reach[j]! > farther) {
        // the masked pairs, as the loop below would count them (0/1 atom masks)
        let m = count[i]! * count[j]!;
        if (ri[i]! + 1 === ri[j]!) m -= exists[i * 14 + 2]! * exists[j * 14]!;
        m -= exists[i * 14 + CYS_SG]! * exists[j * 14 + CYS_SG]!;
        clashMaskSum += m;
        continue;
      }
      for (let a = 0; a < 14; a++) {
        for (let c = 0; c < 14; c++) {
          let m = exists[i * 14 + a]! * exists[j * 14 + c]!;
          if (m === 0) continue;
          if (ri[i]! + 1 === ri[j]! && a === 2 && c === 0) m = 0; // the peptide C-N bond
          if (a === CYS_SG && c === CYS_SG) m = 0; // possible disulfide (any residue type, as OpenFold)
          if (m === 0) continue;
          const d = Math.sqrt(1e-10 + (p(i, a, 0) - p(j, c, 0)) ** 2 + (p(i, a, 1) - p(j, c, 1)) ** 2 + (p(i, a, 2) - p(j, c, 2)) ** 2);
          const bound = m * (radius[i * 14 + a]! + radius[j * 14 + c]!);
          const e = m * relu(bound - overlapTolerance - d);
          clashSum += e;
          clashMaskSum += m;
          clashLoss[i * 14 + a] += e;
          clashLoss[j * 14 + c] += e;
          const hit = m * (d < bound - overlapTolerance ? 1 : 0);
          clashNum[i * 14 + a] += hit;
          clashNum[j * 14 + c] += hit;
          if (hit) {
            clashMask[i * 14 + a] = 1;
            clashMask[j * 14 + c] = 1;
          }
        }
      }
    }
  }
  // within-residue bounds (eps 1e-10)
  const bounds = atom14DistanceBounds(overlapTolerance, toleranceFactor);
  const withinLoss = new Float64Array(n * 14);
  const withinNum = new Float64Array(n * 14);
  const withinViol = new Float64Array(n * 14);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 14; a++) {
      for (let c = 0; c < 14; c++) {
        if (a === c) continue;
        const m = exists[i * 14 + a]! * exists[i * 14 + c]!;
        if (m === 0) continue;
        const d = Math.sqrt(1e-10 + (p(i, a, 0) - p(i, c, 0)) ** 2 + (p(i, a, 1) - p(i, c, 1)) ** 2 + (p(i, a, 2) - p(i, c, 2)) ** 2);
        const lo = bounds.lower[(aa[i]! * 14 + a) * 14 + c]!;
        const hi = bounds.upper[(aa[i]! * 14 + a) * 14 + c]!;
        const l = m * (relu(lo - d) + relu(d - hi));
        withinLoss[i * 14 + a] += l;
        withinLoss[i * 14 + c] += l;
        const v = m * (d < lo || d > hi ? 1 : 0);
        withinNum[i * 14 + a] += v;
        withinNum[i * 14 + c] += v;
        if (v) {
          withinViol[i * 14 + a] = 1;
          withinViol[i * 14 + c] = 1;
        }
      }
    }
  }
  const total = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = connViol[i]!;
    for (let a = 0; a < 14; a++) v = Math.max(v, clashMask[i * 14 + a]!, withinViol[i * 14 + a]!);
    total[i] = v;
  }
  return {
    'between_residues/bonds_c_n_loss_mean': sums.cn / (sums.cnMask + eps),
    'between_residues/angles_ca_c_n_loss_mean': sums.cacn / (sums.cacnMask + eps),
    'between_residues/angles_c_n_ca_loss_mean': sums.cnca / (sums.cncaMask + eps),
    'between_residues/connections_per_residue_loss_sum': connLoss,
    'between_residues/connections_per_residue_violation_mask': connViol,
    'between_residues/clashes_mean_loss': clashSum / (1e-6 + clashMaskSum),
    'between_residues/clashes_per_atom_loss_sum': clashLoss,
    'between_residues/clashes_per_atom_clash_mask': clashMask,
    'between_residues/clashes_per_atom_num_clash': clashNum,
    'within_residues/per_atom_loss_sum': withinLoss,
    'within_residues/per_atom_violations': withinViol,
    'within_residues/per_atom_num_clash': withinNum,
    total_per_residue_violations_mask: total,
  };
}

/** OpenFold violation_loss: bond and angle means plus the clash sum per existing atom. */
export function violationLoss(v: Violations, atom14Exists: HostArray, averageClashes: boolean, eps = 1e-6): number {
  let numAtoms = 0;
  for (const e of atom14Exists.data) numAtoms += e;
  const between = v['between_residues/clashes_per_atom_loss_sum'];
  const within = v['within_residues/per_atom_loss_sum'];
  let clash = 0;
  for (let k = 0; k < between.length; k++) {
    let c = between[k]! + within[k]!;
    if (averageClashes) c /= v['between_residues/clashes_per_atom_num_clash'][k]! + v['within_residues/per_atom_num_clash'][k]! + eps;
    clash += c;
  }
  return v['between_residues/bonds_c_n_loss_mean'] + v['between_residues/angles_ca_c_n_loss_mean']
    + v['between_residues/angles_c_n_ca_loss_mean'] + clash / (eps + numAtoms);
}
