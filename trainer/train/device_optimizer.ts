// The optimizer state on the GPU (ScaleFold's FusedAdamSWA setting): the fp32
// master weights are the model's parameter tensors themselves (ParamStore),
// next to them Adam's moments, the averaged weights and, under a bf16 trunk,
// the bf16 copies registered as the store's shadows; one step is
// grad_norm_sq + adam_swa_step (fused_adam_swa_native.ts; the state's
// pointers prepared once in an AdamSwaPlan), a few launches for all
// parameters, updating everything in place, with no host round trip. The host OptimizerState stays the format of checkpoints and of
// the evaluator: syncToHost copies the device state into its slots when one
// of them needs it (every checkpoint / evaluation, not every step).
import { native } from '../core/binding.ts';
import { tensor, type Tensor } from '../core/tensor.ts';
import { concat, keep, noGrad, scope } from '../autograd/index.ts';
import type { ParamStore } from '../model/params.ts';
import { AdamSwaPlan, gradNormSq, type DeviceSlot } from './fused_adam_swa_native.ts';
import type { OptimizerState, StepReport } from './optimizer_state.ts';

export interface DeviceStepReport extends Omit<StepReport, 'gradNorm'> {
  /** The squared global gradient norm (float64 [1] on the device); read it when the step is done. */
  normSq: Tensor;
}

export class DeviceOptimizer {
  private constructor(
    private readonly host: OptimizerState,
    readonly slots: DeviceSlot[],
    private readonly plan: AdamSwaPlan,
  ) {}

  /**
   * Device state from the host state (fresh or restored from a checkpoint):
   * the master weights must already be the store's tensors (ParamStore.fromValues
   * of host.weights('param')); moments and averages are uploaded; with
   * `bf16Copies` every parameter gets a bf16 shadow in `params` (written by each step).
   */
  static upload(host: OptimizerState, params: ParamStore, bf16Copies: boolean): DeviceOptimizer {
    const slots = host.slots.map((s): DeviceSlot => {
      const param = params.get(s.name);
      if (param.dtype !== 'float32') throw new Error(`DeviceOptimizer: master weights must be float32, '${s.name}' is ${param.dtype}`);
      const put = (a: Float32Array) => keep(tensor(a, s.shape, { device: param.device }));
      let copy: Tensor | null = null;
      if (bf16Copies) {
        copy = tensor(s.param, s.shape, { dtype: 'bfloat16', device: param.device });
        params.setShadow(s.name, copy);
      }
      return { param, m: put(s.m), v: put(s.v), average: put(s.average), copy };
    });
    return new DeviceOptimizer(host, slots, AdamSwaPlan.build(slots));
  }

  /** One step: clip (device norm) + Adam + average + bf16 copies; `grads` in slot order (not consumed). */
  apply(grads: readonly Tensor[], lr: number, clipNorm: number): DeviceStepReport {
    this.host.adamStep += 1;
    const normSq = keep(gradNormSq(grads));
    this.plan.step(grads, lr, this.host.adamStep, this.host.config, { normSq, maxNorm: clipNorm });
    return { normSq, clipScale: NaN, lr };
  }

  /** Copies the device state into the host slots (master, moments, average, bf16 bits). */
  syncToHost(which: readonly ('param' | 'm' | 'v' | 'average' | 'bf16')[] = ['param', 'm', 'v', 'average', 'bf16']): void {
    let queued = false;
    this.host.slots.forEach((h, i) => {
      const d = this.slots[i]!;
      for (const w of which) {
        if (w === 'bf16') {
          if (d.copy === null) continue;
          const widened = d.copy.toArray() as Float32Array;
          const bits = new Uint32Array(widened.buffer, widened.byteOffset, widened.length);
          for (let k = 0; k < bits.length; k++) h.bf16[k] = bits[k]! >>> 16;
          continue;
        }
        const src = d[w];
        const dst = h[w];
        if (dst.byteOffset === 0 && dst.buffer instanceof ArrayBuffer && src.dtype === 'float32') {
          // straight into the host array on this thread's stream (no fresh array per tensor: 5,044 tensors,
          // 1.5 GB for a checkpoint of the initial-training model); one synchronisation at the end
          native.copyToHostAsync(src.handle, dst.buffer);
          queued = true;
        } else {
          dst.set(src.toArray() as Float32Array);
        }
      }
    });
    if (queued && this.slots[0]?.param.device === 'cuda') native.streamSynchronize(native.streamCurrent());
  }

  /**
   * All slots' `which` values end to end (slot order), in `into` (at least 4 bytes per value; reused by the
   * caller): one concatenation on this thread's stream, one copy to the host, one synchronisation, instead of
   * a copy per tensor. What a checkpoint (checkpoint_writer.ts writeFlat) or an evaluation hand-off needs.
   */
  flatToHost(which: 'param' | 'm' | 'v' | 'average', into: ArrayBuffer): Float32Array {
    const total = this.slots.reduce((a, d) => a + d.param.size, 0);
    if (into.byteLength < total * 4) throw new Error(`flatToHost: buffer of ${into.byteLength} bytes for ${total} values`);
    noGrad(() => scope(() => {
      const flat = concat(this.slots.map((d) => d[which].reshape([d[which].size])), 0);
      native.copyToHostAsync(flat.handle, into);
      if (flat.device === 'cuda') native.streamSynchronize(native.streamCurrent());
    }));
    return new Float32Array(into, 0, total);
  }

  /** Frees the moments and averages (the master weights and shadows belong to the store). */
  dispose(): void {
    this.plan.dispose();
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
      s.average.dispose();
    }
  }
}
