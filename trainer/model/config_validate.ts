// Checks run when a configuration is loaded: value ranges, options this
// implementation does not have, and options that contradict each other.
// Each failure names the dotted key(s) and says why.
import { ConfigError } from './config_errors.ts';
import type { AlphaFoldConfig, BinsConfig, MsaStackConfig } from './config_types.ts';

function positiveInt(path: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(path, `must be a positive integer, got ${v}`);
}

function nonNegativeInt(path: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new ConfigError(path, `must be an integer >= 0, got ${v}`);
}

function probability(path: string, v: number): void {
  if (!(v >= 0 && v < 1)) throw new ConfigError(path, `must be in [0, 1), got ${v}`);
}

function positive(path: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new ConfigError(path, `must be a finite number > 0, got ${v}`);
}

function nonNegative(path: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new ConfigError(path, `must be a finite number >= 0, got ${v}`);
}

function bins(path: string, b: BinsConfig): void {
  if (!Number.isInteger(b.no_bins) || b.no_bins < 2) throw new ConfigError(`${path}.no_bins`, `must be an integer >= 2, got ${b.no_bins}`);
  if (!(b.min_bin < b.max_bin)) throw new ConfigError(`${path}.min_bin`, `must be below ${path}.max_bin (${b.min_bin} >= ${b.max_bin})`);
}

function fixedByFeatures(path: string, v: number, expected: number, what: string): void {
  if (v !== expected) throw new ConfigError(path, `must be ${expected} (${what}), got ${v}`);
}

function notImplemented(path: string, on: boolean, what: string): void {
  if (on) throw new ConfigError(path, `${what} is not implemented here; set it to false`);
}

function msaStack(path: string, s: MsaStackConfig): void {
  for (const key of ['c_hidden_msa_att', 'c_hidden_opm', 'c_hidden_mul', 'c_hidden_pair_att', 'no_heads_msa', 'no_heads_pair', 'transition_n'] as const) {
    positiveInt(`${path}.${key}`, s[key]);
  }
  nonNegativeInt(`${path}.no_blocks`, s.no_blocks);
  probability(`${path}.msa_dropout`, s.msa_dropout);
  probability(`${path}.pair_dropout`, s.pair_dropout);
  positive(`${path}.inf`, s.inf);
  notImplemented(`${path}.opm_first`, s.opm_first, 'the multimer block order (outer product mean first)');
  notImplemented(`${path}.fuse_projection_weights`, s.fuse_projection_weights, 'the fused triangle-update projections (multimer v3)');
}

