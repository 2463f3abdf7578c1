// What a forward pass needs besides parameters and inputs: where tensors live,
// in which float dtype, whether dropout is on (with a seed stream, so a step
// is reproducible), and the memory / precision strategy (activation
// checkpointing, bf16 trunk). Execution strategy only; no math.
import { Rng } from '../../features/rng.ts';
import { drawSeed } from '../autograd/index.ts';
import type { TensorPlacement } from './host_tensor.ts';

/** The compute dtype of the trunk under mixed precision. */
export type TrunkDtype = 'bfloat16';

export interface ModelRuntime {
  /** Device and the parameters' (master) float dtype; everything runs in it unless trunkDtype says otherwise. */
  place: TensorPlacement;
  /** Dropout on (training) or off (evaluation, golden checks). */
  training: boolean;
  /** A fresh dropout seed per call (a seeded stream, never Math.random). */
  nextSeed(): number;
  /**
   * Checkpoint every Evoformer, extra-MSA and template-pair-stack block
   * (OpenFold globals.blocks_per_ckpt = 1): under a tape each block keeps only
   * its inputs and is re-run at backward. Same gradients, less memory.
   */
  checkpointBlocks?: boolean;
  /**
   * Mixed precision: the embedders, template stack, extra-MSA stack and
   * Evoformer compute in this dtype (parameters cast on use, or their
   * ParamStore shadow); the structure module, heads and losses run in
   * place.dtype. Absent: everything in place.dtype.
   */
  trunkDtype?: TrunkDtype;
}

/** The strategy options of a runtime (what trainingRuntime / evalRuntime pass through). */
export interface RuntimeOptions {
  checkpointBlocks?: boolean;
  trunkDtype?: TrunkDtype;
}

function withOptions(rt: ModelRuntime, options: RuntimeOptions): ModelRuntime {
  if (options.checkpointBlocks !== undefined) rt.checkpointBlocks = options.checkpointBlocks;
  if (options.trunkDtype !== undefined) rt.trunkDtype = options.trunkDtype;
  return rt;
}

/** A runtime with dropout off. */
export function evalRuntime(place: TensorPlacement, options: RuntimeOptions = {}): ModelRuntime {
  return withOptions({ place, training: false, nextSeed: () => drawSeed(() => 0) }, options);
}

/** A training runtime: dropout on, seeds drawn from a generator keyed by (seed, step). */
export function trainingRuntime(place: TensorPlacement, seed: number, step: number, options: RuntimeOptions = {}): ModelRuntime {
  const rng = Rng.fromSeed(seed).derive('dropout', step);
  // drawSeed: a checkpointed block's re-run replays the seeds of its first run
  return withOptions({ place, training: true, nextSeed: () => drawSeed(() => rng.uint32()) }, options);
}
