// Asynchronous evaluation (ScaleFold: evaluation must not stop training): the
// trainer hands a copy of the averaged weights of step k to a worker thread
// and goes on; the result comes back as a message, tagged with k, and is
// delivered through `onResult` between steps. On CPU this is the whole
// overlap; on the GPU the worker has a stream of its own and paces its
// kernels (op_pacer.ts) to a share of the device until `unpace()`.
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
  private pending = 0;
  private idle: (() => void)[] = [];
  private failure: Error | null = null;
  private readonly pacing = pacingFlag();

  constructor(options: EvaluatorOptions, private readonly onResult: (r: EvalResult) => void) {
    const data: EvalWorkerData = { ...options, pacing: this.pacing };
    this.worker = new Worker(new URL('./eval_worker_entry.mjs', import.meta.url), { workerData: data });
    this.worker.on('message', (reply: EvalReply) => this.receive(reply));
    this.worker.on('error', (error) => {
      this.failure = error;
      this.settle(this.pending);
    });
  }

  /** Evaluations submitted and not answered yet. */
  get inFlight(): number {
    return this.pending;
  }

  /** Sends a copy of the averaged weights of `step`; returns at once. */
  submit(step: number, slots: readonly OptimizerSlot[]): void {
    if (this.failure) throw this.failure;
    const values = slots.map((s) => s.average.slice());
    const req: EvalRequest = { step, names: slots.map((s) => s.name), shapes: slots.map((s) => s.shape), values };
    this.submitted.set(step, performance.now());
    this.pending++;
    this.worker.postMessage(req, values.map((v) => v.buffer));
  }

  /** Lets evaluation run unpaced from now on (training is over: nothing left to protect). */
  unpace(): void {
    releasePacing(this.pacing);
  }

  /** Resolves when every submitted evaluation has answered. */
  async drain(): Promise<void> {
    if (this.pending > 0) await new Promise<void>((done) => this.idle.push(done));
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private receive(reply: EvalReply): void {
    if (reply.kind === 'ready') return;
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
    this.settle(1);
  }

  private settle(n: number): void {
    this.pending = Math.max(0, this.pending - n);
    if (this.pending === 0) for (const done of this.idle.splice(0)) done();
  }
}
