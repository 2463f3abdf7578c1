// The feature dict: OpenFold's feature keys -> typed tensors or string arrays.
// Numeric tensors are dense, C-ordered typed arrays with an explicit dtype;
// int64 features are held in BigInt64Array so that dtypes survive exactly
// into Arrow and NPY files.

export type NumericDType = 'bool' | 'uint8' | 'int32' | 'int64' | 'float32' | 'float64';

export interface TypedArrayOf {
  bool: Uint8Array;
  uint8: Uint8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  float32: Float32Array;
  float64: Float64Array;
}

export interface NumericTensor<D extends NumericDType = NumericDType> {
  kind: 'numeric';
  dtype: D;
  /** Dimensions, outermost first; [] is a 0-d scalar. */
  shape: number[];
  data: TypedArrayOf[D];
}

/** Object/bytes arrays of AlphaFold (`sequence`, `domain_name`, ...). */
export interface StringTensor {
  kind: 'string';
  shape: number[];
  /** Row-major values, product(shape) of them. */
  values: string[];
}

export type Feature = NumericTensor | StringTensor;
export type FeatureDict = Record<string, Feature>;

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function numeric<D extends NumericDType>(dtype: D, shape: number[], data: TypedArrayOf[D]): NumericTensor<D> {
  const expected = elementCount(shape);
  if (data.length !== expected) {
    throw new RangeError(`tensor of shape [${shape.join(', ')}] needs ${expected} elements, got ${data.length}`);
  }
  return { kind: 'numeric', dtype, shape, data };
}

export function strings(shape: number[], values: string[]): StringTensor {
  if (values.length !== elementCount(shape)) {
    throw new RangeError(`string tensor of shape [${shape.join(', ')}] needs ${elementCount(shape)} values, got ${values.length}`);
  }
  return { kind: 'string', shape, values };
}

const CONSTRUCTORS = {
  bool: Uint8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export function zeros<D extends NumericDType>(dtype: D, shape: number[]): NumericTensor<D> {
  const data = new CONSTRUCTORS[dtype](elementCount(shape)) as TypedArrayOf[D];
  return { kind: 'numeric', dtype, shape, data };
}
