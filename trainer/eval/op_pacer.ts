// Paced evaluation (ScaleFold: evaluation must not slow the training step):
// the evaluation worker's ops are cut into chunks of `opsPerChunk` dispatches;
// at the end of a chunk the worker waits until its stream has run the chunk
// (an event recorded on its stream and synchronised: `drain`), measures the
// wall time of the chunk since the end of the previous pause, and sleeps
//
//   pause = chunk * (1 - share) / share
//
// so that, over time, evaluation keeps the device busy for at most `share` of
// the wall time and the training stream has the SMs for the rest. A low
// stream priority alone is not enough: it orders pending thread blocks, but a
// running evaluation kernel keeps its SMs until it ends (H200 round 4: steps
// 20.9 % longer while an evaluation ran flat out).
//
// Where the hook sits: core/ops.ts calls the thread's pacer after every op
// dispatch (setOpPacer; the module state of a worker thread is its own, so
// only the evaluation thread has one; the training thread pays one null
// check per op). An op count is finer and steadier than a hook between model
// blocks (a structure-module or heads pass has no Evoformer blocks, and a
// block's cost depends on the stack), and it needs no change in the model.
//
// `release` (a shared Int32Array) lets the trainer lift the pacing: when its
// cell 0 is not PACED the pacer stops pausing, and a pause in progress ends
// at once (Atomics.wait wakes on Atomics.notify). The trainer does so for the
// final drain, when no training step is left to protect.

export const PACED = 0;
export const UNPACED = 1;

export interface PacerClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Blocks until the device has run every op dispatched so far on this thread's stream. */
  drain(): void;
  /** Blocks for `ms` milliseconds, or less when `release` leaves PACED. */
  sleep(ms: number, release: Int32Array | null): void;
}

export interface PacerOptions {
  /** Largest share of the wall time the paced work may keep the device busy (0 < share <= 1; 1 = no pacing). */
  share: number;
  /** Op dispatches per chunk (one drain + pause per chunk). */
  opsPerChunk: number;
  clock: PacerClock;
  /** Shared flag: cell 0 PACED (pace) or UNPACED (run flat out). */
  release?: Int32Array | null;
}

/** The default chunk: short next to a training step (tens of milliseconds of evaluation kernels). */
export const DEFAULT_OPS_PER_CHUNK = 48;

export class OpPacer {
  private ops = 0;
  private chunkStart: number;
  /** Milliseconds of chunks (device busy with paced work, as measured). */
  busyMs = 0;
  /** Milliseconds slept (requested pauses, as asked of the clock). */
  sleptMs = 0;
  chunks = 0;

  constructor(private readonly o: PacerOptions) {
    if (!(o.share > 0 && o.share <= 1)) throw new Error(`pacer share must be in (0, 1], got ${o.share}`);
    if (!(Number.isInteger(o.opsPerChunk) && o.opsPerChunk >= 1)) throw new Error(`pacer opsPerChunk must be a positive integer, got ${o.opsPerChunk}`);
    this.chunkStart = o.clock.now();
  }

  get paced(): boolean {
    return this.o.share < 1 && (!this.o.release || Atomics.load(this.o.release, 0) === PACED);
  }

  /** Starts a fresh chunk (e.g. at the start of an evaluation, after idle time that is not the device's). */
  restart(): void {
    this.ops = 0;
    this.chunkStart = this.o.clock.now();
  }

  /** Call after each op dispatch. */
  readonly onOp = (): void => {
    if (++this.ops < this.o.opsPerChunk) return;
    this.endChunk();
  };

  /** Ends the chunk in hand: waits for the device, then pauses in proportion. */
  endChunk(): void {
    this.ops = 0;
    if (!this.paced) return;
    const { clock, share } = this.o;
    clock.drain();
    const chunk = clock.now() - this.chunkStart;
    this.busyMs += chunk;
    this.chunks++;
    const pause = (chunk * (1 - share)) / share;
    if (pause > 0) {
      clock.sleep(pause, this.o.release ?? null);
      this.sleptMs += pause;
    }
    this.chunkStart = clock.now();
  }
}

/** A synchronous sleep (Atomics.wait: allowed in worker threads, and on Node's main thread too). */
export function atomicsSleep(ms: number, release: Int32Array | null): void {
  const cell = release ?? new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(cell, 0, PACED, ms);
}

/** A shared pacing flag (PACED until the trainer lifts it). */
export function pacingFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Lifts the pacing: evaluation runs flat out from now on; a pause in progress ends. */
export function releasePacing(flag: Int32Array): void {
  Atomics.store(flag, 0, UNPACED);
  Atomics.notify(flag, 0);
}
