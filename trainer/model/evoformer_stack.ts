// AlphaFold2 suppl. Algorithm 2 lines 14-17 / Algorithm 18: the Evoformer
// stack (48 blocks) with the single representation s = Linear(m_1), and the
// extra-MSA stack (4 blocks, pair output only). OpenFold evoformer.EvoformerStack
// / ExtraMSAStack.
import type { Tensor } from '../core/tensor.ts';
import { reshape, scope, slice } from '../autograd/index.ts';
import type { AlphaFoldConfig } from './config_types.ts';
import { runBlock } from './block_checkpoint.ts';
import { msaBlock, type MsaBlockArgs, type MsaBlockOptions } from './evoformer_block.ts';
import type { ParamView } from './params.ts';
import type { ModelRuntime } from './runtime.ts';

/** One block, checkpointed when rt.checkpointBlocks (OpenFold blocks_per_ckpt = 1). */
function block(p: ParamView, rt: ModelRuntime, a: MsaBlockArgs, o: MsaBlockOptions): { m: Tensor; z: Tensor } {
  const [m, z] = runBlock(rt, (brt, [bm, bz, msaMask, pairMask]) => {
    const r = msaBlock(p, brt, { m: bm!, z: bz!, msaMask: msaMask!, pairMask: pairMask! }, o);
    return [r.m, r.z];
  }, [a.m, a.z, a.msaMask, a.pairMask]);
  return { m: m!, z: z! };
}

export interface EvoformerOutput {
  /** [S, N_res, C_m] */ m: Tensor;
  /** [N_res, N_res, C_z] */ z: Tensor;
  /** [N_res, C_s] */ s: Tensor;
}

/** `p` is the `evoformer` module. */
export function evoformerStack(p: ParamView, rt: ModelRuntime, c: AlphaFoldConfig, a: MsaBlockArgs): EvoformerOutput {
  const stack = c.model.evoformer_stack;
  let { m, z } = a;
  for (let i = 0; i < stack.no_blocks; i++) {
    ({ m, z } = scope(() => block(p.sub(`blocks.${i}`), rt, { m, z, msaMask: a.msaMask, pairMask: a.pairMask }, {
      stack, globalColumnAttention: false, maskTransition: c.model._mask_trans, eps: c.globals.eps,
    })));
  }
  const [, n, cm] = m.shape as [number, number, number];
  const s = p.linear('linear', reshape(slice(m, [0, 0, 0], [1, n, cm]), [n, cm]));
  return { m, z, s };
}

/** `p` is the `extra_msa_stack` module; returns the updated pair representation. */
export function extraMsaStack(p: ParamView, rt: ModelRuntime, c: AlphaFoldConfig, a: MsaBlockArgs): Tensor {
  const stack = c.model.extra_msa.extra_msa_stack;
  let { m, z } = a;
  for (let i = 0; i < stack.no_blocks; i++) {
    ({ m, z } = scope(() => block(p.sub(`blocks.${i}`), rt, { m, z, msaMask: a.msaMask, pairMask: a.pairMask }, {
      stack, globalColumnAttention: true, maskTransition: c.model._mask_trans, eps: c.globals.eps,
    })));
  }
  return z;
}
