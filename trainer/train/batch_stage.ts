// Staging of a batch's device-ready form (pipeline/loader/device_packed.ts:
// float32 + int32 groups made in the loader's worker) onto the device, and
// the model's per-feature, per-pass inputs over it (ScaleFold: the next
// batch is copied host-to-device on its own stream while the current step
// computes; the step never waits on data).
//
// PinnedStager (CUDA): one memcpy per group into a pinned slot of a ring
// (a slot is reused only after its previous transfer finished), the device
// buffers allocated and filled by async copies on a copy stream of its own;
// the compute stream waits on the transfer's event when the step takes the
// batch (no host wait). SyncStager (any device, the CPU tests): the same
// staging with synchronous uploads, so that the training loop's one-ahead
// ordering and bookkeeping run the same code on the CPU.
//
// The host float64 data of a feature slice (HostArray.data) is lazy: it is
// converted from the loader's packed batch only when the model reads it on
// the host (masks it sums, indices it turns into tables, the loss's scalars);
// the inputs it only uploads are never converted on the training thread.
import type { LoadedBatch } from '../../pipeline/loader/training_loader.ts';
import { devicePackedViews, packForDevice, type DevicePackedLayout } from '../../pipeline/loader/device_packed.ts';
import { viewBatch } from '../../pipeline/loader/batch_layout.ts';
import type { NumericTensor } from '../../features/tensor.ts';
import type { IterationFeatures } from '../model/alphafold.ts';
import type { HostArray } from '../model/host_tensor.ts';
import { keep, noGrad, reshape, slice } from '../autograd/index.ts';
import { native } from '../core/binding.ts';
import { runOpAll } from '../core/ops.ts';
import { tensor, type DeviceName, type Tensor } from '../core/tensor.ts';
import { passSlice } from './batch_features.ts';

/** A batch whose device-ready groups are on the device (or on their way there). */
export interface StagedBatch {
  batch: LoadedBatch;
  /** Host milliseconds the training thread spent staging it (pinned memcpy + enqueue, or the synchronous upload). */
  stageMs: number;
  /**
   * The model's inputs (call on the compute stream when the step starts: it
   * waits there for the transfer, the host does not). Host data is lazy.
   */
  features(onHostRead?: (name: string, k: number) => void): IterationFeatures;
  /** Frees the device buffers and every slice made of them (after the step that read them; stream-ordered). */
  dispose(): void;
}

export interface BatchStager {
  stage(batch: LoadedBatch): StagedBatch;
  dispose(): void;
}

/** The batch's device-ready form: made by the worker, or here when the loader did not make it. */
export function devicePackedOf(batch: LoadedBatch): { packed: DevicePackedLayout; buffer: ArrayBuffer } {
  return batch.device ?? packForDevice(batch.layout, batch.bytes);
}

/**
 * IterationFeatures over the two device groups: feature `name` of pass `k` is
 * a slice + reshape of its group (device copies only), carried as
 * HostArray.tensor; HostArray.data converts the host slice on first read.
 */
