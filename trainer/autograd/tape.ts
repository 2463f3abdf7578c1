// The tape: ops called while a tape records (recordOn) push a node holding
// their inputs, outputs, the tensors their backward needs (as aliases the
// tape owns) and the backward function. backward(loss) replays the nodes in
// reverse, accumulating gradients into .grad of the leaf tensors that
// requireGrad (parameters), then frees everything it recorded. noGrad(fn)
// runs fn without recording (AlphaFold's recycling iterations but the last).
import { Tensor } from '../core/tensor.ts';
import { keep, scope } from './scope.ts';

export type GradFn = (gradOutputs: (Tensor | null)[], saved: Tensor[]) => (Tensor | null)[];

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
 * node when a tape is recording and an input requires a gradient.
 */
export function record(op: string, inputs: (Tensor | null)[], outputs: Tensor[], saved: Tensor[], backward: GradFn): void {
  if (!isRecording() || !inputs.some((t) => t !== null && t.requiresGrad)) return;
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

/**
 * Replays the tape in reverse from loss (seeded with gradOfLoss, default ones)
 * and accumulates into .grad of every leaf that requires a gradient; then
 * releases the tape. Intermediate gradients are freed as soon as used.
 */
export function backward(tape: Tape, loss: Tensor, add: (a: Tensor, b: Tensor) => Tensor, seed: Tensor): void {
  noGrad(() =>
    scope(() => {
      const grads = new Map<Tensor, Tensor>();
      grads.set(loss, seed);
      for (let i = tape.nodes.length - 1; i >= 0; i--) {
        const node = tape.nodes[i];
        const gOut = node.outputs.map((o) => grads.get(o) ?? null);
        if (gOut.every((g) => g === null)) continue;
        const gIn = node.backward(gOut, node.saved);
        for (const o of node.outputs) {
          const g = grads.get(o);
          if (g && g !== seed) g.dispose();
          grads.delete(o);
        }
        node.inputs.forEach((input, k) => {
          const g = gIn[k];
          if (input === null || g === null || !input.requiresGrad) {
            if (g !== null && g !== undefined) g.dispose();
            return;
          }
          if (!tape.produced.has(input)) {
            accumulateInto(input, g, add);
            return;
          }
          const prev = grads.get(input);
          if (prev) {
            grads.set(input, add(prev, g));
            prev.dispose();
            g.dispose();
          } else {
            grads.set(input, g);
          }
        });
      }
    }),
  );
  tape.release();
}
