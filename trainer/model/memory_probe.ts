// Memory probe: tensors alive after the forward (host bytes, CPU) of the
// full-width initial-training model with fewer Evoformer blocks on a small
// synthetic batch, under the four strategies (plain, checkpointBlocks, bf16
// trunk, both), and the step time. Usage (blocks, N_res; defaults 8, 32):
//   node --import tsx trainer/model/memory_probe.ts 8 32
import { Tape, gradientOf, recordOn, scope } from '../autograd/index.ts';
import { evalRuntime, type RuntimeOptions } from './runtime.ts';
import { alphaFold } from './alphafold.ts';
import { alphaFoldLoss } from './alphafold_loss.ts';
import { loadConfig } from './config.ts';
import { modelParamSpec } from './param_spec.ts';
import { initParams } from './param_init.ts';
import { ParamStore } from './params.ts';
import { syntheticBatch } from './synthetic_batch.ts';
import { memoryStats } from '../core/tensor.ts';
const blocks = Number(process.argv[2] ?? 8), nRes = Number(process.argv[3] ?? 32);
const c = loadConfig('initial_training', { 'model.evoformer_stack.no_blocks': blocks });
const specs = modelParamSpec(c);
const params = ParamStore.fromValues(specs, initParams(specs, 1), 'float32', 'cpu');
const f = syntheticBatch({ nRes, nMsa: 16, nExtra: 32, nTemplates: 2, iterations: 1 }, 3);
const base = memoryStats().hostBytes;
for (const opts of [{}, { checkpointBlocks: true }, { trunkDtype: 'bfloat16' }, { trunkDtype: 'bfloat16', checkpointBlocks: true }] as RuntimeOptions[]) {
  for (const t of params.tensors.values()) {
    t.grad?.dispose();
    t.grad = null;
  }
  const t0 = performance.now();
  let fwd = 0;
  let mem = 0;
  scope(() => {
    const tape = new Tape();
    let loss!: ReturnType<typeof alphaFoldLoss>;
    recordOn(tape, () => {
      loss = alphaFoldLoss(alphaFold(params, evalRuntime({ dtype: 'float32', device: 'cpu' }, opts), c, f, 1), c, f, 0);
    });
    fwd = performance.now() - t0;
    mem = memoryStats().hostBytes - base;
    gradientOf(tape, loss.total);
  });
  console.log(JSON.stringify(opts).padEnd(50), 'MB alive after the forward', (mem / 1e6).toFixed(1), 'fwd ms', fwd.toFixed(0), 'total ms', (performance.now() - t0).toFixed(0));
}
