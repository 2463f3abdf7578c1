// AlphaFold2 suppl. Algorithm 6 (Evoformer block) and Algorithm 18 lines 3-9
// (extra-MSA block; OpenFold evoformer.EvoformerBlock / ExtraMSABlock /
// PairStack). Execution order (not the state_dict order):
//   m += Dropout_row(RowAttentionWithPairBias(m, z))     Alg. 7
//   m += ColumnAttention(m)  | ColumnGlobalAttention(m)  Alg. 8 | Alg. 19
//   m += MSATransition(m)                                Alg. 9
//   z += OuterProductMean(m)                             Alg. 10
//   z += Dropout_row(TriangleMultiplicationOutgoing(z))  Alg. 11
//   z += Dropout_row(TriangleMultiplicationIncoming(z))  Alg. 12
//   z += Dropout_row(TriangleAttentionStartingNode(z))   Alg. 13
//   z += Dropout_col(TriangleAttentionEndingNode(z))     Alg. 14
//   z += PairTransition(z)                               Alg. 15
// Row-wise dropout shares its mask along axis -3, column-wise along -2
// (suppl. 1.11.6).
import type { Tensor } from '../core/tensor.ts';
import { add, dropout, scope } from '../autograd/index.ts';
import type { MsaStackConfig } from './config_types.ts';
import { msaColumnAttention } from './msa_column_attention.ts';
import { msaColumnGlobalAttention } from './msa_column_global_attention.ts';
import { msaRowAttentionWithPairBias } from './msa_row_attention.ts';
import { outerProductMean } from './outer_product_mean.ts';
import type { ParamView } from './params.ts';
import type { ModelRuntime } from './runtime.ts';
import { transition } from './transition.ts';
import { triangleAttention } from './triangle_attention.ts';
import { triangleMultiplication } from './triangle_multiplication.ts';

/** Residual add with dropout (rate from the config, off outside training). */
export function addDropout(rt: ModelRuntime, x: Tensor, update: Tensor, rate: number, sharedAxis: number): Tensor {
  if (!rt.training || rate === 0) return add(x, update);
  return add(x, dropout(update, rate, rt.nextSeed(), [sharedAxis]));
}

export interface PairStackOptions {
  heads: number;
  dropout: number;
  /** Mask the transition output (OpenFold `_mask_trans`). */
  maskTransition: boolean;
}

/** The pair half of a block (OpenFold PairStack): Alg. 11-15, in that order. */
export function pairStack(p: ParamView, rt: ModelRuntime, z: Tensor, pairMask: Tensor, o: PairStackOptions): Tensor {
  // each update in its own scope: its intermediates are freed (or kept only
  // by the tape) as soon as the residual add is done
  z = scope(() => addDropout(rt, z, triangleMultiplication(p.sub('tri_mul_out'), z, pairMask, true), o.dropout, -3));
  z = scope(() => addDropout(rt, z, triangleMultiplication(p.sub('tri_mul_in'), z, pairMask, false), o.dropout, -3));
  z = scope(() => addDropout(rt, z, triangleAttention(p.sub('tri_att_start'), z, pairMask, o.heads, true), o.dropout, -3));
  z = scope(() => addDropout(rt, z, triangleAttention(p.sub('tri_att_end'), z, pairMask, o.heads, false), o.dropout, -2));
  return scope(() => add(z, transition(p.sub('pair_transition'), z, o.maskTransition ? pairMask : null)));
}

export interface MsaBlockArgs {
  /** [S, N_res, C] */ m: Tensor;
  /** [N_res, N_res, C_z] */ z: Tensor;
  /** [S, N_res] */ msaMask: Tensor;
  /** [N_res, N_res] */ pairMask: Tensor;
}

export interface MsaBlockOptions {
  stack: MsaStackConfig;
  /** Extra-MSA block: column global attention (Alg. 19) instead of Alg. 8. */
  globalColumnAttention: boolean;
  maskTransition: boolean;
  /** eps of the global attention's mean query. */
  eps: number;
}

export function msaBlock(p: ParamView, rt: ModelRuntime, a: MsaBlockArgs, o: MsaBlockOptions): { m: Tensor; z: Tensor } {
  const s = o.stack;
  let m = scope(() => addDropout(rt, a.m, msaRowAttentionWithPairBias(p.sub('msa_att_row'), a.m, a.z, a.msaMask, s.no_heads_msa), s.msa_dropout, -3));
  m = scope(() => add(m, o.globalColumnAttention
    ? msaColumnGlobalAttention(p.sub('msa_att_col'), m, a.msaMask, s.no_heads_msa, o.eps)
    : msaColumnAttention(p.sub('msa_att_col'), m, a.msaMask, s.no_heads_msa)));
  m = scope(() => add(m, transition(p.sub('msa_transition'), m, o.maskTransition ? a.msaMask : null)));
  let z = scope(() => add(a.z, outerProductMean(p.sub('outer_product_mean'), m, a.msaMask)));
  z = pairStack(p.sub('pair_stack'), rt, z, a.pairMask, { heads: s.no_heads_pair, dropout: s.pair_dropout, maskTransition: o.maskTransition });
  return { m, z };
}
