// Named presets, each a dotted-path diff against its base (AlphaFold's
// CONFIG_DIFFS habit). The base of everything is initial training
// (config_base.ts, suppl. Table 4 "initial training").
import type { ConfigPreset } from './config_types.ts';

export const DEFAULT_PRESET = 'initial_training';

export const PRESETS: readonly ConfigPreset[] = [
  {
    name: 'initial_training',
    source: 'AlphaFold2 suppl. Table 4 "initial training"; OpenFold model_config("initial_training", train=True)',
    diff: {},
  },
  {
    name: 'finetuning',
    base: 'initial_training',
    source: 'AlphaFold2 suppl. Table 4 "fine-tuning"; OpenFold model_config("finetuning")',
    diff: {
      'data.train.crop_size': 384,
      'data.train.max_extra_msa': 5120,
      'data.train.max_msa_clusters': 512,
      'loss.violation.weight': 1.0,
      'loss.experimentally_resolved.weight': 0.01,
    },
  },
  {
    name: 'finetuning_ptm',
    base: 'finetuning',
    source: 'AlphaFold2 suppl. 1.9.7 (pTM head); OpenFold model_config("finetuning_ptm")',
    diff: {
      'model.heads.tm.enabled': true,
      'loss.tm.enabled': true,
      'loss.tm.weight': 0.1,
    },
  },
  {
    name: 'finetuning_no_templ',
    base: 'finetuning',
    source: 'AlphaFold2 suppl. Table 5 (models without templates); OpenFold model_config("finetuning_no_templ")',
    // embed_angles is switched off too: angle features come from templates.
    diff: { 'model.template.enabled': false, 'model.template.embed_angles': false },
  },
  {
    // The configuration of test/fixtures/golden/model_tiny (its README table
    // and config.json `run.overrides_vs_initial_training`): every module on,
    // at tiny widths, no dropout, 1 recycling iteration, no crop of 2q2k_A.
    name: 'tiny',
    base: 'initial_training',
    source: 'test/fixtures/golden/model_tiny/config.json run.overrides_vs_initial_training',
    diff: {
      'globals.c_m': 16,
      'globals.c_z': 8,
      'globals.c_s': 16,
      'globals.c_t': 8,
      'globals.c_e': 8,
      'model.evoformer_stack.no_blocks': 2,
      'model.evoformer_stack.c_hidden_msa_att': 4,
      'model.evoformer_stack.c_hidden_opm': 4,
      'model.evoformer_stack.c_hidden_mul': 8,
      'model.evoformer_stack.c_hidden_pair_att': 4,
      'model.evoformer_stack.no_heads_msa': 2,
      'model.evoformer_stack.no_heads_pair': 2,
      'model.evoformer_stack.transition_n': 2,
      'model.evoformer_stack.msa_dropout': 0,
      'model.evoformer_stack.pair_dropout': 0,
      'model.extra_msa.extra_msa_stack.no_blocks': 1,
      'model.extra_msa.extra_msa_stack.c_hidden_msa_att': 4,
      'model.extra_msa.extra_msa_stack.c_hidden_opm': 4,
      'model.extra_msa.extra_msa_stack.c_hidden_mul': 8,
      'model.extra_msa.extra_msa_stack.c_hidden_pair_att': 4,
      'model.extra_msa.extra_msa_stack.no_heads_msa': 2,
      'model.extra_msa.extra_msa_stack.no_heads_pair': 2,
      'model.extra_msa.extra_msa_stack.transition_n': 2,
      'model.extra_msa.extra_msa_stack.msa_dropout': 0,
      'model.extra_msa.extra_msa_stack.pair_dropout': 0,
      'model.template.template_pair_stack.no_blocks': 1,
      'model.template.template_pair_stack.c_hidden_tri_att': 4,
      'model.template.template_pair_stack.c_hidden_tri_mul': 8,
      'model.template.template_pair_stack.no_heads': 2,
      'model.template.template_pair_stack.pair_transition_n': 2,
      'model.template.template_pair_stack.dropout_rate': 0,
      'model.template.template_pointwise_attention.c_hidden': 4,
      'model.template.template_pointwise_attention.no_heads': 2,
      'model.structure_module.no_blocks': 2,
      'model.structure_module.c_ipa': 4,
      'model.structure_module.c_resnet': 8,
      'model.structure_module.no_heads_ipa': 2,
      'model.structure_module.no_qk_points': 2,
      'model.structure_module.no_v_points': 2,
      'model.structure_module.dropout_rate': 0,
      'model.heads.lddt.c_hidden': 8,
      'data.common.max_recycling_iters': 1,
      'data.train.max_msa_clusters': 4,
      'data.train.max_extra_msa': 8,
      'data.train.crop_size': 70,
      'data.train.max_templates': 4,
    },
  },
];

export function presetNames(): string[] {
  return PRESETS.map((p) => p.name);
}
