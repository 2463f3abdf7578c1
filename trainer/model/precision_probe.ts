// Precision probe: the full-width model (initial-training widths, perturbed
// seeded parameters, synthetic N_res 16 batch, 2 iterations) run on one
// device and dtype; writes the loss terms and per-tensor gradient norms as
// JSON and compares them with another run's JSON. Usage:
//   DTYPE=float64 node --import tsx trainer/model/precision_probe.ts cpu 48 ref.json
//   node --import tsx trainer/model/precision_probe.ts cuda 48 out.json ref.json
// TRUNK_DTYPE=bfloat16 runs the bf16 trunk (fp32 masters, structure module,
// heads, losses), CHECKPOINT=1 checkpoints every block (runtime options).
// The bf16 bound of a figure is the float32 run's figure x 2^16
// (precision_check.ts).

import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { native } from '../core/binding.ts';
import { Tape, gradientOf, recordOn, scope } from '../autograd/index.ts';
import { evalRuntime } from './runtime.ts';
import { alphaFold } from './alphafold.ts';
import { alphaFoldLoss } from './alphafold_loss.ts';
import { loadConfig } from './config.ts';
import { modelParamSpec } from './param_spec.ts';
import { initParams } from './param_init.ts';
import { ParamStore } from './params.ts';
import { syntheticBatch } from './synthetic_batch.ts';
import { Rng } from '../../features/rng.ts';

const device = process.argv[2] as 'cpu' | 'cuda';
const dtype = (process.env.DTYPE ?? (device === 'cpu' ? 'float64' : 'float32')) as 'float64' | 'float32';
const c = loadConfig('initial_training', { 'model.evoformer_stack.no_blocks': Number(process.argv[3] ?? 48) });
const specs = modelParamSpec(c);
const values = initParams(specs, 1);
// perturb every parameter (zero-initialised output layers would zero most gradients)
const rng = Rng.fromSeed(2);
for (const s of specs) {
  const v = values.get(s.name)!;
  const scale = s.shape.length >= 2 ? 0.5 / Math.sqrt(s.shape[s.shape.length - 1]!) : 0.05;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! + (2 * rng.float() - 1) * scale;
}
const params = ParamStore.fromValues(specs, values, dtype, device);
const f = syntheticBatch({ nRes: 16, nMsa: 8, nExtra: 16, nTemplates: 2, iterations: 2 }, 3);
const place = { dtype, device } as const;
const options = {
  ...(process.env.TRUNK_DTYPE === 'bfloat16' ? { trunkDtype: 'bfloat16' as const } : {}),
  ...(process.env.CHECKPOINT === '1' ? { checkpointBlocks: true } : {}),
};
const t0 = performance.now();
const result: { loss: Record<string, number>; grads: Record<string, number> } = { loss: {}, grads: {} };
scope(() => {
  const tape = new Tape();
  let loss!: ReturnType<typeof alphaFoldLoss>;
  recordOn(tape, () => { loss = alphaFoldLoss(alphaFold(params, evalRuntime(place, options), c, f, 2), c, f, 1); });
  result.loss = { ...loss.breakdown };
  gradientOf(tape, loss.total);
});
if (device === 'cuda') native.synchronize();
for (const [name, t] of params.tensors) {
  let s = 0;
  if (t.grad) for (const x of t.grad.toArray()) s += x * x;
  result.grads[name] = Math.sqrt(s);
}
console.log(device, dtype, JSON.stringify(options), 'ms', (performance.now() - t0).toFixed(0));
const out = process.argv[4] ?? `precision_${device}.json`;
writeFileSync(out, JSON.stringify(result));
const ref = process.argv[5];
if (ref && existsSync(ref)) {
  const r = JSON.parse(readFileSync(ref, 'utf8')) as typeof result;
  let worstLoss = 0;
  for (const [k, v] of Object.entries(result.loss)) worstLoss = Math.max(worstLoss, Math.abs(v - r.loss[k]!) / Math.max(Math.abs(r.loss[k]!), 1e-30));
  const rels = Object.entries(result.grads).filter(([k]) => r.grads[k]! > 1e-12).map(([k, v]) => Math.abs(v - r.grads[k]!) / r.grads[k]!).sort((a, b) => a - b);
  console.log(`vs ${ref}: loss terms worst rel ${worstLoss.toExponential(2)}; grad norms over ${rels.length} tensors: median rel ${rels[rels.length >> 1]!.toExponential(2)}, p99 ${rels[Math.floor(rels.length * 0.99)]!.toExponential(2)}, max ${rels[rels.length - 1]!.toExponential(2)}`);
  console.log('loss', JSON.stringify(result.loss));
}