export function packedFeatures(
  batch: LoadedBatch, packed: DevicePackedLayout, groups: { float: Tensor; int: Tensor }, made: Tensor[],
  onHostRead?: (name: string, k: number) => void,
): IterationFeatures {
  let dict: ReturnType<typeof viewBatch> | null = null;
  const cache = new Map<string, HostArray>();
  return (name, k) => {
    const key = `${name}\u0000${k}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const e = packed.entries.get(name);
    if (e === undefined) throw new RangeError(`batch has no numeric feature '${name}'`);
    if (!(k >= 0 && k < packed.passes)) throw new RangeError(`forward pass ${k} out of range (${packed.passes} in the batch)`);
    const view = noGrad(() => {
      const flat = slice(e.group === 'int' ? groups.int : groups.float, [e.offset + k * e.perPass], [e.perPass]);
      const v = keep(reshape(flat, e.shape));
      if (v !== flat) flat.dispose();
      return v;
    });
    made.push(view);
    let data: Float64Array | undefined;
    const a: HostArray = {
      shape: [...e.shape],
      tensor: view,
      get data(): Float64Array {
        if (data === undefined) {
          onHostRead?.(name, k);
          dict ??= viewBatch(batch.layout, batch.bytes);
          data = passSlice(dict[name] as NumericTensor, k).data;
        }
        return data;
      },
    };
    cache.set(key, a);
    return a;
  };
}

function stagedOf(batch: LoadedBatch, packed: DevicePackedLayout, groups: { float: Tensor; int: Tensor }, stageMs: number, wait: () => void): StagedBatch {
  const made: Tensor[] = [groups.float, groups.int];
  let waited = false;
  return {
    batch, stageMs,
    features(onHostRead) {
      if (!waited) wait();
      waited = true;
      return packedFeatures(batch, packed, groups, made, onHostRead);
    },
    dispose() {
      // never free (stream-ordered, on the compute stream) buffers a copy may still be writing
      if (!waited) wait();
      waited = true;
      for (const t of made) t.dispose();
      made.length = 0;
    },
  };
}

/** Synchronous uploads of the two groups (any device; the CPU path of the one-ahead staging). */
export class SyncStager implements BatchStager {
  constructor(readonly device: DeviceName) {}

  stage(batch: LoadedBatch): StagedBatch {
    const t0 = performance.now();
    const { packed, buffer } = devicePackedOf(batch);
    const { floats, ints } = devicePackedViews(packed, buffer);
    const groups = {
      float: keep(tensor(floats.length > 0 ? floats : new Float32Array(1), [Math.max(1, floats.length)], { dtype: 'float32', device: this.device })),
      int: keep(tensor(ints.length > 0 ? ints : new Int32Array(1), [Math.max(1, ints.length)], { dtype: 'int32', device: this.device })),
    };
    return stagedOf(batch, packed, groups, performance.now() - t0, () => {});
  }

  dispose(): void {}
}

interface PinnedSlot {
  floats: ArrayBuffer;
  ints: ArrayBuffer;
  ready: number;
  used: boolean;
}

/**
 * CUDA: the groups copied into a pinned slot, then uploaded by async copies on
 * a copy stream (trainer/train/batch_upload.ts's scheme, per group); the step
 * that takes the batch makes its stream wait on the transfer's event.
 */
export class PinnedStager implements BatchStager {
  readonly stream: number;
  private readonly slots: PinnedSlot[] = [];
  private readonly likeFloat: Tensor;
  private readonly likeInt: Tensor;
  private next = 0;

  constructor(depth = 2) {
    this.stream = native.streamCreate();
    for (let i = 0; i < depth; i++) this.slots.push({ floats: new ArrayBuffer(0), ints: new ArrayBuffer(0), ready: native.eventCreate(), used: false });
    this.likeFloat = keep(tensor([0], [1], { dtype: 'float32', device: 'cuda' }));
    this.likeInt = keep(tensor([0], [1], { dtype: 'int32', device: 'cuda' }));
  }

  stage(batch: LoadedBatch): StagedBatch {
    const t0 = performance.now();
    const { packed, buffer } = devicePackedOf(batch);
    const { floats, ints } = devicePackedViews(packed, buffer);
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % this.slots.length;
    if (slot.used) native.eventSynchronize(slot.ready); // its transfer (two steps ago) has long finished
    const nFloat = Math.max(1, floats.length);
    const nInt = Math.max(1, ints.length);
    // pinned memory grows to the largest batch seen (page-locked allocation is slow: never per step)
    if (slot.floats.byteLength < 4 * nFloat) slot.floats = native.pinnedBuffer(4 * nFloat);
    if (slot.ints.byteLength < 4 * nInt) slot.ints = native.pinnedBuffer(4 * nInt);
    new Float32Array(slot.floats, 0, floats.length).set(floats);
    new Int32Array(slot.ints, 0, ints.length).set(ints);
    slot.used = true;
    const compute = native.streamCurrent();
    native.streamSetCurrent(this.stream);
    let groups: { float: Tensor; int: Tensor };
    try {
      // allocated (stream-ordered) and filled on the copy stream
      groups = {
        float: keep(runOpAll('fill', [this.likeFloat], { value: 0, shape: [nFloat] })[0]!),
        int: keep(runOpAll('fill', [this.likeInt], { value: 0, shape: [nInt] })[0]!),
      };
      native.copyFromHostAsync(groups.float.handle, slot.floats);
      native.copyFromHostAsync(groups.int.handle, slot.ints);
      native.eventRecord(slot.ready, this.stream);
    } finally {
      native.streamSetCurrent(compute);
    }
    const ready = slot.ready;
    return stagedOf(batch, packed, groups, performance.now() - t0, () => native.streamWaitEvent(native.streamCurrent(), ready));
  }

  dispose(): void {
    native.streamSynchronize(this.stream);
    for (const s of this.slots) native.eventDestroy(s.ready);
    this.likeFloat.dispose();
    this.likeInt.dispose();
    native.streamDestroy(this.stream);
  }
}

/** The stager for a device: pinned + copy stream on CUDA, synchronous uploads elsewhere. */
export function batchStager(device: DeviceName): BatchStager {
  return device === 'cuda' ? new PinnedStager() : new SyncStager(device);
}
