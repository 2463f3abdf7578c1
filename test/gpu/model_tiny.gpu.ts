// GPU check of the whole model (run.sh test): the tiny configuration of
// test/fixtures/golden/model_tiny (OpenFold's own forward, losses and all 429
// gradients in float64, 2 iterations) run on CUDA, forward + losses +
// backward, against that float64 golden:
//   cuda fp32        everything float32
//   cuda bf16        runtime trunkDtype 'bfloat16' (bf16 embedders, templates,
//                    extra-MSA stack, Evoformer; fp32 masters, structure
//                    module, heads, losses), when the runtime offers it
//   cuda bf16+ckpt   the same with every trunk block checkpointed
// and, as the yardstick, the same model in float32 on the CPU.
//
// Figures (trainer/model/precision_check.ts): the relative error of every
// loss term; for the gradients the global ||a - b|| / ||b|| over all
// parameters and the median over tensors of the per-tensor relative error.
//
// Tolerances, derived from the CPU float32 run (cpu32, measured here, not
// hard-coded; on the CPU it is about 5e-7 for the loss terms and 8e-7 for
// the gradient figures):
//   fp32 on CUDA: 10 x cpu32 + floor (loss 1e-6, gradients 1e-5). The GPU
//     rounds at the same unit roundoff but sums in other orders (blocked
//     GEMMs, tree reductions, the fused attention's online softmax) and its
//     exp/log/rsqrt are 1-2 ulp; on the full-width model those cost about 7x
//     the CPU's error (README: median gradient-norm error 4.6e-6 on the H200
//     vs 7e-7 on the CPU), hence 10x, and the floor covers a figure that the
//     CPU gets by chance almost exactly. The bound stays ~1e-5 while a real
//     bug (a wrong layer, a missed mask, a transposed weight) moves the loss
//     terms by >= 1e-1 and the gradients by >= 2e-1 (model_mixed_precision).
//   bf16 trunk on CUDA: cpu32 x eps(bf16)/eps(fp32) = 2^16 (bf16Tolerance):
//     the model's own amplification of rounding error, measured in float32,
//     applied to bf16's unit roundoff. On the CPU the bf16 trunk lands at
//     about a third of these bounds (loss 1.7e-3 vs 3.1e-2, gradients 2e-2
//     vs 5.5e-2); a skipped Evoformer layer gives >= 0.11 / 0.2, beyond
//     them. The run must also be clearly less accurate than float32
//     (gradients > 100 x cpu32), or the bf16 trunk was not used.
// The check of the check: the fp32 run with one Evoformer MSA transition
// skipped (its output layer zeroed) must fall outside the fp32 bounds.
// Not per-tensor maxima (printed, not checked): the pLDDT head's targets are
// lDDT bins of the predicted positions, and rounding-level moves of the
// positions put residues in a neighbouring bin, so its small gradients
// differ by O(1) relative (a discrete decision, not a precision bug).
//
// SCALEFOLD_GPU_TEST_DEVICE=cpu runs the "cuda" rows on the CPU (a dry run).
// Exit 1 when a check fails or a row errors (e.g. an op CUDA lacks).
import { cudaInfo, tensor, type DeviceName } from '../../trainer/core/tensor.ts';
import { Tape, gradientOf, keep, recordOn, scope } from '../../trainer/autograd/index.ts';
import { GoldenState } from '../../trainer/model/golden_state.ts';
import { alphaFold } from '../../trainer/model/alphafold.ts';
import { alphaFoldLoss } from '../../trainer/model/alphafold_loss.ts';
import { evalRuntime, type ModelRuntime, type RuntimeOptions } from '../../trainer/model/runtime.ts';
import { bf16Tolerance, precisionErrors, type PrecisionErrors } from '../../trainer/model/precision_check.ts';

const device: DeviceName = process.env.SCALEFOLD_GPU_TEST_DEVICE === 'cpu' ? 'cpu' : 'cuda';
if (device === 'cuda' && !cudaInfo().usable) {
  console.error('model_tiny.gpu: no usable CUDA device (SCALEFOLD_GPU_TEST_DEVICE=cpu for a dry run)');
  process.exit(1);
}
const golden = await GoldenState.read('test/fixtures/golden/model_tiny');
const features = (name: string, k: number) => golden.input(name, k);