/** Throws ConfigError on the first problem found. */
export function validateConfig(c: AlphaFoldConfig): void {
  const g = c.globals;
  for (const key of ['c_m', 'c_z', 'c_s', 'c_t', 'c_e'] as const) positiveInt(`globals.${key}`, g[key]);
  positive('globals.eps', g.eps);
  if (g.blocks_per_ckpt !== null) nonNegativeInt('globals.blocks_per_ckpt', g.blocks_per_ckpt);
  if (g.chunk_size !== null) positiveInt('globals.chunk_size', g.chunk_size);
  notImplemented('globals.is_multimer', g.is_multimer, 'AlphaFold-Multimer');
  notImplemented('globals.seqemb_mode_enabled', g.seqemb_mode_enabled, 'single-sequence embedding mode');

  const m = c.model;
  // Channel counts fixed by the feature pipeline (features/transforms).
  fixedByFeatures('model.input_embedder.tf_dim', m.input_embedder.tf_dim, 22, 'target_feat has 22 channels');
  fixedByFeatures('model.input_embedder.msa_dim', m.input_embedder.msa_dim, 49, 'msa_feat has 49 channels');
  positiveInt('model.input_embedder.relpos_k', m.input_embedder.relpos_k);
  bins('model.recycling_embedder', m.recycling_embedder);
  positive('model.recycling_embedder.inf', m.recycling_embedder.inf);

  const t = m.template;
  if (t.embed_angles && !t.enabled) {
    throw new ConfigError('model.template.embed_angles', 'needs model.template.enabled = true (angle features come from the templates)');
  }
  notImplemented('model.template.average_templates', t.average_templates, "OpenFold's approximate template averaging");
  notImplemented('model.template.use_unit_vector', t.use_unit_vector, 'template unit-vector features');
  notImplemented('model.template.offload_templates', t.offload_templates, 'template offloading to host memory');
  bins('model.template.distogram', t.distogram);
  fixedByFeatures('model.template.template_single_embedder.c_in', t.template_single_embedder.c_in, 57, 'the template angle features have 57 channels');
  fixedByFeatures('model.template.template_pair_embedder.c_in', t.template_pair_embedder.c_in, 49 + t.distogram.no_bins, `the template pair features have distogram bins + 49 = ${49 + t.distogram.no_bins} channels`);
  const tp = t.template_pair_stack;
  for (const key of ['c_hidden_tri_att', 'c_hidden_tri_mul', 'no_heads', 'pair_transition_n'] as const) {
    positiveInt(`model.template.template_pair_stack.${key}`, tp[key]);
  }
  nonNegativeInt('model.template.template_pair_stack.no_blocks', tp.no_blocks);
  probability('model.template.template_pair_stack.dropout_rate', tp.dropout_rate);
  notImplemented('model.template.template_pair_stack.fuse_projection_weights', tp.fuse_projection_weights, 'the fused triangle-update projections (multimer v3)');
  positiveInt('model.template.template_pointwise_attention.c_hidden', t.template_pointwise_attention.c_hidden);
  positiveInt('model.template.template_pointwise_attention.no_heads', t.template_pointwise_attention.no_heads);

  fixedByFeatures('model.extra_msa.extra_msa_embedder.c_in', m.extra_msa.extra_msa_embedder.c_in, 25, 'the extra-MSA features have 25 channels');
  msaStack('model.extra_msa.extra_msa_stack', m.extra_msa.extra_msa_stack);
  msaStack('model.evoformer_stack', m.evoformer_stack);
  notImplemented('model.evoformer_stack.no_column_attention', m.evoformer_stack.no_column_attention, 'the Evoformer without MSA column attention');
  if (m.evoformer_stack.no_blocks < 1) throw new ConfigError('model.evoformer_stack.no_blocks', 'must be >= 1 (the single representation comes from the last block)');

  const sm = m.structure_module;
  for (const key of ['c_ipa', 'c_resnet', 'no_heads_ipa', 'no_qk_points', 'no_v_points', 'no_blocks', 'no_transition_layers', 'no_resnet_blocks'] as const) {
    positiveInt(`model.structure_module.${key}`, sm[key]);
  }
  fixedByFeatures('model.structure_module.no_angles', sm.no_angles, 7, 'backbone ω, φ, ψ and chi 1-4 (suppl. Alg. 24)');
  probability('model.structure_module.dropout_rate', sm.dropout_rate);
  positive('model.structure_module.trans_scale_factor', sm.trans_scale_factor);
  positive('model.structure_module.epsilon', sm.epsilon);

  const h = m.heads;
  positiveInt('model.heads.lddt.c_hidden', h.lddt.c_hidden);
  fixedByFeatures('model.heads.experimentally_resolved.c_out', h.experimentally_resolved.c_out, 37, 'one logit per atom37 slot');
  fixedByFeatures('model.heads.masked_msa.c_out', h.masked_msa.c_out, 23, '20 amino acids, X, gap and the mask token');

  const l = c.loss;
  // The heads and their losses must agree on the number of classes.
  if (l.distogram.no_bins !== h.distogram.no_bins) {
    throw new ConfigError('loss.distogram.no_bins', `(${l.distogram.no_bins}) must equal model.heads.distogram.no_bins (${h.distogram.no_bins})`);
  }
  bins('loss.distogram', l.distogram);
  if (l.plddt_loss.no_bins !== h.lddt.no_bins) {
    throw new ConfigError('loss.plddt_loss.no_bins', `(${l.plddt_loss.no_bins}) must equal model.heads.lddt.no_bins (${h.lddt.no_bins})`);
  }
  if (l.masked_msa.num_classes !== h.masked_msa.c_out) {
    throw new ConfigError('loss.masked_msa.num_classes', `(${l.masked_msa.num_classes}) must equal model.heads.masked_msa.c_out (${h.masked_msa.c_out})`);
  }
  if (l.tm.enabled !== h.tm.enabled) {
    throw new ConfigError('loss.tm.enabled', `(${l.tm.enabled}) must equal model.heads.tm.enabled (${h.tm.enabled}); OpenFold ties them`);
  }
  if (l.tm.weight > 0 && !h.tm.enabled) {
    throw new ConfigError('loss.tm.weight', 'is > 0 but model.heads.tm.enabled is false: there are no TM logits to score');
  }
  for (const [path, w] of [
    ['loss.distogram.weight', l.distogram.weight],
    ['loss.experimentally_resolved.weight', l.experimentally_resolved.weight],
    ['loss.fape.weight', l.fape.weight],
    ['loss.fape.backbone.weight', l.fape.backbone.weight],
    ['loss.fape.sidechain.weight', l.fape.sidechain.weight],
    ['loss.plddt_loss.weight', l.plddt_loss.weight],
    ['loss.masked_msa.weight', l.masked_msa.weight],
    ['loss.supervised_chi.weight', l.supervised_chi.weight],
    ['loss.violation.weight', l.violation.weight],
    ['loss.tm.weight', l.tm.weight],
  ] as const) {
    nonNegative(path, w);
  }
  positive('loss.fape.backbone.clamp_distance', l.fape.backbone.clamp_distance);
  positive('loss.fape.sidechain.clamp_distance', l.fape.sidechain.clamp_distance);
  if (!(l.plddt_loss.min_resolution <= l.plddt_loss.max_resolution)) {
    throw new ConfigError('loss.plddt_loss.min_resolution', 'must not exceed loss.plddt_loss.max_resolution');
  }

  const d = c.data;
  nonNegativeInt('data.common.max_recycling_iters', d.common.max_recycling_iters);
  positiveInt('data.train.crop_size', d.train.crop_size);
  positiveInt('data.train.max_msa_clusters', d.train.max_msa_clusters);
  nonNegativeInt('data.train.max_extra_msa', d.train.max_extra_msa);
  nonNegativeInt('data.train.max_templates', d.train.max_templates);
  if (m.extra_msa.enabled && d.train.max_extra_msa < 1) {
    throw new ConfigError('data.train.max_extra_msa', 'is 0 but model.extra_msa.enabled is true; disable the extra-MSA stack instead');
  }
  if (t.enabled && d.train.max_templates < 1) {
    throw new ConfigError('data.train.max_templates', 'is 0 but model.template.enabled is true; disable templates instead');
  }
}
