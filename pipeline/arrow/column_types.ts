// Arrow types of the columns of a feature file (pipeline/arrow/*).
//
// Layout (see README "Feature files and shards"):
// - a numeric feature is Arrow's canonical `arrow.variable_shape_tensor`
//   extension: storage struct<data: list<item: T>, shape: fixed_size_list<item:
//   int32>[ndim]>, the extension name and its JSON metadata in the field
//   metadata (`ARROW:extension:name`, `ARROW:extension:metadata`); a 0-d
//   scalar is a tensor of ndim 0. Every numeric feature uses the variable
//   shape form, even when all rows happen to share a shape, so that a
//   dataset's schema depends on the feature table only, never on its content.
// - `bool` features are stored as uint8 (0/1), one byte per element like
//   NumPy's bool, so readers get zero-copy views; the field metadata key
//   `scalefold:dtype` = `bool` tells our reader to give them back as bool.
// - a string feature is the same struct layout over utf8 values
//   (struct<data: list<item: utf8>, shape: fixed_size_list<item: int32>[ndim]>)
//   without an extension name (the canonical tensor types are numeric only),
//   marked `scalefold:kind` = `string`; this keeps AlphaFold's shapes ([1]
//   for `sequence`, [N_templ] for `template_domain_names`) exactly.
// - plain columns outside the feature dict (chain id, release date, ...) are
//   ordinary nullable Arrow columns of one value per row, marked
//   `scalefold:kind` = `column`.
import { Bool, DataType, Field, FixedSizeList, Float32, Float64, Int32, Int64, List, Precision, Struct, Uint8, Utf8 } from 'apache-arrow';
import type { NumericDType } from '../../features/tensor.ts';

export const EXTENSION_NAME_KEY = 'ARROW:extension:name';
export const EXTENSION_METADATA_KEY = 'ARROW:extension:metadata';
export const VARIABLE_SHAPE_TENSOR = 'arrow.variable_shape_tensor';
export const KIND_KEY = 'scalefold:kind';
export const DTYPE_KEY = 'scalefold:dtype';
/** Schema metadata key: our writer puts exactly one row in each record batch. */
export const ROWS_PER_BATCH_KEY = 'scalefold:rows_per_batch';

/** One feature column: its dtype (or 'string') and number of dimensions. */
export type FeatureColumnSpec =
  | { kind: 'numeric'; dtype: NumericDType; ndim: number }
  | { kind: 'string'; ndim: number };

export type PlainColumnType = 'utf8' | 'int32' | 'int64' | 'float32' | 'float64' | 'bool' | 'utf8_list';
export type PlainValue = string | number | bigint | boolean | string[] | null;

export const NUMERIC_DTYPES: readonly NumericDType[] = ['bool', 'uint8', 'int32', 'int64', 'float32', 'float64'];

export function arrowValueType(dtype: NumericDType): DataType {
  switch (dtype) {
    case 'bool':
    case 'uint8':
      return new Uint8();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float32':
      return new Float32();
    case 'float64':
      return new Float64();
  }
}

/** struct<data: list<item: T>, shape: fixed_size_list<item: int32>[ndim]>, nullable children as pyarrow makes them. */
export function tensorStorageType(valueType: DataType, ndim: number): Struct {
  const data = new Field('data', new List(new Field('item', valueType, true)), true);
  const shape = new Field('shape', new FixedSizeList(ndim, new Field('item', new Int32(), true)), true);
  return new Struct([data, shape]);
}

export function featureField(name: string, spec: FeatureColumnSpec): Field {
  if (!Number.isInteger(spec.ndim) || spec.ndim < 0) throw new RangeError(`feature '${name}': bad ndim ${spec.ndim}`);
  if (spec.kind === 'string') {
    return new Field(name, tensorStorageType(new Utf8(), spec.ndim), false, new Map([[KIND_KEY, 'string']]));
  }
  const metadata = new Map<string, string>([
    [EXTENSION_NAME_KEY, VARIABLE_SHAPE_TENSOR],
    [EXTENSION_METADATA_KEY, '{}'],
    [KIND_KEY, 'numeric'],
    [DTYPE_KEY, spec.dtype],
  ]);
  return new Field(name, tensorStorageType(arrowValueType(spec.dtype), spec.ndim), false, metadata);
}

export function plainArrowType(type: PlainColumnType): DataType {
  switch (type) {
    case 'utf8':
      return new Utf8();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float32':
      return new Float32();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'utf8_list':
      return new List(new Field('item', new Utf8(), true));
  }
}

export function plainField(name: string, type: PlainColumnType): Field {
  return new Field(name, plainArrowType(type), true, new Map([[KIND_KEY, 'column'], [DTYPE_KEY, type]]));
}

/** Reads a column's spec back from its field; null for a field we do not understand. */
export function specOfField(field: Field): FeatureColumnSpec | { kind: 'column'; type: PlainColumnType } | null {
  const kind = field.metadata.get(KIND_KEY);
  if (kind === 'column') {
    const type = field.metadata.get(DTYPE_KEY) as PlainColumnType | undefined;
    return type === undefined ? null : { kind: 'column', type };
  }
  const type = field.type;
  if (kind === undefined && field.metadata.get(EXTENSION_NAME_KEY) === undefined) {
    const plain = plainTypeOfArrowType(type);
    if (plain !== null) return { kind: 'column', type: plain };
  }
  if (!DataType.isStruct(type) || type.children.length !== 2) return null;
  const shapeType = type.children[1]!.type;
  if (!DataType.isFixedSizeList(shapeType)) return null;
  const ndim = shapeType.listSize;
  if (kind === 'string') return { kind: 'string', ndim };
  if (field.metadata.get(EXTENSION_NAME_KEY) !== VARIABLE_SHAPE_TENSOR) return null;
  const dtype = (field.metadata.get(DTYPE_KEY) ?? dtypeOfArrowType(type.children[0]!.type)) as NumericDType | null;
  if (dtype === null || !NUMERIC_DTYPES.includes(dtype)) return null;
  return { kind: 'numeric', dtype, ndim };
}

/** dtype of a foreign file's variable_shape_tensor (no `scalefold:dtype`). */
function dtypeOfArrowType(listType: DataType): NumericDType | null {
  if (!DataType.isList(listType)) return null;
  const v = listType.children[0]!.type;
  if (DataType.isInt(v)) {
    if (v.bitWidth === 8 && !v.isSigned) return 'uint8';
    if (v.bitWidth === 32 && v.isSigned) return 'int32';
    if (v.bitWidth === 64 && v.isSigned) return 'int64';
  }
  if (DataType.isFloat(v)) {
    if (v.precision === Precision.SINGLE) return 'float32';
    if (v.precision === Precision.DOUBLE) return 'float64';
  }
  return null;
}

/** A foreign file's plain column (no `scalefold:kind`): its type, if we read it. */
function plainTypeOfArrowType(type: DataType): PlainColumnType | null {
  if (DataType.isUtf8(type)) return 'utf8';
  if (DataType.isBool(type)) return 'bool';
  if (DataType.isList(type)) return DataType.isUtf8(type.children[0]!.type) ? 'utf8_list' : null;
  const dtype = dtypeOfArrowType(new List(new Field('item', type, true)));
  return dtype === 'int32' || dtype === 'int64' || dtype === 'float32' || dtype === 'float64' ? dtype : null;
}
