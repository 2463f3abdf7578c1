// The message types between the loader and its worker threads.
import type { PerStepConfig } from '../../features/transforms/config.ts';

export interface SampleTask {
  /**
   * Where the stored chain lives: the worker reads the row itself (one
   * positioned read), so the loader's thread (the trainer's) does no I/O or
   * copying per sample.
   */
  source: RowLocation;
  seed: number;
  /** Forward passes of this step (from the sampler's global stream). */
  passes: number;
  config: PerStepConfig;
  /**
   * Extra milliseconds of blocking work added to this sample, as a slow
   * template search or a huge MSA would (loader-bench and tests only; 0 otherwise).
   */
  extraDelayMs: number;
  /**
   * Also convert the batch to its device-ready form (device_packed.ts: float32 +
   * int32 in one buffer), in the worker, for the trainer's one-transfer upload.
   */
  devicePacked?: boolean;
  /** Make the worker thread die on this sample (fault-injection tests only). */
  crashWorker: boolean;
}

/** A stored row: its feature file (an absolute path) and its index there. */
export interface RowLocation {
  file: string;
  row: number;
}

/** What a worker returns: the packed batch, and its device-ready form when the task asked for it. */
export interface SampleResult {
  batch: ArrayBuffer;
  device?: ArrayBuffer;
}
