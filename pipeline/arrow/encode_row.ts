// One feature dict (plus its plain column values) -> one Arrow record batch of
// one row, in the layout of column_types.ts. Numeric data is not copied: the
// batch's buffers are views of the feature's own typed arrays.
import {
  Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import type { Feature, FeatureDict } from '../../features/tensor.ts';
import {
  arrowValueType,
  featureField,
  plainArrowType,
  plainField,
  tensorStorageType,
  ROWS_PER_BATCH_KEY,
  type FeatureColumnSpec,
  type PlainColumnType,
  type PlainValue,
} from './column_types.ts';
import { Int32, Utf8 } from 'apache-arrow';

export interface FeatureFileLayout {
  /** Feature columns in file order. */
  features: [string, FeatureColumnSpec][];
  /** Plain columns in file order (after the features). */
  columns: [string, PlainColumnType][];
}

export function specOfFeature(feature: Feature): FeatureColumnSpec {
  return feature.kind === 'string'
    ? { kind: 'string', ndim: feature.shape.length }
    : { kind: 'numeric', dtype: feature.dtype, ndim: feature.shape.length };
}

/** The layout implied by one row: its keys in sorted order. */
export function layoutOfRow(row: FeatureDict, columns: Record<string, PlainColumnType> = {}): FeatureFileLayout {
  const features = Object.keys(row)
    .sort()
    .map((k): [string, FeatureColumnSpec] => [k, specOfFeature(row[k]!)]);
  return { features, columns: Object.entries(columns) };
}

export function schemaOfLayout(layout: FeatureFileLayout, metadata: Record<string, string> = {}): Schema {
  const names = new Set<string>();
  const fields: Field[] = [];
  for (const [name, spec] of layout.features) {
    names.add(name);
    fields.push(featureField(name, spec));
  }
  for (const [name, type] of layout.columns) {
    if (names.has(name)) throw new Error(`column '${name}' is both a feature and a plain column`);
    names.add(name);
    fields.push(plainField(name, type));
  }
  const meta = new Map(Object.entries(metadata));
  meta.set(ROWS_PER_BATCH_KEY, '1');
  return new Schema(fields, meta);
}

function describe(spec: FeatureColumnSpec): string {
  return spec.kind === 'string' ? `string ndim ${spec.ndim}` : `${spec.dtype} ndim ${spec.ndim}`;
}

/** Throws a clear error unless `row` has exactly the layout's features with the same dtypes and ndims. */
export function checkRowAgainstLayout(row: FeatureDict, layout: FeatureFileLayout, rowLabel: string): void {
  const expected = new Set(layout.features.map(([k]) => k));
  for (const key of Object.keys(row)) {
    if (!expected.has(key)) throw new Error(`${rowLabel}: feature '${key}' is not in the file's schema (keys must match the first row)`);
  }
  for (const [key, spec] of layout.features) {
    const feature = row[key];
    if (feature === undefined) throw new Error(`${rowLabel}: feature '${key}' is missing (keys must match the first row)`);
    const got = specOfFeature(feature);
    if (describe(got) !== describe(spec)) {
      throw new Error(`${rowLabel}: feature '${key}' is ${describe(got)}, the schema says ${describe(spec)}`);
    }
    const n = feature.shape.reduce((a, b) => a * b, 1);
    const length = feature.kind === 'string' ? feature.values.length : feature.data.length;
    if (n !== length) throw new Error(`${rowLabel}: feature '${key}' has shape [${feature.shape.join(', ')}] but ${length} elements`);
  }
}

function shapeData(shape: readonly number[]): Data {
  const ndim = shape.length;
  const child = makeData({ type: new Int32(), length: ndim, nullCount: 0, data: Int32Array.from(shape) });
  const type = tensorStorageType(new Int32(), ndim).children[1]!.type;
  return makeData({ type, length: 1, nullCount: 0, child });
}

const encoder = new TextEncoder();

function stringValuesData(values: readonly string[]): Data {
  const encoded = values.map((v) => encoder.encode(v));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  encoded.forEach((bytes, i) => {
    total += bytes.byteLength;
    offsets[i + 1] = total;
  });
  const data = new Uint8Array(total);
  encoded.forEach((bytes, i) => data.set(bytes, offsets[i]!));
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data });
}

function featureData(feature: Feature, spec: FeatureColumnSpec): Data {
  const storage = tensorStorageType(spec.kind === 'string' ? new Utf8() : arrowValueType(spec.dtype), spec.ndim);
  const listType = storage.children[0]!.type;
  let values: Data;
  let length: number;
  if (feature.kind === 'string') {
    values = stringValuesData(feature.values);
    length = feature.values.length;
  } else {
    const d = feature.data;
    length = d.length;
    // The typed array is the Arrow buffer as it stands (same element type).
    values = makeData({ type: arrowValueType(feature.dtype) as Int32, length, nullCount: 0, data: d as unknown as Int32Array });
  }
  const list = makeData({ type: listType, length: 1, nullCount: 0, valueOffsets: Int32Array.of(0, length), child: values });
  return makeData({ type: storage, length: 1, nullCount: 0, children: [list, shapeData(feature.shape)] });
}

function plainData(type: PlainColumnType, value: PlainValue, name: string): Data {
  const arrowType = plainArrowType(type);
  if (value !== null) checkPlainValue(type, value, name);
  return vectorFromArray([value] as never[], arrowType).data[0]!;
}

function checkPlainValue(type: PlainColumnType, value: PlainValue, name: string): void {
  const ok =
    type === 'utf8' ? typeof value === 'string'
    : type === 'int64' ? typeof value === 'bigint'
    : type === 'bool' ? typeof value === 'boolean'
    : type === 'utf8_list' ? Array.isArray(value) && value.every((v) => typeof v === 'string')
    : type === 'int32' ? typeof value === 'number' && Number.isInteger(value)
    : typeof value === 'number';
  if (!ok) throw new TypeError(`column '${name}' of type ${type} cannot hold ${JSON.stringify(String(value))} (${typeof value})`);
}

/** A record batch of one row. `schema` must come from schemaOfLayout(layout). */
export function encodeRow(
  schema: Schema,
  layout: FeatureFileLayout,
  row: FeatureDict,
  columnValues: Record<string, PlainValue>,
): RecordBatch {
  const children: Data[] = [];
  for (const [key, spec] of layout.features) children.push(featureData(row[key]!, spec));
  for (const [name, type] of layout.columns) {
    const value = columnValues[name];
    children.push(plainData(type, value === undefined ? null : value, name));
  }
  for (const name of Object.keys(columnValues)) {
    if (!layout.columns.some(([c]) => c === name)) throw new Error(`column '${name}' is not in the file's schema`);
  }
  const data = makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children });
  return new RecordBatch(schema, data);
}
