// The differentiable violation loss against the host version (which matches
// the golden's violation tensors) and the golden value, and its gradient
// against central differences of the host version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldenState } from '../../trainer/model/golden_state.ts';
import { findStructuralViolations, violationLoss } from '../../trainer/model/violations.ts';
import { violationLossTensor } from '../../trainer/model/loss_violation.ts';
import { tensor, parameter } from '../../trainer/core/tensor.ts';
import { Tape, gradientOf, recordOn, scope } from '../../trainer/autograd/index.ts';

const golden = await GoldenState.read('test/fixtures/golden/model_tiny');
const k = golden.iterations - 1;
const batch = {
  atom14_atom_exists: golden.input('atom14_atom_exists', k), residue_index: golden.input('residue_index', k),
  aatype: golden.input('aatype', k), residx_atom14_to_atom37: golden.input('residx_atom14_to_atom37', k),
};
const cfg = golden.config.loss.violation;
const smPositions = golden.output('sm/positions');
const perLayer = smPositions.data.length / smPositions.shape[0]!;
const positions = smPositions.data.slice(perLayer * (smPositions.shape[0]! - 1));
const n = batch.aatype.data.length;

function hostLoss(p: Float64Array): number {
  return violationLoss(findStructuralViolations(p, batch, cfg.violation_tolerance_factor, cfg.clash_overlap_tolerance), batch.atom14_atom_exists, false, cfg.eps);
}

test('value equals the host computation and the golden violation loss', () => {
  scope(() => {
    const v = violationLossTensor(tensor(positions, [n, 14, 3], { dtype: 'float64' }), batch, cfg).toArray()[0]!;
    const ref = golden.loss('violation');
    assert.ok(Math.abs(hostLoss(positions) - ref) <= 1e-11 * ref);
    assert.ok(Math.abs(v - ref) <= 1e-11 * ref, `${v} vs ${ref}`);
  });
});

test('gradient matches central differences of the host loss', () => {
  scope(() => {
    const p = parameter(tensor(positions, [n, 14, 3], { dtype: 'float64' }));
    const tape = new Tape();
    let loss!: ReturnType<typeof violationLossTensor>;
    recordOn(tape, () => { loss = violationLossTensor(p, batch, cfg); });
    gradientOf(tape, loss);
    const g = p.grad!.toArray();
    // the coordinates with the largest gradients, plus a few others
    const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!));
    const picks = [...order.slice(0, 6), order[100]!, order[500]!];
    const h = 1e-6;
    for (const i of picks) {
      const plus = Float64Array.from(positions);
      const minus = Float64Array.from(positions);
      plus[i] = plus[i]! + h;
      minus[i] = minus[i]! - h;
      const fd = (hostLoss(plus) - hostLoss(minus)) / (2 * h);
      assert.ok(Math.abs(fd - g[i]!) <= 1e-6 * Math.max(1, Math.abs(fd)), `coordinate ${i}: autograd ${g[i]} vs fd ${fd}`);
    }
    assert.ok(Math.abs(g[order[0]!]!) > 0);
  });
});

test('with a positive weight (fine-tuning) the violation term joins the total', async () => {
  const { alphaFold } = await import('../../trainer/model/alphafold.ts');
  const { alphaFoldLoss } = await import('../../trainer/model/alphafold_loss.ts');
  const { evalRuntime } = await import('../../trainer/model/runtime.ts');
  const { applyDiff } = await import('../../trainer/model/config.ts');
  const place = { dtype: 'float64', device: 'cpu' } as const;
  const params = golden.params(place);
  const config = structuredClone(golden.config);
  applyDiff(config, { 'loss.violation.weight': 1 });
  const f = (name: string, it: number) => golden.input(name, it);
  scope(() => {
    const loss = alphaFoldLoss(alphaFold(params, evalRuntime(place), config, f, golden.iterations), config, f, k);
    const expected = golden.loss('unscaled_loss') + golden.loss('violation');
    assert.ok(Math.abs(loss.breakdown.unscaled_loss - expected) <= 1e-11 * expected, `${loss.breakdown.unscaled_loss} vs ${expected}`);
  });
  params.dispose();
});
