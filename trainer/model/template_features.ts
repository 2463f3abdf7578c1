// Template input features (AlphaFold2 suppl. 1.7.1, Table 1; OpenFold
// utils/feats.build_template_pair_feat / build_template_angle_feat), built on
// the host from one template slot:
//   pair [N, N, 88]: distogram of template pseudo-beta (39 bins, strict edges,
//     last upper edge `inf`), pseudo-beta mask_i·mask_j, aatype one-hot of j,
//     aatype one-hot of i (22 each), unit vector (3; zero unless
//     use_unit_vector), backbone mask_i·mask_j; everything times the N·CA·C
//     backbone mask_i·mask_j (OpenFold quirk 3, not the pseudo-beta mask).
//   angle [N, 57]: aatype one-hot (22), torsion sin/cos (14), alternative
//     torsion sin/cos (14), torsion mask (7).
import type { Tensor } from '../core/tensor.ts';
import { concat, mul, oneHot, reshape } from '../autograd/index.ts';
import type { BinsConfig } from './config_types.ts';
import { filledTensor, floatTensor, indexTensor, type HostArray, type TensorPlacement } from './host_tensor.ts';
import { linspace } from './recycling_embedder.ts';

const AATYPE_CLASSES = 22;
// atom37 slots of N, CA, C (residue_constants.atom_order)
const ATOM_N = 0;
const ATOM_CA = 1;
const ATOM_C = 2;

export interface TemplateSlot {
  /** [N] */ aatype: Float64Array;
  /** [N, 3] */ pseudoBeta: Float64Array;
  /** [N] */ pseudoBetaMask: Float64Array;
  /** [N, 37] */ allAtomMask: Float64Array;
}

/** Slot t of the stacked template features [T, ...] (one recycling iteration). */
export function templateSlot(f: { aatype: HostArray; pseudoBeta: HostArray; pseudoBetaMask: HostArray; allAtomMask: HostArray }, t: number): TemplateSlot {
  const n = f.aatype.shape[1]!;
  return {
    aatype: f.aatype.data.subarray(t * n, (t + 1) * n),
    pseudoBeta: f.pseudoBeta.data.subarray(t * n * 3, (t + 1) * n * 3),
    pseudoBetaMask: f.pseudoBetaMask.data.subarray(t * n, (t + 1) * n),
    allAtomMask: f.allAtomMask.data.subarray(t * n * 37, (t + 1) * n * 37),
  };
}

export function templatePairFeat(s: TemplateSlot, bins: BinsConfig, inf: number, useUnitVector: boolean): HostArray {
  if (useUnitVector) throw new Error('template unit vectors are not implemented (model.template.use_unit_vector must be false)');
  const n = s.aatype.length;
  const c = bins.no_bins + 1 + 2 * AATYPE_CLASSES + 3 + 1;
  const lower = linspace(bins.min_bin, bins.max_bin, bins.no_bins).map((b) => b * b);
  const upper = [...lower.slice(1), inf];
  const bb = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    bb[i] = s.allAtomMask[i * 37 + ATOM_N]! * s.allAtomMask[i * 37 + ATOM_CA]! * s.allAtomMask[i * 37 + ATOM_C]!;
  }
  const out = new Float64Array(n * n * c);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = bb[i]! * bb[j]!;
      if (w === 0) continue;
      const o = (i * n + j) * c;
      let d = 0;
      for (let x = 0; x < 3; x++) {
        const diff = s.pseudoBeta[i * 3 + x]! - s.pseudoBeta[j * 3 + x]!;
        d += diff * diff;
      }
      for (let b = 0; b < bins.no_bins; b++) if (d > lower[b]! && d < upper[b]!) out[o + b] = w;
      out[o + bins.no_bins] = s.pseudoBetaMask[i]! * s.pseudoBetaMask[j]! * w;
      out[o + bins.no_bins + 1 + s.aatype[j]!] = w;
      out[o + bins.no_bins + 1 + AATYPE_CLASSES + s.aatype[i]!] = w;
      // unit vector channels stay 0
      out[o + c - 1] = w * w;
    }
  }
  return { shape: [n, n, c], data: out };
}

/**
 * templatePairFeat built on the device: the host finds the distogram bin,
 * the pair masks (N² values each) and the device one-hot encodes and
 * concatenates. Every value is the host's (one-hots times w = 1·w or 0·w),
 * in place.dtype.
 */
export function templatePairFeatTensor(s: TemplateSlot, bins: BinsConfig, inf: number, useUnitVector: boolean, place: TensorPlacement): Tensor {
  if (useUnitVector) throw new Error('template unit vectors are not implemented (model.template.use_unit_vector must be false)');
  const n = s.aatype.length;
  const lower = linspace(bins.min_bin, bins.max_bin, bins.no_bins).map((b) => b * b);
  const upper = [...lower.slice(1), inf];
  const bb = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    bb[i] = s.allAtomMask[i * 37 + ATOM_N]! * s.allAtomMask[i * 37 + ATOM_CA]! * s.allAtomMask[i * 37 + ATOM_C]!;
  }
  const bin = new Float64Array(n * n).fill(-1);
  const w = new Float64Array(n * n);
  const pbPair = new Float64Array(n * n);
  const wSq = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const wij = bb[i]! * bb[j]!;
      if (wij === 0) continue;
      const o = i * n + j;
      let d = 0;
      for (let x = 0; x < 3; x++) {
        const diff = s.pseudoBeta[i * 3 + x]! - s.pseudoBeta[j * 3 + x]!;
        d += diff * diff;
      }
      for (let b = 0; b < bins.no_bins; b++) {
        if (d > lower[b]! && d < upper[b]!) {
          bin[o] = b;
          break;
        }
      }
      w[o] = wij;
      pbPair[o] = s.pseudoBetaMask[i]! * s.pseudoBetaMask[j]! * wij;
      wSq[o] = wij * wij;
    }
  }
  const pairCol = (a: Float64Array) => floatTensor({ shape: [n, n, 1], data: a }, place);
  const wT = pairCol(w);
  const aatype = oneHot(indexTensor({ shape: [n], data: s.aatype }, place.device), AATYPE_CLASSES, place.dtype);
  return concat([
    mul(oneHot(indexTensor({ shape: [n, n], data: bin }, place.device), bins.no_bins, place.dtype), wT),
    pairCol(pbPair),
    mul(reshape(aatype, [1, n, AATYPE_CLASSES]), wT),
    mul(reshape(aatype, [n, 1, AATYPE_CLASSES]), wT),
    filledTensor([n, n, 3], 0, place),
    pairCol(wSq),
  ], -1);
}

/** [T, N, 57] from template_aatype [T, N], torsion sin/cos [T, N, 7, 2] (and alt), mask [T, N, 7]. */
export function templateAngleFeat(aatype: HostArray, sinCos: HostArray, altSinCos: HostArray, mask: HostArray): HostArray {
  const [t, n] = aatype.shape as [number, number];
  const c = AATYPE_CLASSES + 14 + 14 + 7;
  const out = new Float64Array(t * n * c);
  for (let r = 0; r < t * n; r++) {
    const o = r * c;
    out[o + aatype.data[r]!] = 1;
    for (let x = 0; x < 14; x++) {
      out[o + AATYPE_CLASSES + x] = sinCos.data[r * 14 + x]!;
      out[o + AATYPE_CLASSES + 14 + x] = altSinCos.data[r * 14 + x]!;
    }
    for (let x = 0; x < 7; x++) out[o + AATYPE_CLASSES + 28 + x] = mask.data[r * 7 + x]!;
  }
  return { shape: [t, n, c], data: out };
}
