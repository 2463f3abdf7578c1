// Small accessors shared by the transforms: fetch a numeric feature with a
// clear error, read integer features of any integer dtype as int32, and build
// OpenFold-typed outputs (int64 as BigInt64Array, float32).

import { FeatureError } from '../errors.ts';
import { numeric, type FeatureDict, type NumericTensor } from '../tensor.ts';

/** The numeric feature `key`, or a FeatureError naming it. */
export function getNumeric(dict: FeatureDict, key: string): NumericTensor {
  const t = dict[key];
  if (t === undefined) throw new FeatureError({ source: key }, `missing feature '${key}'`);
  if (t.kind !== 'numeric') throw new FeatureError({ source: key }, `feature '${key}' is not numeric`);
  return t;
}

/** Integer (or integral float) feature values as an Int32Array (a view where already int32). */
export function intValues(t: NumericTensor): Int32Array {
  if (t.dtype === 'int32') return t.data as Int32Array;
  const out = new Int32Array(t.data.length);
  if (t.dtype === 'int64') {
    // Read the low words through an int32 view; a high word that is not the
    // sign extension of the low word means the value does not fit.
    const src = t.data as BigInt64Array;
    const words = new Int32Array(src.buffer, src.byteOffset, src.length * 2);
    for (let i = 0; i < src.length; i++) {
      const lo = words[2 * i]!;
      if (words[2 * i + 1] !== lo >> 31) throw new RangeError(`int64 value ${src[i]} does not fit in int32`);
      out[i] = lo;
    }
  } else {
    const src = t.data as Float32Array | Float64Array | Uint8Array;
    for (let i = 0; i < src.length; i++) out[i] = src[i]!;
  }
  return out;
}

/** Float feature values as a Float32Array (a view where already float32). */
export function float32Values(t: NumericTensor): Float32Array {
  if (t.dtype === 'float32') return t.data as Float32Array;
  const out = new Float32Array(t.data.length);
  const src = t.data;
  for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!);
  return out;
}

/** An int64 tensor from int32 values. */
export function int64Tensor(shape: number[], values: ArrayLike<number>): NumericTensor<'int64'> {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return numeric('int64', shape, data);
}

export function float32Tensor(shape: number[], values: Float32Array): NumericTensor<'float32'> {
  return numeric('float32', shape, values);
}

/** Index of the first maximum along the last axis (torch.argmax tie rule) for each of `rows` rows. */
export function argmaxLastAxis(t: NumericTensor, rows: number, width: number): Int32Array {
  const out = new Int32Array(rows);
  const data = t.data;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = Number(data[r * width]!);
    for (let c = 1; c < width; c++) {
      const v = Number(data[r * width + c]!);
      if (v > bestValue) { bestValue = v; best = c; }
    }
    out[r] = best;
  }
  return out;
}

/** An int32 view of an int64 tensor's words (little-endian: low word at 2i, high at 2i+1). */
export function int64Words(data: BigInt64Array): Int32Array {
  return new Int32Array(data.buffer, data.byteOffset, data.length * 2);
}
