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
