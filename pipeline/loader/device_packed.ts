// The device-ready form of one packed batch (batch_layout.ts), made in the
// loader's worker thread so that the trainer's thread converts nothing: ONE
// contiguous buffer holding every float feature as float32, then every
// integer feature as int32 (int64 through Number(), exact below 2^53, as the
// host path converts them), only the sample's real forward passes, recycling
// axis first. The offset table says where feature `key` of pass `k` lies:
// group (float / int), element offset in its group, per-pass shape. It is a
// pure function of (layout, passes), so the worker and the trainer agree on
// it without sending it. (ScaleFold: the host-to-device copy of a batch is
// one transfer from pinned memory, straight from the loader's layout.)
//
//   [float32 x floatCount][int32 x intCount]   (both 4-byte, no padding)
import { elementCount, type NumericDType } from '../../features/tensor.ts';
import { batchPasses, viewBatch, type BatchLayout } from './batch_layout.ts';

export type PackedGroup = 'float' | 'int';

const INTEGER_DTYPES: ReadonlySet<NumericDType> = new Set(['int32', 'int64', 'uint8', 'bool']);

export interface PackedEntry {
  key: string;
  group: PackedGroup;
  /** Source dtype in the batch layout. */
  dtype: NumericDType;
  /** Element offset (in its group) of pass 0; pass k starts at offset + k * perPass. */
  offset: number;
  /** Shape of one pass (the layout's shape without the recycling axis). */
  shape: number[];
  perPass: number;
}

export interface DevicePackedLayout {
  passes: number;
  floatCount: number;
  intCount: number;
  entries: ReadonlyMap<string, PackedEntry>;
  /** 4 * (floatCount + intCount). */
  byteLength: number;
}

/** The offset table for a sample of `passes` forward passes in `layout` (slot order, as deviceBatchFeatures packed it). */
export function devicePackedLayout(layout: BatchLayout, passes: number): DevicePackedLayout {
  if (!(passes >= 1 && passes <= layout.sizes.passes)) throw new RangeError(`passes ${passes} outside 1..${layout.sizes.passes}`);
  const entries = new Map<string, PackedEntry>();
  let floatCount = 0;
  let intCount = 0;
  for (const slot of layout.slots) {
    const shape = slot.shape.slice(1);
    const perPass = elementCount(shape);
    const group: PackedGroup = INTEGER_DTYPES.has(slot.dtype) ? 'int' : 'float';
    entries.set(slot.key, { key: slot.key, group, dtype: slot.dtype, offset: group === 'int' ? intCount : floatCount, shape, perPass });
    if (group === 'int') intCount += passes * perPass;
    else floatCount += passes * perPass;
  }
  return { passes, floatCount, intCount, entries, byteLength: 4 * (floatCount + intCount) };
}

/** The float32 and int32 views of a device-packed buffer. */
export function devicePackedViews(d: DevicePackedLayout, buffer: ArrayBuffer, byteOffset = 0): { floats: Float32Array; ints: Int32Array } {
  if (buffer.byteLength - byteOffset < d.byteLength) throw new RangeError(`device-packed buffer of ${buffer.byteLength - byteOffset} B, layout needs ${d.byteLength} B`);
  return {
    floats: new Float32Array(buffer, byteOffset, d.floatCount),
    ints: new Int32Array(buffer, byteOffset + 4 * d.floatCount, d.intCount),
  };
}

/**
 * Converts a packed batch (its real passes) into the device-ready form: float
 * features rounded to float32 (native typed-array set: round to nearest), integer
 * features to int32 (native set; int64 through Number(), then ToInt32, exactly as
 * Int32Array.set of the host path's float64 values).
 */
export function packForDevice(layout: BatchLayout, bytes: Uint8Array): { packed: DevicePackedLayout; buffer: ArrayBuffer } {
  const dict = viewBatch(layout, bytes);
  const packed = devicePackedLayout(layout, batchPasses(bytes));
  const buffer = new ArrayBuffer(packed.byteLength);
  const { floats, ints } = devicePackedViews(packed, buffer);
  for (const e of packed.entries.values()) {
    const t = dict[e.key];
    if (t === undefined || t.kind !== 'numeric') throw new RangeError(`batch is missing numeric key '${e.key}'`);
    const target = e.group === 'int' ? ints : floats;
    if (t.data instanceof BigInt64Array) {
      const src = t.data;
      for (let i = 0; i < src.length; i++) target[e.offset + i] = Number(src[i]!);
    } else {
      target.set(t.data, e.offset);
    }
  }
  return { packed, buffer };
}
