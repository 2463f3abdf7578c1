// Row-at-a-time reading of feature files: views into the row buffer,
// SharedArrayBuffer rows, the streaming writer, and damaged files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numeric, strings, type FeatureDict, type NumericTensor } from '../../features/tensor.ts';
import { RecordBatchFileWriter } from 'apache-arrow';
import { FeatureFileError, FeatureFileWriter, openFeatureFile, writeFeatureFile } from '../../pipeline/arrow/index.ts';
import { encodeRow, specOfFeature } from '../../pipeline/arrow/encode_row.ts';
import { RowEncoder } from '../../pipeline/arrow/row_encoder.ts';

const dir = mkdtempSync(join(tmpdir(), 'arrow-rows-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function chainRow(n: number, seed: number): FeatureDict {
  return {
    aatype: numeric('int64', [n], BigInt64Array.from({ length: n }, (_, i) => BigInt((i + seed) % 21))),
    all_atom_positions: numeric('float32', [n, 37, 3], Float32Array.from({ length: n * 111 }, (_, i) => seed + i * 0.5)),
    seq_length: numeric('int32', [], Int32Array.of(n)),
    sequence: strings([1], ['A'.repeat(n)]),
  };
}

test('row(i) decodes one row, numeric tensors are views of one row buffer', async () => {
  const path = join(dir, 'rows.arrow');
  const rows = [chainRow(3, 0), chainRow(50, 1), chainRow(7, 2)];
  await writeFeatureFile(path, rows, { columns: { chain_id: { type: 'utf8', values: ['a_A', 'b_B', 'c_C'] } } });
  const file = openFeatureFile(path);
  try {
    assert.equal(file.numRows, 3);
    assert.equal(file.byteLength, statSync(path).size);
    for (const i of [2, 0, 1]) {
      const { features, columns } = file.row(i);
      assert.equal(columns.chain_id, ['a_A', 'b_B', 'c_C'][i]);
      const pos = features.all_atom_positions as NumericTensor<'float32'>;
      const aatype = features.aatype as NumericTensor<'int64'>;
      assert.deepEqual(pos.shape, (rows[i]!.all_atom_positions as NumericTensor).shape);
      assert.deepEqual(Array.from(pos.data), Array.from((rows[i]!.all_atom_positions as NumericTensor<'float32'>).data));
      assert.deepEqual(Array.from(aatype.data), Array.from((rows[i]!.aatype as NumericTensor<'int64'>).data));
      // Zero copy: both tensors look into the same buffer, which holds little more than the row.
      assert.equal(pos.data.buffer, aatype.data.buffer);
      assert.ok(pos.data.buffer.byteLength < pos.data.byteLength + aatype.data.byteLength + 4096);
      assert.equal(pos.data.byteOffset % 8, 0);
    }
  } finally {
    file.close();
  }
});

test('row(i, { shared: true }) backs the row with a SharedArrayBuffer', async () => {
  const path = join(dir, 'shared.arrow');
  await writeFeatureFile(path, [chainRow(4, 9)]);
  const file = openFeatureFile(path);
  const row = file.row(0, { shared: true });
  file.close();
  const pos = row.features.all_atom_positions as NumericTensor<'float32'>;
  assert.ok(pos.data.buffer instanceof SharedArrayBuffer);
  assert.equal(pos.data[1], 9.5);
});

test('out-of-range rows and closed files are errors', async () => {
  const path = join(dir, 'range.arrow');
  await writeFeatureFile(path, [chainRow(2, 0)]);
  const file = openFeatureFile(path);
  assert.throws(() => file.row(1), RangeError);
  assert.throws(() => file.row(-1), RangeError);
  file.close();
  assert.throws(() => file.row(0), /closed/);
});

test('the streaming writer appends rows, counts bytes, and makes the file visible only on close', () => {
  const path = join(dir, 'stream.arrow');
  const writer = new FeatureFileWriter(path, { metadata: { k: 'v' }, columnTypes: { chain_id: 'utf8' } });
  assert.equal(writer.append(chainRow(5, 1), { chain_id: 'x_A' }), 0);
  assert.equal(writer.append(chainRow(6, 2), { chain_id: 'y_B' }), 1);
  assert.ok(writer.bytesWritten > 5 * 111 * 4);
  assert.deepEqual(readdirSync(dir).filter((n) => n === 'stream.arrow'), []);
  writer.close();
  const file = openFeatureFile(path);
  assert.equal(file.numRows, 2);
  assert.equal(file.metadata.get('k'), 'v');
  assert.equal(file.row(1).columns.chain_id, 'y_B');
  file.close();
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
});

test('a file of 0 rows keeps the declared feature columns; abort leaves nothing', () => {
  const path = join(dir, 'empty.arrow');
  const writer = new FeatureFileWriter(path, {
    features: { aatype: { kind: 'numeric', dtype: 'int64', ndim: 1 }, sequence: { kind: 'string', ndim: 1 } },
    columnTypes: { chain_id: 'utf8' },
  });
  writer.close();
  const file = openFeatureFile(path);
  assert.equal(file.numRows, 0);
  assert.deepEqual(file.layout.features.map((f) => f.name), ['aatype', 'sequence']);
  assert.deepEqual(file.layout.columns.map((c) => c.name), ['chain_id']);
  file.close();
  const aborted = new FeatureFileWriter(join(dir, 'aborted.arrow'));
  aborted.append(chainRow(2, 0));
  aborted.abort();
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('aborted')), []);
});

