// The evaluation worker thread (asynchronous evaluation): holds the
// validation examples, and for each request builds a model from the averaged
// weights it was sent and evaluates it (validation.ts), while the trainer's
// thread goes on training. Requests are served in order.
//
// On the GPU its kernels go to a stream of its own (the core's current stream
// is per thread) and are paced (op_pacer.ts): at most `share` of the wall
// time busy with evaluation, so the training step keeps the SMs; the trainer
// lifts the pacing for the final drain. The model runs with the training
// precision (bf16 trunk, fp32 structure module / heads / metrics) on bf16
// copies of the weights made once per request.
import { parentPort, workerData } from 'node:worker_threads';
import { native } from '../core/binding.ts';
import { setOpPacer } from '../core/ops.ts';
import { loadConfig } from '../model/config.ts';
import type { ParamStore } from '../model/params.ts';
import type { EvalReply, EvalRequest, EvalWorkerData } from './eval_messages.ts';
import { DEFAULT_OPS_PER_CHUNK, OpPacer, atomicsSleep, type PacerClock } from './op_pacer.ts';
import { evaluate, evaluationParams, validationExamples } from './validation.ts';

const data = workerData as EvalWorkerData;
const port = parentPort!;
const config = loadConfig(data.preset);
const place = { dtype: 'float32', device: data.device } as const;
const runtime = data.runtime ?? {};
if (data.device === 'cuda') native.streamSetCurrent(native.streamCreate());
const drainEvent = data.device === 'cuda' ? native.eventCreate() : -1;
const clock: PacerClock = {
  now: () => performance.now(),
  // CPU ops run synchronously: a chunk is over when its last op returns
  drain: data.device === 'cuda' ? () => {
    native.eventRecord(drainEvent, native.streamCurrent());
    native.eventSynchronize(drainEvent);
  } : () => {},
  sleep: atomicsSleep,
};
const pacer = data.share < 1 ? new OpPacer({ share: data.share, opsPerChunk: DEFAULT_OPS_PER_CHUNK, clock, release: data.pacing }) : null;
const examples = await validationExamples(data.valDir, data.perStep);
port.postMessage({ kind: 'ready', chains: examples.length } satisfies EvalReply);

port.on('message', (req: EvalRequest) => {
  const t0 = performance.now();
  let at = 0;
  const values = req.shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return req.flat.subarray(at, (at += n));
  });
  let params: ParamStore | null = null;
  try {
    const busy0 = pacer?.busyMs ?? 0, slept0 = pacer?.sleptMs ?? 0;
    pacer?.restart();
    // paced from the weights' bf16 copies on (the uploads are copies, not ops)
    if (pacer) setOpPacer(pacer.onOp);
    params = evaluationParams(req.names, req.shapes, values, place, runtime);
    port.postMessage({ kind: 'loaded', step: req.step, flat: req.flat } satisfies EvalReply, [req.flat.buffer as ArrayBuffer]);
    const metrics = evaluate(params, config, place, examples, runtime);
    setOpPacer(null);
    const paced = pacer ? { busy_ms: pacer.busyMs - busy0, slept_ms: pacer.sleptMs - slept0 } : undefined;
    port.postMessage({ kind: 'result', step: req.step, metrics, seconds: (performance.now() - t0) / 1000, ...(paced ? { paced } : {}) } satisfies EvalReply);
  } catch (error) {
    port.postMessage({ kind: 'error', step: req.step, message: (error as Error).message } satisfies EvalReply);
  } finally {
    setOpPacer(null);
    params?.dispose();
  }
});
