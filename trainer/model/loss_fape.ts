// AlphaFold2 suppl. Algorithm 28: frame aligned point error (OpenFold
// loss.compute_fape / backbone_loss / sidechain_loss).
//   e_ij = sqrt(|T_i^-1 x_j - T*_i^-1 x*_j|² + eps), clamped to d_clamp,
//   divided by the length scale, averaged over frames and points
//   (Σ_j / (eps + Σ frame mask), then Σ_i / (eps + Σ point mask)).
// Backbone FAPE: every structure-module layer's backbone frames against the
// true backbone frames (points = frame origins), averaged over layers, with
// the clamped / unclamped blend by use_clamped_fape. Side-chain FAPE: the
// last layer's 8 group frames and atom14 positions against the renamed truth.
import { tensor, type Tensor } from '../core/tensor.ts';
import { add, clamp, concat, div, mul, reshape, sqrt, square, sub, sum } from '../autograd/index.ts';
import type { LossConfig } from './config_types.ts';
import type { HostArray } from './host_tensor.ts';
import { rigidInvertApply, unsqueeze, type Rigid } from './rigid.ts';
import type { RenamedTruth } from './renaming.ts';

function constant(values: ArrayLike<number>, shape: number[], like: Tensor): Tensor {
  return tensor(values, shape, { dtype: like.dtype, device: like.device });
}

/** Rigid from [..., 4, 4] homogeneous matrices (host). */
function rigidFrom4x4(m: ArrayLike<number>, count: number, like: Tensor): Rigid {
  const rot = new Float64Array(count * 9);
  const trans = new Float64Array(count * 3);
  for (let k = 0; k < count; k++) {
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) rot[k * 9 + a * 3 + b] = m[k * 16 + a * 4 + b]!;
      trans[k * 3 + a] = m[k * 16 + a * 4 + 3]!;
    }
  }
  return { rot: constant(rot, [count, 3, 3], like), trans: constant(trans, [count, 3], like) };
}

/**
 * pred frames [L, F] (rot [L, F, 3, 3], trans [L, F, 3]) and points [L, P, 3];
 * target frames [F] and points [P, 3] (constants); masks on the host.
 * Returns [L].
 */
export function computeFape(
  predFrames: Rigid, predPoints: Tensor, target: Rigid, targetPoints: Tensor,
  frameMask: Float64Array, pointMask: Float64Array, lengthScale: number, clampDistance: number | null, eps: number,
): Tensor {
  const [l, f] = predFrames.trans.shape as [number, number];
  const p = predPoints.shape[1]!;
  // [L, F, P, 3]
  const localPred = rigidInvertApply({ rot: unsqueeze(predFrames.rot, 2), trans: unsqueeze(predFrames.trans, 2) }, unsqueeze(predPoints, 1));
  const localTrue = rigidInvertApply({ rot: unsqueeze(target.rot, 1), trans: unsqueeze(target.trans, 1) }, unsqueeze(targetPoints, 0));
  let err = sqrt(add(sum(square(sub(localPred, unsqueeze(localTrue, 0))), [-1]), constant([eps], [], predPoints)));
  if (clampDistance !== null) err = clamp(err, 0, clampDistance);
  let frameSum = 0;
  let pointSum = 0;
  for (const v of frameMask) frameSum += v;
  for (const v of pointMask) pointSum += v;
  // frame mask_i · point mask_j, formed on the device ([F·P] is 7M for side chains at N_res 256)
  const pairMask = mul(constant(frameMask, [1, f, 1], err), constant(pointMask, [1, 1, p], err));
  const masked = mul(err, pairMask);
  // Σ_j / (eps + Σ frames), Σ_i / (eps + Σ points), with the length scale folded in first
  const perFrame = div(sum(div(masked, constant([lengthScale], [], err)), [-1]), constant([eps + frameSum], [], err));
  return reshape(div(sum(perFrame, [-1]), constant([eps + pointSum], [], err)), [l]);
}

export interface BackboneTruth {
  /** [N, 4, 4] */ backbone_rigid_tensor: HostArray;
  /** [N] */ backbone_rigid_mask: HostArray;
}

/** Mean over layers; `layers` holds each layer's backbone frames (Å). */
export function backboneFape(layers: readonly Rigid[], truth: BackboneTruth, useClampedFape: number, cfg: LossConfig['fape']['backbone'], eps: number): Tensor {
  const n = truth.backbone_rigid_mask.data.length;
  const like = layers[0]!.trans;
  const pred: Rigid = {
    rot: concat(layers.map((r) => unsqueeze(r.rot, 0)), 0),
    trans: concat(layers.map((r) => unsqueeze(r.trans, 0)), 0),
  };
  const target = rigidFrom4x4(truth.backbone_rigid_tensor.data, n, like);
  const mask = truth.backbone_rigid_mask.data;
  const fape = (clampDistance: number | null) => computeFape(pred, pred.trans, target, target.trans, mask, mask, cfg.loss_unit_distance, clampDistance, eps);
  let perLayer: Tensor;
  if (useClampedFape === 1) perLayer = fape(cfg.clamp_distance);
  else if (useClampedFape === 0) perLayer = fape(null);
  else {
    const u = constant([useClampedFape], [], like);
    const v = constant([1 - useClampedFape], [], like);
    perLayer = add(mul(fape(cfg.clamp_distance), u), mul(fape(null), v));
  }
  return div(sum(perLayer, [0]), constant([layers.length], [], like));
}

export interface SidechainTruth {
  /** [N, 8, 4, 4] */ rigidgroups_gt_frames: HostArray;
  /** [N, 8, 4, 4] */ rigidgroups_alt_gt_frames: HostArray;
  /** [N, 8] */ rigidgroups_gt_exists: HostArray;
}

/** Last layer's group frames [N, 8] and atom14 positions [N, 14, 3] against the renamed truth. */
export function sidechainFape(frames: Rigid, positions: Tensor, truth: SidechainTruth, renamed: RenamedTruth, cfg: LossConfig['fape']['sidechain'], eps: number): Tensor {
  const n = positions.shape[0]!;
  const g = 8;
  const gtFrames = new Float64Array(n * g * 16);
  for (let i = 0; i < n; i++) {
    const w = renamed.altNamingIsBetter[i]!;
    for (let k = 0; k < g * 16; k++) {
      gtFrames[i * g * 16 + k] = (1 - w) * truth.rigidgroups_gt_frames.data[i * g * 16 + k]! + w * truth.rigidgroups_alt_gt_frames.data[i * g * 16 + k]!;
    }
  }
  const target = rigidFrom4x4(gtFrames, n * g, positions);
  const pred: Rigid = { rot: reshape(frames.rot, [1, n * g, 3, 3]), trans: reshape(frames.trans, [1, n * g, 3]) };
  const out = computeFape(pred, reshape(positions, [1, n * 14, 3]), target, constant(renamed.positions, [n * 14, 3], positions),
    truth.rigidgroups_gt_exists.data, renamed.exists, cfg.length_scale, cfg.clamp_distance, eps);
  return reshape(out, []);
}
