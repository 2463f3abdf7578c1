// The base configuration: AlphaFold2 initial training exactly as OpenFold's
// `model_config("initial_training", train=True)` sets it (openfold/config.py
// at ce0029e). Numbers cite the AlphaFold2 supplementary information:
//   Table 4 ("initial training": crop 256, 128 MSA clusters, 1024 extra
//   sequences, 4 templates; loss weights), section 1.5 / 1.6 (Evoformer,
//   48 blocks, c_m 256, c_z 128), 1.7 (templates c_t 64, 2 pair blocks;
//   extra-MSA stack, 4 blocks, c_e 64), 1.8 (structure module, 8 layers,
//   c_s 384, 12 IPA heads), 1.9 (losses), 1.10 (recycling).
import type { AlphaFoldConfig } from './config_types.ts';

export function initialTrainingConfig(): AlphaFoldConfig {
  return {
    globals: {
      c_m: 256, c_z: 128, c_s: 384, c_t: 64, c_e: 64,
      eps: 1e-8,
      // train=True sets blocks_per_ckpt 1 and chunk_size None (no math effect).
      blocks_per_ckpt: 1,
      chunk_size: null,
      is_multimer: false,
      seqemb_mode_enabled: false,
    },
    model: {
      _mask_trans: false,
      // Suppl. Alg. 3 / 4.
      input_embedder: { tf_dim: 22, msa_dim: 49, relpos_k: 32 },
      // Suppl. Alg. 32: 15 bins between 3.25 Å and 20.75 Å.
      recycling_embedder: { min_bin: 3.25, max_bin: 20.75, no_bins: 15, inf: 1e8 },
      template: {
        enabled: true,
        embed_angles: true,
        use_unit_vector: false,
        average_templates: false,
        offload_templates: false,
        inf: 1e5,
        // Suppl. 1.7.1: 39 bins between 3.25 Å and 50.75 Å.
        distogram: { min_bin: 3.25, max_bin: 50.75, no_bins: 39 },
        // OpenFold DISCREPANCY: 57 template angle features (the paper says 51).
        template_single_embedder: { c_in: 57 },
        template_pair_embedder: { c_in: 88 },
        // Suppl. Alg. 16; OpenFold DISCREPANCY: c_hidden_tri_att 16 (paper: 64).
        template_pair_stack: {
          c_hidden_tri_att: 16, c_hidden_tri_mul: 64, no_blocks: 2, no_heads: 4,
          pair_transition_n: 2, dropout_rate: 0.25, tri_mul_first: false,
          fuse_projection_weights: false, inf: 1e9,
        },
        // Suppl. Alg. 17; OpenFold DISCREPANCY: c_hidden 16 (paper: 64).
        template_pointwise_attention: { c_hidden: 16, no_heads: 4, inf: 1e5 },
      },
      // Suppl. Alg. 18 / 19, section 1.7.2.
      extra_msa: {
        enabled: true,
        extra_msa_embedder: { c_in: 25 },
        extra_msa_stack: {
          c_hidden_msa_att: 8, c_hidden_opm: 32, c_hidden_mul: 128, c_hidden_pair_att: 32,
          no_heads_msa: 8, no_heads_pair: 4, no_blocks: 4, transition_n: 4,
          msa_dropout: 0.15, pair_dropout: 0.25, opm_first: false,
          fuse_projection_weights: false, inf: 1e9,
        },
      },
      // Suppl. Alg. 6 and 7-15, section 1.6.
      evoformer_stack: {
        c_hidden_msa_att: 32, c_hidden_opm: 32, c_hidden_mul: 128, c_hidden_pair_att: 32,
        no_heads_msa: 8, no_heads_pair: 4, no_blocks: 48, transition_n: 4,
        msa_dropout: 0.15, pair_dropout: 0.25, no_column_attention: false, opm_first: false,
        fuse_projection_weights: false, inf: 1e9,
      },
      // Suppl. Alg. 20-24, section 1.8.
      structure_module: {
        c_ipa: 16, c_resnet: 128, no_heads_ipa: 12, no_qk_points: 4, no_v_points: 8,
        dropout_rate: 0.1, no_blocks: 8, no_transition_layers: 1, no_resnet_blocks: 2,
        no_angles: 7, trans_scale_factor: 10, epsilon: 1e-8, inf: 1e5,
      },
      // Suppl. 1.9.6 (pLDDT, Alg. 29), 1.9.8 (distogram), 1.9.9 (masked MSA),
      // 1.9.10 (experimentally resolved), 1.9.7 (TM, off in initial training).
      heads: {
        lddt: { no_bins: 50, c_hidden: 128 },
        distogram: { no_bins: 64 },
        tm: { no_bins: 64, enabled: false },
        masked_msa: { c_out: 23 },
        experimentally_resolved: { c_out: 37 },
      },
    },
    // Suppl. 1.9 and Table 4 (initial training weights).
    loss: {
      distogram: { min_bin: 2.3125, max_bin: 21.6875, no_bins: 64, eps: 1e-8, weight: 0.3 },
      experimentally_resolved: { eps: 1e-8, min_resolution: 0.1, max_resolution: 3.0, weight: 0.0 },
      fape: {
        backbone: { clamp_distance: 10.0, loss_unit_distance: 10.0, weight: 0.5 },
        sidechain: { clamp_distance: 10.0, length_scale: 10.0, weight: 0.5 },
        eps: 1e-4,
        weight: 1.0,
      },
      plddt_loss: { min_resolution: 0.1, max_resolution: 3.0, cutoff: 15.0, no_bins: 50, eps: 1e-8, weight: 0.01 },
      masked_msa: { num_classes: 23, eps: 1e-8, weight: 2.0 },
      supervised_chi: { chi_weight: 0.5, angle_norm_weight: 0.01, eps: 1e-8, weight: 1.0 },
      violation: { violation_tolerance_factor: 12.0, clash_overlap_tolerance: 1.5, average_clashes: false, eps: 1e-8, weight: 0.0 },
      tm: { max_bin: 31, no_bins: 64, min_resolution: 0.1, max_resolution: 3.0, eps: 1e-8, weight: 0.0, enabled: false },
      eps: 1e-8,
    },
    // Suppl. Table 4, initial training; 3 recycling iterations (1.10).
    data: {
      common: { max_recycling_iters: 3 },
      train: { crop_size: 256, max_msa_clusters: 128, max_extra_msa: 1024, max_templates: 4 },
    },
  };
}
