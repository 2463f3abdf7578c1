// Rigid frames in float32 arithmetic, rounding after every operation in the
// order OpenFold's torch code (openfold/utils/rigid_utils.py) performs it, so
// that degenerate inputs (missing atoms at the origin) give the same numbers.
// Implements Algorithm 21 (rigidFrom3Points, Gram-Schmidt) of the AlphaFold2
// supplementary information in OpenFold's form: x axis from p_neg_x to the
// origin, y axis from the origin towards p_xy, each normalised with
// sqrt(|v|^2 + eps).

const f = Math.fround;

/** A frame: rotation R (row-major 3x3, columns are the frame axes) and translation t. */
export interface Frame {
  rot: Float32Array; // [3, 3]
  trans: Float32Array; // [3]
}

/**
 * OpenFold Rigid.from_3_points for one set of points, read from flat arrays
 * at the given offsets (each a [3] vector). Writes R into rot and t into trans.
 */
export function frameFrom3Points(
  negX: ArrayLike<number>, negXAt: number,
  origin: ArrayLike<number>, originAt: number,
  xy: ArrayLike<number>, xyAt: number,
  eps: number,
  rot: Float32Array, trans: Float32Array,
): void {
  const epsF = f(eps);
  const ox = origin[originAt]!, oy = origin[originAt + 1]!, oz = origin[originAt + 2]!;
  let e0x = f(ox - negX[negXAt]!), e0y = f(oy - negX[negXAt + 1]!), e0z = f(oz - negX[negXAt + 2]!);
  let e1x = f(xy[xyAt]! - ox), e1y = f(xy[xyAt + 1]! - oy), e1z = f(xy[xyAt + 2]! - oz);
  let denom = f(Math.sqrt(f(f(f(f(e0x * e0x) + f(e0y * e0y)) + f(e0z * e0z)) + epsF)));
  e0x = f(e0x / denom); e0y = f(e0y / denom); e0z = f(e0z / denom);
  const dot = f(f(f(e0x * e1x) + f(e0y * e1y)) + f(e0z * e1z));
  e1x = f(e1x - f(e0x * dot)); e1y = f(e1y - f(e0y * dot)); e1z = f(e1z - f(e0z * dot));
  denom = f(Math.sqrt(f(f(f(f(e1x * e1x) + f(e1y * e1y)) + f(e1z * e1z)) + epsF)));
  e1x = f(e1x / denom); e1y = f(e1y / denom); e1z = f(e1z / denom);
  const e2x = f(f(e0y * e1z) - f(e0z * e1y));
  const e2y = f(f(e0z * e1x) - f(e0x * e1z));
  const e2z = f(f(e0x * e1y) - f(e0y * e1x));
  rot[0] = e0x; rot[1] = e1x; rot[2] = e2x;
  rot[3] = e0y; rot[4] = e1y; rot[5] = e2y;
  rot[6] = e0z; rot[7] = e1z; rot[8] = e2z;
  trans[0] = ox; trans[1] = oy; trans[2] = oz;
}

/** OpenFold Rigid.invert().apply(p): R^T p + (-(R^T t)), in float32 (rot_vec_mul's summation order). */
export function invertApply(frame: Frame, p: ArrayLike<number>, at: number, out: Float32Array): void {
  const r = frame.rot, t = frame.trans;
  const x = p[at]!, y = p[at + 1]!, z = p[at + 2]!;
  for (let i = 0; i < 3; i++) {
    const rp = f(f(f(r[i]! * x) + f(r[3 + i]! * y)) + f(r[6 + i]! * z));
    const rt = f(f(f(r[i]! * t[0]!) + f(r[3 + i]! * t[1]!)) + f(r[6 + i]! * t[2]!));
    out[i] = f(rp - rt);
  }
}

/** Writes the 4x4 homogeneous matrix [R t; 0 0 0 1] of a frame at out[at..at+16). */
export function writeFrame4x4(rot: Float32Array, trans: Float32Array, out: Float32Array, at: number): void {
  for (let i = 0; i < 3; i++) {
    out[at + i * 4] = rot[i * 3]!;
    out[at + i * 4 + 1] = rot[i * 3 + 1]!;
    out[at + i * 4 + 2] = rot[i * 3 + 2]!;
    out[at + i * 4 + 3] = trans[i]!;
  }
  out[at + 12] = 0; out[at + 13] = 0; out[at + 14] = 0; out[at + 15] = 1;
}
