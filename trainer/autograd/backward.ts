// backward(loss) with the default seed and the add used to accumulate.
import { Tensor } from '../core/tensor.ts';
import { runOpAll } from '../core/ops.ts';
import { Tape, backward as replay } from './tape.ts';
import { add } from './elementwise.ts';

/**
 * Replays tape from loss (seed: ones of loss's shape unless given) and leaves
 * the gradients in .grad of the leaves that require one; releases the tape.
 */
export function gradientOf(tape: Tape, loss: Tensor, seed?: Tensor): void {
  const ones = seed ?? runOpAll('fill', [loss], { value: 1 })[0];
  try {
    replay(tape, loss, add, ones);
  } finally {
    if (!seed) ones.dispose();
  }
}
