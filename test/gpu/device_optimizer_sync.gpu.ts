// GPU test of the device optimizer's copies to the host (trainer/train/device_optimizer.ts):
// after a fused step, flatToHost(kind) (one concat on the stream + one copy,
// what checkpoints and the evaluation hand-off use) and syncToHost (each
// tensor straight into its host array) must equal each device tensor read
// back on its own (toArray), bit for bit, for param, m, v and average. Then,
// on cuda, their time for the initial-training parameter set (5,044 tensors,
// 93.2 M values per kind): the training thread's cost of a checkpoint's
// device-to-host part (4 kinds) and of an evaluation hand-off (average).
// SCALEFOLD_GPU_TEST_DEVICE=cpu runs the check on the CPU.
import { scope } from '../../trainer/autograd/index.ts';
import { cudaInfo, tensor } from '../../trainer/core/tensor.ts';
import { loadConfig } from '../../trainer/model/config.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { ParamStore } from '../../trainer/model/params.ts';
import { DeviceOptimizer } from '../../trainer/train/device_optimizer.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { OptimizerState } from '../../trainer/train/optimizer_state.ts';
import { testDevice } from './gpu_harness.ts';

const info = cudaInfo();
if (!info.usable && testDevice === 'cuda') {
  console.error(`no usable CUDA device (compiled: ${info.compiled}); the GPU tests need one`);
  process.exit(1);
}
const KINDS = ['param', 'm', 'v', 'average'] as const;

function setUp(preset: string) {
  const specs = modelParamSpec(loadConfig(preset));
  const host = OptimizerState.fromWeights(specs, initParams(specs, 5), ALPHAFOLD_ADAM_SWA);
  const params = ParamStore.fromValues(specs, host.weights('param'), 'float32', testDevice);
  const dev = DeviceOptimizer.upload(host, params, true);
  scope(() => {
    const grads = specs.map((s, k) => tensor(Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + k) * 0.1), s.shape, { device: testDevice }));
    dev.apply(grads, 1e-3, 0.1).normSq.dispose();
  });
  return { specs, host, params, dev, total: host.slots.reduce((a, s) => a + s.param.length, 0) };
}

let failed = 0;
const check = (what: string, got: Float32Array, want: Float32Array): void => {
  let bad = got.length === want.length ? 0 : 1;
  for (let i = 0; i < Math.min(got.length, want.length); i++) if (!Object.is(got[i], want[i])) bad++;
  if (bad > 0) failed++;
  console.log(`${bad === 0 ? 'ok' : 'FAIL'}\t${what}\t${got.length} values\t${bad} mismatches`);
};

{
  const { host, params, dev, total } = setUp('tiny');
  try {
    for (const kind of KINDS) {
      const want = new Float32Array(total);
      let at = 0;
      dev.slots.forEach((d) => {
        const a = d[kind].toArray() as Float32Array;
        want.set(a, at);
        at += a.length;
      });
      check(`flatToHost('${kind}')`, dev.flatToHost(kind, new ArrayBuffer(total * 4 + 64)), want);
      dev.syncToHost([kind]);
      const synced = new Float32Array(total);
      at = 0;
      for (const s of host.slots) {
        synced.set(s[kind], at);
        at += s[kind].length;
      }
      check(`syncToHost(['${kind}'])`, synced, want);
    }
  } finally {
    dev.dispose();
    params.dispose();
  }
}

if (testDevice === 'cuda') {
  const { params, dev, total } = setUp('initial_training');
  try {
    const buffers = KINDS.map(() => new ArrayBuffer(total * 4));
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const flat: number[] = [], one: number[] = [], sync: number[] = [];
    for (let r = 0; r < 4; r++) {
      let t0 = performance.now();
      KINDS.forEach((k, i) => dev.flatToHost(k, buffers[i]!));
      flat.push(performance.now() - t0);
      t0 = performance.now();
      dev.flatToHost('average', buffers[3]!);
      one.push(performance.now() - t0);
      t0 = performance.now();
      dev.syncToHost(['param', 'm', 'v', 'average']);
      sync.push(performance.now() - t0);
    }
    console.log(`initial_training: ${dev.slots.length} tensors, ${(total / 1e6).toFixed(1)} M values per kind (median of 4, warm buffers)`);
    console.log(`  checkpoint, flatToHost x4 (param m v average): ${med(flat).toFixed(1)} ms`);
    console.log(`  evaluation hand-off, flatToHost('average'):     ${med(one).toFixed(1)} ms`);
    console.log(`  syncToHost(param m v average) per tensor:       ${med(sync).toFixed(1)} ms`);
  } finally {
    dev.dispose();
    params.dispose();
  }
}
process.exit(failed > 0 ? 1 : 0);
