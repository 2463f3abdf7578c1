// The whole tiny model against test/fixtures/golden/model_tiny: two forward
// iterations (recycling), the final outputs, the loss terms and every
// parameter gradient, float64 on the CPU, with the README's tolerances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldenState } from '../../trainer/model/golden_state.ts';
import { compareArrays, withinTolerance } from '../../trainer/model/compare.ts';
import type { TensorPlacement } from '../../trainer/model/host_tensor.ts';
import { evalRuntime } from '../../trainer/model/runtime.ts';
import { alphaFold, type AlphaFoldOutput } from '../../trainer/model/alphafold.ts';
import { alphaFoldLoss, type LossResult } from '../../trainer/model/alphafold_loss.ts';
import { Tape, gradientOf, recordOn, scope } from '../../trainer/autograd/index.ts';

const golden = await GoldenState.read('test/fixtures/golden/model_tiny');
const place: TensorPlacement = { dtype: 'float64', device: 'cpu' };
const params = golden.params(place);
const iterations = golden.iterations;
const k = iterations - 1;
const features = (name: string, it: number) => golden.input(name, it);

function check(ours: ArrayLike<number>, ref: ArrayLike<number>, what: string, rel = 1e-10, abs = 1e-12, rowMask?: (i: number) => boolean): void {
  const c = compareArrays(ours, ref, rowMask);
  assert.ok(withinTolerance(c, rel, abs), `${what}: max err ${c.maxAbsError} (at ${c.at}) vs max ${c.maxAbsRef}`);
}

// One forward + loss + backward for every test below (the model is the expensive part).
let out!: AlphaFoldOutput;
let loss!: LossResult;
let unclamped!: LossResult;
const arrays = new Map<string, ArrayLike<number>>();
scope(() => {
  const tape = new Tape();
  recordOn(tape, () => {
    out = alphaFold(params, evalRuntime(place), golden.config, features, iterations);
    loss = alphaFoldLoss(out, golden.config, features, k);
  });
  // the same outputs scored with use_clamped_fape = 0 (forward only)
  unclamped = alphaFoldLoss(out, golden.config, features, k, 0);
  arrays.set('msa', out.msa.toArray());
  arrays.set('pair', out.pair.toArray());
  arrays.set('single', out.single.toArray());
  arrays.set('final_atom_positions', out.finalAtomPositions.toArray());
  arrays.set('distogram_logits', out.heads.distogramLogits.toArray());
  arrays.set('masked_msa_logits', out.heads.maskedMsaLogits.toArray());
  arrays.set('lddt_logits', out.heads.lddtLogits.toArray());
  arrays.set('plddt', out.heads.plddt.toArray());
  arrays.set('experimentally_resolved_logits', out.heads.experimentallyResolvedLogits.toArray());
  arrays.set('sm/single', out.sm.single.toArray());
  for (let it = 1; it < iterations; it++) {
    const r = out.recycled[it]!;
    arrays.set(`act/iter${it}/recycle_in_m_1_prev`, r.m1Prev.toArray());
    arrays.set(`act/iter${it}/recycle_in_z_prev`, r.zPrev.toArray());
    arrays.set(`act/iter${it}/recycle_in_pseudo_beta_x_prev`, r.pseudoBetaPrev.data);
  }
  gradientOf(tape, loss.total);
});

test('recycled inputs of every later iteration match (the earlier iterations are right)', () => {
  for (let it = 1; it < iterations; it++) {
    for (const name of ['recycle_in_m_1_prev', 'recycle_in_z_prev', 'recycle_in_pseudo_beta_x_prev']) {
      check(arrays.get(`act/iter${it}/${name}`)!, golden.output(`act/iter${it}/${name}`).data, `iter${it} ${name}`);
    }
  }
});

test('final outputs match (MSA on rows with mask 1)', () => {
  const msaMask = golden.input('msa_mask', k).data;
  const cm = golden.config.globals.c_m;
  for (const name of ['pair', 'single', 'final_atom_positions', 'distogram_logits', 'lddt_logits', 'plddt', 'experimentally_resolved_logits', 'sm/single']) {
    check(arrays.get(name)!, golden.output(name).data, name);
  }
  check(arrays.get('msa')!, golden.output('msa').data, 'msa', 1e-10, 1e-12, (i) => msaMask[Math.floor(i / cm)] === 1);
  check(arrays.get('masked_msa_logits')!, golden.output('masked_msa_logits').data, 'masked_msa_logits', 1e-10, 1e-12,
    (i) => msaMask[Math.floor(i / 23)] === 1);
});

test('symmetric renaming matches loss_aux', () => {
  check(loss.renamed.altNamingIsBetter, golden.output('loss_aux/alt_naming_is_better').data, 'alt_naming_is_better', 0, 0);
  check(loss.renamed.positions, golden.output('loss_aux/renamed_atom14_gt_positions').data, 'renamed positions');
  check(loss.renamed.exists, golden.output('loss_aux/renamed_atom14_gt_exists').data, 'renamed exists', 0, 0);
});

test('structural violations match violation/*', () => {
  for (const [name, value] of Object.entries(loss.violations)) {
    const ours = typeof value === 'number' ? [value] : value;
    check(ours, golden.output(`violation/${name}`).data, `violation/${name}`);
  }
});

test('loss terms match (|a-b| <= 1e-11·|b|)', () => {
  for (const [name, value] of Object.entries(loss.breakdown)) {
    const ref = golden.loss(name);
    assert.ok(Math.abs(value - ref) <= 1e-11 * Math.abs(ref), `${name}: ${value} vs ${ref}`);
  }
});

test('loss terms with unclamped FAPE match loss/unclamped_fape/*', () => {
  for (const [name, value] of Object.entries(unclamped.breakdown)) {
    if (name === 'fape_sidechain' || name === 'loss_scale') continue; // not in the golden's unclamped group
    const ref = golden.loss(`unclamped_fape/${name}`);
    assert.ok(Math.abs(value - ref) <= 1e-11 * Math.abs(ref), `unclamped ${name}: ${value} vs ${ref}`);
  }
  assert.ok(unclamped.breakdown.fape_backbone > loss.breakdown.fape_backbone, 'clamping can only lower the backbone FAPE');
});

test('every parameter gradient matches (max err <= 1e-9·max|b| + 1e-12)', () => {
  const failures: string[] = [];
  for (const [name, t] of params.tensors) {
    const ref = golden.grad(name).data;
    const ours = t.grad ? t.grad.toArray() : new Float64Array(ref.length);
    const c = compareArrays(ours, ref);
    if (!withinTolerance(c, 1e-9, 1e-12)) failures.push(`${name}: err ${c.maxAbsError} vs max ${c.maxAbsRef}`);
  }
  assert.deepEqual(failures, []);
});
