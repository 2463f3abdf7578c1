// GPU time of short calls without the host in it: a blocker (device copies
// of a large buffer) is queued first, so that the host enqueues every timed
// call before the GPU reaches them; CUDA events bracket only those calls.
// Used by the core benchmarks (bench.gpu.ts, bench_elementwise.gpu.ts).
import { native } from '../../trainer/core/binding.ts';
import type { Tensor } from '../../trainer/core/tensor.ts';
import * as ag from '../../trainer/autograd/index.ts';

export interface QueuedTiming {
  /** Median GPU milliseconds per call. */
  ms: number;
  /** Median host milliseconds to enqueue the `inner` calls. */
  hostMs: number;
  /** Median GPU milliseconds of the blocker (it must exceed hostMs for ms to be the GPU's alone). */
  blockerMs: number;
}

export interface QueueOptions {
  /** A large device tensor, copied `copies` times ahead of each repeat. */
  blocker: Tensor;
  copies: number;
  /** Calls per repeat. */
  inner: number;
  repeats: number;
}

/** Times fn (called with its index in the repeat) queued behind the blocker; three warm-up calls first. */
export function timeQueuedMs(fn: (i: number) => void, o: QueueOptions): QueuedTiming {
  for (let i = 0; i < 3; i++) ag.scope(() => fn(i));
  native.synchronize();
  const [blockStart, start, end] = [native.eventCreate(), native.eventCreate(), native.eventCreate()];
  const times: number[] = [];
  const hosts: number[] = [];
  const blocks: number[] = [];
  try {
    for (let r = 0; r < o.repeats; r++) {
      native.eventRecord(blockStart, 0);
      for (let c = 0; c < o.copies; c++) native.dispose(native.toDevice(o.blocker.handle, 1));
      native.eventRecord(start, 0);
      const t0 = performance.now();
      for (let i = 0; i < o.inner; i++) ag.scope(() => fn(i));
      hosts.push(performance.now() - t0);
      native.eventRecord(end, 0);
      native.eventSynchronize(end);
      times.push(native.eventElapsed(start, end) / o.inner);
      blocks.push(native.eventElapsed(blockStart, start));
    }
  } finally {
    for (const e of [blockStart, start, end]) native.eventDestroy(e);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { ms: med(times), hostMs: med(hosts), blockerMs: med(blocks) };
}
