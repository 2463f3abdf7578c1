// Matmul (with transposes, batched, shared operands), linear, layer norm,
// fused gated attention with pair bias and mask, global attention: float64
// gradient checks along random directions and float32 agreement, plus each
// op against a composition of simpler ops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DTYPE_CODES, Tensor, tensor } from '../../trainer/core/tensor.ts';
import { opNames, runOpAll } from '../../trainer/core/ops.ts';
import { native } from '../../trainer/core/binding.ts';
import type { NativeAttrs } from '../../trainer/core/binding.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { Rng, checkGradients, noLeaks, randomInput, relErr } from './core_gradcheck.ts';

test('matmul: every transpose combination, batched and with a shared 2-D operand', () =>
  noLeaks(() => {
    const rng = new Rng();
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        const a = transA ? [2, 4, 3] : [2, 3, 4];
        const b = transB ? [2, 5, 4] : [2, 4, 5];
        checkGradients(`matmul batched tA=${transA} tB=${transB}`, ([x, y]) => ag.matmul(x, y, { transA, transB }), [randomInput(rng, a), randomInput(rng, b)], { rng });
        checkGradients(`matmul shared B tA=${transA} tB=${transB}`, ([x, y]) => ag.matmul(x, y, { transA, transB }), [randomInput(rng, a), randomInput(rng, b.slice(1))], { rng });
        checkGradients(`matmul shared A tA=${transA} tB=${transB}`, ([x, y]) => ag.matmul(x, y, { transA, transB }), [randomInput(rng, a.slice(1)), randomInput(rng, b)], { rng });
      }
    ag.scope(() => {
      const c = ag.matmul(tensor([1, 2, 3, 4], [2, 2]), tensor([5, 6, 7, 8], [2, 2]));
      assert.deepEqual(c.toNumbers(), [19, 22, 43, 50]);
      assert.throws(() => ag.matmul(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([1, 2, 3, 4], [2, 2])), /matmul: inner dimensions differ \(3 vs 2\)/);
    });
  }));

test('linear: x W^T + b over leading axes (OpenFold weight layout [out, in])', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('linear', ([x, w, b]) => ag.linear(x, w, b), [randomInput(rng, [2, 3, 4]), randomInput(rng, [5, 4]), randomInput(rng, [5])], { rng });
  }));

test('matmul with a bias input: each row of the product plus the bias, in one call; a bias of the wrong length is refused', () =>
  noLeaks(() => {
    const rng = new Rng();
    ag.scope(() => {
      // small integers: every sum exact, so the fused op must equal matmul + add bit for bit
      const ints = (n: number) => Array.from({ length: n }, () => Math.floor(rng.next() * 9) - 4);
      for (const dtype of ['float64', 'float32', 'bfloat16'] as const) {
        const x = tensor(ints(12), [3, 4], { dtype });
        const w = tensor(ints(20), [5, 4], { dtype });
        const b = tensor(ints(5), [5], { dtype });
        const [fused] = runOpAll('matmul', [x, w, b], { transB: true });
        const composed = ag.add(ag.matmul(x, w, { transB: true }), b);
        assert.deepEqual(fused!.toNumbers(), composed.toNumbers(), dtype);
        assert.deepEqual(fused!.shape, [3, 5]);
      }
      const x = tensor([1, 2, 3, 4], [2, 2]);
      assert.throws(() => runOpAll('matmul', [x, x, tensor([1, 2, 3], [3])]), /matmul: bias must be \[N\] = \[2\]/);
    });
  }));

test('matmul biasGrad: the weight gradient and the column sums of dy from one call, equal to a product and a reduction', () =>
  noLeaks(() => {
    const rng = new Rng();
    ag.scope(() => {
      for (const [dtype, outDtype] of [['float64', undefined], ['float32', undefined], ['bfloat16', undefined], ['bfloat16', 'float32']] as const) {
        const dy = tensor(rng.values(7 * 5), [7, 5], { dtype });
        const x = tensor(rng.values(7 * 3), [7, 3], { dtype });
        const attrs: NativeAttrs = outDtype ? { transA: true, outDtype: DTYPE_CODES[outDtype] } : { transA: true };
        const [dw, db] = runOpAll('matmul', [dy, x], { ...attrs, biasGrad: 1 });
        const [dwRef] = runOpAll('matmul', [dy, x], attrs);
        const [dbRef] = runOpAll('reduce_sum', [dy], outDtype ? { axes: [0], outDtype: DTYPE_CODES[outDtype] } : { axes: [0] });
        assert.deepEqual(dw!.shape, [5, 3]);
        assert.deepEqual(db!.shape, [5]);
        assert.equal(db!.dtype, outDtype ?? dtype);
        assert.deepEqual(dw!.toNumbers(), dwRef!.toNumbers(), `${dtype} dW`);
        assert.deepEqual(db!.toNumbers(), dbRef!.toNumbers(), `${dtype} db`);
      }
      const m = tensor([1, 2, 3, 4], [2, 2]);
      assert.throws(() => runOpAll('matmul', [m, m], { biasGrad: 1 }), /biasGrad needs 2-D operands, transA and no bias/);
    });
  }));