interface Run {
  loss: Record<string, number>;
  grads: Map<string, Float64Array | null>;
  ms: number;
}

/** Forward + losses + backward of the tiny model in float32 on `dev` under runtime options. */
function runTiny(dev: DeviceName, options: RuntimeOptions, zeroed: readonly string[] = []): Run {
  const place = { dtype: 'float32' as const, device: dev };
  const params = golden.params(place);
  for (const name of zeroed) {
    const t = params.get(name);
    const zero = keep(tensor(new Float32Array(t.size), t.shape, place));
    zero.requiresGrad = true;
    params.tensors.set(name, zero);
    t.dispose();
  }
  const t0 = performance.now();
  try {
    return scope(() => {
      const tape = new Tape();
      const rt: ModelRuntime = evalRuntime(place, options);
      const loss = recordOn(tape, () => {
        const out = alphaFold(params, rt, golden.config, features, golden.iterations);
        return alphaFoldLoss(out, golden.config, features, golden.iterations - 1);
      });
      gradientOf(tape, loss.total);
      const grads = new Map<string, Float64Array | null>();
      for (const [name, t] of params.tensors) grads.set(name, t.grad ? Float64Array.from(t.grad.toArray()) : null);
      return { loss: { ...loss.breakdown }, grads, ms: performance.now() - t0 };
    });
  } finally {
    params.dispose();
  }
}

const errorsOf = (r: Run): PrecisionErrors => precisionErrors(r.loss, r.grads, (n) => golden.loss(n), (n) => golden.grad(n).data);

/** The worst per-tensor gradient errors (information only). */
function worstTensors(r: Run, k = 3): string {
  const rel: [string, number][] = [];
  for (const [name, g] of r.grads) {
    const ref = golden.grad(name).data;
    let e = 0;
    let s = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = (g ? g[i]! : 0) - ref[i]!;
      e += d * d;
      s += ref[i]! * ref[i]!;
    }
    if (s > 1e-24) rel.push([name, Math.sqrt(e / s)]);
  }
  rel.sort((a, b) => b[1] - a[1]);
  return rel.slice(0, k).map(([n, e]) => `${n} ${e.toExponential(1)}`).join('; ');
}

interface Bounds { loss: number; gradGlobal: number; gradMedian: number }
interface Row { name: string; ms?: number; errors?: PrecisionErrors; bounds?: Bounds; failures: string[]; worst?: string; note?: string }
const rows: Row[] = [];

function check(e: PrecisionErrors, b: Bounds): string[] {
  const out: string[] = [];
  for (const [name, x] of Object.entries(e.loss)) if (!(x <= b.loss)) out.push(`loss ${name} ${x.toExponential(2)} > ${b.loss.toExponential(2)}`);
  if (!(e.gradGlobal <= b.gradGlobal)) out.push(`gradients global ${e.gradGlobal.toExponential(2)} > ${b.gradGlobal.toExponential(2)}`);
  if (!(e.gradMedian <= b.gradMedian)) out.push(`gradients median ${e.gradMedian.toExponential(2)} > ${b.gradMedian.toExponential(2)}`);
  return out;
}

function attempt(name: string, fn: () => Row): Row | null {
  try {
    const r = fn();
    rows.push(r);
    return r;
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
    rows.push({ name, failures: [`ERROR: ${msg}`] });
    return null;
  }
}

// the yardstick: the CPU in float32
const cpu = runTiny('cpu', {});
const cpu32 = errorsOf(cpu);
rows.push({ name: 'cpu fp32 (yardstick)', ms: cpu.ms, errors: cpu32, failures: [], worst: worstTensors(cpu) });

const FP32_FACTOR = 10;
const fp32Bounds: Bounds = {
  loss: FP32_FACTOR * cpu32.lossMax + 1e-6,
  gradGlobal: FP32_FACTOR * cpu32.gradGlobal + 1e-5,
  gradMedian: FP32_FACTOR * cpu32.gradMedian + 1e-5,
};
const bf16Bounds: Bounds = bf16Tolerance(cpu32);

