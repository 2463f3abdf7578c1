import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy } from '../../pipeline/npy.ts';
import { readNpyDir, writeNpyDir } from '../../pipeline/npy_dir.ts';
import { ParseError } from '../../features/errors.ts';
import { numeric, strings, type FeatureDict, type NumericTensor } from '../../features/tensor.ts';

function sample(): NumericTensor[] {
  return [
    numeric('int32', [2, 3], new Int32Array([1, -2, 3, 2147483647, -2147483648, 0])),
    numeric('int64', [3], new BigInt64Array([1n, -(2n ** 62n), 9007199254740993n])),
    numeric('float32', [], new Float32Array([Math.fround(3.14159)])),
    numeric('float64', [1, 2, 1], new Float64Array([Math.PI, -0])),
    numeric('bool', [4], new Uint8Array([1, 0, 0, 1])),
    numeric('uint8', [0, 5], new Uint8Array(0)),
  ];
}

test('encodeNpy/decodeNpy round-trip every supported dtype and shape', () => {
  for (const t of sample()) {
    const bytes = encodeNpy(t);
    const headerLength = bytes[8]! | (bytes[9]! << 8);
    assert.equal((10 + headerLength) % 64, 0, 'header padded to 64 bytes');
    const back = decodeNpy(bytes, 'mem');
    assert.equal(back.dtype, t.dtype);
    assert.deepEqual(back.shape, t.shape);
    assert.deepEqual(Array.from(back.data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>));
  }
});

test('decodeNpy reads a file written by NumPy (golden residue_index, int32)', async () => {
  const path = 'test/fixtures/golden/mmcif_2q2k_A/residue_index.npy';
  const t = decodeNpy(new Uint8Array(await readFile(path)), path);
  assert.equal(t.dtype, 'int32');
  assert.deepEqual(t.shape, [70]);
  // The golden's residue index counts up from 0 by one.
  for (let i = 0; i < 70; i++) assert.equal(t.data[i], i);
});

test('decodeNpy rejects bad input with a ParseError', () => {
  const good = encodeNpy(numeric('float32', [2], new Float32Array([1, 2])));
  const badMagic = good.slice(); badMagic[1] = 0;
  const truncated = good.slice(0, good.length - 1);
  const badDtype = good.slice();
  const headerText = new TextDecoder().decode(badDtype.subarray(10, 80));
  const at = headerText.indexOf('<f4');
  badDtype.set(new TextEncoder().encode('>f4'), 10 + at);
  const badVersion = good.slice(); badVersion[6] = 3;
  const badBool = encodeNpy(numeric('bool', [1], new Uint8Array([1])));
  badBool[badBool.length - 1] = 7;
  for (const [bytes, pattern] of [
    [badMagic, /bad magic/], [truncated, /body has/], [badDtype, /unsupported NPY dtype '>f4'/],
    [badVersion, /version/], [new Uint8Array(3), /too short/], [badBool, /bool/],
  ] as const) {
    assert.throws(() => decodeNpy(bytes, 'x.npy'), (e: unknown) => e instanceof ParseError && e.source === 'x.npy' && pattern.test(e.message));
  }
});

test('writeNpyDir/readNpyDir round-trip numeric and string arrays', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'npydir-'));
  try {
    const dict: FeatureDict = { s: strings([2, 2], ['a', 'b', 'ç', '']), d: strings([1], ['x']) };
    sample().forEach((t, i) => { dict[`t${i}`] = t; });
    await writeNpyDir(dir, dict);
    const back = await readNpyDir(dir);
    assert.deepEqual(Object.keys(back).sort(), Object.keys(dict).sort());
    for (const [k, v] of Object.entries(dict)) {
      const w = back[k]!;
      assert.equal(w.kind, v.kind);
      assert.deepEqual(w.shape, v.shape);
      if (v.kind === 'string' && w.kind === 'string') assert.deepEqual(w.values, v.values);
      if (v.kind === 'numeric' && w.kind === 'numeric') {
        assert.equal(w.dtype, v.dtype);
        assert.deepEqual(Array.from(w.data as ArrayLike<unknown>), Array.from(v.data as ArrayLike<unknown>));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('decodeNpy reads from a pooled Node Buffer (a view into a larger ArrayBuffer)', () => {
  const bytes = encodeNpy({ kind: 'numeric', dtype: 'float64', shape: [3], data: Float64Array.of(1.5, -2, 3) });
  const pooled = Buffer.concat([Buffer.alloc(13), Buffer.from(bytes)]).subarray(13); // small Buffers share a pool
  assert.ok(pooled.buffer.byteLength > pooled.byteLength);
  const t = decodeNpy(pooled, 'pooled');
  assert.deepEqual([...(t.data as Float64Array)], [1.5, -2, 3]);
});
