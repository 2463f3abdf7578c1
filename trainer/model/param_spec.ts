// The parameter tree of AlphaFold2 (OpenFold `AlphaFold`, openfold/model/
// model.py), derived from the configuration: every parameter's state_dict
// name, shape and initialisation kind, in state_dict order. Nothing here is a
// hard-coded list; the full initial-training preset yields OpenFold's
// 93,229,082 parameters in 5,044 tensors (test/fixtures/golden/
// model_full_params/manifest.json).
import type { AlphaFoldConfig } from './config_types.ts';
import { ModuleSpec, numel, type ParamSpec } from './param_tree.ts';
import { msaBlockSpec, templatePairBlockSpec, attentionSpec } from './param_spec_blocks.ts';

export type { ParamSpec, ParamInit } from './param_tree.ts';

/** Suppl. Alg. 3 / 4: input embedder with relative position encoding. */
function inputEmbedderSpec(m: ModuleSpec, c: AlphaFoldConfig): void {
  const { tf_dim, msa_dim, relpos_k } = c.model.input_embedder;
  const { c_m, c_z } = c.globals;
  m.linear('linear_tf_z_i', tf_dim, c_z);
  m.linear('linear_tf_z_j', tf_dim, c_z);
  m.linear('linear_tf_m', tf_dim, c_m);
  m.linear('linear_msa_m', msa_dim, c_m);
  m.linear('linear_relpos', 2 * relpos_k + 1, c_z);
}

/** Suppl. Alg. 32: recycling embedder. */
function recyclingEmbedderSpec(m: ModuleSpec, c: AlphaFoldConfig): void {
  m.linear('linear', c.model.recycling_embedder.no_bins, c.globals.c_z);
  m.layerNorm('layer_norm_m', c.globals.c_m);
  m.layerNorm('layer_norm_z', c.globals.c_z);
}

/** Suppl. 1.7.1, Alg. 2 lines 7-13, Alg. 16 / 17: template embedding. */
function templateEmbedderSpec(m: ModuleSpec, c: AlphaFoldConfig): void {
  const t = c.model.template;
  const { c_m, c_z, c_t } = c.globals;
  // OpenFold builds the angle embedder whenever templates are on.
  m.child('template_single_embedder', (s) => {
    s.linear('linear_1', t.template_single_embedder.c_in, c_m, 'relu');
    s.linear('linear_2', c_m, c_m, 'relu');
  });
  m.child('template_pair_embedder', (p) => p.linear('linear', t.template_pair_embedder.c_in, c_t, 'relu'));
  m.child('template_pair_stack', (s) => {
    s.child('blocks', (blocks) => {
      for (let i = 0; i < t.template_pair_stack.no_blocks; i++) {
        blocks.child(String(i), (b) => templatePairBlockSpec(b, c_t, t.template_pair_stack));
      }
    });
    s.layerNorm('layer_norm', c_t);
  });
  const pw = t.template_pointwise_attention;
  m.child('template_pointwise_att', (p) => p.child('mha', (a) => attentionSpec(a, c_z, c_t, pw.c_hidden, pw.no_heads, false)));
}

function stackSpec(m: ModuleSpec, blocks: number, build: (b: ModuleSpec) => void): void {
  m.child('blocks', (bs) => {
    for (let i = 0; i < blocks; i++) bs.child(String(i), build);
  });
}

/** Suppl. Alg. 22: invariant point attention. */
function ipaSpec(m: ModuleSpec, c: AlphaFoldConfig): void {
  const sm = c.model.structure_module;
  const { c_s, c_z } = c.globals;
  const h = sm.no_heads_ipa;
  m.param('head_weights', [h], 'softplus_inverse_one');
  m.linear('linear_q', c_s, h * sm.c_ipa);
  m.child('linear_q_points', (p) => p.linear('linear', c_s, h * sm.no_qk_points * 3));
  m.linear('linear_kv', c_s, 2 * h * sm.c_ipa);
  m.child('linear_kv_points', (p) => p.linear('linear', c_s, h * (sm.no_qk_points + sm.no_v_points) * 3));
  m.linear('linear_b', c_z, h);
  // Concatenated per head: pair values (c_z), scalar values (c_ipa), points (3 coords + norm each).
  m.linear('linear_out', h * (c_z + sm.c_ipa + sm.no_v_points * 4), c_s, 'final');
}

