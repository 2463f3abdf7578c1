// Round trips of feature dicts through Arrow IPC files: every dtype, 0-d
// scalars, empty leading dimensions, strings, plain columns and metadata.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { numeric, strings, type FeatureDict } from '../../features/tensor.ts';
import { readFeatureFile, writeFeatureFile } from '../../pipeline/arrow/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'arrow-roundtrip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function everyDtypeRow(n: number): FeatureDict {
  return {
    aatype: numeric('int64', [n], BigInt64Array.from({ length: n }, (_, i) => BigInt(i) - 3n)),
    big: numeric('int64', [2], BigInt64Array.of(9223372036854775807n, -9223372036854775808n)),
    residue_index: numeric('int32', [n], Int32Array.from({ length: n }, (_, i) => i * 7 - 1)),
    all_atom_positions: numeric('float32', [n, 37, 3], Float32Array.from({ length: n * 111 }, (_, i) => i / 3)),
    specials: numeric('float32', [4], Float32Array.of(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e-38)),
    resolution: numeric('float64', [], Float64Array.of(1.5 + n)),
    seq_mask: numeric('bool', [n], Uint8Array.from({ length: n }, (_, i) => i % 2)),
    msa_counts: numeric('uint8', [2, n], Uint8Array.from({ length: 2 * n }, (_, i) => (i * 37) % 256)),
  };
}

function assertSameRow(actual: FeatureDict, expected: FeatureDict): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [key, want] of Object.entries(expected)) {
    const got = actual[key]!;
    assert.equal(got.kind, want.kind, key);
    assert.deepEqual(got.shape, want.shape, key);
    if (got.kind === 'numeric' && want.kind === 'numeric') {
      assert.equal(got.dtype, want.dtype, key);
      assert.equal(got.data.constructor, want.data.constructor, key);
      // Object.is semantics: NaN equals NaN, -0 differs from 0.
      assert.deepEqual(Array.from(got.data as ArrayLike<number | bigint>), Array.from(want.data as ArrayLike<number | bigint>), key);
      if (want.dtype === 'float32') {
        const g = new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength);
        const w = new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength);
        assert.deepEqual(g, w, `${key}: float32 bits`);
      }
    } else if (got.kind === 'string' && want.kind === 'string') {
      assert.deepEqual(got.values, want.values, key);
    }
  }
}

test('every numeric dtype round-trips exactly, rows of different lengths', async () => {
  const rows = [everyDtypeRow(5), everyDtypeRow(1), everyDtypeRow(12)];
  const path = join(dir, 'dtypes.arrow');
  await writeFeatureFile(path, rows);
  const read = await readFeatureFile(path);
  assert.equal(read.rows.length, 3);
  read.rows.forEach((row, i) => assertSameRow(row, rows[i]!));
});

test('0-d scalars and empty leading dimensions ([0, N, 37]) keep their shapes', async () => {
  const rows: FeatureDict[] = [
    {
      seq_length: numeric('int32', [], Int32Array.of(0)),
      template_all_atom_mask: numeric('float32', [0, 10, 37], new Float32Array(0)),
      template_aatype: numeric('int64', [0, 10], new BigInt64Array(0)),
    },
    {
      seq_length: numeric('int32', [], Int32Array.of(42)),
      template_all_atom_mask: numeric('float32', [2, 3, 37], new Float32Array(222).fill(1)),
      template_aatype: numeric('int64', [2, 3], BigInt64Array.of(1n, 2n, 3n, 4n, 5n, 6n)),
    },
  ];
  const path = join(dir, 'shapes.arrow');
  await writeFeatureFile(path, rows);
  const read = await readFeatureFile(path);
  read.rows.forEach((row, i) => assertSameRow(row, rows[i]!));
});

test('string features keep values and shapes: [1], [3], [0] and 0-d', async () => {
  const rows: FeatureDict[] = [
    { sequence: strings([1], ['MKVLA']), template_domain_names: strings([3], ['1abc_A', '', 'ünïcode_Ω']), name: strings([], ['x']) },
    { sequence: strings([1], ['']), template_domain_names: strings([0], []), name: strings([], ['y']) },
  ];
  const path = join(dir, 'strings.arrow');
  await writeFeatureFile(path, rows);
  const read = await readFeatureFile(path);
  read.rows.forEach((row, i) => assertSameRow(row, rows[i]!));
});

