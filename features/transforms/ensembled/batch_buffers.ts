// Reusable output storage for the per-step transforms: one typed array per
// batch key, sized for config.maxPasses, the loader's fixed-size batch
// buffers. Reuse avoids a fresh, page-faulting allocation of ~46 MB (4
// passes) per sample. Between samples only the box written last time is
// cleared (rows, residues, passes actually used), so a short chain or a
// shallow MSA costs little to reset. The tensors handed out are views of the
// first N_recycle passes, valid until the next sample written into the same
// buffers; callers must not write into them.

import { BATCH_TABLE, batchKeys, batchShape, type BatchSizes, type SymbolicDim } from '../../batch_table.ts';
import { elementCount, numeric, zeros, type FeatureDict, type NumericDType, type TypedArrayOf } from '../../tensor.ts';
import type { PerStepConfig } from '../config.ts';

type AnyTypedArray = TypedArrayOf[NumericDType];

export class BatchBuffers {
  readonly capacity: BatchSizes;
  private readonly arrays: Record<string, AnyTypedArray> = {};
  /** Extent of everything written since the arrays were last all zero (null: nothing). */
  private written: BatchSizes | null = null;

  /**
   * Buffers for `config` (keys of a chain with a structure when `supervised`).
   * `arrays` may supply the storage, e.g. views into one contiguous,
   * transferable batch buffer: one per key, of the key's dtype and at least
   * its size at config.maxPasses, ALL ZERO on entry. Missing keys are allocated.
   */
  constructor(config: PerStepConfig, supervised = true, arrays: Record<string, AnyTypedArray> = {}) {
    this.capacity = {
      passes: config.maxPasses, numRes: config.cropSize, numClusters: config.maxMsaClusters,
      numExtra: config.maxExtraMsa, numTemplates: config.maxTemplates,
    };
    for (const key of batchKeys(supervised)) {
      const dtype = BATCH_TABLE[key]!.dtype;
      const shape = batchShape(key, this.capacity);
      const given = arrays[key];
      if (given === undefined) {
        this.arrays[key] = zeros(dtype, shape).data;
        continue;
      }
      if (given.constructor !== zeros(dtype, [0]).data.constructor || given.length < elementCount(shape)) {
        throw new RangeError(`the array given for '${key}' must be ${dtype} with at least ${elementCount(shape)} elements`);
      }
      this.arrays[key] = given.subarray(0, elementCount(shape)) as AnyTypedArray;
    }
  }

  /** Zeroed tensors of the given sizes for `keys`, viewing the buffers. */
  take(keys: string[], sizes: BatchSizes): FeatureDict {
    for (const dim of ['passes', 'numRes', 'numClusters', 'numExtra', 'numTemplates'] as const) {
      if (sizes[dim] > this.capacity[dim]) throw new RangeError(`batch buffers hold ${dim} ${this.capacity[dim]}, ${sizes[dim]} needed`);
    }
    if (sizes.numRes !== this.capacity.numRes || sizes.numClusters !== this.capacity.numClusters
      || sizes.numExtra !== this.capacity.numExtra || sizes.numTemplates !== this.capacity.numTemplates) {
      throw new RangeError('batch buffers were allocated for another crop size or padding');
    }
    if (this.written !== null) this.clear(this.written);
    // Until recordWritten narrows it, assume the whole of `sizes` gets written
    // (a sample that fails half-way is then cleared in full next time).
    this.written = sizes;
    const out: FeatureDict = {};
    for (const key of keys) {
      const array = this.arrays[key];
      if (array === undefined) throw new RangeError(`batch buffers have no '${key}' (allocate them with supervised = true)`);
      const shape = batchShape(key, sizes);
      out[key] = numeric(BATCH_TABLE[key]!.dtype, shape, array.subarray(0, elementCount(shape)) as AnyTypedArray);
    }
    return out;
  }

  /** The extent the sample just written reached (every write lies inside it). */
  recordWritten(extent: BatchSizes): void {
    this.written = extent;
  }

  private clear(extent: BatchSizes): void {
    for (const [key, array] of Object.entries(this.arrays)) {
      const spec = BATCH_TABLE[key]!;
      zeroLeadingBox(wordsOf(array), batchShape(key, this.capacity), spec.shape.map((d) => extentOf(d, extent)), wordsPerElement(array));
    }
  }
}

function extentOf(dim: SymbolicDim, e: BatchSizes): number | null {
  switch (dim) {
    case 'N_recycle': return e.passes;
    case 'N_res': return e.numRes;
    case 'N_clust': return e.numClusters;
    case 'N_extra': return e.numExtra;
    case 'N_templ': return e.numTemplates;
    default: return null; // a literal dimension: all of it
  }
}

/** The array as integer words for zeroing: 8-byte elements are two int32 words, 4-byte ones one. */
function wordsOf(a: AnyTypedArray): Int32Array | Uint8Array {
  if (a instanceof Uint8Array) return a;
  return new Int32Array(a.buffer, a.byteOffset, a.byteLength >>> 2);
}

function wordsPerElement(a: AnyTypedArray): number {
  return a instanceof Uint8Array ? 1 : a.BYTES_PER_ELEMENT >>> 2;
}

/**
 * Zeroes a[i0 < box0][i1 < box1]... of a C-ordered array of `shape` (null:
 * whole dimension), given as words with `perElement` words per element. Short
 * runs are cleared by a plain loop (cheaper than a fill() call each).
 */
function zeroLeadingBox(a: Int32Array | Uint8Array, shape: number[], box: (number | null)[], perElement: number): void {
  // The trailing dimensions taken whole form one contiguous run.
  let last = shape.length;
  while (last > 0 && (box[last - 1] === null || box[last - 1] === shape[last - 1])) last--;
  const run = elementCount(shape.slice(last)) * (last > 0 ? (box[last - 1] ?? shape[last - 1]!) : 1) * perElement;
  const lead = Math.max(0, last - 1);
  const strides = shape.map((_, d) => elementCount(shape.slice(d + 1)) * perElement);
  const idx = new Array<number>(lead).fill(0);
  const limits = box.slice(0, lead).map((b, d) => b ?? shape[d]!);
  if (limits.some((l) => l === 0) || run === 0) return;
  for (;;) {
    let at = 0;
    for (let d = 0; d < lead; d++) at += idx[d]! * strides[d]!;
    if (run >= 256) a.fill(0, at, at + run);
    else for (let i = at, end = at + run; i < end; i++) a[i] = 0;
    let d = lead - 1;
    while (d >= 0 && ++idx[d]! >= limits[d]!) idx[d--] = 0;
    if (d < 0) return;
  }
}
