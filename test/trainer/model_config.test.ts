import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError, flattenConfig, loadConfig, parseOverride, presetNames } from '../../trainer/model/config.ts';
import { configFromOpenFoldFlat } from '../../trainer/model/config_openfold.ts';

const TINY_DIR = 'test/fixtures/golden/model_tiny';
const tinyJson = JSON.parse(readFileSync(`${TINY_DIR}/config.json`, 'utf8')) as {
  flat_config: Record<string, unknown>;
  run: { overrides_vs_initial_training: Record<string, number> };
};

test('default preset is initial training (suppl. Table 4 / 1.6-1.8 sizes)', () => {
  const c = loadConfig();
  assert.equal(c.model.evoformer_stack.no_blocks, 48);
  assert.deepEqual([c.globals.c_m, c.globals.c_z, c.globals.c_s, c.globals.c_t, c.globals.c_e], [256, 128, 384, 64, 64]);
  assert.equal(c.model.extra_msa.extra_msa_stack.no_blocks, 4);
  assert.equal(c.model.template.template_pair_stack.no_blocks, 2);
  assert.equal(c.model.structure_module.no_blocks, 8);
  assert.equal(c.model.structure_module.no_heads_ipa, 12);
  assert.deepEqual(
    [c.loss.distogram.weight, c.loss.experimentally_resolved.weight, c.loss.fape.weight, c.loss.plddt_loss.weight,
      c.loss.masked_msa.weight, c.loss.supervised_chi.weight, c.loss.violation.weight],
    [0.3, 0.0, 1.0, 0.01, 2.0, 1.0, 0.0],
  );
  assert.deepEqual(c.data.train, { crop_size: 256, max_msa_clusters: 128, max_extra_msa: 1024, max_templates: 4 });
});

test('the golden initial-training flat config (model_tiny minus its overrides) equals our base', () => {
  // model_tiny's flat config is initial_training plus the listed overrides; undo
  // them by reading the tiny dump, then compare with the tiny preset.
  const fromDump = configFromOpenFoldFlat(tinyJson.flat_config);
  const tiny = loadConfig('tiny');
  assert.deepEqual(flattenConfig(tiny), flattenConfig(fromDump));
});

test('tiny preset diff is exactly the golden run overrides', () => {
  const base = flattenConfig(loadConfig());
  const tiny = flattenConfig(loadConfig('tiny'));
  const changed: Record<string, unknown> = {};
  for (const [k, v] of tiny) if (base.get(k) !== v) changed[k] = v;
  const expected: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tinyJson.run.overrides_vs_initial_training)) {
    if (base.get(k) !== v) expected[k] = v;
  }
  assert.deepEqual(changed, expected);
});

test('every preset loads', () => {
  for (const name of presetNames()) assert.ok(loadConfig(name).globals.c_m > 0, name);
  assert.equal(loadConfig('finetuning').data.train.crop_size, 384);
  assert.equal(loadConfig('finetuning_no_templ').model.template.enabled, false);
});

test('unknown keys, wrong types and unknown presets are rejected with the key named', () => {
  assert.throws(() => loadConfig('initial_training', { 'model.evoformer_stack.no_blokcs': 3 }), (e: unknown) =>
    e instanceof ConfigError && e.path === 'model.evoformer_stack.no_blokcs' && /unknown key/.test(e.message));
  assert.throws(() => loadConfig('initial_training', { 'model.template.enabled': 1 }), /expects a boolean/);
  assert.throws(() => loadConfig('initial_training', { 'model.template': 1 }), /is a section/);
  assert.throws(() => loadConfig('nope'), /unknown preset 'nope'/);
  // A hint names keys with the same leaf.
  assert.throws(() => loadConfig('initial_training', { 'model.no_blocks': 3 }), /did you mean .*evoformer_stack\.no_blocks/);
});

test('incompatible options are rejected at load', () => {
  const cases: [Record<string, number | boolean | null>, RegExp][] = [
    [{ 'model.template.enabled': false }, /embed_angles.*needs model\.template\.enabled/],
    [{ 'loss.tm.weight': 0.1 }, /loss\.tm\.weight.*heads\.tm\.enabled is false/],
    [{ 'model.heads.tm.enabled': true }, /loss\.tm\.enabled.*must equal model\.heads\.tm\.enabled/],
    [{ 'loss.distogram.no_bins': 32 }, /must equal model\.heads\.distogram\.no_bins/],
    [{ 'model.heads.lddt.no_bins': 40 }, /plddt_loss\.no_bins.*must equal/],
    [{ 'model.input_embedder.tf_dim': 21 }, /must be 22/],
    [{ 'model.template.distogram.no_bins': 40 }, /template_pair_embedder\.c_in.*must be 89/],
    [{ 'model.template.average_templates': true }, /not implemented/],
    [{ 'model.template.use_unit_vector': true }, /unit-vector features is not implemented/],
    [{ 'globals.is_multimer': true }, /Multimer is not implemented/],
    [{ 'model.evoformer_stack.fuse_projection_weights': true }, /not implemented/],
    [{ 'globals.c_m': 0 }, /globals\.c_m: must be a positive integer/],
    [{ 'model.evoformer_stack.msa_dropout': 1 }, /must be in \[0, 1\)/],
    [{ 'model.recycling_embedder.min_bin': 30 }, /must be below/],
    [{ 'data.train.max_templates': 0 }, /disable templates instead/],
  ];
  for (const [overrides, pattern] of cases) {
    assert.throws(() => loadConfig('initial_training', overrides), pattern, JSON.stringify(overrides));
  }
  // Disabling templates together with their angle embedding is fine.
  assert.equal(loadConfig('initial_training', { 'model.template.enabled': false, 'model.template.embed_angles': false }).model.template.enabled, false);
});

test('an OpenFold dump whose per-module width disagrees with globals is rejected', () => {
  const flat = { ...tinyJson.flat_config, 'model.evoformer_stack.c_m': 32 };
  assert.throws(() => configFromOpenFoldFlat(flat), /model\.evoformer_stack\.c_m.*differs from globals\.c_m/);
  const missing = { ...tinyJson.flat_config };
  delete missing['loss.fape.eps'];
  assert.throws(() => configFromOpenFoldFlat(missing), /loss\.fape\.eps: missing/);
});

test('parseOverride reads numbers, booleans and null', () => {
  assert.deepEqual(parseOverride('globals.c_m=64'), ['globals.c_m', 64]);
  assert.deepEqual(parseOverride('model.template.enabled=false'), ['model.template.enabled', false]);
  assert.deepEqual(parseOverride('globals.chunk_size=None'), ['globals.chunk_size', null]);
  assert.throws(() => parseOverride('globals.c_m'), /dotted\.key=value/);
  assert.throws(() => parseOverride('globals.c_m=abc'), /not a number/);
});