test('truncated, garbage and overwritten files fail with FeatureFileError naming the file', async () => {
  const path = join(dir, 'damaged.arrow');
  await writeFeatureFile(path, [chainRow(20, 0), chainRow(20, 1)]);
  const size = statSync(path).size;
  const truncated = join(dir, 'truncated.arrow');
  writeFileSync(truncated, readFileSync(path).subarray(0, Math.floor(size / 2)));
  assert.throws(() => openFeatureFile(truncated), (e: unknown) => e instanceof FeatureFileError && /truncated\.arrow/.test(e.message));
  const garbage = join(dir, 'garbage.arrow');
  writeFileSync(garbage, Buffer.alloc(4096, 7));
  assert.throws(() => openFeatureFile(garbage), FeatureFileError);
  const tiny = join(dir, 'tiny.arrow');
  writeFileSync(tiny, readFileSync(path));
  truncateSync(tiny, 10);
  assert.throws(() => openFeatureFile(tiny), FeatureFileError);
  // Footer intact but a row's metadata overwritten: the row read fails, not the process.
  const scrambled = join(dir, 'scrambled.arrow');
  const bytes = readFileSync(path);
  bytes.fill(0xff, 8, 8 + 64);
  writeFileSync(scrambled, bytes);
  const file = openFeatureFile(scrambled);
  assert.throws(() => file.row(0), FeatureFileError);
  file.close();
});

test('rows encoded elsewhere (RowEncoder + appendEncoded) give the same file as append, byte for byte, and as Arrow\'s own file writer', async () => {
  const rows = [chainRow(3, 1), chainRow(8, 2)];
  const viaAppend = join(dir, 'via-append.arrow');
  await writeFeatureFile(viaAppend, rows, { metadata: { k: 'v' }, columns: { chain_id: { type: 'utf8', values: ['a_A', 'b_B'] } } });

  const features = Object.fromEntries(Object.keys(rows[0]!).sort().map((k) => [k, specOfFeature(rows[0]![k]!)]));
  const encoder = new RowEncoder({ features: Object.entries(features), columns: [['chain_id', 'utf8']] }, { k: 'v' });
  const messages = rows.map((r, i) => encoder.encode(r, { chain_id: ['a_A', 'b_B'][i]! }, `row ${i}`));
  const viaEncoded = join(dir, 'via-encoded.arrow');
  const writer = new FeatureFileWriter(viaEncoded, { metadata: { k: 'v' }, columnTypes: { chain_id: 'utf8' }, features });
  messages.forEach((m) => writer.appendEncoded(m));
  writer.close();
  assert.deepEqual(readFileSync(viaEncoded), readFileSync(viaAppend));

  const batches = rows.map((r, i) => encodeRow(encoder.schema, encoder.layout, r, { chain_id: ['a_A', 'b_B'][i]! }));
  const arrowBytes = RecordBatchFileWriter.writeAll(batches).toUint8Array(true);
  assert.deepEqual(new Uint8Array(readFileSync(viaAppend)), arrowBytes);
  assert.throws(() => encoder.encode({ x: numeric('float32', [1], Float32Array.of(1)) }, {}, 'bad row'), /bad row: feature 'x' is not in the file's schema/);
});
