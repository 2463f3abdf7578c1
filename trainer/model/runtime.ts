// What a forward pass needs besides parameters and inputs: where tensors live,
// in which float dtype, and whether dropout is on (with a seed stream, so a
// step is reproducible). Execution strategy only; no math.
import { Rng } from '../../features/rng.ts';
import type { TensorPlacement } from './host_tensor.ts';

export interface ModelRuntime {
  place: TensorPlacement;
  /** Dropout on (training) or off (evaluation, golden checks). */
  training: boolean;
  /** A fresh dropout seed per call (a seeded stream, never Math.random). */
  nextSeed(): number;
}

/** A runtime with dropout off. */
export function evalRuntime(place: TensorPlacement): ModelRuntime {
  return { place, training: false, nextSeed: () => 0 };
}

/** A training runtime: dropout on, seeds drawn from a generator keyed by (seed, step). */
export function trainingRuntime(place: TensorPlacement, seed: number, step: number): ModelRuntime {
  const rng = Rng.fromSeed(seed).derive('dropout', step);
  return { place, training: true, nextSeed: () => rng.uint32() };
}
