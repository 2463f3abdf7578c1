// The typed model / loss configuration of AlphaFold2 training.
//
// The tree mirrors OpenFold's ConfigDict (openfold/config.py) key for key, so
// that a dotted path here (`model.evoformer_stack.no_blocks`) means the same
// thing as in OpenFold, and an OpenFold debug dump's flat config can be read
// back (config_openfold.ts). One difference: a dimension shared by several
// modules (c_m, c_z, c_s, c_t, c_e, the eps) lives ONCE under `globals`; the
// per-module copies OpenFold carries as FieldReferences are not stored here
// (they are derived, see config_dims.ts).
//
// Sizes cite the AlphaFold2 supplementary information (Jumper et al. 2021),
// section 1.x and Tables 4 / 5, and OpenFold's `DISCREPANCY:` notes where the
// code and the paper differ (OpenFold's code wins: users load its weights).

/** Dimensions shared by several modules (OpenFold `globals`, FieldReferences). */
export interface GlobalsConfig {
  /** MSA representation channels (suppl. 1.6, c_m = 256). */
  c_m: number;
  /** Pair representation channels (suppl. 1.6, c_z = 128). */
  c_z: number;
  /** Single representation channels (suppl. 1.8, c_s = 384). */
  c_s: number;
  /** Template pair channels (suppl. 1.7.1, c_t = 64). */
  c_t: number;
  /** Extra-MSA channels (suppl. 1.7.2, c_e = 64). */
  c_e: number;
  /** The small epsilon used by masks, LayerNorm-free means and losses. */
  eps: number;
  /** Activation checkpointing granularity (execution strategy only, no math). */
  blocks_per_ckpt: number | null;
  /** Chunked attention size (execution strategy only, no math). */
  chunk_size: number | null;
  /** AlphaFold-Multimer: not implemented here, must stay false. */
  is_multimer: boolean;
  /** Single-sequence (PLM) embedding mode: not implemented, must stay false. */
  seqemb_mode_enabled: boolean;
}

export interface InputEmbedderConfig {
  /** target_feat channels (21 + 1 between-segment; fixed by the features). */
  tf_dim: number;
  /** msa_feat channels (49; fixed by the features). */
  msa_dim: number;
  /** Relative position clip (suppl. Alg. 4, v_bins = 2·32+1). */
  relpos_k: number;
}

export interface BinsConfig {
  min_bin: number;
  max_bin: number;
  no_bins: number;
}

export interface RecyclingEmbedderConfig extends BinsConfig {
  /** Upper edge of the last distance bin (squared Å). */
  inf: number;
}

export interface TemplatePairStackConfig {
  c_hidden_tri_att: number;
  c_hidden_tri_mul: number;
  no_blocks: number;
  no_heads: number;
  pair_transition_n: number;
  dropout_rate: number;
  /** Execution order of the block: triangle updates before attention. */
  tri_mul_first: boolean;
  /** Fused a/b projections (multimer v3 layout): not implemented. */
  fuse_projection_weights: boolean;
  inf: number;
}

export interface TemplatePointwiseAttentionConfig {
  c_hidden: number;
  no_heads: number;
  inf: number;
}

export interface TemplateConfig {
  enabled: boolean;
  embed_angles: boolean;
  use_unit_vector: boolean;
  /** OpenFold's approximate template averaging: not implemented. */
  average_templates: boolean;
  offload_templates: boolean;
  inf: number;
  distogram: BinsConfig;
  template_single_embedder: { c_in: number };
  template_pair_embedder: { c_in: number };
  template_pair_stack: TemplatePairStackConfig;
  template_pointwise_attention: TemplatePointwiseAttentionConfig;
}

/** One Evoformer-like stack (the main Evoformer or the extra-MSA stack). */
export interface MsaStackConfig {
  c_hidden_msa_att: number;
  c_hidden_opm: number;
  c_hidden_mul: number;
  c_hidden_pair_att: number;
  no_heads_msa: number;
  no_heads_pair: number;
  no_blocks: number;
  transition_n: number;
  msa_dropout: number;
  pair_dropout: number;
  /** Multimer block order (outer product mean first): not implemented. */
  opm_first: boolean;
  fuse_projection_weights: boolean;
  inf: number;
}

export interface EvoformerStackConfig extends MsaStackConfig {
  /** Drops MSA column attention (single-sequence mode): not implemented. */
  no_column_attention: boolean;
}

export interface ExtraMsaConfig {
  enabled: boolean;
  extra_msa_embedder: { c_in: number };
  extra_msa_stack: MsaStackConfig;
}

export interface StructureModuleConfig {
  c_ipa: number;
  c_resnet: number;
  no_heads_ipa: number;
  no_qk_points: number;
  no_v_points: number;
  dropout_rate: number;
  no_blocks: number;
  no_transition_layers: number;
  no_resnet_blocks: number;
  no_angles: number;
  trans_scale_factor: number;
  epsilon: number;
  inf: number;
}

export interface HeadsConfig {
  lddt: { no_bins: number; c_hidden: number };
  distogram: { no_bins: number };
  tm: { no_bins: number; enabled: boolean };
  masked_msa: { c_out: number };
  experimentally_resolved: { c_out: number };
}

export interface ModelSectionConfig {
  /** Mask the MSA / pair transitions (OpenFold `_mask_trans`). */
  _mask_trans: boolean;
  input_embedder: InputEmbedderConfig;
  recycling_embedder: RecyclingEmbedderConfig;
  template: TemplateConfig;
  extra_msa: ExtraMsaConfig;
  evoformer_stack: EvoformerStackConfig;
  structure_module: StructureModuleConfig;
  heads: HeadsConfig;
}

export interface LossConfig {
  distogram: BinsConfig & { eps: number; weight: number };
  experimentally_resolved: { eps: number; min_resolution: number; max_resolution: number; weight: number };
  fape: {
    backbone: { clamp_distance: number; loss_unit_distance: number; weight: number };
    sidechain: { clamp_distance: number; length_scale: number; weight: number };
    eps: number;
    weight: number;
  };
  plddt_loss: { min_resolution: number; max_resolution: number; cutoff: number; no_bins: number; eps: number; weight: number };
  masked_msa: { num_classes: number; eps: number; weight: number };
  supervised_chi: { chi_weight: number; angle_norm_weight: number; eps: number; weight: number };
  violation: { violation_tolerance_factor: number; clash_overlap_tolerance: number; average_clashes: boolean; eps: number; weight: number };
  tm: { max_bin: number; no_bins: number; min_resolution: number; max_resolution: number; eps: number; weight: number; enabled: boolean };
  eps: number;
}

/** The shapes a training step runs at (OpenFold `data.train` / `data.common`). */
export interface DataShapesConfig {
  common: { max_recycling_iters: number };
  train: { crop_size: number; max_msa_clusters: number; max_extra_msa: number; max_templates: number };
}

export interface AlphaFoldConfig {
  globals: GlobalsConfig;
  model: ModelSectionConfig;
  loss: LossConfig;
  data: DataShapesConfig;
}

/** A preset: a dotted-path diff against its base, with where its numbers come from. */
export interface ConfigPreset {
  name: string;
  /** The preset this one is a diff of (undefined: the base configuration). */
  base?: string;
  /** Citation of the numbers (supplementary table, OpenFold preset, fixture). */
  source: string;
  diff: Readonly<Record<string, ConfigValue>>;
}

export type ConfigValue = number | boolean | null;
