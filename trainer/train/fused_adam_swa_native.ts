// The fused optimizer step on core tensors (the native multi-tensor op
// `adam_swa`, trainer/core/src/ops/optimizer.cpp; ScaleFold's FusedAdamSWA):
// one launch updates every parameter's fp32 master weights, Adam moments,
// averaged weights and bf16 copy, in place. `grad_norm_sq` gives the squared
// global gradient norm on the device, so that the clip (clip.ts semantics)
// is applied inside the same launch with no host round trip. The host
// constants are those of the CPU reference (fused_adam_swa.ts), so the op
// matches it bit for bit.
import { runOpAll, runOp } from '../core/ops.ts';
import type { Tensor } from '../core/tensor.ts';
import { keep } from '../autograd/index.ts';
import { adamSwaScalars, type AdamSwaConfig } from './fused_adam_swa.ts';

export interface DeviceSlot {
  /** fp32 master weights (updated in place). */
  param: Tensor;
  m: Tensor;
  v: Tensor;
  average: Tensor;
  /** bf16 copy of `param` written by the step, or null. */
  copy: Tensor | null;
}

/** The squared global L2 norm of `grads` (float64 [1] on their device; deterministic order). */
export function gradNormSq(grads: readonly Tensor[]): Tensor {
  return runOpAll('grad_norm_sq', grads)[0]!;
}

export interface DeviceClip {
  /** From gradNormSq. */
  normSq: Tensor;
  maxNorm: number;
}

/**
 * One optimizer step on every slot (`step` 1-based); with `clip`, the
 * gradients are scaled by maxNorm / (norm + 1e-6) when that is below 1
 * (the gradients themselves are not modified).
 */
export function fusedAdamSwaDevice(slots: readonly DeviceSlot[], grads: readonly Tensor[], lr: number, step: number, c: AdamSwaConfig, clip: DeviceClip | null = null): void {
  if (grads.length !== slots.length) throw new RangeError(`fusedAdamSwaDevice: ${grads.length} gradients for ${slots.length} parameters`);
  const k = adamSwaScalars(lr, step, c);
  const inputs: (Tensor | null)[] = [clip ? clip.normSq : null];
  slots.forEach((s, i) => inputs.push(s.param, grads[i]!, s.m, s.v, s.average, s.copy));
  runOp('adam_swa', inputs, {
    step_size: k.stepSize, sqrt_correction2: k.sqrtCorrection2, beta1: k.b1, beta2: k.b2, eps: k.eps, keep: k.keep,
    clip_norm: clip ? clip.maxNorm : 0,
  });
}

/**
 * The state's pointers prepared once (native `adam_swa_plan`), so that a step
 * (`adam_swa_step`) passes one gradient handle per parameter instead of six
 * handles: the per-step cost is the gradients' handles plus one launch. The
 * plan holds raw pointers into the slots' tensors: they must outlive it and
 * never be replaced (DeviceOptimizer keeps them).
 */
export class AdamSwaPlan {
  private constructor(private readonly plan: Tensor, private readonly header: Tensor, readonly size: number) {}

  static build(slots: readonly DeviceSlot[]): AdamSwaPlan {
    const inputs: (Tensor | null)[] = [];
    for (const s of slots) inputs.push(s.param, s.m, s.v, s.average, s.copy);
    const [plan, header] = runOpAll('adam_swa_plan', inputs);
    return new AdamSwaPlan(keep(plan!), keep(header!), slots.length);
  }

  /** One step (as fusedAdamSwaDevice) with `grads` in the slots' order. */
  step(grads: readonly Tensor[], lr: number, step: number, c: AdamSwaConfig, clip: DeviceClip | null = null): void {
    if (grads.length !== this.size) throw new RangeError(`AdamSwaPlan.step: ${grads.length} gradients for ${this.size} parameters`);
    const k = adamSwaScalars(lr, step, c);
    runOp('adam_swa_step', [clip ? clip.normSq : null, this.plan, this.header, ...grads], {
      step_size: k.stepSize, sqrt_correction2: k.sqrtCorrection2, beta1: k.b1, beta2: k.b2, eps: k.eps, keep: k.keep,
      clip_norm: clip ? clip.maxNorm : 0,
    });
  }

  dispose(): void {
    this.plan.dispose();
    this.header.dispose();
  }
}
