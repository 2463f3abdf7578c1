import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type SafeTensor,
} from '../../trainer/io/safetensors.ts';
import { ParseError } from '../../features/errors.ts';

function sample(): [string, SafeTensor][] {
  return [
    ['a.weight', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-30, -0]) }],
    ['a.bias', { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -1e300, 5e-324]) }],
    ['b', { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc000]) }],
    ['idx', { dtype: 'I64', shape: [2, 1], data: new BigInt64Array([-1n, 9007199254740993n]) }],
    ['i32', { dtype: 'I32', shape: [1], data: new Int32Array([-7]) }],
    ['scalar', { dtype: 'F32', shape: [], data: new Float32Array([42]) }],
    ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
  ];
}

test('encode/decode round trip keeps names, order, dtypes, shapes, values and metadata', () => {
  const bytes = encodeSafetensors(sample(), { format: 'pt', note: 'x' });
  const back = decodeSafetensors(bytes, 'mem');
  assert.deepEqual([...back.tensors.keys()], sample().map(([n]) => n));
  for (const [name, t] of sample()) {
    const got = back.tensors.get(name)!;
    assert.equal(got.dtype, t.dtype, name);
    assert.deepEqual(got.shape, t.shape, name);
    assert.deepEqual(Array.from(got.data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), name);
    assert.equal(got.data.constructor, t.data.constructor, name);
  }
  assert.deepEqual(back.metadata, { format: 'pt', note: 'x' });
});

test('layout: u64 LE header length, 8-byte aligned header, data offsets relative to the buffer', () => {
  const bytes = encodeSafetensors([['x', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]]);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: number[] }>;
  assert.deepEqual(header.x, { dtype: 'F32', shape: [2], data_offsets: [0, 8] });
  assert.equal(bytes.length, 8 + n + 8);
  assert.deepEqual(Array.from(new Float32Array(bytes.slice(8 + n).buffer)), [1, 2]);
});

test('reads a file laid out by another writer (hand-built, unpadded header, reordered buffer)', () => {
  // Tensors stored in the buffer in the opposite order of the header.
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    first: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
    second: { dtype: 'I32', shape: [1], data_offsets: [0, 4] },
  });
  const h = new TextEncoder().encode(header);
  const buf = new Uint8Array(8 + h.length + 12);
  new DataView(buf.buffer).setBigUint64(0, BigInt(h.length), true);
  buf.set(h, 8);
  new DataView(buf.buffer).setInt32(8 + h.length, 123, true);
  new DataView(buf.buffer).setFloat64(8 + h.length + 4, -0.25, true);
  const back = decodeSafetensors(buf, 'hand');
  assert.deepEqual(Array.from(back.tensors.get('first')!.data as Float64Array), [-0.25]);
  assert.deepEqual(Array.from(back.tensors.get('second')!.data as Int32Array), [123]);
});

function withHeader(header: object, dataBytes: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const buf = new Uint8Array(8 + h.length + dataBytes);
  new DataView(buf.buffer).setBigUint64(0, BigInt(h.length), true);
  buf.set(h, 8);
  return buf;
}

test('malformed files are rejected with a ParseError naming the defect', () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(4), /shorter than the 8-byte/],
    [(() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /exceeds the file/],
    [withHeader({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4), /spans 4 bytes.*needs 8/],
    [withHeader({ x: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, 8), /unsupported dtype/],
    [withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /hole or overlap/],
    [withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /data buffer is 8 bytes, tensors cover 4/],
    [withHeader({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /bad shape/],
    [withHeader({ __metadata__: { a: 1 } }, 0), /__metadata__\.a is not a string/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => decodeSafetensors(bytes, 'bad.safetensors'), (e: unknown) =>
      e instanceof ParseError && e.source === 'bad.safetensors' && pattern.test(e.message), String(pattern));
  }
  const notJson = new Uint8Array(8 + 3);
  new DataView(notJson.buffer).setBigUint64(0, 3n, true);
  notJson.set(new TextEncoder().encode('{x]'), 8);
  assert.throws(() => decodeSafetensors(notJson, 'j'), /not UTF-8 JSON/);
});

test('the writer refuses inconsistent tensors', () => {
  assert.throws(() => encodeSafetensors([['x', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]]), /3 elements, data has 2/);
  assert.throws(() => encodeSafetensors([['x', { dtype: 'F64', shape: [1], data: new Float32Array(1) }]]), /needs a Float64Array/);
  assert.throws(() => encodeSafetensors([['__metadata__', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]]), /may not be named/);
});

test('file round trip through writeSafetensors/readSafetensors (atomic rename, no temp left)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-'));
  try {
    const path = join(dir, 'w.safetensors');
    await writeSafetensors(path, sample(), { step: '7' });
    const back = await readSafetensors(path);
    assert.deepEqual(back.metadata, { step: '7' });
    assert.deepEqual(Array.from(back.tensors.get('a.weight')!.data as Float32Array), Array.from(sample()[0]![1].data as Float32Array));
    assert.equal((await readFile(path)).length, encodeSafetensors(sample(), { step: '7' }).length);
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(dir), ['w.safetensors']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
