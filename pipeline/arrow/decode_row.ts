// One row of an Arrow record batch -> a feature dict and its plain column
// values. Numeric tensors are views into the batch's buffers (no copy).
// Batches are the ones IPC readers produce (not sliced), so indices are plain.
import { Vector, type Data, type RecordBatch, type Schema } from 'apache-arrow';
import type { Feature, FeatureDict, NumericTensor } from '../../features/tensor.ts';
import { specOfField, type FeatureColumnSpec, type PlainColumnType, type PlainValue } from './column_types.ts';

export interface DecodedLayout {
  features: { name: string; index: number; spec: FeatureColumnSpec }[];
  columns: { name: string; index: number; type: PlainColumnType }[];
}

/** Splits a file's fields into feature and plain columns; rejects fields it cannot read. */
export function decodedLayoutOf(schema: Schema): DecodedLayout {
  const layout: DecodedLayout = { features: [], columns: [] };
  schema.fields.forEach((field, index) => {
    const spec = specOfField(field);
    if (spec === null) throw new Error(`column '${field.name}' (${String(field.type)}) is not a feature tensor or a known plain column`);
    if (spec.kind === 'column') layout.columns.push({ name: field.name, index, type: spec.type });
    else layout.features.push({ name: field.name, index, spec });
  });
  return layout;
}

const decoder = new TextDecoder();

function shapeAt(shapeData: Data, j: number, ndim: number): number[] {
  const child = shapeData.children[0]!;
  const ints = child.values as Int32Array;
  const start = child.offset + (shapeData.offset + j) * ndim;
  return Array.from(ints.subarray(start, start + ndim));
}

function decodeFeature(column: Data, j: number, spec: FeatureColumnSpec): Feature {
  const list = column.children[0]!;
  const offsets = list.valueOffsets as Int32Array;
  const r = list.offset + j;
  const begin = offsets[r]!;
  const end = offsets[r + 1]!;
  const shape = shapeAt(column.children[1]!, j, spec.ndim);
  const values = list.children[0]!;
  if (spec.kind === 'string') {
    const strOffsets = values.valueOffsets as Int32Array;
    const bytes = values.values as Uint8Array;
    const out: string[] = [];
    for (let k = begin; k < end; k++) {
      const i = values.offset + k;
      out.push(decoder.decode(bytes.subarray(strOffsets[i]!, strOffsets[i + 1]!)));
    }
    return { kind: 'string', shape, values: out };
  }
  const typed = values.values as NumericTensor['data'];
  const data = typed.subarray(values.offset + begin, values.offset + end);
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`tensor of shape [${shape.join(', ')}] holds ${data.length} elements`);
  return { kind: 'numeric', dtype: spec.dtype, shape, data } as NumericTensor;
}

function plainValue(vector: Vector, j: number, type: PlainColumnType): PlainValue {
  const value: unknown = vector.get(j);
  if (value === null || value === undefined) return null;
  if (type === 'utf8_list') return Array.from(value as Iterable<string>);
  return value as PlainValue;
}

export interface DecodedRow {
  features: FeatureDict;
  columns: Record<string, PlainValue>;
}

export function decodeRow(batch: RecordBatch, j: number, layout: DecodedLayout): DecodedRow {
  const features: FeatureDict = {};
  for (const { name, index, spec } of layout.features) {
    features[name] = decodeFeature(batch.data.children[index]!, j, spec);
  }
  const columns: Record<string, PlainValue> = {};
  for (const { name, index, type } of layout.columns) {
    columns[name] = plainValue(batch.getChildAt(index)!, j, type);
  }
  return { features, columns };
}
