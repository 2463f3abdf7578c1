// Messages between the trainer and the evaluation worker (eval_worker.ts).
import type { PerStepConfig } from '../../features/transforms/config.ts';
import type { ValidationMetrics } from './validation.ts';

export interface EvalWorkerData {
  valDir: string;
  preset: string;
  perStep: PerStepConfig;
  /** Where the worker evaluates (the trainer's device). */
  device: 'cpu' | 'cuda';
}

/** Evaluate these averaged weights (state_dict order) as those of `step`. */
export interface EvalRequest {
  step: number;
  names: string[];
  shapes: number[][];
  values: Float32Array[];
}

export type EvalReply =
  | { kind: 'ready'; chains: number }
  | { kind: 'result'; step: number; metrics: ValidationMetrics; seconds: number }
  | { kind: 'error'; step: number; message: string };
