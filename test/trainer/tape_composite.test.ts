// The tape on a small composite: two layers of MSA row attention with pair
// bias (AlphaFold2 supplementary Algorithm 7: layer norm, q/k/v/gate
// projections, pair bias from layer-normed z, gated attention, output
// projection, residual) followed by a linear head and a cross-entropy loss.
// Checked like every op: float64 gradient check of every parameter and input
// along random directions, float32 agreement, no leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tensor } from '../../trainer/core/tensor.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { Rng, checkGradients, noLeaks, randomInput, type InputSpec } from './core_gradcheck.ts';

const [S, R, C, CZ, H, D, BINS] = [3, 4, 8, 4, 2, 4, 5];

/** Parameters of one layer, in the order layerSpecs lists them. */
const LAYER_SHAPES: number[][] = [
  [C], [C], // ln_m gamma, beta
  [CZ], [CZ], // ln_z gamma, beta
  [H * D, C], [H * D, C], [H * D, C], [H * D, C], [H * D], // q, k, v, gate weights; gate bias
  [H, CZ], // pair bias projection
  [C, H * D], [C], // output projection
];

function rowAttentionLayer(m: Tensor, z: Tensor, mask: Tensor, p: Tensor[]): Tensor {
  const [lnG, lnB, lnZG, lnZB, wq, wk, wv, wg, bg, wb, wo, bo] = p;
  const mln = ag.layerNorm(m, lnG, lnB); // [S, R, C]
  const split = (t: Tensor) => ag.reshape(t, [S, R, H, D]);
  const q = split(ag.linear(mln, wq));
  const k = split(ag.linear(mln, wk));
  const v = split(ag.linear(mln, wv));
  const gate = split(ag.linear(mln, wg, bg));
  const bias = ag.permute(ag.linear(ag.layerNorm(z, lnZG, lnZB), wb), [2, 0, 1]); // [H, R, R]
  const o = ag.attention({ q, k, v, bias, mask, gate }); // [S, R, H, D]
  return ag.add(m, ag.linear(ag.reshape(o, [S, R, H * D]), wo, bo));
}

function model(xs: Tensor[]): Tensor {
  const [m0, z, mask, labels, wHead] = xs;
  const n = LAYER_SHAPES.length;
  let m = m0;
  for (let l = 0; l < 2; l++) m = rowAttentionLayer(m, z, mask, xs.slice(5 + l * n, 5 + (l + 1) * n));
  const logits = ag.linear(m, wHead); // [S, R, BINS]
  return ag.mean(ag.softmaxCrossEntropy(logits, labels));
}

function specs(rng: Rng): InputSpec[] {
  const mask = Float64Array.from({ length: S * R }, (_, i) => (i % R === 0 || rng.next() < 0.75 ? 1 : 0));
  const labels = new Float64Array(S * R * BINS);
  for (let i = 0; i < S * R; i++) labels[i * BINS + Math.floor(rng.next() * BINS)] = 1;
  const layer = () => LAYER_SHAPES.map((s, i) => (i < 4 && i % 2 === 0 ? randomInput(rng, s, 0.5, 1.5) : randomInput(rng, s, -0.5, 0.5)));
  return [
    randomInput(rng, [S, R, C]),
    randomInput(rng, [R, R, CZ]),
    { shape: [S, R], values: mask, grad: false },
    { shape: [S, R, BINS], values: labels, grad: false },
    randomInput(rng, [BINS, C], -0.5, 0.5),
    ...layer(),
    ...layer(),
  ];
}

test('two gated-attention layers with layer norm and a loss: tape gradients match central differences', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('two-layer row attention block', model, specs(rng), { rng, directions: 3 });
  }));

test('noGrad records nothing; gradients accumulate over two backward passes; the tape is released', () =>
  noLeaks(() => {
    const rng = new Rng();
    const s = specs(rng);
    ag.scope(() => {
      const xs = s.map((x) => tensor(x.values, x.shape, { dtype: x.dtype ?? 'float64' }));
      xs[4].requiresGrad = true; // the head weight as the one parameter
      const tape = new ag.Tape();
      const free = ag.recordOn(tape, () => ag.noGrad(() => model(xs)));
      assert.equal(tape.nodes.length, 0);
      assert.equal(free.requiresGrad, false);
      const loss1 = ag.recordOn(tape, () => model(xs));
      // only the ops downstream of the one parameter are recorded (head, loss)
      assert.ok(tape.nodes.length > 0 && tape.nodes.length < 12, `${tape.nodes.length} nodes`);
      ag.gradientOf(tape, loss1);
      assert.equal(tape.nodes.length, 0);
      const once = xs[4].grad!.toNumbers();
      const loss2 = ag.recordOn(tape, () => model(xs));
      ag.gradientOf(tape, loss2);
      const twice = xs[4].grad!.toNumbers();
      twice.forEach((g, i) => assert.ok(Math.abs(g - 2 * once[i]) <= 1e-12 * Math.max(1, Math.abs(g))));
      assert.ok(once.some((g) => g !== 0));
    });
  }));