test('plain columns (with nulls) and schema metadata come back', async () => {
  const rows = [everyDtypeRow(2), everyDtypeRow(3)];
  const path = join(dir, 'columns.arrow');
  await writeFeatureFile(path, rows, {
    metadata: { schema_version: '7', feature_config: '{"a":1}' },
    columns: {
      chain_id: { type: 'utf8', values: ['1abc_A', '2xyz_B'] },
      chain_resolution: { type: 'float64', values: [2.5, null] },
      length: { type: 'int32', values: [2, 3] },
      hash: { type: 'int64', values: [1n << 60n, null] },
      distillation: { type: 'bool', values: [true, false] },
      template_release_dates: { type: 'utf8_list', values: [['2001-02-03', '1999-12-31'], []] },
    },
  });
  const read = await readFeatureFile(path);
  assert.equal(read.metadata.get('schema_version'), '7');
  assert.equal(read.metadata.get('feature_config'), '{"a":1}');
  assert.deepEqual(read.columns, {
    chain_id: ['1abc_A', '2xyz_B'],
    chain_resolution: [2.5, null],
    length: [2, 3],
    hash: [1n << 60n, null],
    distillation: [true, false],
    template_release_dates: [['2001-02-03', '1999-12-31'], []],
  });
  read.rows.forEach((row, i) => assertSameRow(row, rows[i]!));
});

test('the file is canonical Arrow: variable_shape_tensor storage and extension metadata, read by Arrow\'s own reader', async () => {
  const rows = [everyDtypeRow(3), everyDtypeRow(4)];
  const path = join(dir, 'canonical.arrow');
  await writeFeatureFile(path, rows, { columns: { chain_id: { type: 'utf8', values: ['a_A', 'b_B'] } } });
  const bytes = readFileSync(path);
  assert.equal(bytes.subarray(0, 6).toString('latin1'), 'ARROW1');
  assert.equal(bytes.subarray(bytes.length - 6).toString('latin1'), 'ARROW1');
  const table = tableFromIPC(bytes);
  assert.equal(table.numRows, 2);
  const field = table.schema.fields.find((f) => f.name === 'all_atom_positions')!;
  assert.equal(field.metadata.get('ARROW:extension:name'), 'arrow.variable_shape_tensor');
  assert.deepEqual(JSON.parse(field.metadata.get('ARROW:extension:metadata')!), {});
  assert.equal(String(field.type), 'Struct<{data:List<Float32>, shape:FixedSizeList[3]<Int32>}>');
  const scalar = table.schema.fields.find((f) => f.name === 'resolution')!;
  assert.equal(String(scalar.type), 'Struct<{data:List<Float64>, shape:FixedSizeList[0]<Int32>}>');
  const boolField = table.schema.fields.find((f) => f.name === 'seq_mask')!;
  assert.equal(String(boolField.type), 'Struct<{data:List<Uint8>, shape:FixedSizeList[1]<Int32>}>');
  // Row 1's positions through Arrow's generic vectors: shape and values.
  const value = table.getChild('all_atom_positions')!.get(1)!.toJSON() as { data: { toArray(): Float32Array }; shape: { toArray(): Int32Array } };
  assert.deepEqual(Array.from(value.shape.toArray()), [4, 37, 3]);
  assert.deepEqual(Array.from(value.data.toArray()), Array.from((rows[1]!.all_atom_positions as { data: Float32Array }).data));
  assert.equal(table.getChild('chain_id')!.get(1), 'b_B');
});

test('rows with other keys or dtypes are rejected with a clear error, and no file is left', async () => {
  const path = join(dir, 'bad.arrow');
  const a = { x: numeric('float32', [2], Float32Array.of(1, 2)) };
  await assert.rejects(writeFeatureFile(path, [a, { y: numeric('float32', [2], Float32Array.of(1, 2)) }]), /feature 'y' is not in the file's schema/);
  await assert.rejects(writeFeatureFile(path, [a, { x: numeric('float64', [2], Float64Array.of(1, 2)) }]), /feature 'x' is float64 ndim 1, the schema says float32 ndim 1/);
  await assert.rejects(writeFeatureFile(path, [a, { x: numeric('float32', [1, 2], Float32Array.of(1, 2)) }]), /ndim 2, the schema says float32 ndim 1/);
  await assert.rejects(writeFeatureFile(path, [a], { columns: { c: { type: 'int32', values: ['s'] } } }), /column 'c' of type int32/);
  await assert.rejects(writeFeatureFile(path, [a], { columns: { c: { type: 'int32', values: [1, 2] } } }), /2 values for 1 rows/);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('bad.arrow')), []);
});
