// `scalefold pretrain`: AlphaFold2 initial training from a built dataset
// (trainer/train/pretrain_run.ts). Without --data it trains on the embedded
// default: the minitrain fixture chains, built once into runs/datasets/
// (a build resumes, so a second run reuses it), three chains held out for
// validation. On a machine whose core sees a usable GPU the default is the
// initial-training preset on CUDA; otherwise the tiny preset on the CPU.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { EXIT_BAD_INPUT, EXIT_OK, UsageError, optionalInteger, optionalString, parseCommandArgs, type Command } from '../../pipeline/cli/command.ts';
import { log, writeResult } from '../../pipeline/cli/log.ts';
import { buildDataset } from '../../pipeline/build/build_dataset.ts';
import { Progress } from '../../pipeline/build/progress.ts';
import { cudaInfo } from '../core/tensor.ts';
import { loadConfig, presetNames } from '../model/config.ts';
import { pretrain } from '../train/pretrain_run.ts';
import { formatBreakdown } from '../train/step_breakdown.ts';
import type { RuntimeOptions } from '../model/runtime.ts';
import { cpuDemoRun, initialTrainingRun, perStepForModel } from '../train/train_config.ts';

// SCALEFOLD_REPO: the repository root where this file is not in it (the GPU bundle, test/gpu/bundle_pretrain.sh)
const REPO = process.env.SCALEFOLD_REPO ?? resolve(import.meta.dirname, '..', '..');
export const DEFAULT_RUN_DIR = 'runs/pretrain-default';
export const DEFAULT_DATASETS = 'runs/datasets';
/** Minitrain chains held out of the default training set (no other chain of their entries is in it). */
export const DEFAULT_VALIDATION_CHAINS = ['102m_A', '1ubq_A', '2crb_A'];
const MINITRAIN_CHAINS = ['102m_A', '1k1a_A', '1psm_A', '1ubq_A', '2crb_A', '2q2k_A', '2q2k_B', '3u8v_A', '3u8v_B', '3zee_A',
  '4dmd_A', '4dmd_B', '4i6p_A', '4zey_A', '5kc1_A', '5kc1_B', '5zyh_A', '7zzx_B', '8f9h_A'];
const CPU_DEFAULT_STEPS = 80;
const GPU_DEFAULT_STEPS = 100;

const HELP = `usage: scalefold pretrain [--data DATASET_DIR] [--val DATASET_DIR] [--out RUN_DIR]
                          [--config PRESET] [--device cpu|cuda] [--steps N] [--resume]
                          [--eval-every N] [--checkpoint-every N] [--seed N] [--crop N]
                          [--ema-decay D] [--order strict|ready-first] [--json]
                          [--precision bf16|fp32] [--checkpoint-blocks on|off] [--profile] [--breakdown] [--time-limit S]
                          [--loader-workers N] [--eval-gpu-share S]

Trains AlphaFold2 (initial training: Adam 0.9/0.999/1e-6, AlphaFold's
learning-rate schedule, clipping to global norm 0.1, weight averaging) on a
dataset built by 'scalefold build'. The loader prepares the next samples in
worker threads while a step computes; every --eval-every steps the averaged
weights are evaluated on --val in a worker thread (lDDT-Ca, distogram,
pLDDT) while training goes on.

  --data DIR            training dataset (default: the minitrain fixture chains, built
                        into ${DEFAULT_DATASETS}/ on first use, minus ${DEFAULT_VALIDATION_CHAINS.join(', ')})
  --val DIR             validation dataset (default with the default data: the held-out chains)
  --out RUN_DIR         checkpoints/, metrics.jsonl and *.svg plots (default ${DEFAULT_RUN_DIR});
                        an existing run there is replaced unless --resume
  --resume              continue from the newest complete checkpoint in RUN_DIR
  --config PRESET       ${presetNames().join(', ')} (default: initial_training on a GPU, tiny on CPU)
  --device cpu|cuda     default: cuda when the native core sees a usable GPU
  --steps N             total optimizer steps (default ${CPU_DEFAULT_STEPS} on CPU, ${GPU_DEFAULT_STEPS} on a GPU)
  --eval-every N        evaluate every N steps (0: never; default 20 CPU / 50 GPU); the last step too
  --checkpoint-every N  checkpoint every N steps (default as --eval-every); also at exit
  --seed N              sampler, initialisation and dropout seed (default 0)
  --crop N              crop size (default: 64 on CPU, the preset's on a GPU)
  --ema-decay D         weight-average decay (default 0.9 on CPU as the MLPerf runs, 0.999 on a GPU as OpenFold)
  --order O             loader delivery: strict (default on CPU: bit-exact resume) or ready-first
  --json                print the run summary as JSON on stdout
  --precision P         bf16 (default on cuda: bf16 trunk activations and weight copies, fp32
                        master weights, structure module and losses) or fp32 (the CPU's only mode)
  --checkpoint-blocks B on (default on cuda: every Evoformer / extra-MSA / template block
                        re-run at backward) or off
  --device-features F   on (default on cuda: the batch's features uploaded as two packed tensors,
                        float32 and int32, sliced per feature on the device) or off (one upload per feature)
  --stage-ahead A       with device features: on (default on cuda: the next batch is taken from the
                        loader and copied host-to-device on a copy stream while the step computes) or off
  --profile             cuda: synchronise at every phase boundary (exact phase times, no overlap)
  --breakdown           print the per-step time breakdown table at the end (always on cuda)
  --time-limit S        stop after S seconds as SIGINT would (finish the step, checkpoint)
  --loader-workers N    loader worker threads (default: 1 on CPU; on cuda the cores
                        less 4, between 4 and 12: a crop-256 sample takes seconds to prepare)
  --eval-gpu-share S    largest share of the wall time evaluation may keep the device busy while
                        training runs (0 < S <= 1; 1 = unpaced; default 0.015 on cuda, 1 on CPU):
                        its kernels run in chunks, each followed by a pause; unpaced once training ends

SIGINT/SIGTERM finish the step in hand, write a checkpoint and exit.`;

