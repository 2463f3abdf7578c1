// Asynchronous evaluation (ScaleFold: evaluation must not stop training): the
// trainer hands a copy of the averaged weights of step k to a worker thread
// and goes on; the result comes back as a message, tagged with k, and is
// delivered through `onResult` between steps. On CPU this is the whole
// overlap; on the GPU the worker has a stream of its own and paces its
// kernels (op_pacer.ts) to a share of the device until `unpace()`.
//
// The worker gets one request at a time; the others wait here. While paced,
// an evaluation may take longer than the submission interval, so at most one
// waits: a newer submission supersedes a waiting one (reported through
// `onSkip`), and the queue cannot grow without bound. Once unpaced (training
// over), every submission is kept. The weight copies reuse the arrays the
// worker sends back once it has made its tensors from them (no 370 MB of
// fresh arrays per hand-off for the initial-training model).
import { Worker } from 'node:worker_threads';
import type { OptimizerSlot } from '../train/optimizer_state.ts';
import type { EvalReply, EvalRequest, EvalWorkerData, PacedTime } from './eval_messages.ts';
import { pacingFlag, releasePacing } from './op_pacer.ts';
import type { ValidationMetrics } from './validation.ts';

export interface EvalResult {
  step: number;
  metrics: ValidationMetrics;
  /** Seconds the worker spent on it. */
  seconds: number;
  /** Seconds from submission to result. */
  latency: number;
  /** Paced evaluation: its busy and paused time (pacing lifted part-way counts only the paced part). */
  paced?: PacedTime;
}

/** What the trainer sets (the pacing flag is made here). */
export type EvaluatorOptions = Omit<EvalWorkerData, 'pacing'>;

export class AsyncEvaluator {
  private readonly worker: Worker;
  private readonly submitted = new Map<number, number>();
  /** Requests not yet sent to the worker (at most one while paced). */
  private readonly waiting: EvalRequest[] = [];
  private running = false;
  private pending = 0;
  private idle: (() => void)[] = [];
  private failure: Error | null = null;
  private readonly pacing = pacingFlag();
  private paced = true;
  /** The buffer the worker handed back, reused by the next submission. */
  private spare: ArrayBuffer | null = null;

  constructor(
    options: EvaluatorOptions,
    private readonly onResult: (r: EvalResult) => void,
    private readonly onSkip: (step: number, supersededBy: number) => void = () => {},
  ) {
    const data: EvalWorkerData = { ...options, pacing: this.pacing };
    this.paced = options.share < 1;
    this.worker = new Worker(new URL('./eval_worker_entry.mjs', import.meta.url), { workerData: data });
    this.worker.on('message', (reply: EvalReply) => this.receive(reply));
    this.worker.on('error', (error) => {
      this.failure = error;
      this.waiting.length = 0;
      this.settle(this.pending);
    });
  }

  /** Evaluations submitted and not answered (or superseded) yet. */
  get inFlight(): number {
    return this.pending;
  }

  /**
   * Copies the averaged weights of `step` and queues them; returns at once. The slots give names and shapes,
   * and the values unless `read` puts them (all slots end to end) into the buffer it is given (the device
   * optimizer's flatToHost).
   */
  submit(step: number, slots: readonly OptimizerSlot[], read?: (into: ArrayBuffer) => Float32Array): void {
    if (this.failure) throw this.failure;
    const total = slots.reduce((a, s) => a + s.average.length, 0);
    const buffer = this.spare !== null && this.spare.byteLength >= total * 4 ? this.spare : new ArrayBuffer(total * 4);
    this.spare = null;
    let flat: Float32Array;
    if (read) {
      flat = read(buffer);
    } else {
      flat = new Float32Array(buffer, 0, total);
      let at = 0;
      for (const s of slots) {
        flat.set(s.average, at);
        at += s.average.length;
      }
    }
    const req: EvalRequest = { step, names: slots.map((s) => s.name), shapes: slots.map((s) => s.shape), flat };
    this.submitted.set(step, performance.now());
    this.pending++;
    if (this.paced && this.running && this.waiting.length > 0) {
      const old = this.waiting.pop()!;
      this.submitted.delete(old.step);
      this.spare = old.flat.buffer as ArrayBuffer;
      this.settle(1);
      this.onSkip(old.step, step);
    }
    this.waiting.push(req);
    this.pump();
  }

  /** Lets evaluation run unpaced from now on (training is over: nothing left to protect); later submissions are all kept. */
  unpace(): void {
    this.paced = false;
    releasePacing(this.pacing);
  }

  /** Resolves when every submitted evaluation has answered. */
  async drain(): Promise<void> {
    if (this.pending > 0) await new Promise<void>((done) => this.idle.push(done));
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    this.unpace(); // a pause in progress ends at once
    await this.worker.terminate();
  }

  private pump(): void {
    if (this.running || this.failure) return;
    const req = this.waiting.shift();
    if (!req) return;
    this.running = true;
    this.worker.postMessage(req, [req.flat.buffer as ArrayBuffer]);
  }

  private receive(reply: EvalReply): void {
    if (reply.kind === 'ready') return;
    if (reply.kind === 'loaded') {
      this.spare ??= reply.flat.buffer as ArrayBuffer;
      return;
    }
    if (reply.kind === 'error') {
      this.failure = new Error(`evaluation of step ${reply.step} failed: ${reply.message}`);
    } else {
      const t0 = this.submitted.get(reply.step) ?? performance.now();
      this.onResult({
        step: reply.step, metrics: reply.metrics, seconds: reply.seconds, latency: (performance.now() - t0) / 1000,
        ...(reply.paced ? { paced: reply.paced } : {}),
      });
    }
    this.submitted.delete(reply.step);
    this.running = false;
    if (this.failure) {
      this.settle(this.pending);
      return;
    }
    this.settle(1);
    this.pump();
  }

  private settle(n: number): void {
    this.pending = Math.max(0, this.pending - n);
    if (this.pending === 0) for (const done of this.idle.splice(0)) done();
  }
}