test('layer norm: gradients of x, gamma and beta; normalised rows', () =>
  noLeaks(() => {
    const rng = new Rng();
    checkGradients('layerNorm', ([x, g, b]) => ag.layerNorm(x, g, b), [randomInput(rng, [3, 2, 8], -2, 2), randomInput(rng, [8]), randomInput(rng, [8])], { rng });
    ag.scope(() => {
      const y = ag.layerNorm(tensor(rng.values(16), [2, 8], { dtype: 'float64' }), tensor(new Float64Array(8).fill(1), [8], { dtype: 'float64' }), tensor(new Float64Array(8), [8], { dtype: 'float64' }), 0).toNumbers();
      for (const row of [y.slice(0, 8), y.slice(8)]) {
        const m = row.reduce((a, b) => a + b) / 8;
        const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 8;
        assert.ok(Math.abs(m) < 1e-12 && Math.abs(v - 1) < 1e-9);
      }
    });
  }));

/** Attention by composition: permute, matmul, add, softmax, matmul, sigmoid gate. */
function attentionByParts(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, mask: Tensor, gate: Tensor): Tensor {
  const [, , , d] = q.shape;
  const qh = ag.permute(q, [0, 2, 1, 3]); // [B, H, Q, D]
  const kh = ag.permute(k, [0, 2, 1, 3]);
  const vh = ag.permute(v, [0, 2, 1, 3]);
  const logits = ag.mulScalar(ag.matmul(qh, kh, { transB: true }), 1 / Math.sqrt(d)); // [B, H, Q, K]
  const maskBias = ag.mulScalar(ag.addScalar(mask, -1), 1e9); // [B, K]
  const [bsz, kLen] = mask.shape;
  const s = ag.add(ag.add(logits, bias), ag.reshape(maskBias, [bsz, 1, 1, kLen]));
  const o = ag.permute(ag.matmul(ag.softmax(s), vh), [0, 2, 1, 3]); // [B, Q, H, D]
  return ag.mul(ag.sigmoid(gate), o);
}

function maskValues(rng: Rng, b: number, k: number): Float64Array {
  // every row keeps key 0, so no row is fully masked
  return Float64Array.from({ length: b * k }, (_, i) => (i % k === 0 || rng.next() < 0.7 ? 1 : 0));
}

test('fused gated attention with pair bias and mask: gradient check, and equal to the composition', () =>
  noLeaks(() => {
    const rng = new Rng();
    const [B, Q, K, H, D] = [3, 4, 5, 2, 4];
    const specs = () => [
      randomInput(rng, [B, Q, H, D]),
      randomInput(rng, [B, K, H, D]),
      randomInput(rng, [B, K, H, D]),
      randomInput(rng, [H, Q, K]),
      { shape: [B, K], values: maskValues(rng, B, K), grad: false },
      randomInput(rng, [B, Q, H, D]),
    ];
    checkGradients('attention (bias, mask, gate)', ([q, k, v, bias, mask, gate]) => ag.attention({ q, k, v, bias, mask, gate }), specs(), { rng });
    checkGradients('attention (no bias, mask or gate)', ([q, k, v]) => ag.attention({ q, k, v }), specs().slice(0, 3), { rng });
    ag.scope(() => {
      const s = specs();
      const xs = s.map((x) => tensor(x.values, x.shape, { dtype: 'float64' }));
      const [q, k, v, bias, mask, gate] = xs;
      const fused = ag.attention({ q, k, v, bias, mask, gate }).toNumbers();
      const parts = attentionByParts(q, k, v, bias, mask, gate).toNumbers();
      assert.ok(relErr(fused, parts) < 1e-12, `fused vs composed rel err ${relErr(fused, parts)}`);
      assert.throws(() => ag.attention({ q, k, v, bias: ag.permute(bias, [1, 0, 2]) }), /attention: bias must be \[H, Q, K\]/);
    });
  }));

test('global attention (Algorithm 19 core): gradient check with a mask', () =>
  noLeaks(() => {
    const rng = new Rng();
    const [B, H, S, D] = [2, 3, 5, 4];
    checkGradients(
      'globalAttention',
      ([q, k, v, m]) => ag.globalAttention(q, k, v, m),
      [randomInput(rng, [B, H, D]), randomInput(rng, [B, S, D]), randomInput(rng, [B, S, D]), { shape: [B, S], values: maskValues(rng, B, S), grad: false }],
      { rng },
    );
  }));

