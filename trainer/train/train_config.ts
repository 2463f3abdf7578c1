// What a training run needs besides the model configuration: the optimizer
// (AlphaFold2 supplementary 1.11.3: Adam 0.9/0.999/1e-6, clip 0.1 by global
// norm, warm-up then constant then decay), the weight average, the per-step
// data shapes, and the run's cadence (evaluation, checkpoints).
import { perStepConfig, type PerStepConfig } from '../../features/transforms/config.ts';
import type { DeliveryOrder } from '../../pipeline/loader/prefetch_queue.ts';
import type { AlphaFoldConfig } from '../model/config_types.ts';
import { ALPHAFOLD_ADAM_SWA, type AdamSwaConfig } from './fused_adam_swa.ts';
import { INITIAL_TRAINING_LR, type LrScheduleConfig } from './lr_schedule.ts';

/** AlphaFold2 suppl. 1.11.3: gradients clipped to global norm 0.1. */
export const CLIP_NORM = 0.1;
/** Weight-average decay of the MLPerf HPC OpenFold runs (OpenFold: 0.999). */
export const MLPERF_AVERAGE_DECAY = 0.9;

export interface TrainConfig {
  /** Optimizer steps of the run (in total, counting those before a resume). */
  steps: number;
  seed: number;
  lr: LrScheduleConfig;
  adam: AdamSwaConfig;
  clipNorm: number;
  perStep: PerStepConfig;
  /** Samples per sampler epoch. */
  epochLength: number;
  /** Evaluate the averaged weights every this many steps (0: never). */
  evalEvery: number;
  /** Checkpoint every this many steps (and at exit). */
  checkpointEvery: number;
  /** Loader delivery: 'strict' (deterministic, bit-exact resume) or 'ready-first'. */
  order: DeliveryOrder;
  loaderWorkers: number;
  loaderDepth: number;
}

/**
 * The per-step shapes a model configuration implies (its data.train section),
 * with the crop and forward passes a caller may cut for a quick CPU run.
 */
export function perStepForModel(c: AlphaFoldConfig, overrides: Partial<PerStepConfig> = {}): PerStepConfig {
  return perStepConfig({
    cropSize: c.data.train.crop_size,
    maxMsaClusters: c.data.train.max_msa_clusters,
    maxExtraMsa: c.data.train.max_extra_msa,
    maxTemplates: c.data.train.max_templates,
    maxPasses: c.data.common.max_recycling_iters + 1,
    ...overrides,
  });
}

/** Initial training as the paper runs it (the GPU default). */
export function initialTrainingRun(c: AlphaFoldConfig, steps: number): TrainConfig {
  return {
    steps, seed: 0, lr: { ...INITIAL_TRAINING_LR }, adam: { ...ALPHAFOLD_ADAM_SWA }, clipNorm: CLIP_NORM,
    perStep: perStepForModel(c), epochLength: 1000, evalEvery: 50, checkpointEvery: 50,
    order: 'ready-first', loaderWorkers: 4, loaderDepth: 8,
  };
}

/**
 * The quick CPU run of `make pretrain` (tiny preset).
 * DISCREPANCY: a 1000-step warm-up would leave a run of a hundred steps at a
 * learning rate near 0, so the CPU demo warms up over 10 steps; a crop of 64
 * (the tiny preset's is 70) keeps a step near a second on two cores; the
 * weight average decays at 0.9 (the MLPerf runs') rather than OpenFold's
 * 0.999, which would barely move off the initial weights in 50 steps;
 * deliveries are strict so that a resumed run repeats the uninterrupted one.
 */
export function cpuDemoRun(c: AlphaFoldConfig, steps: number): TrainConfig {
  return {
    ...initialTrainingRun(c, steps),
    lr: { ...INITIAL_TRAINING_LR, warmupSteps: 10 },
    adam: { ...ALPHAFOLD_ADAM_SWA, averageDecay: MLPERF_AVERAGE_DECAY },
    perStep: perStepForModel(c, { cropSize: 64, maxExtraMsa: 16, maxPasses: 2 }),
    epochLength: 1000, evalEvery: 20, checkpointEvery: 20,
    order: 'strict', loaderWorkers: 1, loaderDepth: 4,
  };
}
