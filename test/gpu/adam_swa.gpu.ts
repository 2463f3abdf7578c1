// GPU test of the fused optimizer op (adam_swa + grad_norm_sq, ScaleFold's
// FusedAdamSWA; trainer/core/src/ops/optimizer.cpp) against the TS reference
// (trainer/train/fused_adam_swa.ts + the clip of clip.ts), then its time on
// the initial-training parameter set (one launch for all parameters vs one
// launch per parameter).
//
// Tolerance: none, bit for bit. Every quantity is one IEEE float32
// operation (mul, add, sub, div, sqrt), correctly rounded on both sides: the
// kernel uses the __f*_rn intrinsics, so nvcc cannot contract a mul + add
// into an FMA (which would round once instead of twice), and CUDA's
// float division and sqrt are IEEE-rounded in these intrinsics; the step
// constants (bias corrections, 1 - decay) are computed once on the host by
// the same TS function. The only float64 quantity, the squared gradient norm,
// is summed in another order on the GPU: compared relatively (1e-12), and
// the clip scale the reference uses is the one the GPU computed from it.
import { cudaInfo, tensor, zeros } from '../../trainer/core/tensor.ts';
import { native } from '../../trainer/core/binding.ts';
import { scope } from '../../trainer/autograd/index.ts';
import { loadConfig } from '../../trainer/model/config.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { AdamSwaPlan, fusedAdamSwaDevice, gradNormSq, type DeviceSlot } from '../../trainer/train/fused_adam_swa_native.ts';
import { compareAdamSwa } from '../trainer/adam_swa_check.ts';
import { testDevice } from './gpu_harness.ts';

const info = cudaInfo();
if (!info.usable && testDevice === 'cuda') {
  console.error(`no usable CUDA device (compiled: ${info.compiled}); the GPU tests need one`);
  process.exit(1);
}

let failed = 0;
const SIZES = [1, 7, 128, 4096, 4097, 3 * 4096 + 5, 20_000, 1 << 20];
const cases: [string, Parameters<typeof compareAdamSwa>[4], typeof ALPHAFOLD_ADAM_SWA][] = [
  ['no clip, decay 0.999', { clip: null, seed: 11, lr: 1e-3 }, ALPHAFOLD_ADAM_SWA],
  ['clip 0.1, decay 0.9', { clip: 0.1, seed: 5, lr: 5e-4 }, { ...ALPHAFOLD_ADAM_SWA, averageDecay: 0.9 }],
  ['planned, clip 0.1', { clip: 0.1, seed: 7, lr: 5e-4, form: 'plan' }, { ...ALPHAFOLD_ADAM_SWA, averageDecay: 0.9 }],
  ['planned, no clip', { clip: null, seed: 3, lr: 1e-3, form: 'plan' }, ALPHAFOLD_ADAM_SWA],
];
console.log(['case', 'elements', 'steps', 'clipped', 'mismatches (param m v avg bf16)', 'max rel diff', 'norm² rel diff', ''].join('\t'));
for (const [name, opts, cfg] of cases) {
  const steps = 5;
  const r = compareAdamSwa(testDevice, SIZES, steps, cfg, opts);
  const mm = r.mismatches;
  const total = mm.param + mm.m + mm.v + mm.average + mm.bf16;
  const ok = total === 0 && r.normSqRelDiff < 1e-12 && (opts.clip === null || r.clippedSteps === steps);
  if (!ok) failed++;
  console.log([name, r.elements, steps, r.clippedSteps, `${mm.param} ${mm.m} ${mm.v} ${mm.average} ${mm.bf16}`, r.maxRelDiff.toExponential(1), r.normSqRelDiff.toExponential(1), ok ? 'ok' : 'FAIL'].join('\t'));
}

// Time on the initial-training parameter set.
const specs = modelParamSpec(loadConfig('initial_training'));
const numel = specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
const dev = testDevice;
const slots: DeviceSlot[] = [];
const grads = specs.map((s) => {
  const n = s.shape.reduce((x, y) => x * y, 1);
  const fill = () => zeros([n], { device: dev });
  slots.push({ param: fill(), m: fill(), v: fill(), average: fill(), copy: tensor(new Float32Array(n), [n], { dtype: 'bfloat16', device: dev }) });
  return fill();
});
const time = (label: string, reps: number, f: () => void) => {
  f();
  native.synchronize();
  const e0 = native.eventCreate(), e1 = native.eventCreate();
  native.eventRecord(e0, native.streamCurrent());
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  const hostMs = (performance.now() - t0) / reps;
  native.eventRecord(e1, native.streamCurrent());
  native.eventSynchronize(e1);
  const gpuMs = native.eventElapsed(e0, e1) / reps;
  native.eventDestroy(e0);
  native.eventDestroy(e1);
  console.log(`${label}: ${gpuMs.toFixed(3)} ms per step (GPU, events), ${hostMs.toFixed(3)} ms host enqueue`);
  return gpuMs;
};
if (dev === 'cuda') {
  console.log(`initial_training: ${specs.length} parameter tensors, ${(numel / 1e6).toFixed(2)} M elements; adam_swa moves ${(numel * 38 / 1e9).toFixed(2)} GB (reads p g m v avg, writes p m v avg bf16)`);
  const fused = time('grad_norm_sq + adam_swa, one launch each for all tensors', 20, () => scope(() => {
    fusedAdamSwaDevice(slots, grads, 1e-3, 3, ALPHAFOLD_ADAM_SWA, { normSq: gradNormSq(grads), maxNorm: 0.1 });
  }));
  const plan = AdamSwaPlan.build(slots);
  const planned = time('grad_norm_sq + adam_swa_step (planned: one gradient handle per tensor), the training path', 20, () => scope(() => {
    plan.step(grads, 1e-3, 3, ALPHAFOLD_ADAM_SWA, { normSq: gradNormSq(grads), maxNorm: 0.1 });
  }));
  plan.dispose();
  console.log(`planned / unplanned: ${(planned / fused).toFixed(2)}`);
  const perTensor = time('adam_swa, one launch per tensor (no clip)', 3, () => scope(() => {
    slots.forEach((s, i) => fusedAdamSwaDevice([s], [grads[i]!], 1e-3, 3, ALPHAFOLD_ADAM_SWA));
  }));
  console.log(`per-tensor / fused: ${(perTensor / fused).toFixed(1)}x`);
}
for (const s of slots) for (const t of [s.param, s.m, s.v, s.average, s.copy!]) t.dispose();
for (const g of grads) g.dispose();
if (failed > 0) {
  console.error(`${failed} adam_swa case(s) FAILED`);
  process.exit(1);
}
console.log('adam_swa: all cases bit-identical to the reference');
