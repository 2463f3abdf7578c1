// Benchmark of paced evaluation (trainer/eval/op_pacer.ts) on one GPU: a
// training-like loop of bf16 GEMMs and elementwise ops on a highest-priority
// stream (the trainer's thread), while a worker thread (this same file, as
// pretrain's evaluation worker does) runs the same kind of ops on its own
// lowest-priority stream:
//   alone            no worker
//   unpaced          the worker flat out (share 1)
//   paced S          the worker paced to share S (chunks of DEFAULT_OPS_PER_CHUNK ops,
//                    each drained with an event, then a pause of chunk*(1-S)/S)
// Prints the median and mean step time of each, their slowdown against
// `alone` (a paced worker touches few steps: the mean carries its cost), and
// the worker's ops/s and measured busy share. Asserts nothing.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { add, cast, matmul, mul, noGrad, scope, sigmoid } from '../../trainer/autograd/index.ts';
import { native } from '../../trainer/core/binding.ts';
import { setOpPacer } from '../../trainer/core/ops.ts';
import { cudaInfo, full, type Tensor } from '../../trainer/core/tensor.ts';
import { DEFAULT_OPS_PER_CHUNK, OpPacer, atomicsSleep, pacingFlag } from '../../trainer/eval/op_pacer.ts';

const BATCH = 8, N = 2048, OPS_PER_STEP = 480, STEPS = Number(process.env.BENCH_STEPS ?? 60), WARMUP = 4;

interface WorkerInput { share: number; stop: Int32Array; pacing: Int32Array }
interface WorkerReport { ops: number; seconds: number; busyMs: number; sleptMs: number }

/** The operands: activations [BATCH, N, N] and a weight [N, N], bf16 on the GPU. */
function operands(): { x: Tensor; w: Tensor } {
  return noGrad(() => ({
    x: cast(full([BATCH, N, N], 0.01, { device: 'cuda' }), 'bfloat16'),
    w: cast(full([N, N], 0.01, { device: 'cuda' }), 'bfloat16'),
  }));
}

/** `count` ops (GEMM, sigmoid, mul, add repeated), enqueued; returns the number of ops. */
function work(x: Tensor, w: Tensor, count: number): number {
  noGrad(() => scope(() => {
    for (let i = 0; i < count; i += 4) {
      const y = matmul(x, w);
      const g = sigmoid(y);
      add(mul(g, x), x);
    }
  }));
  return count;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

if (!isMainThread) {
  const input = workerData as WorkerInput;
  native.streamSetCurrent(native.streamCreate());
  const ev = native.eventCreate();
  const clock = {
    now: () => performance.now(),
    drain: () => { native.eventRecord(ev, native.streamCurrent()); native.eventSynchronize(ev); },
    sleep: atomicsSleep,
  };
  const pacer = input.share < 1 ? new OpPacer({ share: input.share, opsPerChunk: DEFAULT_OPS_PER_CHUNK, clock, release: input.pacing }) : null;
  const { x, w } = operands();
  native.streamSynchronize(native.streamCurrent());
  parentPort!.postMessage('running');
  if (pacer) setOpPacer(pacer.onOp);
  const t0 = performance.now();
  let ops = 0;
  while (Atomics.load(input.stop, 0) === 0) {
    ops += work(x, w, 16);
    if (!pacer) clock.drain(); // flat out, but not unboundedly ahead of the GPU
  }
  setOpPacer(null);
  native.streamSynchronize(native.streamCurrent());
  parentPort!.postMessage({ ops, seconds: (performance.now() - t0) / 1000, busyMs: pacer?.busyMs ?? 0, sleptMs: pacer?.sleptMs ?? 0 } satisfies WorkerReport);
} else {
  if (!cudaInfo().usable) {
    console.error('no usable CUDA device: bench_eval_pacing needs one');
    process.exit(1);
  }
  // the trainer's stream: the most urgent
  native.streamSetCurrent(native.streamCreate(100));
  const stream = native.streamCurrent();
  const { x, w } = operands();
  const steps = (): number[] => {
    const ms: number[] = [];
    for (let i = 0; i < WARMUP + STEPS; i++) {
      native.streamSynchronize(stream);
      const t0 = performance.now();
      work(x, w, OPS_PER_STEP);
      native.streamSynchronize(stream);
      if (i >= WARMUP) ms.push(performance.now() - t0);
    }
    return ms;
  };
  const run = async (share: number | null): Promise<{ ms: number[]; report: WorkerReport | null }> => {
    if (share === null) return { ms: steps(), report: null };
    const input: WorkerInput = { share, stop: new Int32Array(new SharedArrayBuffer(4)), pacing: pacingFlag() };
    const worker = new Worker(new URL(import.meta.url), { workerData: input });
    const messages: unknown[] = [];
    let wake: () => void = () => {};
    worker.on('message', (m) => { messages.push(m); wake(); });
    const next = async (): Promise<unknown> => {
      while (messages.length === 0) await new Promise<void>((done) => (wake = done));
      return messages.shift();
    };
    await next(); // running
    const ms = steps();
    Atomics.store(input.stop, 0, 1);
    Atomics.store(input.pacing, 0, 1);
    Atomics.notify(input.pacing, 0);
    const report = (await next()) as WorkerReport;
    await worker.terminate();
    return { ms, report };
  };
  console.log(`training-like step: ${OPS_PER_STEP} ops (bf16 GEMM [${BATCH},${N},${N}]x[${N},${N}] + 3 elementwise, repeated), ${STEPS} steps after ${WARMUP} warm-up; worker: the same ops`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const aloneMs = (await run(null)).ms;
  const alone = median(aloneMs), aloneMean = mean(aloneMs);
  console.log(`alone              median step ${alone.toFixed(2)} ms, mean ${aloneMean.toFixed(2)} ms`);
  for (const share of [1, 0.1, 0.05, 0.015]) {
    const { ms, report } = await run(share);
    const m = median(ms), a = mean(ms);
    const r = report!;
    const busy = r.busyMs > 0 ? ` measured busy share ${(r.busyMs / (r.busyMs + r.sleptMs)).toFixed(4)}` : '';
    console.log(`${(share === 1 ? 'unpaced' : `paced ${share}`).padEnd(18)} median step ${m.toFixed(2)} ms (${(100 * (m / alone - 1)).toFixed(2)}% longer than alone), ` +
      `mean ${a.toFixed(2)} ms (${(100 * (a / aloneMean - 1)).toFixed(2)}%); worker ${(r.ops / r.seconds).toFixed(0)} ops/s${busy}`);
  }
}
