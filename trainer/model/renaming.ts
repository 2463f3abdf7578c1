// AlphaFold2 suppl. Algorithm 26: rename symmetric ground-truth atoms
// (OpenFold loss.compute_renamed_ground_truth). For each residue, compare
// the distances from its ambiguous atoms to every unambiguous atom in the
// prediction against the truth and its 180°-flipped alternative; keep the
// naming with the smaller summed error. A discrete choice on detached
// predictions, so it runs on the host.
import type { HostArray } from './host_tensor.ts';

export interface RenamedTruth {
  /** [N] 1 where the alternative naming is used */ altNamingIsBetter: Float64Array;
  /** [N, 14, 3] */ positions: Float64Array;
  /** [N, 14] */ exists: Float64Array;
}

export interface RenamingBatch {
  atom14_gt_positions: HostArray;
  atom14_alt_gt_positions: HostArray;
  atom14_gt_exists: HostArray;
  atom14_alt_gt_exists: HostArray;
  atom14_atom_is_ambiguous: HostArray;
}

export function renameSymmetricAtoms(pred: ArrayLike<number>, b: RenamingBatch, eps = 1e-10): RenamedTruth {
  const n = b.atom14_gt_exists.shape[0]!;
  const A = 14;
  const gt = b.atom14_gt_positions.data;
  const alt = b.atom14_alt_gt_positions.data;
  const exists = b.atom14_gt_exists.data;
  const amb = b.atom14_atom_is_ambiguous.data;
  const dist = (x: ArrayLike<number>, p: number, q: number): number => {
    let d = 0;
    for (let c = 0; c < 3; c++) {
      const diff = x[p * 3 + c]! - x[q * 3 + c]!;
      d += diff * diff;
    }
    return Math.sqrt(eps + d);
  };
  const better = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let err = 0;
    let altErr = 0;
    for (let a = 0; a < A; a++) {
      const p = i * A + a;
      if (exists[p]! * amb[p]! === 0) continue;
      for (let j = 0; j < n; j++) {
        for (let c = 0; c < A; c++) {
          const q = j * A + c;
          const w = exists[p]! * amb[p]! * exists[q]! * (1 - amb[q]!);
          if (w === 0) continue;
          const dp = dist(pred, p, q);
          err += w * Math.sqrt(eps + (dp - dist(gt, p, q)) ** 2);
          altErr += w * Math.sqrt(eps + (dp - dist(alt, p, q)) ** 2);
        }
      }
    }
    better[i] = altErr < err ? 1 : 0;
  }
  const positions = new Float64Array(n * A * 3);
  const renamedExists = new Float64Array(n * A);
  for (let i = 0; i < n; i++) {
    const w = better[i]!;
    for (let k = 0; k < A * 3; k++) positions[i * A * 3 + k] = (1 - w) * gt[i * A * 3 + k]! + w * alt[i * A * 3 + k]!;
    for (let k = 0; k < A; k++) renamedExists[i * A + k] = (1 - w) * exists[i * A + k]! + w * b.atom14_alt_gt_exists.data[i * A + k]!;
  }
  return { altNamingIsBetter: better, positions, exists: renamedExists };
}
