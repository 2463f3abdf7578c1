// One training sample as ONE contiguous buffer with a fixed layout, so that the
// trainer copies it to the device in a single host-to-device transfer. The
// layout follows the batch table (features/batch_table.ts): every key at a
// fixed, 64-byte aligned offset, sized for the most forward passes; a small
// header says how many passes the sample really has.
//
//   [header 64 B: magic 'SFBATCH1', passes (u32 at 8), preparation ms (f64 at 16), reserved]
//   [key 0 ...][pad to 64][key 1 ...][pad] ...
import { BATCH_TABLE, batchKeys, batchShape, type BatchSizes } from '../../features/batch_table.ts';
import { elementCount, type FeatureDict, type NumericDType, type NumericTensor, type TypedArrayOf } from '../../features/tensor.ts';

const MAGIC = 'SFBATCH1';
const HEADER_BYTES = 64;
const ALIGN = 64;

const VIEW_CONSTRUCTORS = {
  bool: Uint8Array, uint8: Uint8Array, int32: Int32Array, int64: BigInt64Array, float32: Float32Array, float64: Float64Array,
} as const;

const BYTES_PER_ELEMENT: Record<NumericDType, number> = { bool: 1, uint8: 1, int32: 4, int64: 8, float32: 4, float64: 8 };

export interface BatchSlot {
  key: string;
  dtype: NumericDType;
  /** Shape with the recycling axis at its maximum. */
  shape: number[];
  byteOffset: number;
  byteLength: number;
}

export interface BatchLayout {
  sizes: BatchSizes;
  supervised: boolean;
  slots: BatchSlot[];
  byteLength: number;
}

/** The layout for samples of these sizes; `sizes.passes` is the most passes a sample may have. */
export function makeBatchLayout(sizes: BatchSizes, supervised: boolean): BatchLayout {
  let offset = HEADER_BYTES;
  const slots: BatchSlot[] = [];
  for (const key of batchKeys(supervised)) {
    const spec = BATCH_TABLE[key]!;
    const shape = batchShape(key, sizes);
    const byteLength = elementCount(shape) * BYTES_PER_ELEMENT[spec.dtype];
    slots.push({ key, dtype: spec.dtype, shape, byteOffset: offset, byteLength });
    offset += Math.ceil(byteLength / ALIGN) * ALIGN;
  }
  return { sizes, supervised, slots, byteLength: offset };
}

function bytesOf(tensor: NumericTensor): Uint8Array {
  return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}

/**
 * Writes a per-step batch (recycling axis first, `passes` <= layout maximum)
 * into `out`. Throws naming the key when a tensor does not fit its slot.
 */
export function packBatch(layout: BatchLayout, batch: FeatureDict, passes: number, out: Uint8Array): void {
  if (out.byteLength < layout.byteLength) throw new RangeError(`batch buffer of ${out.byteLength} B is smaller than the layout (${layout.byteLength} B)`);
  if (!(passes >= 1 && passes <= layout.sizes.passes)) throw new RangeError(`passes ${passes} outside 1..${layout.sizes.passes}`);
  out.fill(0, 0, layout.byteLength);
  writeBatchHeader(out, passes);
  for (const slot of layout.slots) {
    const tensor = batch[slot.key];
    if (tensor === undefined || tensor.kind !== 'numeric') throw new RangeError(`batch is missing numeric key '${slot.key}'`);
    const expected = [passes, ...slot.shape.slice(1)];
    if (tensor.dtype !== slot.dtype || tensor.shape.join(',') !== expected.join(',')) {
      throw new RangeError(`batch key '${slot.key}': got ${tensor.dtype}[${tensor.shape.join(', ')}], layout wants ${slot.dtype}[${expected.join(', ')}]`);
    }
    out.set(bytesOf(tensor), slot.byteOffset);
  }
}

/** Writes the header (magic and forward passes) of a packed batch. */
export function writeBatchHeader(out: Uint8Array, passes: number): void {
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer, out.byteOffset, HEADER_BYTES).setUint32(8, passes, true);
}

/**
 * One typed array per key over its whole slot (room for the most passes), for
 * the per-step transforms to write into in place (BatchBuffers' storage).
 */
export function slotArrays(layout: BatchLayout, buffer: Uint8Array): Record<string, TypedArrayOf[NumericDType]> {
  const arrays: Record<string, TypedArrayOf[NumericDType]> = {};
  for (const slot of layout.slots) {
    const Ctor = VIEW_CONSTRUCTORS[slot.dtype];
    arrays[slot.key] = new Ctor(buffer.buffer as ArrayBuffer, buffer.byteOffset + slot.byteOffset, elementCount(slot.shape)) as TypedArrayOf[NumericDType];
  }
  return arrays;
}

/** Number of forward passes recorded in a packed batch. */
export function batchPasses(buffer: Uint8Array): number {
  if (new TextDecoder().decode(buffer.subarray(0, 8)) !== MAGIC) throw new RangeError('not a packed batch (magic missing)');
  return new DataView(buffer.buffer, buffer.byteOffset, HEADER_BYTES).getUint32(8, true);
}


/** Records how long the worker took to prepare the sample (header, f64 at byte 16). */
export function setPrepareMs(buffer: Uint8Array, ms: number): void {
  new DataView(buffer.buffer, buffer.byteOffset, HEADER_BYTES).setFloat64(16, ms, true);
}

export function batchPrepareMs(buffer: Uint8Array): number {
  return new DataView(buffer.buffer, buffer.byteOffset, HEADER_BYTES).getFloat64(16, true);
}

/** Typed-array views (no copy) of a packed batch, recycling axis cut to its real passes. */
export function viewBatch(layout: BatchLayout, buffer: Uint8Array): FeatureDict {
  const passes = batchPasses(buffer);
  const dict: FeatureDict = {};
  for (const slot of layout.slots) {
    const shape = [passes, ...slot.shape.slice(1)];
    const Ctor = VIEW_CONSTRUCTORS[slot.dtype];
    const data = new Ctor(buffer.buffer as ArrayBuffer, buffer.byteOffset + slot.byteOffset, elementCount(shape)) as TypedArrayOf[NumericDType];
    dict[slot.key] = { kind: 'numeric', dtype: slot.dtype, shape, data };
  }
  return dict;
}
