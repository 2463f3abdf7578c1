// How far a lower-precision run (float32, or the bf16 trunk) is from a
// float64 debug state, and the bf16 tolerance derived from a float32 run.
//
// Errors measured (every one relative to the golden's own values):
//   loss terms: |a - b| / |b| per term (|a| where b is 0);
//   gradients: global = ||a - b|| / ||b|| over all parameters concatenated,
//     and the median over parameter tensors of ||a_t - b_t|| / ||b_t||
//     (tensors whose reference gradient is ~0 left out: their relative error
//     is noise, e.g. a layer-norm bias feeding only a softmax's shift).
// The bf16 tolerance of each figure is the float32 run's figure times
// eps(bf16) / eps(fp32) = 2^-7 / 2^-23 = 2^16: the model's own amplification
// of rounding error, measured in float32, applied to bf16's unit roundoff.
// Loss terms use the largest float32 term error for every term (a single
// term's float32 error can be small by chance). Only the trunk is bf16, so
// the real errors sit well below these bounds (tiny model: loss ≤ 1.7e-3
// vs 3.1e-2, gradients 2.0e-2 / 1.7e-2 vs 5.5e-2 / 5.4e-2), while a wrong
// layer (one block's transition or a triangle update skipped) gives loss
// errors ≥ 0.11 and gradient errors ≥ 0.2.
//
// Not per-tensor maxima: the pLDDT head's targets are lDDT bins of the
// predicted positions, and bf16-level changes of the positions move about a
// third of the residues to a neighbouring bin (16 of 45 on model_tiny), so
// the pLDDT head's small gradients (norm ~1e-3, a near-cancelling sum) differ
// by O(1) relative. Discrete, not a precision bug.

/** eps(bfloat16) / eps(float32). */
export const BF16_OVER_FP32_EPS = 2 ** 16;

export interface PrecisionErrors {
  /** relative error per loss term */
  loss: Record<string, number>;
  /** largest relative loss-term error */
  lossMax: number;
  /** ||a - b|| / ||b|| over every gradient */
  gradGlobal: number;
  /** median over tensors of ||a_t - b_t|| / ||b_t|| */
  gradMedian: number;
}

/** A reference gradient below this fraction of the largest tensor norm counts as ~0. */
const ZERO_GRAD_FRACTION = 1e-12;

/**
 * Errors of a run (loss terms, gradients by parameter name; a missing
 * gradient counts as zeros) against reference values.
 */
export function precisionErrors(
  loss: Readonly<Record<string, number>>, grads: ReadonlyMap<string, ArrayLike<number> | null>,
  refLoss: (name: string) => number, refGrad: (name: string) => ArrayLike<number>,
): PrecisionErrors {
  const lossErr: Record<string, number> = {};
  let lossMax = 0;
  for (const [name, v] of Object.entries(loss)) {
    const r = refLoss(name);
    const e = r === 0 ? Math.abs(v) : Math.abs(v - r) / Math.abs(r);
    lossErr[name] = e;
    lossMax = Math.max(lossMax, Number.isNaN(e) ? Infinity : e);
  }
  const perTensor: { err: number; ref: number }[] = [];
  let errSq = 0;
  let refSq = 0;
  for (const [name, g] of grads) {
    const r = refGrad(name);
    let e = 0;
    let s = 0;
    for (let i = 0; i < r.length; i++) {
      const d = (g ? g[i]! : 0) - r[i]!;
      e += d * d;
      s += r[i]! * r[i]!;
    }
    errSq += e;
    refSq += s;
    perTensor.push({ err: Math.sqrt(e), ref: Math.sqrt(s) });
  }
  const largest = Math.max(...perTensor.map((t) => t.ref));
  const rel = perTensor.filter((t) => t.ref > ZERO_GRAD_FRACTION * largest).map((t) => t.err / t.ref).sort((a, b) => a - b);
  const gradMedian = rel.length === 0 ? 0 : rel[Math.floor(rel.length / 2)]!;
  const gradGlobal = Math.sqrt(errSq / (refSq || 1));
  return { loss: lossErr, lossMax, gradGlobal: Number.isNaN(gradGlobal) ? Infinity : gradGlobal, gradMedian: Number.isNaN(gradMedian) ? Infinity : gradMedian };
}

/** The bf16 bounds: a float32 run's errors times eps(bf16) / eps(fp32). */
export function bf16Tolerance(fp32: PrecisionErrors): { loss: number; gradGlobal: number; gradMedian: number } {
  return {
    loss: BF16_OVER_FP32_EPS * fp32.lossMax,
    gradGlobal: BF16_OVER_FP32_EPS * fp32.gradGlobal,
    gradMedian: BF16_OVER_FP32_EPS * fp32.gradMedian,
  };
}

/** The figures of errors beyond the bounds (empty when within). */
export function bf16Violations(errors: PrecisionErrors, bounds: ReturnType<typeof bf16Tolerance>): string[] {
  const out: string[] = [];
  for (const [name, e] of Object.entries(errors.loss)) if (!(e <= bounds.loss)) out.push(`loss ${name}: ${e.toExponential(2)} > ${bounds.loss.toExponential(2)}`);
  if (!(errors.gradGlobal <= bounds.gradGlobal)) out.push(`gradients (global): ${errors.gradGlobal.toExponential(2)} > ${bounds.gradGlobal.toExponential(2)}`);
  if (!(errors.gradMedian <= bounds.gradMedian)) out.push(`gradients (median tensor): ${errors.gradMedian.toExponential(2)} > ${bounds.gradMedian.toExponential(2)}`);
  return out;
}
