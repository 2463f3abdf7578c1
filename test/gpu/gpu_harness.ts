// GPU checks of every CUDA op against the CPU reference (run only on a GPU
// machine: `make test-gpu`, or `.device/run.sh test` through the bundle).
// For each op and dtype, on fresh random inputs (rounded to the dtype first):
//   ref64 = the CPU op in float64 (the exact answer for these inputs),
//   refSame = the CPU op in the tested dtype (what that precision costs),
//   gpu = the CUDA op in the tested dtype, outputs poisoned before each run
//         (pooled device memory filled with NaN bytes), so an unwritten
//         element is NaN and fails.
// Pass when relErr(gpu, ref64) <= 2 * relErr(refSame, ref64) + floor, the
// FlashAttention rule (at most twice the error of a same-precision
// reference) plus a floor for outputs that the reference gets exactly.
import { native } from '../../trainer/core/binding.ts';
import { Tensor, tensor, type DType, type DeviceName } from '../../trainer/core/tensor.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { relErr, count } from '../trainer/core_gradcheck.ts';

export interface GpuInput {
  shape: number[];
  values: Float64Array | Int32Array;
  int?: boolean; // int32 input (indices)
  grad?: boolean; // default: true for float inputs
}

export type Mode = 'float32' | 'bfloat16' | 'tf32';

/**
 * Floors, per mode:
 *  float32: 1e-6. float32 rounds at 6e-8 per operation; where the reference
 *    is exact (copies, elementwise ops) the GPU may still differ by an ulp
 *    in exp/log/sqrt (CUDA's float functions are within 1-2 ulp), a few 1e-7
 *    norm-wise.
 *  bfloat16: 1e-4. Both sides round the output to bf16 (2^-9 relative), so
 *    the reference error is already ~1e-3; the floor only covers reference
 *    errors that happen to be near zero.
 *  tf32: 5e-3. TF32 tensor cores round the float32 inputs to 10 mantissa
 *    bits (unit roundoff 2^-11 = 4.9e-4); a product carries up to ~1e-3 and
 *    the norm-wise error of K-term sums of random-sign terms stays about
 *    there. The float32 CPU reference does not pay it, hence a floor.
 */
export const FLOORS: Record<Mode, number> = { float32: 1e-6, bfloat16: 1e-4, tf32: 5e-3 };

interface Evaluation {
  out: number[];
  grads: (number[] | null)[];
}

function evaluate(fn: (xs: Tensor[]) => Tensor, inputs: GpuInput[], values: (Float64Array | Int32Array)[], dtype: DType, device: DeviceName, seed: Float64Array | null, withGrad: boolean): Evaluation {
  return ag.scope(() => {
    const xs = inputs.map((inp, i) => {
      const host = tensor(values[i], inp.shape, { dtype: inp.int ? 'int32' : dtype });
      const t = device === 'cuda' ? host.to('cuda') : host;
      if (!inp.int && inp.grad !== false && withGrad) t.requiresGrad = true;
      return t;
    });
    const poison = () => {
      if (device === 'cuda') native.poisonDevicePool(256 << 20);
    };
    poison();
    const tape = new ag.Tape();
    const out = ag.recordOn(tape, () => (withGrad ? fn(xs) : ag.noGrad(() => fn(xs))));
    const result: Evaluation = { out: Array.from(out.toArray()), grads: [] };
    if (withGrad && seed && out.requiresGrad) {
      const seedT = tensor(seed, out.shape, { dtype: out.dtype, device });
      poison();
      ag.gradientOf(tape, out, seedT);
      result.grads = xs.map((x) => (x.grad ? Array.from(x.grad.toArray()) : null));
    }
    tape.release();
    for (const x of xs) if (x.grad) x.grad.dispose();
    return result;
  });
}

export interface Row {
  op: string;
  mode: Mode;
  tensor: string;
  eRef: number;
  eGpu: number;
  limit: number;
  pass: boolean;
}

export const rows: Row[] = [];

/** SCALEFOLD_GPU_TEST_DEVICE=cpu runs the harness with the CPU in the GPU's place (a dry run of the harness itself). */
export const testDevice: DeviceName = process.env.SCALEFOLD_GPU_TEST_DEVICE === 'cpu' ? 'cpu' : 'cuda';

/**
 * Runs one op in one mode on CPU (float64 and same precision) and CUDA, and records the comparison.
 * errorFactor (default 2, the FlashAttention rule): the GPU may carry this many times the same-precision
 * reference's error; a path that rounds intermediates on purpose states its own factor where it is checked.
 */
export function checkOp(op: string, mode: Mode, inputs: GpuInput[], fn: (xs: Tensor[], mode: Mode) => Tensor, withGrad = true, errorFactor = 2): void {
  const dtype: DType = mode === 'bfloat16' ? 'bfloat16' : 'float32';
  // round the inputs to the tested dtype once, so every evaluation sees the same values
  const values = inputs.map((inp) =>
    inp.int ? inp.values : Float64Array.from(ag.scope(() => tensor(inp.values, inp.shape, { dtype }).toArray())),
  );
  const f = (xs: Tensor[]) => fn(xs, mode);
  const f64 = (xs: Tensor[]) => fn(xs, 'float32');
  const probe = evaluate(f64, inputs, values, 'float64', 'cpu', null, false);
  const seed = Float64Array.from(ag.scope(() => tensor(Float64Array.from({ length: probe.out.length }, () => Math.random() * 2 - 1), [probe.out.length], { dtype }).toArray()));
  const ref64 = evaluate(f64, inputs, values, 'float64', 'cpu', seed, withGrad);
  const same = evaluate(f, inputs, values, dtype, 'cpu', seed, withGrad);
  const gpu = evaluate(f, inputs, values, dtype, testDevice, seed, withGrad);
  const compare = (name: string, r64: number[] | null, rs: number[] | null, g: number[] | null) => {
    if (!r64) return;
    const eRef = rs ? relErr(rs, r64) : NaN;
    const eGpu = g ? relErr(g, r64) : NaN;
    const limit = errorFactor * eRef + FLOORS[mode];
    rows.push({ op, mode, tensor: name, eRef, eGpu, limit, pass: eGpu <= limit });
  };
  compare('out', ref64.out, same.out, gpu.out);
  ref64.grads.forEach((g, i) => compare(`d${i}`, g, same.grads[i] ?? null, gpu.grads[i] ?? null));
}

export function randomValues(shape: number[], lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: count(shape) }, () => lo + (hi - lo) * Math.random());
}

export function printRows(): number {
  const fmt = (x: number) => (Number.isNaN(x) ? 'NaN' : x.toExponential(1));
  console.log(['op', 'mode', 'tensor', 'err(cpu same prec)', 'err(gpu)', 'limit', ''].join('\t'));
  let failed = 0;
  for (const r of rows) {
    if (!r.pass) failed++;
    console.log([r.op, r.mode, r.tensor, fmt(r.eRef), fmt(r.eGpu), fmt(r.limit), r.pass ? 'ok' : 'FAIL'].join('\t'));
  }
  return failed;
}
