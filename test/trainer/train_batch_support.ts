// Shared by the batch-input suites: a few training steps of the tiny preset
// on one loader batch, its inputs made per step by the caller (host arrays,
// device tensors, staged uploads), recording what the suites compare bit for
// bit: losses, gradients, live tensors after each step, and the time taken.
import type { LoadedBatch } from '../../pipeline/loader/training_loader.ts';
import { memoryStats } from '../../trainer/core/tensor.ts';
import type { IterationFeatures } from '../../trainer/model/alphafold.ts';
import { loadConfig } from '../../trainer/model/config.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { ParamStore } from '../../trainer/model/params.ts';
import { trainingRuntime } from '../../trainer/model/runtime.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { OptimizerState } from '../../trainer/train/optimizer_state.ts';
import { CLIP_NORM } from '../../trainer/train/train_config.ts';
import { forwardBackward, loadWeights } from '../../trainer/train/train_step.ts';

export interface StepInputs {
  features: IterationFeatures;
  /** Frees what the inputs made (after the step). */
  dispose?: () => void;
}

export interface TrainedSteps {
  losses: number[];
  grads: Float32Array[][];
  /** Live core tensors after each step. */
  live: number[];
  /** Milliseconds of all steps (inputs included). */
  ms: number;
}

/** `steps` steps of the tiny preset on CPU from fresh parameters (seed 0), on one batch, with inputsFor(step)'s features. */
export function trainOnBatch(batch: LoadedBatch, steps: number, inputsFor: (step: number) => StepInputs): TrainedSteps {
  const config = loadConfig('tiny');
  const place = { dtype: 'float32', device: 'cpu' } as const;
  const specs = modelParamSpec(config);
  const opt = OptimizerState.fromWeights(specs, initParams(specs, 0), ALPHAFOLD_ADAM_SWA);
  const params = ParamStore.fromValues(specs, opt.weights('param'), place.dtype, place.device);
  const names = opt.slots.map((s) => s.name);
  const out: TrainedSteps = { losses: [], grads: [], live: [], ms: 0 };
  try {
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      const inputs = inputsFor(i);
      const fb = forwardBackward(params, trainingRuntime(place, 0, i), config, inputs.features, batch.passes, names);
      inputs.dispose?.();
      out.ms += performance.now() - t0;
      out.losses.push(fb.breakdown.loss);
      out.grads.push(fb.grads.map((g) => g.slice()));
      opt.apply(fb.grads, 1e-3, CLIP_NORM);
      loadWeights(params, opt.slots, 'param', place);
      out.live.push(memoryStats().liveTensors);
    }
  } finally {
    params.dispose();
  }
  return out;
}