/** Suppl. Alg. 20 (with Alg. 22 IPA, Alg. 23 backbone update, Alg. 24 torsion angles). */
function structureModuleSpec(m: ModuleSpec, c: AlphaFoldConfig): void {
  const sm = c.model.structure_module;
  const { c_s, c_z } = c.globals;
  m.layerNorm('layer_norm_s', c_s);
  m.layerNorm('layer_norm_z', c_z);
  m.linear('linear_in', c_s, c_s);
  m.child('ipa', (i) => ipaSpec(i, c));
  m.layerNorm('layer_norm_ipa', c_s);
  m.child('transition', (t) => {
    t.child('layers', (ls) => {
      for (let i = 0; i < sm.no_transition_layers; i++) {
        ls.child(String(i), (l) => {
          l.linear('linear_1', c_s, c_s, 'relu');
          l.linear('linear_2', c_s, c_s, 'relu');
          l.linear('linear_3', c_s, c_s, 'final');
        });
      }
    });
    t.layerNorm('layer_norm', c_s);
  });
  m.child('bb_update', (b) => b.linear('linear', c_s, 6, 'final'));
  m.child('angle_resnet', (a) => {
    a.linear('linear_in', c_s, sm.c_resnet);
    a.linear('linear_initial', c_s, sm.c_resnet);
    a.child('layers', (ls) => {
      for (let i = 0; i < sm.no_resnet_blocks; i++) {
        ls.child(String(i), (l) => {
          l.linear('linear_1', sm.c_resnet, sm.c_resnet, 'relu');
          l.linear('linear_2', sm.c_resnet, sm.c_resnet, 'final');
        });
      }
    });
    a.linear('linear_out', sm.c_resnet, sm.no_angles * 2);
  });
}

/** Suppl. 1.9.6 (pLDDT, Alg. 29), 1.9.8, 1.9.9, 1.9.10, 1.9.7 heads. */
function auxHeadsSpec(m: ModuleSpec, c: AlphaFoldConfig): void {
  const h = c.model.heads;
  const { c_s, c_z, c_m } = c.globals;
  m.child('plddt', (p) => {
    p.layerNorm('layer_norm', c_s);
    p.linear('linear_1', c_s, h.lddt.c_hidden, 'relu');
    p.linear('linear_2', h.lddt.c_hidden, h.lddt.c_hidden, 'relu');
    p.linear('linear_3', h.lddt.c_hidden, h.lddt.no_bins, 'final');
  });
  m.child('distogram', (d) => d.linear('linear', c_z, h.distogram.no_bins, 'final'));
  m.child('masked_msa', (d) => d.linear('linear', c_m, h.masked_msa.c_out, 'final'));
  m.child('experimentally_resolved', (d) => d.linear('linear', c_s, h.experimentally_resolved.c_out, 'final'));
  if (h.tm.enabled) m.child('tm', (d) => d.linear('linear', c_z, h.tm.no_bins, 'final'));
}

/** The model's module tree (top-level modules in OpenFold's registration order). */
export function modelModuleSpec(c: AlphaFoldConfig): ModuleSpec {
  const root = new ModuleSpec();
  const { c_m, c_z, c_s, c_e } = c.globals;
  root.child('input_embedder', (m) => inputEmbedderSpec(m, c));
  root.child('recycling_embedder', (m) => recyclingEmbedderSpec(m, c));
  if (c.model.template.enabled) root.child('template_embedder', (m) => templateEmbedderSpec(m, c));
  if (c.model.extra_msa.enabled) {
    const x = c.model.extra_msa;
    root.child('extra_msa_embedder', (m) => m.linear('linear', x.extra_msa_embedder.c_in, c_e));
    root.child('extra_msa_stack', (m) =>
      stackSpec(m, x.extra_msa_stack.no_blocks, (b) => msaBlockSpec(b, c_e, c_z, x.extra_msa_stack, true)));
  }
  root.child('evoformer', (m) => {
    stackSpec(m, c.model.evoformer_stack.no_blocks, (b) => msaBlockSpec(b, c_m, c_z, c.model.evoformer_stack, false));
    // Suppl. Alg. 2 line 16: the single representation from the first MSA row.
    m.linear('linear', c_m, c_s);
  });
  root.child('structure_module', (m) => structureModuleSpec(m, c));
  root.child('aux_heads', (m) => auxHeadsSpec(m, c));
  return root;
}

/** Every parameter in state_dict order. */
export function modelParamSpec(c: AlphaFoldConfig): ParamSpec[] {
  return modelModuleSpec(c).flatten();
}

export interface ParamSummaryRow {
  /** Dotted module prefix (depth as asked). */
  module: string;
  tensors: number;
  params: number;
}

/** Parameter counts grouped by the first `depth` name components (order of first appearance). */
export function summarizeParams(specs: readonly ParamSpec[], depth = 1): ParamSummaryRow[] {
  const rows = new Map<string, ParamSummaryRow>();
  for (const s of specs) {
    const parts = s.name.split('.');
    const module = parts.slice(0, Math.min(depth, parts.length - 1)).join('.') || s.name;
    let row = rows.get(module);
    if (!row) {
      row = { module, tensors: 0, params: 0 };
      rows.set(module, row);
    }
    row.tensors += 1;
    row.params += numel(s.shape);
  }
  return [...rows.values()];
}

export function totalParams(specs: readonly ParamSpec[]): number {
  let n = 0;
  for (const s of specs) n += numel(s.shape);
  return n;
}
