// Activation checkpointing of the trunk's blocks (OpenFold
// utils.checkpointing.checkpoint_blocks with globals.blocks_per_ckpt = 1:
// every Evoformer, extra-MSA and template-pair-stack block is one
// checkpoint). Execution strategy only: the gradients are the same.
import type { Tensor } from '../core/tensor.ts';
import { checkpoint, drawSeed } from '../autograd/index.ts';
import type { ModelRuntime } from './runtime.ts';

/**
 * block(rt, inputs) with rt.checkpointBlocks: keeps only the block's inputs
 * on the tape and re-runs it at backward with the same dropout seeds (the
 * seed stream goes through drawSeed, which logs and replays them). Every
 * tensor the block reads except parameters must be in inputs.
 */
export function runBlock(rt: ModelRuntime, block: (rt: ModelRuntime, inputs: readonly Tensor[]) => Tensor[], inputs: readonly Tensor[]): Tensor[] {
  if (!rt.checkpointBlocks) return block(rt, inputs);
  const seeded: ModelRuntime = { ...rt, nextSeed: () => drawSeed(() => rt.nextSeed()) };
  return checkpoint((xs) => block(seeded, xs), inputs);
}
