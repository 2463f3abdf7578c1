// Host-to-device copy of the loader's packed batch (pipeline/loader/
// batch_layout.ts: one contiguous buffer per sample) as ONE transfer from
// pinned memory on a copy stream of its own, so that the next batch moves
// while the current step computes (ScaleFold: the step never waits on data).
// stage() copies the bytes into a pinned slot (a ring of `depth`, each reused
// only after its previous transfer finished) and enqueues the upload into a
// fresh device buffer; consume() makes the compute stream wait for it with an
// event (no host wait).
//
// The training loop stages the worker-made device-ready form instead (float32
// + int32 groups, batch_stage.ts PinnedStager: the same scheme per group);
// this raw-bytes form is what test/gpu/bench_pretrain.gpu.ts measures (time,
// bandwidth, overlap with compute).
import { native } from '../core/binding.ts';
import { runOpAll } from '../core/ops.ts';
import { keep } from '../autograd/index.ts';
import { tensor, type Tensor } from '../core/tensor.ts';

export interface StagedBatch {
  /** The packed batch on the device, as int32 words (byte offsets of the layout / 4). */
  device: Tensor;
  /** Bytes copied. */
  bytes: number;
  /** Events on the copy stream around the transfer. */
  started: number;
  ready: number;
}

interface PinnedSlot {
  pinned: ArrayBuffer;
  view: Uint8Array;
  started: number;
  ready: number;
  used: boolean;
}

export class BatchUploader {
  readonly stream: number;
  private readonly slots: PinnedSlot[];
  private readonly like: Tensor;
  private next = 0;

  /** `capacity`: the layout's byteLength (a multiple of 4). */
  constructor(readonly capacity: number, depth = 2) {
    if (capacity % 4 !== 0) throw new RangeError(`BatchUploader: capacity ${capacity} is not a multiple of 4`);
    this.stream = native.streamCreate();
    this.slots = Array.from({ length: depth }, () => {
      const pinned = native.pinnedBuffer(capacity);
      return { pinned, view: new Uint8Array(pinned), started: native.eventCreate(), ready: native.eventCreate(), used: false };
    });
    this.like = keep(tensor([0], [1], { dtype: 'int32', device: 'cuda' }));
  }

  /** Copies `bytes` into the next pinned slot and enqueues its upload on the copy stream. */
  stage(bytes: Uint8Array): StagedBatch {
    if (bytes.byteLength > this.capacity) throw new RangeError(`BatchUploader: batch of ${bytes.byteLength} bytes, capacity ${this.capacity}`);
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % this.slots.length;
    if (slot.used) native.eventSynchronize(slot.ready); // its previous transfer has long finished in steady state
    slot.view.set(bytes);
    slot.used = true;
    const compute = native.streamCurrent();
    native.streamSetCurrent(this.stream);
    try {
      // the buffer is allocated (stream-ordered) and filled on the copy stream
      const device = keep(runOpAll('fill', [this.like], { value: 0, shape: [this.capacity / 4] })[0]!);
      native.eventRecord(slot.started, this.stream);
      native.copyFromHostAsync(device.handle, slot.pinned);
      native.eventRecord(slot.ready, this.stream);
      return { device, bytes: bytes.byteLength, started: slot.started, ready: slot.ready };
    } finally {
      native.streamSetCurrent(compute);
    }
  }

  /** The current (compute) stream waits for the batch's transfer; the host does not. */
  consume(s: StagedBatch): Tensor {
    native.streamWaitEvent(native.streamCurrent(), s.ready);
    return s.device;
  }

  /** Milliseconds of the transfer (waits for it). Valid until the slot is reused (`depth` stages later). */
  transferMs(s: StagedBatch): number {
    native.eventSynchronize(s.ready);
    return native.eventElapsed(s.started, s.ready);
  }

  dispose(): void {
    native.streamSynchronize(this.stream);
    for (const s of this.slots) {
      native.eventDestroy(s.started);
      native.eventDestroy(s.ready);
    }
    this.like.dispose();
    native.streamDestroy(this.stream);
  }
}
