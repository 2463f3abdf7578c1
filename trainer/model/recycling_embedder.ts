// AlphaFold2 suppl. Algorithm 32 (RecyclingEmbedder); OpenFold
// embedders.RecyclingEmbedder.
//   m_update = LayerNorm(m_1_prev)                       [N_res, C_m]
//   z_update = LayerNorm(z_prev) + Linear(dgram(x_prev))  [N_res, N_res, C_z]
// dgram: one-hot of the squared pseudo-beta distance in no_bins bins with
// lower edges linspace(min_bin, max_bin)^2 (strict d² > lower, d² < upper,
// last upper edge `inf`). x_prev is detached (previous iteration), so the
// bins are found on the host and one-hot encoded on the device.
import type { Tensor } from '../core/tensor.ts';
import { add, oneHot } from '../autograd/index.ts';
import type { RecyclingEmbedderConfig } from './config_types.ts';
import { indexTensor, type HostArray, type TensorPlacement } from './host_tensor.ts';
import type { ParamView } from './params.ts';

/** torch.linspace(start, end, steps) in float64 (two-sided, as torch computes it). */
export function linspace(start: number, end: number, steps: number): number[] {
  if (steps === 1) return [start];
  const step = (end - start) / (steps - 1);
  const half = Math.floor(steps / 2);
  return Array.from({ length: steps }, (_, i) => (i < half ? start + step * i : end - step * (steps - 1 - i)));
}

/** Squared-distance bin one-hot of points x [N, 3]: [N, N, no_bins]. */
export function distanceBinsOneHot(x: HostArray, minBin: number, maxBin: number, noBins: number, inf: number): HostArray {
  const n = x.shape[0]!;
  const lower = linspace(minBin, maxBin, noBins).map((b) => b * b);
  const upper = [...lower.slice(1), inf];
  const out = new Float64Array(n * n * noBins);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let c = 0; c < 3; c++) {
        const diff = x.data[i * 3 + c]! - x.data[j * 3 + c]!;
        d += diff * diff;
      }
      for (let b = 0; b < noBins; b++) {
        if (d > lower[b]! && d < upper[b]!) out[(i * n + j) * noBins + b] = 1;
      }
    }
  }
  return { shape: [n, n, noBins], data: out };
}

/**
 * The bin of each squared distance of points x [N, 3] as distanceBinsOneHot
 * finds it (bins are disjoint, so at most one): [N, N], -1 where none (a
 * distance on an edge); one_hot of -1 is a zero row.
 */
export function distanceBins(x: HostArray, minBin: number, maxBin: number, noBins: number, inf: number): HostArray {
  const n = x.shape[0]!;
  const lower = linspace(minBin, maxBin, noBins).map((b) => b * b);
  const upper = [...lower.slice(1), inf];
  const out = new Float64Array(n * n).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let c = 0; c < 3; c++) {
        const diff = x.data[i * 3 + c]! - x.data[j * 3 + c]!;
        d += diff * diff;
      }
      for (let b = 0; b < noBins; b++) {
        if (d > lower[b]! && d < upper[b]!) {
          out[i * n + j] = b;
          break;
        }
      }
    }
  }
  return { shape: [n, n], data: out };
}

export interface RecyclingUpdate {
  /** [N_res, C_m], added to the first MSA row */ m: Tensor;
  /** [N_res, N_res, C_z], added to the pair representation */ z: Tensor;
}

export function recyclingEmbedder(
  p: ParamView, cfg: RecyclingEmbedderConfig, m1Prev: Tensor, zPrev: Tensor, pseudoBetaPrev: HostArray, place: TensorPlacement,
): RecyclingUpdate {
  const m = p.layerNorm('layer_norm_m', m1Prev);
  const bins = indexTensor(distanceBins(pseudoBetaPrev, cfg.min_bin, cfg.max_bin, cfg.no_bins, cfg.inf), place.device);
  const dgram = oneHot(bins, cfg.no_bins, place.dtype);
  const z = add(p.layerNorm('layer_norm_z', zPrev), p.linear('linear', dgram));
  return { m, z };
}
