// Rigid transforms on core tensors (AlphaFold2 suppl. 1.1 "Notation" /
// 1.8.1; OpenFold utils/rigid_utils.py): a rotation [..., 3, 3] and a
// translation [..., 3]. Products are written as broadcast multiply + sum over
// the contracted axis, so any leading shapes broadcast (a per-residue frame
// against per-atom or per-point tensors). Everything stays in the tensors'
// own float dtype (model_tiny quirk c: OpenFold's float32 casts are not kept).
import type { Tensor } from '../core/tensor.ts';
import { add, concat, div, mul, neg, noGrad, reshape, slice, sqrt, sub, sum } from '../autograd/index.ts';

export interface Rigid {
  /** [..., 3, 3] */ rot: Tensor;
  /** [..., 3] */ trans: Tensor;
}

/** x viewed with `n` extra unit axes inserted before axis `at` (negative from the end). */
export function unsqueeze(x: Tensor, at: number, n = 1): Tensor {
  const a = at < 0 ? x.rank + at + 1 : at;
  return reshape(x, [...x.shape.slice(0, a), ...new Array<number>(n).fill(1), ...x.shape.slice(a)]);
}

/** Component c of the last axis, keeping it as size 1. */
export function component(x: Tensor, c: number): Tensor {
  const begin = x.shape.map((_, i) => (i === x.rank - 1 ? c : 0));
  const size = x.shape.map((d, i) => (i === x.rank - 1 ? 1 : d));
  return slice(x, begin, size);
}

/** A tensor with the gradient cut (OpenFold `.detach()`). */
export function detach(x: Tensor): Tensor {
  return noGrad(() => reshape(x, x.shape));
}

/** R a for a [..., 3] (broadcast against R [..., 3, 3]). */
export function rotApply(rot: Tensor, v: Tensor): Tensor {
  return sum(mul(rot, unsqueeze(v, -2)), [-1]);
}

/** R^T a. */
export function rotInvApply(rot: Tensor, v: Tensor): Tensor {
  return sum(mul(rot, unsqueeze(v, -1)), [-2]);
}

/** R1 R2 (OpenFold rot_matmul). */
export function rotMul(a: Tensor, b: Tensor): Tensor {
  // [..., i, j, 1] * [..., 1, j, k] summed over j
  return sum(mul(unsqueeze(a, -1), unsqueeze(b, -3)), [-2]);
}

/** T p = R p + t. */
export function rigidApply(r: Rigid, p: Tensor): Tensor {
  return add(rotApply(r.rot, p), r.trans);
}

/** T^-1 p = R^T (p - t). */
export function rigidInvertApply(r: Rigid, p: Tensor): Tensor {
  return rotInvApply(r.rot, sub(p, r.trans));
}

/** T1 ∘ T2 = (R1 R2, R1 t2 + t1). */
export function rigidCompose(a: Rigid, b: Rigid): Rigid {
  return { rot: rotMul(a.rot, b.rot), trans: add(rotApply(a.rot, b.trans), a.trans) };
}

/** The frame of one more leading-axis layout: both parts viewed with unit axes before their last 2 / 1 axes. */
export function rigidUnsqueeze(r: Rigid, n: number): Rigid {
  return { rot: unsqueeze(r.rot, -3, n), trans: unsqueeze(r.trans, -2, n) };
}

/**
 * Unit-norm quaternion (w, x, y, z) [..., 4] to a rotation matrix, by
 * OpenFold's quadratic-form table (diagonal w²+x²-y²-z², ...).
 */
export function quatToRot(q: Tensor): Tensor {
  const [w, x, y, z] = [0, 1, 2, 3].map((c) => component(q, c)) as [Tensor, Tensor, Tensor, Tensor];
  const two = (a: Tensor, b: Tensor, c: Tensor, d: Tensor, sign: number): Tensor => {
    const ab = mul(a, b);
    const cd = mul(c, d);
    const s = sign > 0 ? add(ab, cd) : sub(ab, cd);
    return add(s, s);
  };
  const ww = mul(w, w);
  const xx = mul(x, x);
  const yy = mul(y, y);
  const zz = mul(z, z);
  const entries = [
    sub(sub(add(ww, xx), yy), zz), two(x, y, w, z, -1), two(x, z, w, y, +1),
    two(x, y, w, z, +1), sub(add(sub(ww, xx), yy), zz), two(y, z, w, x, -1),
    two(x, z, w, y, -1), two(y, z, w, x, +1), add(sub(sub(ww, xx), yy), zz),
  ];
  return reshape(concat(entries, -1), [...q.shape.slice(0, -1), 3, 3]);
}

/** q ⊗ (0, v) for q [..., 4], v [..., 3] (OpenFold quat_multiply_by_vec). */
export function quatMultiplyByVec(q: Tensor, v: Tensor): Tensor {
  const [w, x, y, z] = [0, 1, 2, 3].map((c) => component(q, c)) as [Tensor, Tensor, Tensor, Tensor];
  const [b, c, d] = [0, 1, 2].map((k) => component(v, k)) as [Tensor, Tensor, Tensor];
  return concat([
    sub(sub(neg(mul(x, b)), mul(y, c)), mul(z, d)),
    sub(add(mul(w, b), mul(y, d)), mul(z, c)),
    add(sub(mul(w, c), mul(x, d)), mul(z, b)),
    sub(add(mul(w, d), mul(x, c)), mul(y, b)),
  ], -1);
}

/** Frames kept as quaternions (the structure module's backbone frames). */
export interface QuatRigid {
  /** [N, 4] unit quaternions */ quat: Tensor;
  /** [N, 3] */ trans: Tensor;
}

/**
 * Suppl. Alg. 23 lines 2-5 (OpenFold Rigid.compose_q_update_vec): with the
 * update (b, c, d, tx, ty, tz), q <- normalize(q + q ⊗ (0, b, c, d)) and
 * t <- t + R(q_old) (tx, ty, tz).
 */
export function composeQUpdate(r: QuatRigid, update: Tensor): QuatRigid {
  const n = update.shape[0]!;
  const qVec = slice(update, [0, 0], [n, 3]);
  const tVec = slice(update, [0, 3], [n, 3]);
  const q = add(r.quat, quatMultiplyByVec(r.quat, qVec));
  const norm = sqrt(sum(mul(q, q), [-1], true));
  const trans = add(r.trans, rotApply(quatToRot(r.quat), tVec));
  return { quat: div(q, norm), trans };
}