async function defaultDatasets(): Promise<{ train: string; val: string }> {
  const train = resolve(DEFAULT_DATASETS, 'minitrain-train');
  const val = resolve(DEFAULT_DATASETS, 'minitrain-val');
  const common = {
    mmcifDir: resolve(REPO, 'test/fixtures/minitrain/mmcifs'), alignmentDir: resolve(REPO, 'test/fixtures/minitrain/alignments'), threads: 2,
    progress: new Progress(new PassThrough() as unknown as NodeJS.WriteStream, false),
  };
  log(`building the default datasets in ${DEFAULT_DATASETS}/ (reused when complete)`);
  for (const [outDir, chains] of [[train, MINITRAIN_CHAINS.filter((c) => !DEFAULT_VALIDATION_CHAINS.includes(c))], [val, DEFAULT_VALIDATION_CHAINS]] as const) {
    const s = await buildDataset({ ...common, outDir, chains });
    if (s.rows === 0) throw new Error(`default dataset ${outDir}: no chain was built (${s.failed} failed)`);
  }
  return { train, val };
}

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'train AlphaFold2 from a built dataset (checkpoints, metrics.jsonl, plots)',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs(args, {
      data: { type: 'string' }, val: { type: 'string' }, out: { type: 'string' }, config: { type: 'string' },
      device: { type: 'string' }, steps: { type: 'string' }, resume: { type: 'boolean' }, 'eval-every': { type: 'string' },
      'checkpoint-every': { type: 'string' }, seed: { type: 'string' }, crop: { type: 'string' }, order: { type: 'string' },
      'ema-decay': { type: 'string' }, json: { type: 'boolean' }, precision: { type: 'string' },
      'checkpoint-blocks': { type: 'string' }, 'device-features': { type: 'string' }, 'stage-ahead': { type: 'string' }, profile: { type: 'boolean' }, breakdown: { type: 'boolean' },
      'time-limit': { type: 'string' }, 'loader-workers': { type: 'string' }, 'eval-gpu-share': { type: 'string' },
    });
    const v = parsed.values;
    const gpu = cudaInfo().usable;
    const device = optionalString(v, 'device') ?? (gpu ? 'cuda' : 'cpu');
    if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`--device must be cpu or cuda, got '${device}'`);
    if (device === 'cuda' && !gpu) {
      log('scalefold pretrain: --device cuda, but the native core sees no usable GPU (built without nvcc, or no device)');
      return EXIT_BAD_INPUT;
    }
    const preset = optionalString(v, 'config') ?? (device === 'cuda' ? 'initial_training' : 'tiny');
    if (!presetNames().includes(preset)) throw new UsageError(`--config must be one of ${presetNames().join(', ')}, got '${preset}'`);
    const config = loadConfig(preset);
    const steps = optionalInteger(v, 'steps', 1) ?? (device === 'cuda' ? GPU_DEFAULT_STEPS : CPU_DEFAULT_STEPS);
    const train = device === 'cuda' ? initialTrainingRun(config, steps) : cpuDemoRun(config, steps);
    train.evalEvery = optionalInteger(v, 'eval-every', 0) ?? train.evalEvery;
    train.checkpointEvery = optionalInteger(v, 'checkpoint-every', 0) ?? train.evalEvery;
    train.seed = optionalInteger(v, 'seed', 0) ?? train.seed;
    const crop = optionalInteger(v, 'crop', 1);
    if (crop !== undefined) train.perStep = { ...train.perStep, cropSize: crop };
    if (device === 'cuda') train.perStep = perStepForModel(config, { cropSize: train.perStep.cropSize });
    const decay = optionalString(v, 'ema-decay');
    if (decay !== undefined) {
      const d = Number(decay);
      if (!(d >= 0 && d < 1)) throw new UsageError(`--ema-decay must be in [0, 1), got '${decay}'`);
      train.adam = { ...train.adam, averageDecay: d };
    }
    const order = optionalString(v, 'order') ?? train.order;
    if (order !== 'strict' && order !== 'ready-first') throw new UsageError(`--order must be strict or ready-first, got '${order}'`);
    train.order = order;

    const precision = optionalString(v, 'precision') ?? (device === 'cuda' ? 'bf16' : 'fp32');
    if (precision !== 'bf16' && precision !== 'fp32') throw new UsageError(`--precision must be bf16 or fp32, got '${precision}'`);
    const blocks = optionalString(v, 'checkpoint-blocks') ?? (device === 'cuda' ? 'on' : 'off');
    if (blocks !== 'on' && blocks !== 'off') throw new UsageError(`--checkpoint-blocks must be on or off, got '${blocks}'`);
    const deviceFeatures = optionalString(v, 'device-features') ?? (device === 'cuda' ? 'on' : 'off');
    if (deviceFeatures !== 'on' && deviceFeatures !== 'off') throw new UsageError(`--device-features must be on or off, got '${deviceFeatures}'`);
    const stageAhead = optionalString(v, 'stage-ahead') ?? (device === 'cuda' ? 'on' : 'off');
    if (stageAhead !== 'on' && stageAhead !== 'off') throw new UsageError(`--stage-ahead must be on or off, got '${stageAhead}'`);
    const timeLimit = optionalInteger(v, 'time-limit', 1);
    const shareText = optionalString(v, 'eval-gpu-share');
    const evalShare = shareText === undefined ? undefined : Number(shareText);
    if (evalShare !== undefined && !(evalShare > 0 && evalShare <= 1)) throw new UsageError(`--eval-gpu-share must be in (0, 1], got '${shareText}'`);
    train.loaderWorkers = optionalInteger(v, 'loader-workers', 1)
      ?? (device === 'cuda' ? Math.max(4, Math.min(12, availableParallelism() - 4)) : train.loaderWorkers);
    train.loaderDepth = Math.max(train.loaderDepth, 2 * train.loaderWorkers);
    const runtime: RuntimeOptions = {};
    if (precision === 'bf16') runtime.trunkDtype = 'bfloat16';
    if (blocks === 'on') runtime.checkpointBlocks = true;

    let dataDir = optionalString(v, 'data');
    let valDir = optionalString(v, 'val');
    if (dataDir === undefined) {
      const d = await defaultDatasets();
      dataDir = d.train;
      valDir ??= d.val;
    }
    const outDir = resolve(optionalString(v, 'out') ?? DEFAULT_RUN_DIR);
    log(`pretrain: preset ${preset} on ${device} (${precision}${blocks === 'on' ? ', checkpointed blocks' : ''}), ${steps} steps, crop ${train.perStep.cropSize}, up to ${train.perStep.maxPasses} forward passes, ` +
      `data ${dataDir}${valDir ? `, validation ${valDir} every ${train.evalEvery} steps` : ''}, run dir ${outDir}`);
    const summary = await pretrain({
      dataDir: resolve(dataDir), valDir: valDir ? resolve(valDir) : undefined, outDir, preset,
      place: { dtype: 'float32', device }, train, resume: v.resume === true, runtime, profile: v.profile === true,
      deviceFeatures: deviceFeatures === 'on', stageAhead: stageAhead === 'on',
      ...(evalShare !== undefined ? { evalShare } : {}),
      ...(timeLimit !== undefined ? { timeLimitS: timeLimit } : {}),
    });
    if (device === 'cuda' || v.breakdown === true) log(formatBreakdown(summary.breakdown));
    const last = summary.evals.at(-1);
    log(`pretrain: ${summary.steps - summary.startStep} steps (${summary.startStep} -> ${summary.steps}) in ${summary.seconds.toFixed(1)} s` +
      `${last ? `, lDDT-Ca ${last.metrics.lddt_ca.toFixed(3)} at step ${last.step}` : ''}; checkpoint ${summary.checkpoint}; metrics ${summary.metricsPath}` +
      (summary.interrupted ? ' (interrupted: run again with --resume to continue)' : ''));
    if (v.json === true) writeResult(JSON.stringify({ ...summary, evals: summary.evals.map((e) => ({ step: e.step, lddt_ca: e.metrics.lddt_ca, seconds: e.seconds })) }));
    return EXIT_OK;
  },
};
