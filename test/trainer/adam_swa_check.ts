// Shared by the CPU test (train_fused_adam_swa_native.test.ts) and the GPU
// test (test/gpu/adam_swa.gpu.ts): the native multi-tensor op `adam_swa`
// (or its planned form adam_swa_plan + adam_swa_step; + `grad_norm_sq` for the clip) against the TS reference
// (trainer/train/fused_adam_swa.ts + clip.ts semantics) on random data, over
// several steps and parameters of many sizes (tiny ones, several 4096-element
// chunks, a ragged last chunk). Both sides do the same float32 operations in
// the same order, so the comparison is bit for bit; the squared norm (a
// float64 sum in another order) is compared relatively.
import { tensor, type DeviceName, type Tensor } from '../../trainer/core/tensor.ts';
import { scope } from '../../trainer/autograd/index.ts';
import { fusedAdamSwaStep, fromBf16Bits, type AdamSwaConfig } from '../../trainer/train/fused_adam_swa.ts';
import { AdamSwaPlan, fusedAdamSwaDevice, gradNormSq, type DeviceSlot } from '../../trainer/train/fused_adam_swa_native.ts';

export interface AdamSwaComparison {
  /** Elements compared per step (all fields). */
  elements: number;
  /** Elements whose bits differ, per field, summed over the steps. */
  mismatches: Record<'param' | 'm' | 'v' | 'average' | 'bf16', number>;
  /** Largest |a - b| / max(|b|, tiny) over all fields and steps. */
  maxRelDiff: number;
  /** Largest relative difference of the squared gradient norm (clip runs). */
  normSqRelDiff: number;
  /** Steps where the clip scaled the gradients. */
  clippedSteps: number;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export function compareAdamSwa(device: DeviceName, sizes: readonly number[], steps: number, config: AdamSwaConfig, options: { clip: number | null; seed: number; lr: number; form?: 'inputs' | 'plan' }): AdamSwaComparison {
  const rand = lcg(options.seed);
  const sym = (scale: number) => (rand() - 0.5) * 2 * scale;
  const ref = sizes.map((n) => ({
    param: Float32Array.from({ length: n }, () => sym(1)),
    m: Float32Array.from({ length: n }, () => sym(1e-3)),
    v: Float32Array.from({ length: n }, () => rand() * 1e-6),
    average: Float32Array.from({ length: n }, () => sym(1)),
    bf16: new Uint16Array(n),
  }));
  const out: AdamSwaComparison = { elements: sizes.reduce((a, b) => a + b, 0), mismatches: { param: 0, m: 0, v: 0, average: 0, bf16: 0 }, maxRelDiff: 0, normSqRelDiff: 0, clippedSteps: 0 };
  const put = (a: Float32Array) => tensor(a, [a.length], { device });
  const slots: DeviceSlot[] = ref.map((r) => ({
    param: put(r.param), m: put(r.m), v: put(r.v), average: put(r.average),
    copy: tensor(new Float32Array(r.param.length), [r.param.length], { dtype: 'bfloat16', device }),
  }));
  const plan = options.form === 'plan' ? AdamSwaPlan.build(slots) : null;
  try {
    for (let step = 1; step <= steps; step++) {
      // gradients over several magnitudes (some exactly zero)
      const grads = sizes.map((n) => Float32Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : sym(10 ** (-1 - Math.floor(rand() * 4))))));
      scope(() => {
        const gd = grads.map((g) => put(g));
        let scale = 1;
        let clip = null;
        if (options.clip !== null) {
          const normSq = gradNormSq(gd);
          const dev = normSq.toArray()[0]!;
          let sum = 0;
          for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
          out.normSqRelDiff = Math.max(out.normSqRelDiff, Math.abs(dev - sum) / sum);
          const s = options.clip / (Math.sqrt(dev) + 1e-6);
          if (s < 1) {
            scale = Math.fround(s);
            out.clippedSteps += 1;
          }
          clip = { normSq, maxNorm: options.clip };
        }
        if (plan) plan.step(gd, options.lr, step, config, clip);
        else fusedAdamSwaDevice(slots, gd, options.lr, step, config, clip);
        ref.forEach((r, k) => {
          const g = scale === 1 ? grads[k]! : grads[k]!.map((x) => Math.fround(x * scale));
          fusedAdamSwaStep({ param: r.param, grad: g, m: r.m, v: r.v, average: r.average, bf16: r.bf16 }, options.lr, step, config);
        });
      });
      slots.forEach((s, k) => {
        const r = ref[k]!;
        const fields: [keyof AdamSwaComparison['mismatches'], Tensor, Float32Array][] = [
          ['param', s.param, r.param], ['m', s.m, r.m], ['v', s.v, r.v], ['average', s.average, r.average],
          ['bf16', s.copy!, Float32Array.from(r.bf16, (b) => fromBf16Bits(b))],
        ];
        for (const [name, t, want] of fields) {
          const got = t.toArray();
          for (let i = 0; i < want.length; i++) {
            if (Object.is(got[i], want[i])) continue;
            out.mismatches[name] += 1;
            out.maxRelDiff = Math.max(out.maxRelDiff, Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), 1e-30));
          }
        }
      });
    }
  } finally {
    plan?.dispose();
    for (const s of slots) for (const t of [s.param, s.m, s.v, s.average, s.copy!]) t.dispose();
  }
  return out;
}
