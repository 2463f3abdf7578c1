// metrics.jsonl of a run: one JSON object per line, `"kind": "step"` per
// optimizer step and `"kind": "eval"` per evaluation, each with the step it
// belongs to. A resumed run keeps the lines of the steps its checkpoint
// covers and drops the rest (a killed run may have logged steps past its
// last checkpoint).
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { InputError } from '../../features/errors.ts';

export interface StepRecord {
  kind: 'step';
  step: number;
  sample_step: number;
  chain_id: string;
  forward_passes: number;
  loss: number;
  /** Every term of the loss breakdown (OpenFold's names). */
  terms: Record<string, number>;
  lr: number;
  grad_norm: number;
  samples_per_s: number;
  step_ms: number;
  data_wait_ms: number;
  forward_ms: number;
  backward_ms: number;
  optimizer_ms: number;
  /** Main-thread time spent handing work to the evaluator and the checkpoint writer. */
  bookkeeping_ms: number;
  /** Evaluations running in the worker during this step. */
  evals_in_flight: number;
  /**
   * CUDA: the step period, device time from the previous step's last event to this one's (what samples_per_s is
   * computed from there); host wall time since the previous step ended for an invocation's first step and with --profile.
   */
  wall_ms?: number;
  /** CUDA: live device bytes of the core's tensors at the end of the forward (activations on the tape). */
  device_bytes_after_forward?: number;
  /** CUDA: the loader worker's time to prepare this sample (data wait diagnosis). */
  sample_prepare_ms?: number;
  /** CUDA: host time inside the batch's feature slices (part of forward_ms): what one pinned transfer would replace. */
  feature_slices_ms?: number;
  /** With device features: host time staging batches (pinned copy + async upload enqueue, or a synchronous upload) in this step. */
  h2d_stage_ms?: number;
  /** With device features: this step's batch was taken and staged during the previous step (one ahead). */
  batch_staged_ahead?: boolean;
  /**
   * CUDA: device time from the previous step's last event to this step's first (the training stream idles: the
   * host had not enqueued it yet); with --profile, host time from the previous step's device end to this step's start.
   */
  host_gap_ms?: number;
  /** Main-thread GC pause time reported since the previous record (perf_hooks 'gc' entries; a turn late). */
  gc_ms?: number;
  /**
   * A checkpoint at this step, the training thread's milliseconds: waiting for the previous write, the
   * device optimizer's copy to the host (cuda), and all of it but the wait (copy + snapshot + hand-off).
   */
  checkpoint_wait_ms?: number;
  checkpoint_sync_ms?: number;
  checkpoint_ms?: number;
}

export interface EvalRecord {
  kind: 'eval';
  step: number;
  lddt_ca: number;
  distogram: number;
  plddt: number;
  plddt_loss: number;
  chains: number;
  eval_seconds: number;
  /** Optimizer steps the trainer finished between submitting this evaluation and its result. */
  steps_during_eval: number;
  /** Paced evaluation (eval/op_pacer.ts): milliseconds the device was busy with it in paced chunks, and paused. */
  eval_busy_ms?: number;
  eval_paused_ms?: number;
}

export type MetricsRecord = StepRecord | EvalRecord;

export class MetricsLog {
  readonly records: MetricsRecord[] = [];

  private constructor(readonly path: string) {}

  /** A fresh log (an old file is replaced). */
  static fresh(path: string): MetricsLog {
    writeFileSync(path, '');
    return new MetricsLog(path);
  }

  /** The log of a resumed run: lines of steps <= `step` kept, the rest dropped. */
  static resume(path: string, step: number): MetricsLog {
    const log = new MetricsLog(path);
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const r = JSON.parse(line) as MetricsRecord;
          if (r.step <= step) log.records.push(r);
        } catch {
          // a line cut by a kill
        }
      }
    }
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, log.records.map((r) => JSON.stringify(r) + '\n').join(''));
    renameSync(tmp, path);
    return log;
  }

  /**
   * The records of an existing metrics.jsonl, for reading only. A line that is not a record is an
   * InputError naming the file and line, except a last line without its newline (cut by a kill).
   */
  static read(path: string): MetricsLog {
    const log = new MetricsLog(path);
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let r: unknown;
      try {
        r = JSON.parse(line);
      } catch {
        if (i === lines.length - 1) return; // no newline after it: a line cut by a kill
        throw new InputError({ source: path, line: i + 1 }, 'not a JSON object');
      }
      const kind = (r as { kind?: unknown } | null)?.kind;
      if ((kind !== 'step' && kind !== 'eval') || typeof (r as { step?: unknown }).step !== 'number') {
        throw new InputError({ source: path, line: i + 1 }, 'not a metrics record (needs "kind": "step" or "eval" and a numeric "step")');
      }
      log.records.push(r as MetricsRecord);
    });
    return log;
  }

  append(record: MetricsRecord): void {
    this.records.push(record);
    appendFileSync(this.path, JSON.stringify(record) + '\n');
  }

  steps(): StepRecord[] {
    return this.records.filter((r): r is StepRecord => r.kind === 'step');
  }
  evals(): EvalRecord[] {
    return this.records.filter((r): r is EvalRecord => r.kind === 'eval');
  }
}
