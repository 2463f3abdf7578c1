// The evaluation worker thread (CPU path of asynchronous evaluation): holds
// the validation examples, and for each request builds a model from the
// averaged weights it was sent and evaluates it (validation.ts), while the
// trainer's thread goes on training. Requests are served in order.
import { parentPort, workerData } from 'node:worker_threads';
import { keep } from '../autograd/index.ts';
import { native } from '../core/binding.ts';
import { parameter, tensor } from '../core/tensor.ts';
import { loadConfig } from '../model/config.ts';
import { ParamStore } from '../model/params.ts';
import type { EvalReply, EvalRequest, EvalWorkerData } from './eval_messages.ts';
import { evaluate, validationExamples } from './validation.ts';

const data = workerData as EvalWorkerData;
const port = parentPort!;
const config = loadConfig(data.preset);
const place = { dtype: 'float32', device: data.device } as const;
// On the GPU the worker's kernels go to a stream of its own (the core's
// current stream is per thread), so evaluation overlaps the training step
// instead of queueing behind it on the same stream.
if (data.device === 'cuda') native.streamSetCurrent(native.streamCreate());
const examples = await validationExamples(data.valDir, data.perStep);
port.postMessage({ kind: 'ready', chains: examples.length } satisfies EvalReply);

port.on('message', (req: EvalRequest) => {
  const t0 = performance.now();
  const tensors = new Map(req.names.map((name, i) => [name, keep(parameter(tensor(req.values[i]!, req.shapes[i]!, place)))]));
  const params = new ParamStore(tensors);
  try {
    const metrics = evaluate(params, config, place, examples);
    port.postMessage({ kind: 'result', step: req.step, metrics, seconds: (performance.now() - t0) / 1000 } satisfies EvalReply);
  } catch (error) {
    port.postMessage({ kind: 'error', step: req.step, message: (error as Error).message } satisfies EvalReply);
  } finally {
    params.dispose();
  }
});
