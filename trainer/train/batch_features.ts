// The loader's packed batch (pipeline/loader/batch_layout.ts: one contiguous
// buffer, recycling axis FIRST, [N_recycle, ...]) as the model's
// IterationFeatures: feature `name` of forward pass `k` (OpenFold's batch has
// the recycling axis last; the model only ever asks for one pass at a time,
// so the axis position is ours to choose). Slices are converted to float64
// host arrays once and cached for the step.
import type { FeatureDict, NumericTensor } from '../../features/tensor.ts';
import { viewBatch, type BatchLayout } from '../../pipeline/loader/batch_layout.ts';
import type { IterationFeatures } from '../model/alphafold.ts';
import type { HostArray } from '../model/host_tensor.ts';
import { keep, noGrad, reshape, slice } from '../autograd/index.ts';
import { tensor, type DeviceName, type Tensor } from '../core/tensor.ts';

/** Pass `k` of a recycling-first feature as a float64 host array. */
export function passSlice(t: NumericTensor, k: number): HostArray {
  const passes = t.shape[0]!;
  if (!(k >= 0 && k < passes)) throw new RangeError(`forward pass ${k} out of range (${passes} in the batch)`);
  const per = t.data.length / passes;
  const shape = t.shape.slice(1);
  const data = t.data;
  if (!(data instanceof BigInt64Array)) {
    // one native typed-array conversion (same values as Number() per element), no JS loop
    return { shape, data: new Float64Array(data.subarray(k * per, (k + 1) * per)) };
  }
  const out = new Float64Array(per);
  for (let i = 0; i < per; i++) out[i] = Number(data[k * per + i]!);
  return { shape, data: out };
}

/** IterationFeatures over a feature dict whose tensors carry the recycling axis first. */
export function iterationFeatures(dict: FeatureDict): IterationFeatures {
  const cache = new Map<string, HostArray>();
  return (name, k) => {
    const key = `${name}\u0000${k}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const t = dict[name];
    if (t === undefined || t.kind !== 'numeric') throw new RangeError(`batch has no numeric feature '${name}'`);
    const slice = passSlice(t, k);
    cache.set(key, slice);
    return slice;
  };
}

/** The features of one packed loader batch (views, no copy, until a slice is asked for). */
export function batchFeatures(layout: BatchLayout, bytes: Uint8Array): IterationFeatures {
  return iterationFeatures(viewBatch(layout, bytes));
}

const INTEGER_DTYPES = new Set(['int32', 'int64', 'uint8', 'bool']);

export interface DeviceBatchFeatures {
  /** Host slices as iterationFeatures gives them, each carrying its device tensor (HostArray.tensor). */
  features: IterationFeatures;
  /** Frees the device tensors (after the step that read them). */
  dispose(): void;
}

/**
 * The features of one packed batch with every pass slice also on `device`:
 * the float features packed into one float32 buffer and the integer ones
 * into one int32 buffer (one native typed-array conversion per feature),
 * ONE upload per group, then a slice + reshape per feature and pass (device
 * copies only). The model's floatTensor / indexTensor read those tensors
 * instead of uploading each slice (the same values: float32 / int32 of the
 * same host numbers, so losses and gradients are bit-identical).
 */
export function deviceBatchFeatures(layout: BatchLayout, bytes: Uint8Array, device: DeviceName): DeviceBatchFeatures {
  const dict = viewBatch(layout, bytes);
  const entries = Object.entries(dict).filter((e): e is [string, NumericTensor] => e[1].kind === 'numeric');
  const offsets = new Map<string, { int: boolean; offset: number }>();
  let floats = 0;
  let ints = 0;
  for (const [name, t] of entries) {
    const int = INTEGER_DTYPES.has(t.dtype);
    offsets.set(name, { int, offset: int ? ints : floats });
    if (int) ints += t.data.length;
    else floats += t.data.length;
  }
  const floatHost = new Float32Array(floats);
  const intHost = new Int32Array(ints);
  for (const [name, t] of entries) {
    const { int, offset } = offsets.get(name)!;
    const target = int ? intHost : floatHost;
    // native conversions; int64 through float64 (exact below 2^53, as Number())
    target.set(t.data instanceof BigInt64Array ? passSlice({ ...t, shape: [1, ...t.shape] }, 0).data : t.data, offset);
  }
  const groups = {
    float: keep(tensor(floatHost.length > 0 ? floatHost : new Float32Array(1), [Math.max(1, floats)], { dtype: 'float32', device })),
    int: keep(tensor(intHost.length > 0 ? intHost : new Int32Array(1), [Math.max(1, ints)], { dtype: 'int32', device })),
  };
  const made: Tensor[] = [groups.float, groups.int];
  const host = iterationFeatures(dict);
  const cache = new Map<string, HostArray>();
  const features: IterationFeatures = (name, k) => {
    const key = `${name}\u0000${k}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const a = host(name, k);
    const at = offsets.get(name)!;
    const per = a.data.length;
    const view = noGrad(() => {
      const flat = slice(at.int ? groups.int : groups.float, [at.offset + k * per], [per]);
      const v = keep(reshape(flat, a.shape));
      if (v !== flat) flat.dispose();
      return v;
    });
    made.push(view);
    const withTensor = { ...a, tensor: view };
    cache.set(key, withTensor);
    return withTensor;
  };
  return {
    features,
    dispose() {
      for (const t of made) t.dispose();
      made.length = 0;
      cache.clear();
    },
  };
}
