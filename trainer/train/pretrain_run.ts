// The training loop of `scalefold pretrain` (AlphaFold2 suppl. 1.11, OpenFold's
// train_openfold.py; ScaleFold's rule that a step waits on nothing but the
// compute): batches come from the prefetching loader (its worker threads
// prepare the next samples while this thread computes), each step is
// forward + loss + backward (train_step.ts) then clip + Adam + averaging
// (optimizer_state.ts), evaluation of the averaged weights runs in a worker
// thread (eval/async_evaluator.ts), checkpoints are copied here into reused
// buffers and written by a writer thread (checkpoint_writer.ts). SIGINT/SIGTERM finish the step in hand,
// checkpoint and return.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { TrainingLoader, type LoaderOptions } from '../../pipeline/loader/training_loader.ts';
import { AsyncEvaluator, type EvalResult } from '../eval/async_evaluator.ts';
import { loadConfig } from '../model/config.ts';
import type { TensorPlacement } from '../model/host_tensor.ts';
import { initParams } from '../model/param_init.ts';
import { modelParamSpec } from '../model/param_spec.ts';
import { ParamStore } from '../model/params.ts';
import { trainingRuntime, type RuntimeOptions } from '../model/runtime.ts';
import { native } from '../core/binding.ts';
import { memoryStats } from '../core/tensor.ts';
import type { LossBreakdown } from '../model/alphafold_loss.ts';
import type { IterationFeatures } from '../model/alphafold.ts';
import { batchFeatures } from './batch_features.ts';
import { batchStager, type StagedBatch } from './batch_stage.ts';
import type { LoadedBatch } from '../../pipeline/loader/training_loader.ts';
import { CheckpointWriter } from './checkpoint_writer.ts';
import { CHECKPOINT_FORMAT, encodeCheckpoint, latestCheckpoint, restoreSlots, writeCheckpoint, type CheckpointState, type WriteObserver } from './checkpoint.ts';
import { learningRate } from './lr_schedule.ts';
import { MetricsLog, type StepRecord } from './metrics_log.ts';
import { OptimizerState } from './optimizer_state.ts';
import { ProgressLine } from './progress_line.ts';
import { writeRunPlots, PLOT_FILES } from './run_plots.ts';
import type { TrainConfig } from './train_config.ts';
import { forwardBackward, forwardBackwardOnDevice, loadWeights } from './train_step.ts';
import { DeviceOptimizer } from './device_optimizer.ts';
import { StepClock, type DeviceSpan } from './step_clock.ts';
import { stepBreakdown, type StepBreakdown } from './step_breakdown.ts';

export interface PretrainOptions {
  dataDir: string;
  valDir?: string;
  outDir: string;
  preset: string;
  place: TensorPlacement;
  train: TrainConfig;
  resume: boolean;
  /** Progress lines and notes (default: stderr). */
  log?: (line: string) => void;
  /** Tests: observes checkpoint writes chunk by chunk (then checkpoints are encoded and written on this thread, as before the writer thread). */
  checkpointObserver?: WriteObserver;
  /** Tests: the loader's fault injection (stragglers) to make ready-first delivery overtake. */
  loaderFaults?: LoaderOptions['faults'];
  /** Mixed precision / activation checkpointing of the model (the GPU defaults: bf16 trunk, checkpointed blocks). */
  runtime?: RuntimeOptions;
  /** CUDA: synchronise at every phase boundary (exact per-phase times; stalls the overlap). */
  profile?: boolean;
  /**
   * 'fused': the native fused step on device-resident state (device_optimizer.ts; the CUDA default);
   * 'host': the TS reference on host arrays (the CPU default, bit-exact resume).
   */
  optimizer?: 'fused' | 'host';
  /**
   * With deviceFeatures: as soon as a step's work is enqueued, take the next batch from the loader if it is
   * ready (never waiting) and stage it (batch_stage.ts: pinned copy + async upload on a copy stream on CUDA,
   * a synchronous upload elsewhere); the next step takes it with an event wait. Default: on on CUDA.
   * A batch staged but not trained when the run stops is not counted as consumed (resume repeats it).
   */
  stageAhead?: boolean;
  /**
   * Finish a step (wait for its device end, log it) only after the next step's work is enqueued, so that
   * the host's work between steps overlaps the device (default: on on cuda without profile). The records
   * are the same but for their times (test/trainer/train_resume.test.ts).
   */
  deferStepEnd?: boolean;
  /** Stop as a signal would (finish the step, checkpoint) once this many seconds have passed since the start. */
  timeLimitS?: number;
  /**
   * The batch's features reach the model as tensors on o.place.device made from two packed uploads
   * (batch_features.ts deviceBatchFeatures: all float features in one float32 tensor, all integer ones in
   * one int32 tensor, slice + reshape per feature and pass) instead of one upload per feature and pass.
   * Bit-identical losses (test/trainer/train_batch_features.test.ts). Default off until checked on the GPU.
   */
  deviceFeatures?: boolean;
  /**
   * Largest share of the wall time the evaluation worker may keep the device busy while training runs
   * (eval/op_pacer.ts; 0 < share <= 1, 1 = unpaced). Default 0.015 on cuda, 1 on CPU. The final drain is unpaced.
   */
  evalShare?: number;
}

