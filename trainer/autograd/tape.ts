// The tape: ops called while a tape records (recordOn) push a node holding
// their inputs, outputs, the tensors their backward needs (as aliases the
// tape owns) and the backward function. backward(loss) replays the nodes in
// reverse, accumulating gradients into .grad of the leaf tensors that
// requireGrad (parameters), then frees everything it recorded. noGrad(fn)
// runs fn without recording (AlphaFold's recycling iterations but the last).
import { Tensor } from '../core/tensor.ts';
import { keep, scope } from './scope.ts';

/**
 * A node's backward: the gradients of its inputs from those of its outputs.
 * `prior` holds, per input, the gradient accumulated so far from later
 * consumers (null when none, or for a leaf). A backward may return
 * { grads, folded } with folded[k] true where grads[k] already includes
 * prior[k] (e.g. a product written on top of it, cuBLASLt's beta = 1): the
 * tape then replaces the accumulated gradient instead of adding to it. A
 * backward folds a prior at most once (an input listed twice: only one of
 * its positions may be folded).
 */
export type GradFn = (gradOutputs: (Tensor | null)[], saved: Tensor[], prior: (Tensor | null)[]) => (Tensor | null)[] | FoldedGrads;

export interface FoldedGrads {
  grads: (Tensor | null)[];
  folded: boolean[];
}

interface TapeNode {
  op: string;
  inputs: (Tensor | null)[];
  outputs: Tensor[];
  saved: Tensor[];
  backward: GradFn;
}

export class Tape {
  nodes: TapeNode[] = [];
  produced = new Set<Tensor>();

  /** Frees the saved tensors and forgets every node. */
  release(): void {
    for (const n of this.nodes) for (const s of n.saved) s.dispose();
    this.nodes = [];
    this.produced.clear();
  }
}

let active: Tape | null = null;
let noGradDepth = 0;

export function recordOn<T>(tape: Tape, fn: () => T): T {
  const previous = active;
  active = tape;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

export function noGrad<T>(fn: () => T): T {
  noGradDepth++;
  try {
    return fn();
  } finally {
    noGradDepth--;
  }
}

export function isRecording(): boolean {
  return active !== null && noGradDepth === 0;
}

/**
 * Called by every differentiable op after computing its outputs. Records a
 * node when a tape is recording and an input requires a gradient (or
 * always: checkpoint, whose parameters are not among its inputs).
 */
export function record(op: string, inputs: (Tensor | null)[], outputs: Tensor[], saved: Tensor[], backward: GradFn, always = false): void {
  if (!isRecording() || (!always && !inputs.some((t) => t !== null && t.requiresGrad))) return;
  const tape = active as Tape;
  for (const o of outputs) {
    o.requiresGrad = true;
    tape.produced.add(o);
  }
  tape.nodes.push({ op, inputs, outputs, saved: saved.map((s) => s.alias()), backward });
}

function accumulateInto(target: Tensor, g: Tensor, add: (a: Tensor, b: Tensor) => Tensor): void {
  if (target.grad === null) {
    target.grad = keep(g);
  } else {
    const sum = keep(add(target.grad, g));
    target.grad.dispose();
    target.grad = sum;
  }
}

export interface ReplayOptions {
  /**
   * Tensors whose gradients come back in the returned map instead of being
   * accumulated into .grad (checkpoint's stand-ins for its inputs).
   */
  capture?: ReadonlySet<Tensor>;
  /**
   * Leaves that must not receive a gradient here (tensors of an enclosing
   * tape): reaching one throws, since its gradient would be lost.
   */
  forbidden?: ReadonlySet<Tensor>;
}

/**
 * Replays tape in reverse from the seeded tensors (gradient per tensor; the
 * seeds stay owned by the caller) and accumulates into .grad of every leaf
 * that requires a gradient, except the captured tensors, whose gradients are
 * returned (owned by the caller, tracked by the enclosing scope). Must run
 * with recording off. Intermediate gradients are freed as soon as used.
 */
export function replay(tape: Tape, seeds: ReadonlyMap<Tensor, Tensor>, add: (a: Tensor, b: Tensor) => Tensor, options: ReplayOptions = {}): Map<Tensor, Tensor> {
  const capture = options.capture ?? new Set<Tensor>();
  const forbidden = options.forbidden;
  const unowned = new Set<Tensor>(seeds.values());
  const release = (g: Tensor) => {
    if (!unowned.has(g)) g.dispose();
  };
  const grads = new Map<Tensor, Tensor>(seeds);
  for (let i = tape.nodes.length - 1; i >= 0; i--) {
    const node = tape.nodes[i];
    const gOut = node.outputs.map((o) => grads.get(o) ?? null);
    if (gOut.every((g) => g === null)) continue;
    // the gradient accumulated so far for each input the tape sums itself (not leaves: their .grad)
    const prior = node.inputs.map((input) => (input !== null && (tape.produced.has(input) || capture.has(input)) ? grads.get(input) ?? null : null));
    const result = node.backward(gOut, node.saved, prior);
    const gIn = Array.isArray(result) ? result : result.grads;
    const folded = Array.isArray(result) ? null : result.folded;
    for (const o of node.outputs) {
      if (capture.has(o)) continue;
      const g = grads.get(o);
      if (g) release(g);
      grads.delete(o);
    }
    node.inputs.forEach((input, k) => {
      const g = gIn[k];
      if (input === null || g === null || g === undefined || !input.requiresGrad) {
        if (g !== null && g !== undefined) g.dispose();
        return;
      }
      if (!tape.produced.has(input) && !capture.has(input)) {
        if (forbidden?.has(input)) {
          g.dispose();
          throw new Error(`checkpoint: the function read a tensor of the enclosing tape (${input}) that is not among its inputs; pass it in inputs`);
        }
        accumulateInto(input, g, add);
        return;
      }
      const prev = grads.get(input);
      if (prev && folded?.[k] === true && prior[k] === prev) {
        // g = this node's gradient + prev, made by the backward itself
        grads.set(input, g);
        release(prev);
      } else if (prev) {
        grads.set(input, add(prev, g));
        release(prev);
        g.dispose();
      } else {
        grads.set(input, g);
      }
    });
  }
  const out = new Map<Tensor, Tensor>();
  for (const [t, g] of grads) {
    if (capture.has(t)) out.set(t, g);
    else release(g);
  }
  return out;
}

/**
 * Replays the tape in reverse from loss (seeded with gradOfLoss, default ones)
 * and accumulates into .grad of every leaf that requires a gradient; then
 * releases the tape. Intermediate gradients are freed as soon as used.
 */
export function backward(tape: Tape, loss: Tensor, add: (a: Tensor, b: Tensor) => Tensor, seed: Tensor): void {
  try {
    noGrad(() => scope(() => {
      replay(tape, new Map([[loss, seed]]), add);
    }));
  } finally {
    tape.release();
  }
}

/**
 * Runs fn recording on tape even inside noGrad (checkpoint's recomputation
 * during a backward pass); restores the previous state afterwards.
 */
export function recordingOn<T>(tape: Tape, fn: () => T): T {
  const previous = active;
  const depth = noGradDepth;
  active = tape;
  noGradDepth = 0;
  try {
    return fn();
  } finally {
    active = previous;
    noGradDepth = depth;
  }
}

/** The tape recording now, or null. */
export function activeTape(): Tape | null {
  return isRecording() ? active : null;
}