attempt(`${device} fp32`, () => {
  const r = runTiny(device, {});
  const e = errorsOf(r);
  return { name: `${device} fp32`, ms: r.ms, errors: e, bounds: fp32Bounds, failures: check(e, fp32Bounds), worst: worstTensors(r) };
});

// the check itself: one Evoformer block's MSA transition skipped must break the fp32 bounds
const SKIPPED = ['evoformer.blocks.1.msa_transition.linear_2.weight', 'evoformer.blocks.1.msa_transition.linear_2.bias'];
attempt(`${device} fp32, a layer skipped (must fail)`, () => {
  const r = runTiny(device, {}, SKIPPED);
  const e = errorsOf(r);
  const broken = check(e, fp32Bounds);
  const failures = broken.some((x) => x.startsWith('loss')) && broken.some((x) => x.startsWith('gradients')) ? [] : [`a skipped layer stays within the fp32 bounds: ${broken.join('; ') || 'all within'}`];
  return { name: `${device} fp32, layer skipped`, ms: r.ms, errors: e, bounds: fp32Bounds, failures, worst: worstTensors(r), note: failures.length ? undefined : 'ok (outside the bounds, as it must be)' };
});

const bf16Offered = evalRuntime({ dtype: 'float32', device }, { trunkDtype: 'bfloat16' }).trunkDtype === 'bfloat16';
for (const [name, options] of [[`${device} bf16`, { trunkDtype: 'bfloat16' }], [`${device} bf16+ckpt`, { trunkDtype: 'bfloat16', checkpointBlocks: true }]] as const) {
  if (!bf16Offered) {
    rows.push({ name, failures: [], note: 'not available (the runtime has no trunkDtype)' });
    continue;
  }
  attempt(name, () => {
    const r = runTiny(device, options);
    const e = errorsOf(r);
    const failures = check(e, bf16Bounds);
    // a run that ignored trunkDtype would pass the bounds too
    if (!(e.gradGlobal > 100 * cpu32.gradGlobal)) failures.push(`not bf16-like: gradient error ${e.gradGlobal.toExponential(2)} <= 100 x float32's ${cpu32.gradGlobal.toExponential(2)}`);
    return { name, ms: r.ms, errors: e, bounds: bf16Bounds, failures, worst: worstTensors(r) };
  });
}

// ---- report
const f = (x: number | undefined) => (x === undefined ? '-' : x.toExponential(2));
console.log(`model_tiny on ${device}: ${golden.iterations} iterations, ${cpu.grads.size} parameter tensors, float64 golden`);
console.log(['run', 'ms', 'loss max rel', 'bound', 'grad global', 'bound', 'grad median', 'bound', 'result'].join('\t'));
for (const r of rows) {
  const e = r.errors;
  const b = r.bounds;
  const result = r.note ?? (r.failures.length ? `FAIL: ${r.failures.join('; ')}` : b ? 'ok' : '(reference)');
  console.log([r.name, r.ms === undefined ? '-' : r.ms.toFixed(0), f(e?.lossMax), f(b?.loss), f(e?.gradGlobal), f(b?.gradGlobal), f(e?.gradMedian), f(b?.gradMedian), result].join('\t'));
}
console.log('\nloss terms: golden and relative error per run');
const measured = rows.filter((r) => r.errors);
console.log(['term', 'golden', ...measured.map((r) => r.name)].join('\t'));
for (const term of Object.keys(cpu.loss)) {
  console.log([term, golden.loss(term).toPrecision(8), ...measured.map((r) => f(r.errors!.loss[term]))].join('\t'));
}
console.log('\nworst per-tensor gradient errors (information; pLDDT bins are discrete, see the header)');
for (const r of measured) console.log(`${r.name}: ${r.worst}`);
const failed = rows.filter((r) => r.failures.length > 0);
console.log(failed.length ? `\nmodel_tiny.gpu: ${failed.length} FAILED` : '\nmodel_tiny.gpu: all ok');
process.exit(failed.length ? 1 : 0);
