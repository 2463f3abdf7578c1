// CPU reference of the fused optimizer step (ScaleFold's FusedAdamSWA): one
// pass over every parameter does
//   1. Adam (Kingma & Ba; PyTorch's formulation, no weight decay), AlphaFold2
//      supplementary 1.11.3: beta1 0.9, beta2 0.999, eps 1e-6;
//   2. the weight average (OpenFold's ExponentialMovingAverage, decay 0.999;
//      0.9 in the MLPerf runs): avg <- avg - (1 - decay) * (avg - param);
//   3. the bf16 copy of the updated fp32 master weight used by the forward pass
//      (round to nearest even).
// The CUDA kernel in trainer/core does the same per element; this is what it is
// checked against. Gradient clipping by global norm happens before (clip.ts).

export interface AdamSwaConfig {
  beta1: number;
  beta2: number;
  eps: number;
  /** Weight-average decay. */
  averageDecay: number;
}

export const ALPHAFOLD_ADAM_SWA: Readonly<AdamSwaConfig> = Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-6, averageDecay: 0.999 });

export interface ParameterState {
  /** fp32 master weights. */
  param: Float32Array;
  grad: Float32Array;
  /** Adam first and second moments. */
  m: Float32Array;
  v: Float32Array;
  /** Averaged weights (SWA/EMA). */
  average: Float32Array;
  /** bf16 bits of the updated weights. */
  bf16: Uint16Array;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> bfloat16 bits, round to nearest even (NaN kept quiet). */
export function toBf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounding = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}

export function fromBf16Bits(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

/** The float32 constants of one step (the native op `adam_swa` gets the same values). */
export interface AdamSwaScalars {
  b1: number;
  b2: number;
  eps: number;
  /** lr / (1 - beta1^step) */
  stepSize: number;
  /** sqrt(1 - beta2^step) */
  sqrtCorrection2: number;
  /** 1 - decay */
  keep: number;
}

export function adamSwaScalars(lr: number, step: number, c: AdamSwaConfig): AdamSwaScalars {
  const fr = Math.fround;
  return {
    b1: fr(c.beta1), b2: fr(c.beta2), eps: fr(c.eps),
    stepSize: fr(lr / (1 - c.beta1 ** step)),
    sqrtCorrection2: fr(Math.sqrt(1 - c.beta2 ** step)),
    keep: fr(1 - c.averageDecay),
  };
}

/**
 * One optimizer step on one parameter tensor, in place. `step` is 1-based
 * (the bias corrections use it); every intermediate is rounded to fp32 as the
 * GPU kernel computes it.
 */
export function fusedAdamSwaStep(state: ParameterState, lr: number, step: number, c: AdamSwaConfig = ALPHAFOLD_ADAM_SWA): void {
  const { param, grad, m, v, average, bf16 } = state;
  const n = param.length;
  if (grad.length !== n || m.length !== n || v.length !== n || average.length !== n || bf16.length !== n) {
    throw new RangeError(`fusedAdamSwaStep: tensors of ${n} elements expected`);
  }
  const fr = Math.fround;
  const { b1, b2, eps, stepSize, sqrtCorrection2, keep } = adamSwaScalars(lr, step, c);
  for (let i = 0; i < n; i++) {
    const g = grad[i]!;
    const mi = fr(fr(b1 * m[i]!) + fr(fr(1 - b1) * g));
    const vi = fr(fr(b2 * v[i]!) + fr(fr(fr(1 - b2) * g) * g));
    m[i] = mi;
    v[i] = vi;
    const denom = fr(fr(fr(Math.sqrt(vi)) / sqrtCorrection2) + eps);
    const p = fr(param[i]! - fr(stepSize * fr(mi / denom)));
    param[i] = p;
    average[i] = fr(average[i]! - fr(keep * fr(average[i]! - p)));
    bf16[i] = toBf16Bits(p);
  }
}
