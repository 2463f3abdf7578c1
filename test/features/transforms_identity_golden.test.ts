// The per-step transforms with randomness removed against OpenFold's own
// (golden openfold_raw_short/ensembled_identity, README "Per-step transforms
// without randomness"): our batch key X vs padded_X, and our arrays cut back
// to the chain's residues and rows vs the unpadded ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readNpyDir } from '../../pipeline/npy_dir.ts';
import { perStepTransforms, prepareChain, msaPass } from '../../features/transforms/ensembled/per_step.ts';
import { clusterProfile } from '../../features/transforms/ensembled/cluster_summary.ts';
import { INITIAL_TRAINING } from '../../features/transforms/config.ts';
import { numeric, type NumericTensor } from '../../features/tensor.ts';
import { compareNumeric } from './helpers/compare_features.ts';
import { firstPass, leadingBox } from './helpers/slice_tensor.ts';

const DIR = 'test/fixtures/golden/openfold_raw_short';
const TOL = { atol: 1e-5, rtol: 1e-5 };

async function load() {
  const input = await readNpyDir(`${DIR}/nonensembled`);
  const golden = await readNpyDir(`${DIR}/ensembled_identity`);
  return { input, golden: golden as Record<string, NumericTensor> };
}

test('no-randomness batch equals the golden padded_* arrays', async () => {
  const { input, golden } = await load();
  const batch = perStepTransforms(input, { seed: 0, randomness: false });
  const keys = ['aatype', 'bert_mask', 'extra_deletion_value', 'extra_has_deletion', 'extra_msa', 'extra_msa_mask', 'msa_feat', 'msa_mask', 'seq_mask', 'target_feat', 'true_msa'];
  const problems: string[] = [];
  for (const k of keys) {
    const ours = batch[k] as NumericTensor;
    assert.equal(ours.shape[0], 1, `${k} has one pass`);
    problems.push(...compareNumeric(k, firstPass(ours), golden[`padded_${k}`]!, TOL));
    assert.deepEqual(firstPass(ours).shape, golden[`padded_${k}`]!.shape, k);
  }
  assert.deepEqual(problems, []);
});

test('no-randomness batch cut back to 73 residues / 124 rows / 1012 extra rows equals the unpadded golden', async () => {
  const { input, golden } = await load();
  const batch = perStepTransforms(input, { seed: 0, randomness: false });
  const problems: string[] = [];
  for (const k of ['bert_mask', 'extra_deletion_value', 'extra_has_deletion', 'extra_msa', 'extra_msa_mask', 'msa_feat', 'msa_mask', 'target_feat', 'true_msa']) {
    const g = golden[k]!;
    problems.push(...compareNumeric(k, leadingBox(firstPass(batch[k] as NumericTensor), g.shape), g, TOL));
  }
  assert.deepEqual(problems, []);
  // Padding is zero beyond the chain: masks exactly 0 past residue 73, row 124 / extra row 1012.
  const msaMask = firstPass(batch['msa_mask'] as NumericTensor).data as Float32Array;
  let inside = 0;
  for (let i = 0; i < msaMask.length; i++) inside += msaMask[i]!;
  assert.equal(inside, 124 * 73);
  const extraRowMask = firstPass(batch['extra_msa_row_mask'] as NumericTensor).data as Float32Array;
  assert.equal(extraRowMask.reduce((a, b) => a + b, 0), 1012);
  assert.equal(extraRowMask[1011], 1);
  assert.equal(extraRowMask[1012], 0);
});

test('no-randomness MSA pass intermediates equal the golden (assignment, cluster profile, deletion mean)', async () => {
  const { input, golden } = await load();
  const chain = prepareChain(input);
  const L = chain.numRes;
  const pass = msaPass(chain, INITIAL_TRAINING, null, 0, L);
  const S = pass.selected.length;
  assert.equal(S, 124);
  assert.equal(pass.extraAll.length, 1012);
  const assignment = numeric('int64', [1012], BigInt64Array.from(pass.assignment, (v) => BigInt(v)));
  const centres = numeric('int64', [S, L], BigInt64Array.from(pass.centres, (v) => BigInt(v)));
  const problems = [
    ...compareNumeric('extra_cluster_assignment', assignment, golden['extra_cluster_assignment']!, TOL),
    ...compareNumeric('msa', centres, golden['msa']!, TOL),
    ...compareNumeric('cluster_profile', numeric('float32', [S, L, 23], clusterProfile(pass.summary)), golden['cluster_profile']!, TOL),
    ...compareNumeric('cluster_deletion_mean', numeric('float32', [S, L], pass.summary.deletionMean), golden['cluster_deletion_mean']!, TOL),
  ];
  assert.deepEqual(problems, []);
});
