// backward(loss) with the default seed and the add used to accumulate.
import { DTYPE_CODES, Tensor } from '../core/tensor.ts';
import { runOpAll } from '../core/ops.ts';
import { Tape, backward as replay } from './tape.ts';
import { add } from './elementwise.ts';

/**
 * Sums two gradients of one tensor. They may differ in dtype where a bf16
 * copy of a float32 weight got one gradient in float32 (a matmul's weight
 * gradient, layout.ts gradientDtype) and another in bf16: the sum is float32.
 */
export function addGradients(a: Tensor, b: Tensor): Tensor {
  if (a.dtype === b.dtype) return add(a, b);
  const [wide, narrow] = a.dtype === 'float32' ? [a, b] : [b, a];
  const [up] = runOpAll('cast', [narrow], { dtype: DTYPE_CODES[wide.dtype] });
  const sum = add(wide, up);
  up.dispose();
  return sum;
}

/**
 * Replays tape from loss (seed: ones of loss's shape unless given) and leaves
 * the gradients in .grad of the leaves that require one; releases the tape.
 */
export function gradientOf(tape: Tape, loss: Tensor, seed?: Tensor): void {
  const ones = seed ?? runOpAll('fill', [loss], { value: 1 })[0];
  try {
    replay(tape, loss, addGradients, ones);
  } finally {
    if (!seed) ones.dispose();
  }
}
