// Cuts a C-ordered tensor back to a leading box: out[i0..][i1..] = t[i0][i1]...
// for i_d < sizes[d]; used to compare padded outputs with unpadded goldens.

import { elementCount, numeric, type NumericTensor } from '../../../features/tensor.ts';

export function leadingBox(t: NumericTensor, sizes: number[]): NumericTensor {
  if (sizes.length !== t.shape.length) throw new RangeError('leadingBox: rank mismatch');
  const out = new (t.data.constructor as new (n: number) => typeof t.data)(elementCount(sizes));
  const strides = t.shape.map((_, d) => elementCount(t.shape.slice(d + 1)));
  const idx = new Array<number>(sizes.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < sizes.length; d++) src += idx[d]! * strides[d]!;
    (out as unknown as number[])[o] = (t.data as unknown as number[])[src]!;
    for (let d = sizes.length - 1; d >= 0; d--) {
      if (++idx[d]! < sizes[d]!) break;
      idx[d] = 0;
    }
  }
  return numeric(t.dtype, sizes, out);
}

/** Drops a leading axis of size 1 (the recycling axis of a one-pass batch). */
export function firstPass(t: NumericTensor): NumericTensor {
  const inner = elementCount(t.shape.slice(1));
  return numeric(t.dtype, t.shape.slice(1), t.data.subarray(0, inner) as typeof t.data);
}
