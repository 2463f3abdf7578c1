// Host-side helpers between the feature dict (features/tensor.ts
// NumericTensor, as the loader and the goldens give it) and core tensors:
// the per-iteration slice of a recycling-stacked feature (the last axis is
// the recycling iteration, as in OpenFold's batch) and the conversion of a
// feature to a core tensor of the model's float dtype (int64 indices become
// int32, the core's index type).
import type { NumericTensor } from '../../features/tensor.ts';
import { tensor, type DType, type DeviceName, type Tensor } from '../core/tensor.ts';
import { runOpAll } from '../core/ops.ts';
import { cast } from '../autograd/index.ts';

/** The values of a numeric feature as JS numbers (int64 converted exactly where it fits). */
export function hostNumbers(t: NumericTensor): Float64Array {
  if (!(t.data instanceof BigInt64Array)) return new Float64Array(t.data); // native conversion, no JS loop
  const out = new Float64Array(t.data.length);
  const data = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < out.length; i++) out[i] = Number(data[i]!);
  return out;
}

/** A host array with its shape (always float64 values; indices are exact integers). */
export interface HostArray {
  shape: number[];
  data: Float64Array;
  /**
   * The same values already as a core tensor of `shape` (float32 for float
   * features, int32 for integer ones), owned by whoever made the batch
   * (trainer/train/batch_features.ts deviceBatchFeatures): floatTensor /
   * indexTensor then make a new handle of it on the device (a cast or a view)
   * instead of converting and uploading `data`.
   */
  tensor?: Tensor;
}

export function hostArray(t: NumericTensor): HostArray {
  return { shape: [...t.shape], data: hostNumbers(t) };
}

/** feature[..., k]: the slice of recycling iteration k (last axis). */
export function recyclingSlice(t: NumericTensor, k: number): HostArray {
  const n = t.shape[t.shape.length - 1]!;
  if (k < 0 || k >= n) throw new Error(`recycling iteration ${k} out of range (${n})`);
  const all = hostNumbers(t);
  const out = new Float64Array(all.length / n);
  for (let i = 0; i < out.length; i++) out[i] = all[i * n + k]!;
  return { shape: t.shape.slice(0, -1), data: out };
}

export interface TensorPlacement {
  dtype: DType;
  device: DeviceName;
}

/** A float core tensor of a host array. */
export function floatTensor(a: HostArray, p: TensorPlacement): Tensor {
  // the batch's float32 tensor: a device cast (float32 -> bf16 rounds as the host path does: float64 -> float32 -> bf16)
  if (a.tensor !== undefined && a.tensor.device === p.device && a.tensor.dtype === 'float32') return cast(a.tensor, p.dtype);
  // float32: the native typed-array conversion (the same round-to-nearest as Float32Array.from, without the iterator)
  const values = p.dtype === 'float32' ? new Float32Array(a.data) : a.data;
  return tensor(values, a.shape, { dtype: p.dtype, device: p.device });
}

/** An int32 core tensor of a host array of integers. */
export function indexTensor(a: HostArray, device: DeviceName): Tensor {
  if (a.tensor !== undefined && a.tensor.device === device && a.tensor.dtype === 'int32') return cast(a.tensor, 'int32');
  return tensor(new Int32Array(a.data), a.shape, { dtype: 'int32', device });
}

/** A float tensor of `shape` filled with `value`, made on the device (no host array). */
export function filledTensor(shape: readonly number[], value: number, p: TensorPlacement): Tensor {
  const seed = tensor([0], [1], { dtype: p.dtype, device: p.device });
  const [out] = runOpAll('fill', [seed], { value, shape });
  seed.dispose();
  return out!;
}
