// Comparing our tensors with a debug state's (model_tiny README,
// "Tolerances for a float64 reimplementation"): per tensor,
//   max|a - b| <= rel * max|b| + abs.
export interface Comparison {
  maxAbsError: number;
  maxAbsRef: number;
  /** maxAbsError / (max|b| or 1 when b is all zero) */
  relError: number;
  /** flat index of the largest error */
  at: number;
}

export function compareArrays(a: ArrayLike<number>, b: ArrayLike<number>, rowMask?: (i: number) => boolean): Comparison {
  if (a.length !== b.length) throw new Error(`compare: ${a.length} values vs ${b.length}`);
  let maxAbsError = 0;
  let maxAbsRef = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    if (rowMask && !rowMask(i)) continue;
    const e = Math.abs(a[i]! - b[i]!);
    if (e > maxAbsError || Number.isNaN(e)) {
      maxAbsError = Number.isNaN(e) ? Infinity : e;
      at = i;
    }
    maxAbsRef = Math.max(maxAbsRef, Math.abs(b[i]!));
  }
  return { maxAbsError, maxAbsRef, relError: maxAbsError / (maxAbsRef || 1), at };
}

/** True when max|a - b| <= rel * max|b| + abs. */
export function withinTolerance(c: Comparison, rel: number, abs: number): boolean {
  return c.maxAbsError <= rel * c.maxAbsRef + abs;
}