test('linear: a tensor read by several linears gets its gradient summed inside the products (no add kernels), correctly', () =>
  noLeaks(() => {
    const rng = new Rng();
    // x feeds three projections and a product: gradients from every path
    checkGradients('linear x3 + mul', ([x, w1, w2, w3, b]) => ag.add(ag.add(ag.linear(x, w1, b), ag.linear(x, w2)), ag.mul(ag.linear(x, w3), x)),
      [randomInput(rng, [2, 3, 4]), randomInput(rng, [4, 4]), randomInput(rng, [4, 4]), randomInput(rng, [4, 4]), randomInput(rng, [4])], { rng });
    // the backward of three linears over one x issues no elementwise add for x's gradient
    ag.scope(() => {
      const n = native as unknown as Record<string, (...a: unknown[]) => unknown>;
      const names = new Map<unknown, string>(opNames().map((op) => [n.opId!(op), op]));
      const x = tensor(rng.values(24), [6, 4]);
      x.requiresGrad = true;
      const ws = [0, 1, 2].map(() => tensor(rng.values(16), [4, 4]));
      const tape = new ag.Tape();
      // h, made on the tape, is what the three linears read (a leaf's gradient goes to its .grad instead)
      const loss = ag.recordOn(tape, () => {
        const h = ag.mulScalar(x, 1);
        return ag.sum(ag.add(ag.add(ag.linear(h, ws[0]!), ag.linear(h, ws[1]!)), ag.linear(h, ws[2]!)));
      });
      const seen: string[] = [];
      const run = n.run!;
      n.run = (...a: unknown[]) => {
        seen.push(names.get(a[0]) ?? String(a[0]));
        return run(...a);
      };
      try {
        ag.gradientOf(tape, loss);
      } finally {
        n.run = run;
      }
      assert.equal(seen.filter((op) => op === 'matmul').length, 3, seen.join(' '));
      // (the sum's backward broadcasts the seed before the products; nothing is added after them)
      const afterProducts = seen.slice(seen.indexOf('matmul'));
      assert.equal(afterProducts.filter((op) => op === 'binary').length, 0, `no add for h's gradient: ${seen.join(' ')}`);
      // dx = (1 · W1 + 1 · W2 + 1 · W3) summed over the output columns
      const ones = Array.from({ length: 4 }, (_, o) => o);
      const expect = Array.from({ length: 6 * 4 }, (_, e) => ws.reduce((acc, w) => acc + ones.reduce((s, o) => s + w.toNumbers()[o * 4 + (e % 4)]!, 0), 0));
      x.grad!.toNumbers().forEach((v, i) => assert.ok(Math.abs(v - expect[i]!) < 1e-5, `${i}: ${v} vs ${expect[i]}`));
    });
  }));

test('layer_norm_backward with an addend: dx plus the gradient x already had; a residual block folds it (gradients checked)', () =>
  noLeaks(() => {
    const rng = new Rng();
    ag.scope(() => {
      const x = tensor(rng.values(5 * 8), [5, 8], { dtype: 'float64' });
      const gamma = tensor(rng.values(8), [8], { dtype: 'float64' });
      const beta = tensor(rng.values(8), [8], { dtype: 'float64' });
      const dy = tensor(rng.values(5 * 8), [5, 8], { dtype: 'float64' });
      const acc = tensor(rng.values(5 * 8), [5, 8], { dtype: 'float64' });
      const [, mean, rstd] = runOpAll('layer_norm', [x, gamma, beta], { eps: 1e-5 });
      const plain = runOpAll('layer_norm_backward', [dy, x, gamma, mean!, rstd!]);
      const folded = runOpAll('layer_norm_backward', [dy, x, gamma, mean!, rstd!, acc]);
      const expect = plain[0]!.toNumbers().map((v, i) => v + acc.toNumbers()[i]!);
      folded[0]!.toNumbers().forEach((v, i) => assert.ok(Math.abs(v - expect[i]!) < 1e-12));
      assert.deepEqual(folded[1]!.toNumbers(), plain[1]!.toNumbers());
      assert.throws(() => runOpAll('layer_norm_backward', [dy, x, gamma, mean!, rstd!, tensor([1], [1], { dtype: 'float64' })]), /acc must have x's shape and dtype/);
    });
    // z + linear(layerNorm(z)) twice, as the Evoformer's residual updates: z's gradient folded through the layer norms
    checkGradients('residual layer norms', ([z, g1, b1, w1, g2, b2, w2]) => {
      const h = ag.mulScalar(z, 1);
      const h1 = ag.add(h, ag.linear(ag.layerNorm(h, g1, b1), w1));
      return ag.add(h1, ag.linear(ag.layerNorm(h1, g2, b2), w2));
    }, [randomInput(rng, [3, 6]), randomInput(rng, [6]), randomInput(rng, [6]), randomInput(rng, [6, 6]), randomInput(rng, [6]), randomInput(rng, [6]), randomInput(rng, [6, 6])], { rng });
  }));
