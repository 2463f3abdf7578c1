// Training checkpoints, written so that a kill at any moment leaves the
// previous one loadable: every file goes into a temporary folder
// (`.tmp-step-NNNNNN-<pid>`), each is fsynced, the folder is fsynced and
// renamed to `step-NNNNNN`, and the parent folder is fsynced. A reader takes
// the newest `step-*` folder that decodes in full and ignores temporaries.
//
//   model.safetensors      fp32 master weights, OpenFold state_dict names
//   ema.safetensors        averaged weights (what evaluation and inference use), same names
//   optimizer.safetensors  `exp_avg.<name>`, `exp_avg_sq.<name>` (PyTorch Adam's state)
//   state.json             step, Adam step, sampler/loader position, RNG state, run config
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from '../io/safetensors.ts';
import type { OptimizerSlot } from './optimizer_state.ts';
import { toBf16Bits } from './fused_adam_swa.ts';

export const CHECKPOINT_FORMAT = 'scalefold-checkpoint-1';
const CHUNK_BYTES = 1 << 20;

export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  /** Optimizer steps taken (the next step to run). */
  step: number;
  adamStep: number;
  /** Loader: every sample step below this was consumed ... */
  nextSampleStep: number;
  /** ... and these later ones too (ready-first delivery overtakes). */
  consumedAhead: number[];
  /** RNG state: the sampler and dropout streams are counter-based, keyed by (seed, step). */
  rng: { seed: number; dropoutStream: 'dropout'; samplerEpochLength: number };
  /** The run's settings, checked on resume. */
  run: Record<string, unknown>;
}

export interface CheckpointPayload {
  state: CheckpointState;
  /** Each file's bytes, or its parts in order (a header and the data from separate buffers). */
  files: { name: string; bytes: Uint8Array | readonly Uint8Array[] }[];
}

/** Encodes the optimizer's tensors into the checkpoint's files (copies: training may go on meanwhile). */
export function encodeCheckpoint(slots: readonly OptimizerSlot[], state: CheckpointState): CheckpointPayload {
  const named = (pick: (s: OptimizerSlot) => Float32Array, prefix = ''): [string, SafeTensor][] =>
    slots.map((s) => [prefix + s.name, { dtype: 'F32', shape: s.shape, data: pick(s) }]);
  const meta = { format: 'pt', step: String(state.step) };
  return {
    state,
    files: [
      { name: 'model.safetensors', bytes: encodeSafetensors(named((s) => s.param), meta) },
      { name: 'ema.safetensors', bytes: encodeSafetensors(named((s) => s.average), meta) },
      { name: 'optimizer.safetensors', bytes: encodeSafetensors([...named((s) => s.m, 'exp_avg.'), ...named((s) => s.v, 'exp_avg_sq.')], meta) },
      { name: 'state.json', bytes: new TextEncoder().encode(JSON.stringify(state, null, 1) + '\n') },
    ],
  };
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

async function fsyncPath(path: string): Promise<void> {
  const h = await open(path, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Called after every chunk written (tests use it to kill the writer mid-file). */
export type WriteObserver = (file: string, bytesWritten: number) => void;

export interface WriteOptions {
  /** Complete checkpoints to keep (older ones are removed). */
  keep: number;
  observe?: WriteObserver;
  chunkBytes: number;
}

/** Writes a checkpoint atomically into `dir`; keeps the newest `keep` complete ones. */
export async function writeCheckpoint(dir: string, payload: CheckpointPayload, options: Partial<WriteOptions> = {}): Promise<string> {
  const { keep = 3, observe, chunkBytes = CHUNK_BYTES } = options;
  mkdirSync(dir, { recursive: true });
  removeTemporaries(dir);
  const name = checkpointName(payload.state.step);
  const tmp = join(dir, `.tmp-${name}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  for (const f of payload.files) {
    const h = await open(join(tmp, f.name), 'w');
    try {
      let written = 0;
      for (const part of f.bytes instanceof Uint8Array ? [f.bytes] : f.bytes) {
        for (let at = 0; at < part.length; at += chunkBytes) {
          const chunk = part.subarray(at, Math.min(at + chunkBytes, part.length));
          await h.write(chunk, 0, chunk.length);
          written += chunk.length;
          observe?.(f.name, written);
        }
      }
      await h.sync();
    } finally {
      await h.close();
    }
  }
  await fsyncPath(tmp);
  const final = join(dir, name);
  rmSync(final, { recursive: true, force: true });
  await rename(tmp, final);
  await fsyncPath(dir);
  for (const old of completeCheckpoints(dir).slice(keep)) rmSync(join(dir, old), { recursive: true, force: true });
  return final;
}

/** Removes what killed writers left behind. */
export function removeTemporaries(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith('.tmp-step-')) rmSync(join(dir, n), { recursive: true, force: true });
}

/** Complete checkpoint folder names, newest first. */
export function completeCheckpoints(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => /^step-\d{6,}$/.test(n)).sort().reverse();
}

export interface LoadedCheckpoint {
  path: string;
  state: CheckpointState;
  /** name -> tensors of model / ema / optimizer files. */
  model: Map<string, SafeTensor>;
  ema: Map<string, SafeTensor>;
  optimizer: Map<string, SafeTensor>;
}

export async function readCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const state = JSON.parse(await readFile(join(path, 'state.json'), 'utf8')) as CheckpointState;
  if (state.format !== CHECKPOINT_FORMAT) throw new Error(`${path}: not a ${CHECKPOINT_FORMAT} checkpoint`);
  const read = async (name: string) => decodeSafetensors(new Uint8Array(await readFile(join(path, name))), join(path, name)).tensors;
  return { path, state, model: await read('model.safetensors'), ema: await read('ema.safetensors'), optimizer: await read('optimizer.safetensors') };
}

/** The newest checkpoint in `dir` that reads in full (null when none does). */
export async function latestCheckpoint(dir: string): Promise<LoadedCheckpoint | null> {
  for (const name of completeCheckpoints(dir)) {
    try {
      return await readCheckpoint(join(dir, name));
    } catch {
      continue;
    }
  }
  return null;
}

/** Restores the optimizer's slots (in place) from a checkpoint; checks names and sizes. */
export function restoreSlots(slots: readonly OptimizerSlot[], ckpt: LoadedCheckpoint): void {
  const take = (map: Map<string, SafeTensor>, key: string, n: number): Float32Array => {
    const t = map.get(key);
    if (!t || t.dtype !== 'F32' || t.data.length !== n) throw new Error(`${ckpt.path}: '${key}' missing or not F32[${n}]`);
    return t.data as Float32Array;
  };
  for (const s of slots) {
    const n = s.param.length;
    s.param.set(take(ckpt.model, s.name, n));
    s.average.set(take(ckpt.ema, s.name, n));
    s.m.set(take(ckpt.optimizer, `exp_avg.${s.name}`, n));
    s.v.set(take(ckpt.optimizer, `exp_avg_sq.${s.name}`, n));
    for (let i = 0; i < n; i++) s.bf16[i] = toBf16Bits(s.param[i]!);
  }
}
