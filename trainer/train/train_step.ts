// One training step of AlphaFold2 initial training (suppl. Algorithm 31 with
// 1.11: OpenFold's AlphaFold.forward + AlphaFoldLoss + backward): the batch's
// forward passes (no_recycling_iters + 1, drawn by the loader's sampler) run
// with only the last on the tape (trainer/model/alphafold.ts does that), the
// loss of the last pass, backward into every parameter's .grad. The optimizer
// step is separate (optimizer_state.ts), so that this file is the model side.
import { parameter, tensor, type Tensor } from '../core/tensor.ts';
import { Tape, gradientOf, keep, recordOn, scope } from '../autograd/index.ts';
import { runOpAll } from '../core/ops.ts';
import { alphaFold, type AlphaFoldOutput, type IterationFeatures } from '../model/alphafold.ts';
import { alphaFoldLoss, type LossBreakdown } from '../model/alphafold_loss.ts';
import type { AlphaFoldConfig } from '../model/config_types.ts';
import type { TensorPlacement } from '../model/host_tensor.ts';
import type { ParamStore } from '../model/params.ts';
import type { ModelRuntime } from '../model/runtime.ts';
import type { OptimizerSlot } from './optimizer_state.ts';

export interface StepResult {
  breakdown: LossBreakdown;
  /** One gradient per parameter, in the order of `names` (zeros where none flowed). */
  grads: Float32Array[];
  forwardMs: number;
  backwardMs: number;
}

/**
 * The recycled tensors alphaFold keeps out of every scope (its initial zeros
 * and each earlier pass's outputs): the caller frees them when the step is done.
 */
export function disposeRecycled(recycled: AlphaFoldOutput['recycled']): void {
  for (const r of recycled) {
    if (!r.m1Prev.disposed) r.m1Prev.dispose();
    if (!r.zPrev.disposed) r.zPrev.dispose();
  }
}

/** Forward (all passes) + loss + backward into every parameter's .grad; `marks` is told when each phase was enqueued. */
function forwardBackwardInPlace(
  params: ParamStore, rt: ModelRuntime, c: AlphaFoldConfig, f: IterationFeatures, passes: number, mark?: (phase: 'forward' | 'backward') => void,
): LossBreakdown {
  return scope(() => {
    const tape = new Tape();
    let total = null as unknown as ReturnType<typeof alphaFoldLoss>['total'];
    let bd = null as unknown as LossBreakdown;
    let recycled: AlphaFoldOutput['recycled'] = [];
    try {
      recordOn(tape, () => {
        const out = alphaFold(params, rt, c, f, passes);
        recycled = out.recycled;
        const loss = alphaFoldLoss(out, c, f, passes - 1);
        total = loss.total;
        bd = loss.breakdown;
      });
      mark?.('forward');
      gradientOf(tape, total);
    } finally {
      tape.release();
      disposeRecycled(recycled);
    }
    mark?.('backward');
    return bd;
  });
}

/** Forward (all passes) + loss + backward; the gradients come back as host fp32 arrays. */
export function forwardBackward(
  params: ParamStore, rt: ModelRuntime, c: AlphaFoldConfig, f: IterationFeatures, passes: number, names: readonly string[],
): StepResult {
  const t0 = performance.now();
  let forwardMs = 0;
  const breakdown = forwardBackwardInPlace(params, rt, c, f, passes, (phase) => {
    if (phase === 'forward') forwardMs = performance.now() - t0;
  });
  const grads = names.map((name) => {
    const p = params.get(name);
    const g = p.grad;
    const out = g === null ? new Float32Array(p.size) : Float32Array.from(g.toArray());
    if (g !== null) {
      g.dispose();
      p.grad = null;
    }
    return out;
  });
  return { breakdown, grads, forwardMs, backwardMs: performance.now() - t0 - forwardMs };
}

export interface DeviceStepResult {
  breakdown: LossBreakdown;
  /** One gradient per parameter on the parameters' device, in the order of `names` (zeros where none flowed); the caller frees them. */
  grads: Tensor[];
}

/**
 * The GPU form: the gradients stay on the device (taken from .grad, which is
 * reset), for the fused optimizer step; `mark` is called after the forward
 * and after the backward were enqueued (the caller times the phases).
 */
export function forwardBackwardOnDevice(
  params: ParamStore, rt: ModelRuntime, c: AlphaFoldConfig, f: IterationFeatures, passes: number, names: readonly string[],
  mark?: (phase: 'forward' | 'backward') => void,
): DeviceStepResult {
  const breakdown = forwardBackwardInPlace(params, rt, c, f, passes, mark);
  const grads = names.map((name) => {
    const p = params.get(name);
    const g = p.grad;
    p.grad = null;
    if (g !== null && g.dtype === 'float32') return g;
    g?.dispose();
    // zeros made on the device (no host array, no synchronous upload mid-step)
    return keep(runOpAll('fill', [p], { value: 0 })[0]!);
  });
  return { breakdown, grads };
}

/**
 * Points the model's parameter tensors at the optimizer's updated master
 * weights (a fresh core tensor per parameter; the old one is freed).
 * On the GPU this is where the fused kernel's bf16 copy would be used.
 */
export function loadWeights(params: ParamStore, slots: readonly OptimizerSlot[], which: 'param' | 'average', place: TensorPlacement): void {
  for (const s of slots) {
    const old = params.tensors.get(s.name);
    params.tensors.set(s.name, keep(parameter(tensor(s[which], s.shape, { dtype: place.dtype, device: place.device }))));
    old?.dispose();
  }
}
