// Parameters of the Evoformer-family building blocks, registered in
// OpenFold's order (openfold/model/{primitives,msa,outer_product_mean,
// triangular_attention,triangular_multiplicative_update,pair_transition,
// evoformer,template}.py). Shapes follow the AlphaFold2 supplementary
// algorithms named on each function.
import type { MsaStackConfig, TemplatePairStackConfig } from './config_types.ts';
import type { ModuleSpec } from './param_tree.ts';

/**
 * Gated multi-head attention (OpenFold `Attention`): q, k, v without bias
 * (glorot), output with bias ('final'), gate with bias ('gating').
 */
export function attentionSpec(m: ModuleSpec, cQ: number, cKv: number, cHidden: number, heads: number, gating: boolean): void {
  const hc = cHidden * heads;
  m.linear('linear_q', cQ, hc, 'glorot', false);
  m.linear('linear_k', cKv, hc, 'glorot', false);
  m.linear('linear_v', cKv, hc, 'glorot', false);
  m.linear('linear_o', hc, cQ, 'final');
  if (gating) m.linear('linear_g', cQ, hc, 'gating');
}

/** Suppl. Alg. 7: MSA row-wise gated self-attention with pair bias. */
export function msaRowAttentionSpec(m: ModuleSpec, cM: number, cZ: number, cHidden: number, heads: number): void {
  m.layerNorm('layer_norm_m', cM);
  m.layerNorm('layer_norm_z', cZ);
  m.linear('linear_z', cZ, heads, 'normal', false);
  m.child('mha', (a) => attentionSpec(a, cM, cM, cHidden, heads, true));
}

/** Suppl. Alg. 8: MSA column-wise gated self-attention (OpenFold wraps it as `_msa_att`). */
export function msaColumnAttentionSpec(m: ModuleSpec, cM: number, cHidden: number, heads: number): void {
  m.child('_msa_att', (a) => {
    a.layerNorm('layer_norm_m', cM);
    a.child('mha', (h) => attentionSpec(h, cM, cM, cHidden, heads, true));
  });
}

/** Suppl. Alg. 19: MSA column-wise global attention (OpenFold `GlobalAttention`). */
export function msaColumnGlobalAttentionSpec(m: ModuleSpec, cE: number, cHidden: number, heads: number): void {
  m.layerNorm('layer_norm_m', cE);
  m.child('global_attention', (g) => {
    g.linear('linear_q', cE, cHidden * heads, 'glorot', false);
    g.linear('linear_k', cE, cHidden, 'glorot', false);
    g.linear('linear_v', cE, cHidden, 'glorot', false);
    g.linear('linear_g', cE, cHidden * heads, 'gating');
    g.linear('linear_o', cHidden * heads, cE, 'final');
  });
}

/** Suppl. Alg. 9 / 15: MSA or pair transition (LayerNorm, n·c ReLU layer, back to c). */
export function transitionSpec(m: ModuleSpec, c: number, n: number): void {
  m.layerNorm('layer_norm', c);
  m.linear('linear_1', c, n * c, 'relu');
  m.linear('linear_2', n * c, c, 'final');
}

/** Suppl. Alg. 10: outer product mean. */
export function outerProductMeanSpec(m: ModuleSpec, cM: number, cZ: number, cHidden: number): void {
  m.layerNorm('layer_norm', cM);
  m.linear('linear_1', cM, cHidden);
  m.linear('linear_2', cM, cHidden);
  m.linear('linear_out', cHidden * cHidden, cZ, 'final');
}

/** Suppl. Alg. 11 / 12: triangle multiplicative update (outgoing or incoming). */
export function triangleMultiplicationSpec(m: ModuleSpec, cZ: number, cHidden: number): void {
  m.linear('linear_g', cZ, cZ, 'gating');
  m.linear('linear_z', cHidden, cZ, 'final');
  m.layerNorm('layer_norm_in', cZ);
  m.layerNorm('layer_norm_out', cHidden);
  m.linear('linear_a_p', cZ, cHidden);
  m.linear('linear_a_g', cZ, cHidden, 'gating');
  m.linear('linear_b_p', cZ, cHidden);
  m.linear('linear_b_g', cZ, cHidden, 'gating');
}

/** Suppl. Alg. 13 / 14: triangle self-attention around the starting / ending node. */
export function triangleAttentionSpec(m: ModuleSpec, cZ: number, cHidden: number, heads: number): void {
  m.layerNorm('layer_norm', cZ);
  m.linear('linear', cZ, heads, 'normal', false);
  m.child('mha', (a) => attentionSpec(a, cZ, cZ, cHidden, heads, true));
}

/** The pair half of an Evoformer block (OpenFold `PairStack`): Alg. 11-15. */
export function pairStackSpec(m: ModuleSpec, cZ: number, s: MsaStackConfig): void {
  m.child('tri_mul_out', (t) => triangleMultiplicationSpec(t, cZ, s.c_hidden_mul));
  m.child('tri_mul_in', (t) => triangleMultiplicationSpec(t, cZ, s.c_hidden_mul));
  m.child('tri_att_start', (t) => triangleAttentionSpec(t, cZ, s.c_hidden_pair_att, s.no_heads_pair));
  m.child('tri_att_end', (t) => triangleAttentionSpec(t, cZ, s.c_hidden_pair_att, s.no_heads_pair));
  m.child('pair_transition', (t) => transitionSpec(t, cZ, s.transition_n));
}

/**
 * Suppl. Alg. 6 (Evoformer block) or Alg. 18 lines 3-9 (extra-MSA block).
 * OpenFold registers msa_att_row, msa_transition, outer_product_mean,
 * pair_stack, then msa_att_col (not the execution order).
 */
export function msaBlockSpec(m: ModuleSpec, cM: number, cZ: number, s: MsaStackConfig, globalColumnAttention: boolean): void {
  m.child('msa_att_row', (a) => msaRowAttentionSpec(a, cM, cZ, s.c_hidden_msa_att, s.no_heads_msa));
  m.child('msa_transition', (t) => transitionSpec(t, cM, s.transition_n));
  m.child('outer_product_mean', (o) => outerProductMeanSpec(o, cM, cZ, s.c_hidden_opm));
  m.child('pair_stack', (p) => pairStackSpec(p, cZ, s));
  m.child('msa_att_col', (a) =>
    globalColumnAttention
      ? msaColumnGlobalAttentionSpec(a, cM, s.c_hidden_msa_att, s.no_heads_msa)
      : msaColumnAttentionSpec(a, cM, s.c_hidden_msa_att, s.no_heads_msa));
}

/** Suppl. Alg. 16: one template pair stack block (registered attention first). */
export function templatePairBlockSpec(m: ModuleSpec, cT: number, s: TemplatePairStackConfig): void {
  m.child('tri_att_start', (t) => triangleAttentionSpec(t, cT, s.c_hidden_tri_att, s.no_heads));
  m.child('tri_att_end', (t) => triangleAttentionSpec(t, cT, s.c_hidden_tri_att, s.no_heads));
  m.child('tri_mul_out', (t) => triangleMultiplicationSpec(t, cT, s.c_hidden_tri_mul));
  m.child('tri_mul_in', (t) => triangleMultiplicationSpec(t, cT, s.c_hidden_tri_mul));
  m.child('pair_transition', (t) => transitionSpec(t, cT, s.pair_transition_n));
}
