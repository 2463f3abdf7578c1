import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../trainer/model/config.ts';
import { modelParamSpec, summarizeParams, totalParams } from '../../trainer/model/param_spec.ts';

interface FullManifest {
  total_params: number;
  n_tensors: number;
  params_by_top_module: Record<string, number>;
  other_config_totals: Record<string, number>;
  params: { name: string; shape: number[]; numel: number }[];
}
interface TinyManifest {
  run: { n_params: number; n_param_tensors: number };
  arrays: { name: string; group: string; shape: number[] }[];
}

const full = JSON.parse(readFileSync('test/fixtures/golden/model_full_params/manifest.json', 'utf8')) as FullManifest;
const tiny = JSON.parse(readFileSync('test/fixtures/golden/model_tiny/manifest.json', 'utf8')) as TinyManifest;

function firstMismatch(a: { name: string; shape: number[] }[], b: { name: string; shape: number[] }[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (!x || !y || x.name !== y.name || x.shape.join(',') !== y.shape.join(',')) {
      return `#${i}: ours ${x?.name} [${x?.shape}] vs golden ${y?.name} [${y?.shape}]`;
    }
  }
  return 'none';
}

test('initial-training preset: exactly OpenFold state_dict names, shapes and order (93,229,082 in 5,044)', () => {
  const specs = modelParamSpec(loadConfig());
  const ours = specs.map((s) => ({ name: s.name, shape: s.shape }));
  const golden = full.params.map((p) => ({ name: p.name, shape: p.shape }));
  assert.equal(firstMismatch(ours, golden), 'none');
  assert.equal(specs.length, 5044);
  assert.equal(totalParams(specs), 93_229_082);
  assert.equal(full.total_params, 93_229_082);
  const byTop = Object.fromEntries(summarizeParams(specs, 1).map((r) => [r.module, r.params]));
  assert.deepEqual(byTop, full.params_by_top_module);
});

test('other configurations give the golden totals (templates off, pTM head on)', () => {
  const noTemplates = loadConfig('initial_training', { 'model.template.enabled': false, 'model.template.embed_angles': false });
  assert.equal(totalParams(modelParamSpec(noTemplates)), full.other_config_totals['model.template.enabled=False']);
  const ptm = loadConfig('initial_training', { 'model.heads.tm.enabled': true, 'loss.tm.enabled': true });
  assert.equal(totalParams(modelParamSpec(ptm)), full.other_config_totals['model.heads.tm.enabled=True']);
});

test('tiny preset: exactly the model_tiny golden params (25,578 in 429)', () => {
  const specs = modelParamSpec(loadConfig('tiny'));
  const golden = tiny.arrays.filter((a) => a.group === 'param').map((a) => ({ name: a.name, shape: a.shape }));
  assert.equal(firstMismatch(specs.map((s) => ({ name: s.name, shape: s.shape })), golden), 'none');
  assert.equal(specs.length, tiny.run.n_param_tensors);
  assert.equal(totalParams(specs), tiny.run.n_params);
});

test('init kinds follow OpenFold Linear inits', () => {
  const byName = new Map(modelParamSpec(loadConfig('tiny')).map((s) => [s.name, s]));
  const init = (n: string): string => byName.get(n)!.init;
  assert.equal(init('evoformer.blocks.0.msa_att_row.mha.linear_q.weight'), 'glorot_uniform');
  assert.equal(init('evoformer.blocks.0.msa_att_row.mha.linear_o.weight'), 'zeros');
  assert.equal(init('evoformer.blocks.0.msa_att_row.mha.linear_g.bias'), 'ones');
  assert.equal(init('evoformer.blocks.0.msa_att_row.linear_z.weight'), 'normal');
  assert.equal(init('evoformer.blocks.0.msa_transition.linear_1.weight'), 'he_normal');
  assert.equal(init('input_embedder.linear_tf_m.weight'), 'lecun_normal');
  assert.equal(init('structure_module.ipa.head_weights'), 'softplus_inverse_one');
  assert.equal(init('recycling_embedder.layer_norm_m.weight'), 'ones');
  assert.equal(byName.get('input_embedder.linear_msa_m.weight')!.fanIn, 49);
});

test('summaries group by module prefix and add up', () => {
  const specs = modelParamSpec(loadConfig());
  const rows = summarizeParams(specs, 2);
  assert.equal(rows.reduce((a, r) => a + r.params, 0), 93_229_082);
  assert.equal(rows.reduce((a, r) => a + r.tensors, 0), 5044);
  assert.ok(rows.some((r) => r.module === 'evoformer.blocks'));
  assert.ok(rows.some((r) => r.module === 'evoformer.linear'));
});
