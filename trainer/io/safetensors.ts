// The safetensors format (huggingface/safetensors, docs "Format"):
//   8 bytes   N, the header length, unsigned little-endian 64-bit
//   N bytes   a UTF-8 JSON object: for each tensor name
//             {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}
//             (byte offsets into the data buffer that follows), plus an
//             optional "__metadata__": {string: string}
//   rest      the data buffer: every tensor little-endian, C order; the
//             tensors together cover it with no holes and no overlap.
// We write the header padded with spaces to a multiple of 8 bytes (as the
// reference writer does) so that every tensor starts 8-byte aligned.
// Dtypes: F64, F32, BF16, F16 (read), I64, I32, U8, BOOL.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ParseError } from '../../features/errors.ts';

export type SafeDType = 'F64' | 'F32' | 'BF16' | 'F16' | 'I64' | 'I32' | 'U8' | 'BOOL';

export type SafeData = Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  /** F16 and BF16 hold raw 16-bit patterns in a Uint16Array; BOOL holds 0/1 bytes. */
  data: SafeData;
}

export interface SafetensorsFile {
  /** Tensors in header order. */
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const ITEM_BYTES: Record<SafeDType, number> = { F64: 8, F32: 4, BF16: 2, F16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function typedArrayFor(dtype: SafeDType, buffer: ArrayBuffer): SafeData {
  switch (dtype) {
    case 'F64': return new Float64Array(buffer);
    case 'F32': return new Float32Array(buffer);
    case 'BF16': case 'F16': return new Uint16Array(buffer);
    case 'I64': return new BigInt64Array(buffer);
    case 'I32': return new Int32Array(buffer);
    case 'U8': case 'BOOL': return new Uint8Array(buffer);
  }
}

function expectedArrayType(dtype: SafeDType): string {
  return typedArrayFor(dtype, new ArrayBuffer(0)).constructor.name;
}

/** Host byte order is little-endian on every platform Node runs on here; refuse otherwise. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Encodes tensors (in the given order) and string metadata into a safetensors file. */
export function encodeSafetensors(
  tensors: Iterable<[string, SafeTensor]>,
  metadata: Record<string, string> = {},
): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('safetensors writer needs a little-endian host');
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  const parts: { bytes: Uint8Array; offset: number }[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error("a tensor may not be named '__metadata__'");
    if (name in header) throw new Error(`duplicate tensor name '${name}'`);
    if (t.data.constructor.name !== expectedArrayType(t.dtype)) {
      throw new Error(`tensor '${name}': dtype ${t.dtype} needs a ${expectedArrayType(t.dtype)}, got ${t.data.constructor.name}`);
    }
    const count = elementCount(t.shape);
    if (t.data.length !== count) throw new Error(`tensor '${name}': shape [${t.shape}] has ${count} elements, data has ${t.data.length}`);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    parts.push({ bytes, offset });
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const jsonBytesLength = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - (jsonBytesLength % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  for (const p of parts) out.set(p.bytes, 8 + headerBytes.length + p.offset);
  return out;
}

function fail(source: string, message: string): never {
  throw new ParseError({ source }, `safetensors ${message}`);
}

/** Decodes a safetensors file; every tensor gets its own (aligned) copy of its bytes. */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  if (!LITTLE_ENDIAN) throw new Error('safetensors reader needs a little-endian host');
  if (bytes.length < 8) fail(source, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    fail(source, `header length ${headerLength} exceeds the file (${bytes.length} bytes) or the 100 MiB limit`);
  }
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (error) {
    fail(source, `header is not UTF-8 JSON: ${(error as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(source, 'header is not a JSON object');
  const data = bytes.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafeDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(source, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(source, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info.dtype !== 'string' || !(info.dtype in ITEM_BYTES)) {
      fail(source, `tensor '${name}' has unsupported dtype ${JSON.stringify(info.dtype)} (supported: ${Object.keys(ITEM_BYTES).join(', ')})`);
    }
    const dtype = info.dtype as SafeDType;
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(source, `tensor '${name}' has a bad shape ${JSON.stringify(info.shape)}`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      fail(source, `tensor '${name}' has bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const shape = info.shape as number[];
    const [begin, end] = offsets as [number, number];
    const expected = elementCount(shape) * ITEM_BYTES[dtype];
    if (end - begin !== expected) fail(source, `tensor '${name}' spans ${end - begin} bytes, its ${dtype} [${shape}] needs ${expected}`);
    entries.push({ name, dtype, shape, begin, end });
  }
  // The tensors must tile the data buffer exactly.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor) fail(source, `tensor '${e.name}' starts at byte ${e.begin}, expected ${cursor} (hole or overlap in the data buffer)`);
    cursor = e.end;
  }
  if (cursor !== data.length) fail(source, `data buffer is ${data.length} bytes, tensors cover ${cursor}`);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const copy = data.slice(e.begin, e.end);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: typedArrayFor(e.dtype, copy.buffer) });
  }
  return { tensors, metadata };
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return decodeSafetensors(new Uint8Array(await readFile(path)), path);
}

/** Writes atomically: to `<path>.tmp-<pid>` first, then renames over `path`. */
export async function writeSafetensors(
  path: string,
  tensors: Iterable<[string, SafeTensor]>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, encodeSafetensors(tensors, metadata));
  await rename(tmp, path);
}
