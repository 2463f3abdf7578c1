// The optimizer's view of the model: per parameter (in state_dict order) the
// fp32 master weights, Adam's two moments, the averaged weights and the bf16
// copy, and the number of Adam steps taken. One `apply` is one optimizer step
// of AlphaFold2 training (suppl. 1.11.3): clip the gradients to global norm
// 0.1 (clip.ts), then the fused Adam + weight average + bf16 copy
// (fused_adam_swa.ts, ScaleFold's FusedAdamSWA; CPU reference here).
import type { ParamSpec } from '../model/param_tree.ts';
import { clipByGlobalNorm } from './clip.ts';
import { fusedAdamSwaStep, type AdamSwaConfig } from './fused_adam_swa.ts';

export interface OptimizerSlot {
  name: string;
  shape: number[];
  /** fp32 master weights */ param: Float32Array;
  /** Adam first moment (PyTorch exp_avg) */ m: Float32Array;
  /** Adam second moment (PyTorch exp_avg_sq) */ v: Float32Array;
  /** averaged weights (SWA/EMA) */ average: Float32Array;
  /** bf16 bits of `param` (what a GPU forward reads) */ bf16: Uint16Array;
}

export interface StepReport {
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Scale the clip applied (1: none). */
  clipScale: number;
  lr: number;
}

export class OptimizerState {
  /** Adam steps taken (the bias corrections count from 1). */
  adamStep = 0;

  constructor(readonly slots: OptimizerSlot[], readonly config: AdamSwaConfig) {}

  /** Fresh state from initial weights: zero moments, average = weights. */
  static fromWeights(specs: readonly ParamSpec[], values: ReadonlyMap<string, ArrayLike<number>>, config: AdamSwaConfig): OptimizerState {
    const slots = specs.map((s) => {
      const v = values.get(s.name);
      if (!v) throw new Error(`OptimizerState: no initial values for '${s.name}'`);
      const param = Float32Array.from(v);
      const n = param.length;
      const bf16 = new Uint16Array(n);
      return { name: s.name, shape: [...s.shape], param, m: new Float32Array(n), v: new Float32Array(n), average: param.slice(), bf16 };
    });
    return new OptimizerState(slots, config);
  }

  /** One optimizer step with `grads` (one per slot, same order; clipped in place). */
  apply(grads: readonly Float32Array[], lr: number, clipNorm: number): StepReport {
    if (grads.length !== this.slots.length) throw new RangeError(`apply: ${grads.length} gradients for ${this.slots.length} parameters`);
    const { norm, scale } = clipByGlobalNorm(grads, clipNorm);
    this.adamStep += 1;
    this.slots.forEach((s, i) => {
      fusedAdamSwaStep({ param: s.param, grad: grads[i]!, m: s.m, v: s.v, average: s.average, bf16: s.bf16 }, lr, this.adamStep, this.config);
    });
    return { gradNorm: norm, clipScale: scale, lr };
  }

  /** name -> values of the master or the averaged weights. */
  weights(which: 'param' | 'average'): Map<string, Float32Array> {
    return new Map(this.slots.map((s) => [s.name, s[which]]));
  }
}
