// NPY file format, version 1.0 (NumPy's `numpy.lib.format`): a magic string,
// a little-endian header length, a Python-dict header, then the raw array in
// C order. We read and write the little-endian dtypes the goldens use:
// <i4 <i8 <f4 <f8 |b1 |u1. Anything else is rejected with a ParseError.

import { ParseError } from '../features/errors.ts';
import { elementCount, numeric, type NumericDType, type NumericTensor } from '../features/tensor.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

const DESCR_TO_DTYPE: Record<string, NumericDType> = {
  '<i4': 'int32',
  '<i8': 'int64',
  '<f4': 'float32',
  '<f8': 'float64',
  '|b1': 'bool',
  '|u1': 'uint8',
};

const DTYPE_TO_DESCR: Record<NumericDType, string> = {
  int32: '<i4',
  int64: '<i8',
  float32: '<f4',
  float64: '<f8',
  bool: '|b1',
  uint8: '|u1',
};

const ITEM_SIZE: Record<NumericDType, number> = {
  int32: 4,
  int64: 8,
  float32: 4,
  float64: 8,
  bool: 1,
  uint8: 1,
};

/** The NPY descr string (`<f4`, ...) of one of our dtypes. */
export function npyDescr(dtype: NumericDType): string {
  return DTYPE_TO_DESCR[dtype];
}

/** Our dtype for an NPY descr string, or undefined when unsupported. */
export function dtypeOfNpyDescr(descr: string): NumericDType | undefined {
  return DESCR_TO_DTYPE[descr];
}

/** Encodes a numeric tensor as an NPY v1.0 file (little-endian, C order). */
export function encodeNpy(t: NumericTensor): Uint8Array {
  const shapeText = t.shape.length === 0 ? '()' : t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${DTYPE_TO_DESCR[t.dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + header length (2) + header + '\n' is padded to a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const headerBytes = new TextEncoder().encode(header);
  const itemSize = ITEM_SIZE[t.dtype];
  const count = elementCount(t.shape);
  const out = new Uint8Array(10 + headerBytes.length + count * itemSize);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = headerBytes.length & 0xff;
  out[9] = headerBytes.length >> 8;
  out.set(headerBytes, 10);
  const body = new Uint8Array(t.data.buffer, t.data.byteOffset, count * itemSize);
  if (!LITTLE_ENDIAN && itemSize > 1) throw new Error('encodeNpy: big-endian hosts are not supported');
  out.set(body, 10 + headerBytes.length);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes an NPY v1.0 file; `source` names it in errors. */
export function decodeNpy(bytes: Uint8Array, source: string): NumericTensor {
  const fail = (reason: string): never => {
    throw new ParseError({ source }, reason);
  };
  if (bytes.length < 10) fail('too short for an NPY header');
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) fail('not an NPY file (bad magic)');
  if (bytes[6] !== 1 || bytes[7] !== 0) fail(`unsupported NPY version ${bytes[6]}.${bytes[7]} (only 1.0)`);
  const headerLength = bytes[8]! | (bytes[9]! << 8);
  if (10 + headerLength > bytes.length) fail('NPY header runs past the end of the file');
  const header = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`malformed NPY header: ${header.trim()}`);
  }
  if (fortran === 'True') fail('Fortran-order NPY arrays are not supported');
  const dtype = DESCR_TO_DTYPE[descr];
  if (dtype === undefined) return fail(`unsupported NPY dtype '${descr}' (supported: ${Object.keys(DESCR_TO_DTYPE).join(' ')})`);
  const shape: number[] = [];
  for (const part of shapeText.split(',')) {
    const s = part.trim();
    if (s === '') continue;
    if (!/^\d+$/.test(s)) fail(`bad NPY shape (${shapeText})`);
    shape.push(Number(s));
  }
  const count = elementCount(shape);
  const itemSize = ITEM_SIZE[dtype];
  const start = 10 + headerLength;
  if (bytes.length - start !== count * itemSize) {
    fail(`NPY body has ${bytes.length - start} bytes, shape [${shape.join(', ')}] of ${descr} needs ${count * itemSize}`);
  }
  if (!LITTLE_ENDIAN && itemSize > 1) throw new Error('decodeNpy: big-endian hosts are not supported');
  // Copy into a fresh, aligned buffer (the body offset need not be aligned).
  // Not bytes.slice(): on a Node Buffer that is a view into a shared pool.
  const copy = new Uint8Array(count * itemSize);
  copy.set(bytes.subarray(start, start + count * itemSize));
  const body = copy.buffer;
  switch (dtype) {
    case 'int32': return numeric(dtype, shape, new Int32Array(body));
    case 'int64': return numeric(dtype, shape, new BigInt64Array(body));
    case 'float32': return numeric(dtype, shape, new Float32Array(body));
    case 'float64': return numeric(dtype, shape, new Float64Array(body));
    case 'bool': {
      const data = new Uint8Array(body);
      for (let i = 0; i < data.length; i++) if (data[i]! > 1) fail(`bool NPY array holds byte ${data[i]} at ${i}`);
      return numeric(dtype, shape, data);
    }
    case 'uint8': return numeric(dtype, shape, new Uint8Array(body));
  }
}
