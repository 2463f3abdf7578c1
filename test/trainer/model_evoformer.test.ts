// Extra-MSA embedder + stack (Alg. 18/19) and the Evoformer stack (Alg. 6-15)
// against test/fixtures/golden/model_tiny, each fed the golden's own inputs
// to that stage (final iteration, float64, dropout off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldenState } from '../../trainer/model/golden_state.ts';
import { compareArrays, withinTolerance } from '../../trainer/model/compare.ts';
import { floatTensor, type HostArray, type TensorPlacement } from '../../trainer/model/host_tensor.ts';
import { evalRuntime } from '../../trainer/model/runtime.ts';
import { extraMsaEmbedder, extraMsaFeat } from '../../trainer/model/extra_msa_embedder.ts';
import { evoformerStack, extraMsaStack } from '../../trainer/model/evoformer_stack.ts';
import { add, concat, reshape, scope } from '../../trainer/autograd/index.ts';
import { tensor, type Tensor } from '../../trainer/core/tensor.ts';

const golden = await GoldenState.read('test/fixtures/golden/model_tiny');
const place: TensorPlacement = { dtype: 'float64', device: 'cpu' };
const rt = evalRuntime(place);
const params = golden.params(place);
const k = golden.iterations - 1;
const act = (name: string) => golden.output(`act/iter${k}/${name}`);

function assertClose(ours: Tensor, ref: HostArray, what: string, rowMask?: (i: number) => boolean): void {
  const c = compareArrays(ours.toArray(), ref.data, rowMask);
  assert.ok(withinTolerance(c, 1e-10, 1e-12), `${what}: max err ${c.maxAbsError} (at ${c.at}) vs max ${c.maxAbsRef}`);
}

function pairMaskOf(seqMask: HostArray): Tensor {
  const n = seqMask.data.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = seqMask.data[i]! * seqMask.data[j]!;
  return tensor(out, [n, n], place);
}

test('extra-MSA embedder and stack reproduce extra_msa_embedder_out and extra_msa_stack_z', () => {
  scope(() => {
    const feat = extraMsaFeat(golden.input('extra_msa', k), golden.input('extra_has_deletion', k), golden.input('extra_deletion_value', k));
    const e = extraMsaEmbedder(params.view('extra_msa_embedder'), feat, place);
    assertClose(e, act('extra_msa_embedder_out'), 'extra_msa_embedder_out');
    // z entering the stack: input embedding + recycling update + template pair embedding
    const z = add(add(floatTensor(act('input_embedder_z'), place), floatTensor(act('recycling_embedder_z'), place)),
      floatTensor(act('template_pair_embedding'), place));
    const out = extraMsaStack(params.view('extra_msa_stack'), rt, golden.config, {
      m: floatTensor(act('extra_msa_embedder_out'), place), z,
      msaMask: floatTensor(golden.input('extra_msa_mask', k), place),
      pairMask: pairMaskOf(golden.input('seq_mask', k)),
    });
    assertClose(out, act('extra_msa_stack_z'), 'extra_msa_stack_z');
  });
});

test('Evoformer stack reproduces the MSA (rows with mask), pair and single outputs', () => {
  scope(() => {
    const mIn = act('input_embedder_m');
    const [s, n, cm] = mIn.shape as [number, number, number];
    // m entering the Evoformer: row 0 += recycling update, then the template angle rows
    const rowUpdate = floatTensor(act('recycling_embedder_m'), place);
    const first = add(reshape(floatTensor({ shape: [1, n, cm], data: mIn.data.slice(0, n * cm) }, place), [n, cm]), rowUpdate);
    const rest = floatTensor({ shape: [s - 1, n, cm], data: mIn.data.slice(n * cm) }, place);
    const m = concat([reshape(first, [1, n, cm]), rest, floatTensor(act('template_single_embedding'), place)], 0);
    // MSA mask with the template rows' mask = torsion mask of chi... index 2 (quirk 3)
    const msaMask = golden.input('msa_mask', k);
    const tors = golden.input('template_torsion_angles_mask', k);
    const t = tors.shape[0]!;
    const tMask = new Float64Array(t * n);
    for (let i = 0; i < t * n; i++) tMask[i] = tors.data[i * 7 + 2]!;
    const fullMask = new Float64Array([...msaMask.data, ...tMask]);
    const out = evoformerStack(params.view('evoformer'), rt, golden.config, {
      m, z: floatTensor(act('extra_msa_stack_z'), place),
      msaMask: tensor(fullMask, [s + t, n], place),
      pairMask: pairMaskOf(golden.input('seq_mask', k)),
    });
    // Fully masked rows are compared only where the mask is 1 (README tolerances).
    assertClose(out.m, act('evoformer_m_with_template_rows'), 'evoformer m', (i) => fullMask[Math.floor(i / cm)]! === 1);
    assertClose(out.z, golden.output('pair'), 'pair');
    assertClose(out.s, golden.output('single'), 'single');
  });
});

test('template embedder reproduces template_pair_embedding and template_single_embedding', async () => {
  const { templateEmbedder } = await import('../../trainer/model/template_embedder.ts');
  scope(() => {
    const z = add(floatTensor(act('input_embedder_z'), place), floatTensor(act('recycling_embedder_z'), place));
    const keys = ['template_aatype', 'template_pseudo_beta', 'template_pseudo_beta_mask', 'template_all_atom_mask', 'template_mask',
      'template_torsion_angles_sin_cos', 'template_alt_torsion_angles_sin_cos', 'template_torsion_angles_mask'] as const;
    const batch = Object.fromEntries(keys.map((key) => [key, golden.input(key, k)])) as Record<(typeof keys)[number], HostArray>;
    const out = templateEmbedder(params.view('template_embedder'), rt, golden.config, batch, z, pairMaskOf(golden.input('seq_mask', k)));
    assertClose(out.pair, act('template_pair_embedding'), 'template_pair_embedding');
    assertClose(out.single!, act('template_single_embedding'), 'template_single_embedding');
  });
});
