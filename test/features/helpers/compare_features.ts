// Compares our feature tensors with golden ones: same shape and dtype,
// integers equal, floats within atol + rtol * |golden|. Returns the problems
// found (empty when equal), each naming the key and first bad index.

import type { Feature, NumericTensor } from '../../../features/tensor.ts';

export interface Tolerance { atol: number; rtol: number }

export function compareTensor(key: string, ours: Feature | undefined, golden: Feature, tol: Tolerance): string[] {
  if (ours === undefined) return [`${key}: missing`];
  if (ours.kind !== golden.kind) return [`${key}: kind ${ours.kind} vs ${golden.kind}`];
  if (ours.shape.join(',') !== golden.shape.join(',')) return [`${key}: shape [${ours.shape}] vs [${golden.shape}]`];
  if (ours.kind === 'string' || golden.kind === 'string') {
    const a = (ours as { values: string[] }).values, b = (golden as { values: string[] }).values;
    return a.join('\u0000') === b.join('\u0000') ? [] : [`${key}: string values differ`];
  }
  return compareNumeric(key, ours, golden, tol);
}

export function compareNumeric(key: string, ours: NumericTensor, golden: NumericTensor, tol: Tolerance): string[] {
  if (ours.dtype !== golden.dtype) return [`${key}: dtype ${ours.dtype} vs ${golden.dtype}`];
  const isFloat = golden.dtype === 'float32' || golden.dtype === 'float64';
  let bad = 0;
  let first = '';
  let worst = 0;
  for (let i = 0; i < golden.data.length; i++) {
    const a = Number(ours.data[i]!), b = Number(golden.data[i]!);
    const ok = isFloat ? Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b) : a === b;
    if (!ok) {
      if (bad === 0) first = `index ${i}: ${a} vs ${b}`;
      bad++;
      worst = Math.max(worst, Math.abs(a - b));
    }
  }
  return bad === 0 ? [] : [`${key}: ${bad}/${golden.data.length} differ, first ${first}, worst |diff| ${worst}`];
}
