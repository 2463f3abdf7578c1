// Messages between the trainer and the evaluation worker (eval_worker.ts).
import type { PerStepConfig } from '../../features/transforms/config.ts';
import type { RuntimeOptions } from '../model/runtime.ts';
import type { ValidationMetrics } from './validation.ts';

export interface EvalWorkerData {
  valDir: string;
  preset: string;
  perStep: PerStepConfig;
  /** Where the worker evaluates (the trainer's device). */
  device: 'cpu' | 'cuda';
  /** Mixed precision of the evaluation model (cuda: the bf16 trunk as in training; never checkpointed blocks). */
  runtime?: RuntimeOptions;
  /** Largest share of the wall time evaluation may keep the device busy (op_pacer.ts; 1 = unpaced). */
  share: number;
  /** Shared pacing flag (op_pacer.ts pacingFlag): the trainer lifts it for the final drain. */
  pacing: Int32Array;
}

/** Evaluate these averaged weights (state_dict order) as those of `step`. */
export interface EvalRequest {
  step: number;
  names: string[];
  shapes: number[][];
  /** The weights end to end, in names' order. */
  flat: Float32Array;
}

export type EvalReply =
  | { kind: 'ready'; chains: number }
  /** The request's weights are tensors now: its arrays come back for the next submission. */
  | { kind: 'loaded'; step: number; flat: Float32Array }
  | { kind: 'result'; step: number; metrics: ValidationMetrics; seconds: number; paced?: PacedTime }
  | { kind: 'error'; step: number; message: string };

/** A paced evaluation's totals (op_pacer.ts): time busy in chunks and time paused, in milliseconds. */
export interface PacedTime {
  busy_ms: number;
  slept_ms: number;
}
