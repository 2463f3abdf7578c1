// A bounded prefetching queue that hands out whichever item is ready first
// (ScaleFold's non-blocking loader: a priority queue in sampler order), or
// strictly in order. Items are produced concurrently through p-queue; at most
// `depth` items are ever in flight or waiting to be consumed, so memory is
// bounded whatever the producer's speed. A task that runs past `timeoutMs`
// is aborted and skipped; a task that fails (a worker that died) is skipped;
// both are reported through `onSkip` and never stop the consumer.
import PQueue from 'p-queue';

export type DeliveryOrder = 'ready-first' | 'strict';

export interface PrefetchOptions {
  order: DeliveryOrder;
  /** Most items in flight or waiting to be consumed at once (>= 1). */
  depth: number;
  /** How many items are produced at the same time (>= 1). */
  concurrency: number;
  /** A task still running after this many ms is aborted and skipped. */
  timeoutMs: number;
}

export interface SkippedItem {
  index: number;
  reason: 'timeout' | 'error';
  message: string;
}

export interface DeliveredItem<T> {
  index: number;
  value: T;
}

export type Produce<T> = (index: number, signal: AbortSignal) => Promise<T>;

type Slot<T> = { state: 'running'; abort: AbortController } | { state: 'done'; value: T };

export class PrefetchQueue<T> implements AsyncIterable<DeliveredItem<T>> {
  private readonly queue: PQueue;
  private readonly slots = new Map<number, Slot<T>>();
  private nextToIssue = 0;
  /** Strict order: the lowest index not yet delivered or skipped. */
  private nextInOrder = 0;
  private readonly skippedIndices = new Set<number>();
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly count: number,
    private readonly produce: Produce<T>,
    private readonly options: PrefetchOptions,
    private readonly onSkip: (item: SkippedItem) => void = () => {},
  ) {
    if (!(options.depth >= 1) || !(options.concurrency >= 1)) {
      throw new RangeError(`prefetch depth and concurrency must be >= 1 (got ${options.depth}, ${options.concurrency})`);
    }
    this.queue = new PQueue({ concurrency: options.concurrency });
    this.fill();
  }

  /** Items in flight or waiting to be consumed (never above `depth`). */
  get buffered(): number {
    return this.slots.size;
  }

  /** The next item, or null when every item was delivered or skipped (or the queue was closed). */
  async next(): Promise<DeliveredItem<T> | null> {
    for (;;) {
      if (this.closed) return null;
      const ready = this.takeReady();
      if (ready !== null) {
        this.fill();
        return ready;
      }
      if (this.slots.size === 0 && this.nextToIssue >= this.count) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The next item if one is ready now (never waits), else null. */
  tryNext(): DeliveredItem<T> | null {
    if (this.closed) return null;
    const ready = this.takeReady();
    if (ready !== null) this.fill();
    return ready;
  }

  /** Aborts what is in flight and waits for it to settle; never hangs on a stuck task. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    for (const slot of this.slots.values()) if (slot.state === 'running') slot.abort.abort(new Error('loader closed'));
    this.slots.clear();
    this.notify();
    await this.queue.onIdle();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DeliveredItem<T>> {
    try {
      for (;;) {
        const item = await this.next();
        if (item === null) return;
        yield item;
      }
    } finally {
      await this.close();
    }
  }

  private takeReady(): DeliveredItem<T> | null {
    if (this.options.order === 'strict') {
      while (this.skippedIndices.delete(this.nextInOrder)) this.nextInOrder += 1;
      const slot = this.slots.get(this.nextInOrder);
      if (slot === undefined || slot.state !== 'done') return null;
      return this.deliver(this.nextInOrder, slot.value);
    }
    // Ready-first: among the finished items, the earliest in sampler order.
    let best = -1;
    for (const [index, slot] of this.slots) {
      if (slot.state === 'done' && (best < 0 || index < best)) best = index;
    }
    if (best < 0) return null;
    return this.deliver(best, (this.slots.get(best) as { value: T }).value);
  }

  private deliver(index: number, value: T): DeliveredItem<T> {
    this.slots.delete(index);
    if (index === this.nextInOrder) this.nextInOrder += 1;
    return { index, value };
  }

  private fill(): void {
    while (!this.closed && this.slots.size < this.options.depth && this.nextToIssue < this.count) {
      this.start(this.nextToIssue);
      this.nextToIssue += 1;
    }
  }

  private start(index: number): void {
    const abort = new AbortController();
    this.slots.set(index, { state: 'running', abort });
    void this.queue.add(async () => {
      if (abort.signal.aborted) return;
      const timer = setTimeout(() => abort.abort(new Error('timeout')), this.options.timeoutMs);
      try {
        const value = await untilAborted(this.produce(index, abort.signal), abort.signal);
        if (this.slots.get(index)?.state === 'running') this.slots.set(index, { state: 'done', value });
      } catch (error) {
        if (this.closed) return;
        const timedOut = abort.signal.aborted;
        this.slots.delete(index);
        this.skippedIndices.add(index);
        this.onSkip({
          index,
          reason: timedOut ? 'timeout' : 'error',
          message: timedOut ? `sample ${index} exceeded ${this.options.timeoutMs} ms` : String((error as Error)?.message ?? error),
        });
        this.fill();
      } finally {
        clearTimeout(timer);
        this.notify();
      }
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** Settles with the work, or rejects as soon as the signal aborts (a stuck task never holds a slot). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
