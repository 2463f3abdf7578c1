// The structural violation loss (AlphaFold2 suppl. 1.9.11; OpenFold
// loss.find_structural_violations + violation_loss) as a differentiable
// function of the predicted atom14 positions, for configurations that weight
// it (fine-tuning). The masks, bounds and targets are host constants; only
// the distances carry gradients. Same formulas as violations.ts (the host
// version, which also gives the per-atom reports); with average_clashes
// false the clash term is Σ over atom pairs counted from both ends:
//   l_clash = 2·(Σ between-residue clash errors + Σ within-residue errors) / (eps + #atoms).
import { tensor, type Tensor } from '../core/tensor.ts';
import { add, div, mul, neg, relu, reshape, slice, sqrt, square, sub, sum } from '../autograd/index.ts';
import { ATOM_TYPES } from '../../features/residue_constants.ts';
import type { LossConfig } from './config_types.ts';
import { unsqueeze } from './rigid.ts';
import type { ViolationBatch } from './violations.ts';
import { VAN_DER_WAALS_RADIUS, atom14DistanceBounds } from './violation_tables.ts';

const C_N_LENGTH = [1.329, 1.341];
const C_N_STDDEV = [0.014, 0.016];
const COS_CA_C_N = -0.4473;
const COS_C_N_CA = [-0.5203, 0.0353];
const PRO = 14;
const CYS_SG = 5;

