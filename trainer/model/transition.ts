// AlphaFold2 suppl. Algorithm 9 (MSA transition) and Algorithm 15 (pair
// transition); OpenFold evoformer.MSATransition / pair_transition.PairTransition:
// LayerNorm, Linear to n·c with ReLU, Linear back to c. With `_mask_trans`
// false (initial training) no mask is applied.
import type { Tensor } from '../core/tensor.ts';
import { mul, reshape, relu } from '../autograd/index.ts';
import type { ParamView } from './params.ts';

/** x [..., c] -> update [..., c]; mask [...] multiplies the output when given. */
export function transition(p: ParamView, x: Tensor, mask: Tensor | null = null): Tensor {
  const h = relu(p.linear('linear_1', p.layerNorm('layer_norm', x)));
  const out = p.linear('linear_2', h);
  return mask ? mul(out, reshape(mask, [...mask.shape, 1])) : out;
}
