// The message types between the loader and its worker threads.
import type { FeatureDict } from '../../features/tensor.ts';
import type { PerStepConfig } from '../../features/transforms/config.ts';

export interface SampleTask {
  /** Stored chain features; their typed arrays live in a SharedArrayBuffer. */
  features: FeatureDict;
  seed: number;
  /** Forward passes of this step (from the sampler's global stream). */
  passes: number;
  config: PerStepConfig;
  /**
   * Extra milliseconds of blocking work added to this sample, as a slow
   * template search or a huge MSA would (loader-bench and tests only; 0 otherwise).
   */
  extraDelayMs: number;
  /** Make the worker thread die on this sample (fault-injection tests only). */
  crashWorker: boolean;
}
