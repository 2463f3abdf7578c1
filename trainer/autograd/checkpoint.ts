// Activation checkpointing (OpenFold utils.checkpointing.checkpoint_blocks
// over torch.utils.checkpoint): checkpoint(fn, inputs) under a recording tape
// runs fn with recording off and records one node that keeps only its inputs
// (its outputs are the node's outputs); at backward the node re-runs fn on
// the saved inputs under a fresh sub-tape and back-propagates the incoming
// gradients through it, into the inputs (returned to the enclosing tape) and
// into the parameters fn used (leaves: straight into their .grad).
//
// Random numbers: the dropout seeds a model draws go through drawSeed(next);
// the first run logs every seed drawn inside fn and the re-run replays that
// log instead of calling next again (torch.utils.checkpoint's
// preserve_rng_state), so the seed stream advances once, as without
// checkpointing, and the re-run sees the same masks.
import type { Tensor } from '../core/tensor.ts';
import { scope } from './scope.ts';
import { Tape, activeTape, noGrad, record, recordingOn, replay } from './tape.ts';
import { addGradients } from './backward.ts';

/** Seed logs of the checkpoints whose first run is in progress (innermost last). */
const logs: number[][] = [];
/** The log a re-run replays, with its read position. */
let replaying: { seeds: readonly number[]; at: number } | null = null;
/** Inside drawSeed's next(). */
let drawing = false;

/**
 * A random seed for the model (e.g. a dropout mask's): next() normally, the
 * logged seed while a checkpoint re-runs its function. Every seed drawn is
 * logged for every checkpoint in progress. Wrapping twice is harmless (the
 * inner call passes through).
 */
export function drawSeed(next: () => number): number {
  // a stream that already goes through drawSeed, wrapped again: draw once
  if (drawing) return next();
  let s: number;
  if (replaying) {
    if (replaying.at >= replaying.seeds.length) throw new Error('checkpoint: the re-run drew more random seeds than the first run');
    s = replaying.seeds[replaying.at++]!;
  } else {
    drawing = true;
    try {
      s = next();
    } finally {
      drawing = false;
    }
  }
  for (const log of logs) log.push(s);
  return s;
}

/**
 * Runs fn(inputs) and returns its outputs. Under a recording tape the
 * intermediate activations of fn are not kept: fn is re-run at backward.
 * fn must be deterministic given its inputs and the seeds it draws through
 * drawSeed, and must receive every tensor it reads through inputs except
 * parameters (leaves), which it may read directly. Outputs of fn are
 * returned as new handles (an input passed through comes back as a view).
 */
export function checkpoint(fn: (inputs: readonly Tensor[]) => readonly Tensor[], inputs: readonly Tensor[]): Tensor[] {
  const tape = activeTape();
  if (!tape) return [...fn(inputs)];
  const log: number[] = [];
  logs.push(log);
  let outputs: Tensor[];
  try {
    outputs = noGrad(() => scope(() => fn(inputs).map((o) => o.reshape(o.shape))));
  } finally {
    logs.pop();
  }
  const wanted = inputs.map((x) => x.requiresGrad);
  record('checkpoint', [...inputs], outputs, [...inputs], (gOut, saved) => scope(() => {
    // stand-ins for the inputs: new handles on the saved storage, gradients captured
    const standIns = saved.map((s, i) => {
      const x = s.alias();
      x.requiresGrad = wanted[i]!;
      return x;
    });
    try {
      const sub = new Tape();
      const previous = replaying;
      replaying = { seeds: log, at: 0 };
      let again: readonly Tensor[];
      try {
        again = recordingOn(sub, () => fn(standIns));
        if (replaying.at !== log.length) throw new Error('checkpoint: the re-run drew fewer random seeds than the first run');
      } finally {
        replaying = previous;
      }
      if (again.length !== outputs.length) throw new Error('checkpoint: the re-run returned a different number of outputs');
      const seeds = new Map<Tensor, Tensor>();
      again.forEach((o, i) => {
        const g = gOut[i];
        if (g && o.requiresGrad) seeds.set(o, g);
      });
      const seedValues = new Set(seeds.values());
      let grads: Map<Tensor, Tensor>;
      try {
        grads = noGrad(() => replay(sub, seeds, addGradients, { capture: new Set(standIns), forbidden: tape.produced }));
      } finally {
        sub.release();
      }
      return standIns.map((x) => {
        const g = grads.get(x);
        if (!g) return null;
        // an input passed straight through: its gradient is the caller's seed, return a new handle
        return seedValues.has(g) ? g.reshape(g.shape) : g;
      });
    } finally {
      for (const x of standIns) x.dispose();
    }
  }), true);
  return outputs;
}
