// AlphaFold2 suppl. Algorithm 16: template pair stack (OpenFold
// template.TemplatePairStack / TemplatePairStackBlock), run per template.
// Initial training (tri_mul_first false) executes, per block:
//   t += Dropout_row(TriangleAttentionStartingNode(t))   Alg. 13
//   t += Dropout_col(TriangleAttentionEndingNode(t))     Alg. 14
//   t += Dropout_row(TriangleMultiplicationOutgoing(t))  Alg. 11
//   t += Dropout_row(TriangleMultiplicationIncoming(t))  Alg. 12
//   t += PairTransition(t)                               Alg. 15
// and a final LayerNorm after the last block.
import type { Tensor } from '../core/tensor.ts';
import { add, scope } from '../autograd/index.ts';
import type { TemplatePairStackConfig } from './config_types.ts';
import { runBlock } from './block_checkpoint.ts';
import { addDropout } from './evoformer_block.ts';
import type { ParamView } from './params.ts';
import type { ModelRuntime } from './runtime.ts';
import { transition } from './transition.ts';
import { triangleAttention } from './triangle_attention.ts';
import { triangleMultiplication } from './triangle_multiplication.ts';

/** One template's pair activations t [N, N, C_t] -> [N, N, C_t]. `p` is `template_pair_stack`. */
export function templatePairStack(p: ParamView, rt: ModelRuntime, cfg: TemplatePairStackConfig, t: Tensor, pairMask: Tensor, maskTransition: boolean): Tensor {
  const rate = cfg.dropout_rate;
  for (let i = 0; i < cfg.no_blocks; i++) {
    const b = p.sub(`blocks.${i}`);
    // one block, checkpointed when rt.checkpointBlocks (OpenFold blocks_per_ckpt = 1)
    t = scope(() => runBlock(rt, (brt, [x0, mask]) => {
      const pm = mask!;
      const attention = (x: Tensor): Tensor => {
        x = addDropout(brt, x, triangleAttention(b.sub('tri_att_start'), x, pm, cfg.no_heads, true), rate, -3);
        return addDropout(brt, x, triangleAttention(b.sub('tri_att_end'), x, pm, cfg.no_heads, false), rate, -2);
      };
      const multiplication = (x: Tensor): Tensor => {
        x = addDropout(brt, x, triangleMultiplication(b.sub('tri_mul_out'), x, pm, true), rate, -3);
        return addDropout(brt, x, triangleMultiplication(b.sub('tri_mul_in'), x, pm, false), rate, -3);
      };
      const x = x0!;
      const y = scope(() => (cfg.tri_mul_first ? attention(multiplication(x)) : multiplication(attention(x))));
      return [scope(() => add(y, transition(b.sub('pair_transition'), y, maskTransition ? pm : null)))];
    }, [t, pairMask])[0]!);
  }
  return p.layerNorm('layer_norm', t);
}
