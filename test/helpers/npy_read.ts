// Minimal NPY v1.0/v2.0 reader for the goldens (little-endian, C order, no
// pickles): returns the dtype string, the shape and the values as a typed
// array of that dtype.
import { readFileSync } from 'node:fs';

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Int32Array | BigInt64Array | Float32Array | Float64Array | Uint8Array;
}

export function readNpy(path: string): NpyArray {
  const bytes = readFileSync(path);
  const magic = bytes.subarray(0, 6).toString('latin1');
  if (magic !== '\x93NUMPY') throw new Error(`${path}: not an NPY file`);
  const major = bytes[6] as number;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.subarray(headerStart, headerStart + headerLength).toString('latin1');
  const dtype = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (dtype === undefined || shapeText === undefined) throw new Error(`${path}: bad NPY header`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order not supported`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLength;
  const body = new Uint8Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
  const views: Record<string, () => NpyArray['data']> = {
    '<i4': () => new Int32Array(body.buffer, 0, count),
    '<i8': () => new BigInt64Array(body.buffer, 0, count),
    '<f4': () => new Float32Array(body.buffer, 0, count),
    '<f8': () => new Float64Array(body.buffer, 0, count),
    '|b1': () => new Uint8Array(body.buffer, 0, count),
    '|u1': () => new Uint8Array(body.buffer, 0, count),
  };
  const view = views[dtype];
  if (view === undefined) throw new Error(`${path}: dtype ${dtype} not supported`);
  return { dtype, shape, data: view() };
}