export interface PretrainSummary {
  startStep: number;
  steps: number;
  losses: number[];
  evals: EvalResult[];
  checkpoint: string | null;
  interrupted: boolean;
  metricsPath: string;
  seconds: number;
  /** Time per phase of this invocation's steps (step_breakdown.ts). */
  breakdown: StepBreakdown;
}

export const CHECKPOINT_DIR = 'checkpoints';
export const METRICS_FILE = 'metrics.jsonl';

/** The run's identity, stored in each checkpoint and checked on resume. */
function runIdentity(o: PretrainOptions): Record<string, unknown> {
  const t = o.train;
  const id: Record<string, unknown> = { preset: o.preset, seed: t.seed, epochLength: t.epochLength, perStep: t.perStep, lr: t.lr, adam: t.adam, clipNorm: t.clipNorm, order: t.order, dtype: o.place.dtype };
  if (o.runtime?.trunkDtype) id.trunkDtype = o.runtime.trunkDtype;
  return id;
}

/** The training stream's priority (clamped by the core to the device's most urgent). */
const TRAINING_STREAM_PRIORITY = 100;
/** The evaluation worker's default share of the GPU while training runs (issue #8: evaluation lengthens a step by at most 2 %). */
export const DEFAULT_CUDA_EVAL_SHARE = 0.015;

