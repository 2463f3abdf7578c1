// AlphaFold2 suppl. Algorithm 24 (computeAllAtomCoordinates; OpenFold
// utils/feats.torsion_angles_to_frames and
// frames_and_literature_positions_to_atom14_pos) and the atom14 -> atom37
// scatter (feats.atom14_to_atom37).
//   group frames in the backbone frame: default frame ∘ R_x(angle) for the
//   8 groups (backbone angle 0, ω, φ, ψ, χ1..χ4), the χ2..χ4 frames chained
//   onto χ1; then composed with the backbone frame.
//   atom positions: the frame of each atom's group applied to its literature
//   position, times the atom14 mask.
// The per-residue-type tables are constants (features/constants), gathered
// by aatype on the host.
import { tensor, type Tensor } from '../core/tensor.ts';
import { concat, matmul, mul, reshape, slice, sum } from '../autograd/index.ts';
import {
  RESTYPE_ATOM14_RIGID_GROUP_POSITIONS, RESTYPE_ATOM14_TO_RIGID_GROUP, RESTYPE_RIGID_GROUP_DEFAULT_FRAME,
} from '../../features/constants/rigid_group_tables.ts';
import { RESTYPE_ATOM14_MASK } from '../../features/constants/atom14_tables.ts';
import { component, rigidApply, rigidCompose, rigidUnsqueeze, unsqueeze, type Rigid } from './rigid.ts';

const GROUPS = 8;
const ATOM14 = 14;

function constant(values: ArrayLike<number>, shape: number[], like: Tensor): Tensor {
  return tensor(values, shape, { dtype: like.dtype, device: like.device });
}

/** Frames of slot range [begin, begin+size) along the group axis (axis 1). */
function groupSlice(r: Rigid, begin: number, size: number): Rigid {
  const n = r.rot.shape[0]!;
  return { rot: slice(r.rot, [0, begin, 0, 0], [n, size, 3, 3]), trans: slice(r.trans, [0, begin, 0], [n, size, 3]) };
}

function rigidConcat(parts: readonly Rigid[]): Rigid {
  return { rot: concat(parts.map((p) => p.rot), 1), trans: concat(parts.map((p) => p.trans), 1) };
}

/**
 * backbone [N] frames (Å), angles [N, 7, 2] (sin, cos; normalized), aatype
 * [N] (host). Returns the 8 group frames in global coordinates, [N, 8].
 */
export function torsionAnglesToFrames(backbone: Rigid, angles: Tensor, aatype: ArrayLike<number>): Rigid {
  const n = angles.shape[0]!;
  const rot = new Float64Array(n * GROUPS * 9);
  const trans = new Float64Array(n * GROUPS * 3);
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < GROUPS; g++) {
      const src = (aatype[i]! * GROUPS + g) * 16;
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) rot[(i * GROUPS + g) * 9 + a * 3 + b] = RESTYPE_RIGID_GROUP_DEFAULT_FRAME[src + a * 4 + b]!;
        trans[(i * GROUPS + g) * 3 + a] = RESTYPE_RIGID_GROUP_DEFAULT_FRAME[src + a * 4 + 3]!;
      }
    }
  }
  const defaults: Rigid = { rot: constant(rot, [n, GROUPS, 3, 3], angles), trans: constant(trans, [n, GROUPS, 3], angles) };
  // [N, 8, 2]: the backbone group gets (sin, cos) = (0, 1)
  const bbAngle = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) bbAngle[i * 2 + 1] = 1;
  const alpha = concat([constant(bbAngle, [n, 1, 2], angles), angles], 1);
  const sin = component(alpha, 0);
  const cos = component(alpha, 1);
  const zero = constant(new Float64Array(n * GROUPS), [n, GROUPS, 1], angles);
  const one = constant(new Float64Array(n * GROUPS).fill(1), [n, GROUPS, 1], angles);
  // R_x(α) = [[1, 0, 0], [0, cos, -sin], [0, sin, cos]]
  const negSin = mul(sin, constant([-1], [1, 1, 1], angles));
  const rx = reshape(concat([one, zero, zero, zero, cos, negSin, zero, sin, cos], -1), [n, GROUPS, 3, 3]);
  const local = rigidCompose(defaults, { rot: rx, trans: constant(new Float64Array(n * GROUPS * 3), [n, GROUPS, 3], angles) });
  // chain χ2..χ4 onto χ1 (each frame is given relative to the previous χ frame)
  const chi1 = groupSlice(local, 4, 1);
  const chi2 = rigidCompose(chi1, groupSlice(local, 5, 1));
  const chi3 = rigidCompose(chi2, groupSlice(local, 6, 1));
  const chi4 = rigidCompose(chi3, groupSlice(local, 7, 1));
  const toBackbone = rigidConcat([groupSlice(local, 0, 5), chi2, chi3, chi4]);
  return rigidCompose(rigidUnsqueeze(backbone, 1), toBackbone);
}

/** atom14 positions [N, 14, 3] from the group frames [N, 8] (zero where the slot is empty). */
export function frameToAtom14Positions(frames: Rigid, aatype: ArrayLike<number>): Tensor {
  const n = frames.rot.shape[0]!;
  const like = frames.trans;
  const groupOneHot = new Float64Array(n * ATOM14 * GROUPS);
  const lit = new Float64Array(n * ATOM14 * 3);
  const atomMask = new Float64Array(n * ATOM14);
  for (let i = 0; i < n; i++) {
    const r = aatype[i]!;
    for (let a = 0; a < ATOM14; a++) {
      groupOneHot[(i * ATOM14 + a) * GROUPS + RESTYPE_ATOM14_TO_RIGID_GROUP[r * ATOM14 + a]!] = 1;
      atomMask[i * ATOM14 + a] = RESTYPE_ATOM14_MASK[r * ATOM14 + a]!;
      for (let x = 0; x < 3; x++) lit[(i * ATOM14 + a) * 3 + x] = RESTYPE_ATOM14_RIGID_GROUP_POSITIONS[(r * ATOM14 + a) * 3 + x]!;
    }
  }
  // each atom's frame: Σ_g onehot_ag · frame_g   ([N, 14, 8] against [N, 1, 8, ...])
  const oh = constant(groupOneHot, [n, ATOM14, GROUPS], like);
  const atomFrames: Rigid = {
    rot: sum(mul(unsqueeze(frames.rot, 1), reshape(oh, [n, ATOM14, GROUPS, 1, 1])), [2]),
    trans: sum(mul(unsqueeze(frames.trans, 1), reshape(oh, [n, ATOM14, GROUPS, 1])), [2]),
  };
  const pos = rigidApply(atomFrames, constant(lit, [n, ATOM14, 3], like));
  return mul(pos, constant(atomMask, [n, ATOM14, 1], like));
}

/**
 * atom37 positions [N, 37, 3] from atom14 [N, 14, 3] with the batch's
 * residx_atom37_to_atom14 [N, 37] and atom37_atom_exists [N, 37] (host).
 */
export function atom14ToAtom37(atom14: Tensor, residxAtom37ToAtom14: ArrayLike<number>, atom37Exists: ArrayLike<number>): Tensor {
  const n = atom14.shape[0]!;
  // a one-hot gather matrix per residue, [N, 37, 14]
  const gather = new Float64Array(n * 37 * ATOM14);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 37; a++) {
      if (atom37Exists[i * 37 + a]! !== 0) gather[(i * 37 + a) * ATOM14 + residxAtom37ToAtom14[i * 37 + a]!] = atom37Exists[i * 37 + a]!;
    }
  }
  return matmul(constant(gather, [n, 37, ATOM14], atom14), atom14);
}
