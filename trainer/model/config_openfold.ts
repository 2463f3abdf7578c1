// Reading an OpenFold ConfigDict written as dotted keys (the `flat_config` of
// a debug-state folder such as test/fixtures/golden/model_tiny/config.json)
// into our typed configuration. Our tree uses OpenFold's key names, so every
// leaf is looked up under the same dotted path. OpenFold also repeats the
// shared widths inside each module (FieldReferences of `globals`); those
// copies must agree with `globals`, or the dump is rejected.
import { initialTrainingConfig } from './config_base.ts';
import { applyDiff, flattenConfig } from './config.ts';
import { ConfigError } from './config_errors.ts';
import type { AlphaFoldConfig, ConfigValue } from './config_types.ts';
import { validateConfig } from './config_validate.ts';

/** OpenFold's per-module copies of a shared width: module key -> globals key. */
const SHARED_COPIES: Readonly<Record<string, string>> = {
  'model.input_embedder.c_m': 'globals.c_m',
  'model.input_embedder.c_z': 'globals.c_z',
  'model.recycling_embedder.c_m': 'globals.c_m',
  'model.recycling_embedder.c_z': 'globals.c_z',
  'model.template.template_single_embedder.c_out': 'globals.c_m',
  'model.template.template_pair_embedder.c_out': 'globals.c_t',
  'model.template.template_pair_stack.c_t': 'globals.c_t',
  'model.template.template_pointwise_attention.c_t': 'globals.c_t',
  'model.template.template_pointwise_attention.c_z': 'globals.c_z',
  'model.template.eps': 'globals.eps',
  'model.extra_msa.extra_msa_embedder.c_out': 'globals.c_e',
  'model.extra_msa.extra_msa_stack.c_m': 'globals.c_e',
  'model.extra_msa.extra_msa_stack.c_z': 'globals.c_z',
  'model.extra_msa.extra_msa_stack.eps': 'globals.eps',
  'model.evoformer_stack.c_m': 'globals.c_m',
  'model.evoformer_stack.c_z': 'globals.c_z',
  'model.evoformer_stack.c_s': 'globals.c_s',
  'model.evoformer_stack.eps': 'globals.eps',
  'model.structure_module.c_s': 'globals.c_s',
  'model.structure_module.c_z': 'globals.c_z',
  'model.heads.lddt.c_in': 'globals.c_s',
  'model.heads.distogram.c_z': 'globals.c_z',
  'model.heads.tm.c_z': 'globals.c_z',
  'model.heads.masked_msa.c_m': 'globals.c_m',
  'model.heads.experimentally_resolved.c_s': 'globals.c_s',
};

/**
 * Our configuration from an OpenFold flat config. Every key we model must be
 * present; OpenFold keys we do not model (data pipeline, relax, multimer-only
 * losses) are ignored. Throws ConfigError on a missing key, a disagreeing
 * shared-width copy, or an invalid combination.
 */
export function configFromOpenFoldFlat(flat: Readonly<Record<string, unknown>>): AlphaFoldConfig {
  const config = initialTrainingConfig();
  const diff: Record<string, ConfigValue> = {};
  for (const path of flattenConfig(config).keys()) {
    if (!(path in flat)) throw new ConfigError(path, 'missing from the OpenFold config');
    const value = flat[path];
    if (value !== null && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(path, `expects a number, boolean or null, got ${JSON.stringify(value)}`);
    }
    diff[path] = value;
  }
  // OpenFold leaves embed_angles on when templates are off (it is then
  // ignored); we reject that pair at load, so normalise it here.
  if (diff['model.template.enabled'] === false) diff['model.template.embed_angles'] = false;
  applyDiff(config, diff);
  for (const [copy, shared] of Object.entries(SHARED_COPIES)) {
    if (copy in flat && flat[copy] !== flat[shared]) {
      throw new ConfigError(copy, `(${String(flat[copy])}) differs from ${shared} (${String(flat[shared])}); a shared width must be set once`);
    }
  }
  validateConfig(config);
  return config;
}