export async function pretrain(o: PretrainOptions): Promise<PretrainSummary> {
  const started = performance.now();
  const say = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  // CUDA: the training step on a stream of the highest priority, before anything
  // touches the device, so that the evaluation worker's kernels (its own stream,
  // the default and lowest priority) yield the SMs to it.
  if (o.place.device === 'cuda') native.streamSetCurrent(native.streamCreate(TRAINING_STREAM_PRIORITY));
  const t = o.train;
  const ckptDir = join(o.outDir, CHECKPOINT_DIR);
  const metricsPath = join(o.outDir, METRICS_FILE);
  mkdirSync(o.outDir, { recursive: true });

  const config = loadConfig(o.preset);
  const specs = modelParamSpec(config);
  const opt = OptimizerState.fromWeights(specs, initParams(specs, t.seed), t.adam);
  let step = 0;
  let nextSampleStep = 0;
  const consumedAhead = new Set<number>();
  let metrics: MetricsLog;
  const resumed = o.resume ? await latestCheckpoint(ckptDir) : null;
  if (resumed) {
    const identity = JSON.stringify(runIdentity(o));
    if (JSON.stringify(resumed.state.run) !== identity) {
      throw new Error(`${resumed.path} was written by another run configuration; start a fresh run (without --resume) or use the same options.\n checkpoint: ${JSON.stringify(resumed.state.run)}\n this run:   ${identity}`);
    }
    restoreSlots(opt.slots, resumed);
    opt.adamStep = resumed.state.adamStep;
    step = resumed.state.step;
    nextSampleStep = resumed.state.nextSampleStep;
    for (const s of resumed.state.consumedAhead) consumedAhead.add(s);
    metrics = MetricsLog.resume(metricsPath, step);
    say(`resuming ${resumed.path} at step ${step}`);
  } else {
    if (o.resume) say(`no checkpoint in ${ckptDir}: starting a fresh run`);
    rmSync(ckptDir, { recursive: true, force: true });
    for (const f of PLOT_FILES) rmSync(join(o.outDir, f), { force: true });
    metrics = MetricsLog.fresh(metricsPath);
  }
  const startStep = step;
  const markConsumed = (sampleStep: number): void => {
    if (sampleStep !== nextSampleStep) {
      consumedAhead.add(sampleStep);
      return;
    }
    nextSampleStep += 1;
    while (consumedAhead.has(nextSampleStep)) consumedAhead.delete(nextSampleStep++);
  };
  const params = ParamStore.fromValues(specs, opt.weights('param'), o.place.dtype, o.place.device);
  const names = opt.slots.map((s) => s.name);
  // CUDA: the fused optimizer on device-resident state (the CPU keeps the host reference path, bit for bit)
  const fused = (o.optimizer ?? (o.place.device === 'cuda' ? 'fused' : 'host')) === 'fused';
  const runtime = o.runtime ?? {};
  const device = fused ? DeviceOptimizer.upload(opt, params, runtime.trunkDtype === 'bfloat16') : null;
  const clock = new StepClock(o.place.device, o.profile === true);
  let deviceSynced = true;
  const syncHost = (which?: Parameters<DeviceOptimizer['syncToHost']>[0]) => {
    if (device && !deviceSynced) device.syncToHost(which);
    if (which === undefined) deviceSynced = true;
  };
  let previousEnd = performance.now();

  const remaining = Math.max(0, t.steps - step);
  const loader = await TrainingLoader.open({
    datasetDir: o.dataDir, perStep: t.perStep, sampler: { seed: t.seed, epochLength: t.epochLength },
    workers: t.loaderWorkers, depth: t.loaderDepth, order: t.order,
    startStep: nextSampleStep, steps: remaining + consumedAhead.size,
    // the workers also make the device-ready form (float32 + int32 in one buffer): nothing to convert here
    devicePacked: o.deviceFeatures === true,
    ...(o.loaderFaults ? { faults: o.loaderFaults } : {}),
    // a sample the loader gave up on (timeout, dead worker) counts as consumed, so the position moves on
    onSkip: (item) => {
      say(`loader skipped sample step ${item.sample.step} (${item.sample.chainId}): ${item.reason}`);
      markConsumed(item.sample.step);
    },
  });

  const evals: EvalResult[] = [];
  let lastEval: { step: number; lddt: number } | null = metrics.evals().length > 0
    ? { step: metrics.evals().at(-1)!.step, lddt: metrics.evals().at(-1)!.lddt_ca } : null;
  const evaluator = o.valDir && t.evalEvery > 0
    ? new AsyncEvaluator({
      valDir: o.valDir, preset: o.preset, perStep: t.perStep, device: o.place.device,
      share: o.evalShare ?? (o.place.device === 'cuda' ? DEFAULT_CUDA_EVAL_SHARE : 1),
      // cuda: the training precision (bf16 trunk); no tape, so no checkpointed blocks
      ...(o.place.device === 'cuda' && runtime.trunkDtype ? { runtime: { trunkDtype: runtime.trunkDtype } } : {}),
    }, (r) => {
      evals.push(r);
      lastEval = { step: r.step, lddt: r.metrics.lddt_ca };
      metrics.append({
        kind: 'eval', step: r.step, lddt_ca: r.metrics.lddt_ca, distogram: r.metrics.distogram, plddt: r.metrics.plddt,
        plddt_loss: r.metrics.plddt_loss, chains: r.metrics.chains.length, eval_seconds: r.seconds,
        steps_during_eval: step - r.step,
        ...(r.paced ? { eval_busy_ms: r.paced.busy_ms, eval_paused_ms: r.paced.slept_ms } : {}),
      });
      writeRunPlots(o.outDir, metrics);
    }, (skipped, by) => say(`evaluation of step ${skipped} skipped: step ${by} was submitted while it still waited (the paced evaluation before it is still running)`))
    : null;

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // a second signal: the user does not want to wait (the last complete checkpoint stays)
      say(`${signal} again: exiting now without a final checkpoint`);
      process.exit(130);
    }
    say(`${signal}: finishing this step, then checkpointing (again to exit at once)`);
    stopping = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  let writing: Promise<string> | null = null;
  let lastCheckpoint: string | null = resumed?.path ?? null;
  let checkpointedStep = step;
  // the writer thread makes (and touches) the buffers of the first checkpoint now, while training starts
  // with the device optimizer each kind of tensor comes to the host in one piece (flatToHost), never via the host slots
  const writer = o.checkpointObserver ? null : new CheckpointWriter(ckptDir, opt.slots, device ? { mode: 'flat' } : {});
  /** This thread's time in the last checkpoint (step record fields), cleared when recorded. */
  let ckptTiming: { checkpoint_wait_ms: number; checkpoint_sync_ms: number; checkpoint_ms: number } | null = null;
  const checkpoint = async (): Promise<void> => {
    const t0 = performance.now();
    if (writing) lastCheckpoint = await writing;
    const t1 = performance.now();
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT, step, adamStep: opt.adamStep, nextSampleStep, consumedAhead: [...consumedAhead].sort((a, b) => a - b),
      rng: { seed: t.seed, dropoutStream: 'dropout', samplerEpochLength: t.epochLength }, run: runIdentity(o),
    };
    let syncMs = 0;
    if (writer && device) {
      writing = writer.writeFlat(opt.slots, state, (kind, into) => device.flatToHost(kind, into), (w) => (syncMs = w.copyMs));
    } else {
      // what the checkpoint holds (the host bf16 bits are not in it: restoreSlots derives them)
      syncHost(['param', 'm', 'v', 'average']);
      syncMs = performance.now() - t1;
      writing = writer ? writer.write(opt.slots, state) : writeCheckpoint(ckptDir, encodeCheckpoint(opt.slots, state), { observe: o.checkpointObserver });
    }
    checkpointedStep = step;
    ckptTiming = { checkpoint_wait_ms: t1 - t0, checkpoint_sync_ms: syncMs, checkpoint_ms: performance.now() - t1 };
    if (o.place.device === 'cuda') {
      say(`checkpoint of step ${step}: ${ckptTiming.checkpoint_ms.toFixed(0)} ms on the training thread (device->host copy ${ckptTiming.checkpoint_sync_ms.toFixed(0)} ms, ` +
        `the rest ${(ckptTiming.checkpoint_ms - ckptTiming.checkpoint_sync_ms).toFixed(0)} ms; waited ${ckptTiming.checkpoint_wait_ms.toFixed(0)} ms for the previous write), written by the writer thread`);
    }
  };

  // A failed evaluation is reported and ends evaluation, not training.
  let evalBroken = false;
  const evalFailed = (error: unknown): void => {
    if (!evalBroken) say(`evaluation failed, training goes on without it: ${(error as Error).message}`);
    evalBroken = true;
  };
  const submitEval = (): void => {
    if (!evaluator || evalBroken) return;
    try {
      // the device optimizer's averages in one concatenation and one copy (the host slots stay stale on cuda)
      if (device) evaluator.submit(step, opt.slots, (into) => device.flatToHost('average', into));
      else evaluator.submit(step, opt.slots);
    } catch (error) {
      evalFailed(error);
    }
  };

  // The next batch staged while the current step computes (one ahead).
  const stager = o.deviceFeatures ? batchStager(o.place.device) : null;
  const stageAhead = stager !== null && (o.stageAhead ?? o.place.device === 'cuda');
  const pending: { ahead: StagedBatch | null; stageMs: number } = { ahead: null, stageMs: 0 };
  const stageNext = (): void => {
    // only a batch the loader has ready (no wait), only when another step follows, never one trained before a resume
    if (!stager || !stageAhead || pending.ahead !== null || stopping || step + 1 >= t.steps) return;
    for (let b = loader.tryNext(); b !== null; b = loader.tryNext()) {
      if (consumedAhead.has(b.sample.step)) continue;
      pending.ahead = stager.stage(b);
      pending.stageMs += pending.ahead.stageMs;
      return;
    }
  };

  // Diagnosis of the host time between steps on CUDA: the main thread's GC pauses (reported a turn late,
  // so attributed to the step in hand when they arrive) and the gap from the previous step's device end to
  // this step's first enqueue.
  let gcMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  let deviceDoneAt = NaN;
  // A step's end (its device wait, timing, metrics line, progress) may be taken after the next step is enqueued
  // (deferStepEnd): the host's work between steps then overlaps the previous step's last kernels.
  let deferred: (() => void) | null = null;
  const finishDeferred = (): void => {
    const finish = deferred;
    deferred = null;
    finish?.();
  };
  const deferStepEnd = o.deferStepEnd ?? (o.place.device === 'cuda' && o.profile !== true);

  const progress = new ProgressLine(t.steps, say);
  const losses: number[] = [];
  try {
    while (step < t.steps && !stopping) {
      // One turn of the event loop per step: a batch already prefetched resolves
      // as a microtask, which would starve signals and the evaluator's messages.
      await new Promise<void>((done) => setImmediate(done));
      if (o.timeLimitS !== undefined && (performance.now() - started) / 1000 > o.timeLimitS) {
        say(`time limit of ${o.timeLimitS} s reached at step ${step}: checkpointing and stopping`);
        stopping = true;
      }
      if (stopping) break;
      pending.stageMs = 0;
      let batch: LoadedBatch;
      let dataWait = 0;
      let staged: StagedBatch | null = pending.ahead;
      pending.ahead = null;
      const stagedAhead = staged !== null;
      if (staged !== null) {
        batch = staged.batch; // taken and staged during the previous step
      } else {
        const waitStart = performance.now();
        const next = await loader.next();
        dataWait = performance.now() - waitStart;
        if (next === null) break;
        // consumed before a resume (ready-first overtook it): already trained on
        if (consumedAhead.has(next.sample.step)) continue;
        batch = next;
        if (stager) {
          staged = stager.stage(batch);
          pending.stageMs += staged.stageMs;
        }
      }
      const sampleStep = batch.sample.step;
      // the host time the model spends getting its inputs (slices of the packed batch)
      let featureMs = 0;
      const t0Features = performance.now();
      const deviceInputs = staged ?? undefined;
      const slices = deviceInputs ? deviceInputs.features() : batchFeatures(batch.layout, batch.bytes);
      featureMs += performance.now() - t0Features;
      const f: IterationFeatures = (name, k) => {
        const t0 = performance.now();
        try {
          return slices(name, k);
        } finally {
          featureMs += performance.now() - t0;
        }
      };
      const rt = trainingRuntime(o.place, t.seed, sampleStep, runtime);
      const lr = learningRate(step, t.lr);
      // what finishing this step takes (waiting for its device end where it has one), called later or at once
      let finishWork: () => { phases: Record<string, number>; gradNorm: number; span: DeviceSpan | null };
      let bd: LossBreakdown;
      let deviceAfterForward = 0;
      let hostGapMs = NaN;
      if (device) {
        hostGapMs = performance.now() - deviceDoneAt;
        const timer = clock.start();
        const fb = forwardBackwardOnDevice(params, rt, config, f, batch.passes, names, (phase) => {
          // live tensors peak around the end of the forward (the tape holds the activations)
          if (phase === 'forward') deviceAfterForward = memoryStats().deviceBytes;
          timer.mark(phase);
        });
        const report = device.apply(fb.grads, lr, t.clipNorm);
        timer.mark('optimizer');
        stageNext(); // the step's work is enqueued: the next batch moves while it runs
        for (const g of fb.grads) g.dispose(); // stream-ordered frees, after the step's kernels
        deviceSynced = false;
        bd = fb.breakdown;
        finishWork = () => {
          const phases = timer.finish();
          deviceDoneAt = performance.now();
          const gradNorm = Math.sqrt(report.normSq.toArray()[0]!);
          report.normSq.dispose();
          return { phases, gradNorm, span: timer.span() };
        };
      } else {
        const fb = forwardBackward(params, rt, config, f, batch.passes, names);
        const optStart = performance.now();
        const report = opt.apply(fb.grads, lr, t.clipNorm);
        loadWeights(params, opt.slots, 'param', o.place);
        const phases = { forward: fb.forwardMs, backward: fb.backwardMs, optimizer: performance.now() - optStart };
        stageNext();
        bd = fb.breakdown;
        finishWork = () => ({ phases, gradNorm: report.gradNorm, span: null });
      }
      // the step before: its kernels ran while this one was enqueued, so its end costs no device time now
      finishDeferred();
      deviceInputs?.dispose(); // stream-ordered frees, after the step's kernels
      step += 1;
      markConsumed(sampleStep);
      const bookStart = performance.now();
      const evalDue = evaluator !== null && step % t.evalEvery === 0;
      const checkpointDue = t.checkpointEvery > 0 && step % t.checkpointEvery === 0;
      if (evalDue) submitEval();
      if (checkpointDue) await checkpoint();
      const bookkeepingMs = performance.now() - bookStart;
      const h2dStageMs = pending.stageMs;
      const stepTiming = ckptTiming;
      ckptTiming = null;
      const inFlight = evaluator?.inFlight ?? 0;
      const thisStep = step;
      deferred = () => {
        const { phases, gradNorm, span } = finishWork();
        const forwardMs = phases.forward ?? 0, backwardMs = phases.backward ?? 0, optimizerMs = phases.optimizer ?? 0;
        const stepMs = dataWait + h2dStageMs + forwardMs + backwardMs + optimizerMs + bookkeepingMs;
        const end = performance.now();
        // cuda: the device period from the previous step's end to this one's, and the idle gap before it
        let wallMs = end - previousEnd;
        if (span) {
          wallMs = span.periodMs;
          hostGapMs = span.gapMs;
        }
        previousEnd = end;
        const terms: Record<string, number> = {};
        for (const [k, v] of Object.entries(bd)) if (k !== 'loss') terms[k] = v;
        const record: StepRecord = {
          kind: 'step', step: thisStep, sample_step: sampleStep, chain_id: batch.sample.chainId, forward_passes: batch.passes,
          loss: bd.loss, terms, lr, grad_norm: gradNorm, samples_per_s: 1000 / (o.place.device === 'cuda' ? wallMs : stepMs), step_ms: stepMs,
          data_wait_ms: dataWait, forward_ms: forwardMs, backward_ms: backwardMs, optimizer_ms: optimizerMs,
          bookkeeping_ms: bookkeepingMs, evals_in_flight: Math.max(inFlight, evaluator?.inFlight ?? 0),
          ...(stager ? { h2d_stage_ms: h2dStageMs, batch_staged_ahead: stagedAhead } : {}),
          ...(stepTiming ?? {}),
          ...(o.place.device === 'cuda' ? { wall_ms: wallMs, device_bytes_after_forward: deviceAfterForward, sample_prepare_ms: batch.prepareMs, feature_slices_ms: featureMs } : {}),
          ...(o.place.device === 'cuda' && Number.isFinite(hostGapMs) ? { host_gap_ms: hostGapMs } : {}),
          gc_ms: gcMs,
        };
        metrics.append(record);
        gcMs = 0;
        losses.push(bd.loss);
        progress.update(record, lastEval);
      };
      // Deferred to the next step (after its work is enqueued) unless something needs this step's end now:
      // bookkeeping (the checkpoint's metrics line and the evaluation belong to it), the last step, a stop.
      if (!deferStepEnd || evalDue || checkpointDue || step >= t.steps || stopping) finishDeferred();
    }
    finishDeferred();
    // training is over: what evaluation remains runs flat out
    evaluator?.unpace();
    // the last step is evaluated too (when the cadence did not land on it)
    if (evaluator && step > startStep && step % t.evalEvery !== 0 && !stopping) submitEval();
    if (step !== checkpointedStep || lastCheckpoint === null) await checkpoint();
    if (writing) lastCheckpoint = await writing;
    if (evaluator) {
      if (evaluator.inFlight > 0) say(`waiting for ${evaluator.inFlight} evaluation(s) to finish`);
      await evaluator.drain().catch((error: unknown) => evalFailed(error));
    }
  } finally {
    gcObserver.disconnect();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    if (pending.ahead !== null) {
      say(`sample step ${pending.ahead.batch.sample.step} was staged, not trained: not consumed (a resume delivers it again)`);
      pending.ahead.dispose();
    }
    stager?.dispose();
    await loader.close();
    await evaluator?.close();
    await writer?.close();
    clock.dispose();
    device?.dispose();
    params.dispose();
  }
  writeRunPlots(o.outDir, metrics);
  progress.done();
  return {
    startStep, steps: step, losses, evals, checkpoint: lastCheckpoint, interrupted: stopping, metricsPath,
    seconds: (performance.now() - started) / 1000, breakdown: stepBreakdown(metrics.steps().filter((r) => r.step > startStep), undefined, metrics.evals().filter((e) => e.step > startStep)),
  };
}