/** positions [N, 14, 3] -> scalar violation loss. */
export function violationLossTensor(pos: Tensor, b: ViolationBatch, cfg: LossConfig['violation']): Tensor {
  if (cfg.average_clashes) throw new Error('loss.violation.average_clashes is not implemented in the differentiable violation loss');
  const n = pos.shape[0]!;
  const like = pos;
  const c = (v: ArrayLike<number>, shape: number[]) => tensor(v, shape, { dtype: like.dtype, device: like.device });
  const eps = 1e-6;
  const tol = cfg.violation_tolerance_factor;
  const exists = b.atom14_atom_exists.data;
  const ri = b.residue_index.data;
  const aa = b.aatype.data;
  const atom = (from: number, count: number, a: number) => reshape(slice(pos, [from, a, 0], [count, 1, 3]), [count, 3]);
  const len = (v: Tensor) => sqrt(add(sum(square(v), [-1]), c([eps], [])));
  const m = n - 1;
  // [N-1, 3] backbone atoms of residue i and i+1
  const thisCa = atom(0, m, 1);
  const thisC = atom(0, m, 2);
  const nextN = atom(1, m, 0);
  const nextCa = atom(1, m, 1);
  const gtLen = new Float64Array(m);
  const gtSd = new Float64Array(m);
  const m1 = new Float64Array(m);
  const m2 = new Float64Array(m);
  const m3 = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const pro = aa[i + 1] === PRO ? 1 : 0;
    gtLen[i] = C_N_LENGTH[pro]!;
    gtSd[i] = C_N_STDDEV[pro]!;
    const gap = ri[i + 1]! - ri[i]! === 1 ? 1 : 0;
    const ex = (r: number, a: number) => exists[r * 14 + a]!;
    m1[i] = ex(i, 2) * ex(i + 1, 0) * gap;
    m2[i] = ex(i, 1) * ex(i, 2) * ex(i + 1, 0) * gap;
    m3[i] = ex(i, 2) * ex(i + 1, 0) * ex(i + 1, 1) * gap;
  }
  const maskedMean = (perRes: Tensor, mask: Float64Array) => {
    let s = 0;
    for (const v of mask) s += v;
    return div(sum(mul(perRes, c(mask, [m])), [0]), c([s + eps], []));
  };
  const cn = sub(nextN, thisC);
  const cnLen = len(cn);
  const cnErr = sqrt(add(square(sub(cnLen, c(gtLen, [m]))), c([eps], [])));
  const cnLoss = maskedMean(relu(sub(cnErr, mul(c(gtSd, [m]), c([tol], [])))), m1);
  const caC = sub(thisCa, thisC);
  const nCa = sub(nextCa, nextN);
  const u1 = div(caC, unsqueeze(len(caC), -1));
  const u2 = div(cn, unsqueeze(cnLen, -1));
  const u3 = div(nCa, unsqueeze(len(nCa), -1));
  const cosErr = (cos: Tensor, gt: number) => sqrt(add(square(sub(cos, c([gt], []))), c([eps], [])));
  const caCnLoss = maskedMean(relu(sub(cosErr(sum(mul(u1, u2), [-1]), COS_CA_C_N), c([tol * C_N_STDDEV[0]!], []))), m2);
  const cNCaLoss = maskedMean(relu(sub(cosErr(sum(mul(neg(u2), u3), [-1]), COS_C_N_CA[0]!), c([tol * COS_C_N_CA[1]!], []))), m3);

  // between-residue clashes: [N, N, 14, 14]
  const overlap = cfg.clash_overlap_tolerance;
  const radius = new Float64Array(n * 14);
  for (let k = 0; k < n * 14; k++) radius[k] = exists[k]! * VAN_DER_WAALS_RADIUS[ATOM_TYPES[b.residx_atom14_to_atom37.data[k]!]![0]!]!;
  const clashMask = new Float64Array(n * n * 196);
  const clashBound = new Float64Array(n * n * 196);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!(ri[i]! < ri[j]!)) continue;
      for (let a = 0; a < 14; a++) {
        for (let d = 0; d < 14; d++) {
          let w = exists[i * 14 + a]! * exists[j * 14 + d]!;
          if (ri[i]! + 1 === ri[j]! && a === 2 && d === 0) w = 0;
          if (a === CYS_SG && d === CYS_SG) w = 0;
          const k = ((i * n + j) * 14 + a) * 14 + d;
          clashMask[k] = w;
          clashBound[k] = w * (radius[i * 14 + a]! + radius[j * 14 + d]!) - overlap;
        }
      }
    }
  }
  const pairDist = (x: Tensor, y: Tensor) => sqrt(add(sum(square(sub(x, y)), [-1]), c([1e-10], [])));
  const dBetween = pairDist(reshape(pos, [n, 1, 14, 1, 3]), reshape(pos, [1, n, 1, 14, 3]));
  const betweenErr = sum(mul(c(clashMask, [n, n, 14, 14]), relu(sub(c(clashBound, [n, n, 14, 14]), dBetween))));
  // within-residue bounds: [N, 14, 14]
  const bounds = atom14DistanceBounds(overlap, tol);
  const wMask = new Float64Array(n * 196);
  const lo = new Float64Array(n * 196);
  const hi = new Float64Array(n * 196);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 14; a++) {
      for (let d = 0; d < 14; d++) {
        const k = (i * 14 + a) * 14 + d;
        wMask[k] = a === d ? 0 : exists[i * 14 + a]! * exists[i * 14 + d]!;
        lo[k] = bounds.lower[(aa[i]! * 14 + a) * 14 + d]!;
        hi[k] = bounds.upper[(aa[i]! * 14 + a) * 14 + d]!;
      }
    }
  }
  const dWithin = pairDist(reshape(pos, [n, 14, 1, 3]), reshape(pos, [n, 1, 14, 3]));
  const withinErr = sum(mul(c(wMask, [n, 14, 14]), add(relu(sub(c(lo, [n, 14, 14]), dWithin)), relu(sub(dWithin, c(hi, [n, 14, 14]))))));
  let numAtoms = 0;
  for (const e of exists) numAtoms += e;
  // violation_loss divides by (cfg.eps + #atoms); the bond means above use the fixed 1e-6
  const clash = div(mul(add(betweenErr, withinErr), c([2], [])), c([cfg.eps + numAtoms], []));
  return add(add(add(cnLoss, caCnLoss), cNCaLoss), clash);
}
