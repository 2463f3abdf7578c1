// Activation checkpointing in the tape (trainer/autograd/checkpoint.ts) and
// castVia: on a small composite (two residual blocks of layer norm, linear,
// sigmoid gate, seeded dropout), float64 on the CPU, the gradients with and
// without checkpointing are bit-identical, fewer tensors stay alive after the
// forward, the dropout seed stream advances exactly as without checkpointing,
// nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, memoryStats, tensor } from '../../trainer/core/tensor.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { Rng, noLeaks } from './core_gradcheck.ts';

const [S, N, C] = [3, 5, 6];
const place = { dtype: 'float64', device: 'cpu' } as const;

function values(rng: Rng, n: number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
}

interface Model {
  params: Tensor[];
  x: Tensor;
  mask: Tensor;
}

function makeModel(seed: number): Model {
  const rng = new Rng(seed);
  const p = (shape: number[], lo = -0.5, hi = 0.5) => ag.keep(tensor(values(rng, shape.reduce((a, b) => a * b, 1), lo, hi), shape, place));
  const params = [0, 1].flatMap(() => [p([C], 0.5, 1.5), p([C]), p([C, C]), p([C]), p([C, C])]);
  for (const t of params) t.requiresGrad = true;
  const x = ag.keep(tensor(values(rng, S * N * C), [S, N, C], place));
  x.requiresGrad = true; // an input that needs a gradient too (not a parameter)
  const mask = ag.keep(tensor(Float64Array.from({ length: S * N }, (_, i) => (i % 4 === 3 ? 0 : 1)), [S, N, 1], place));
  return { params, x, mask };
}

function disposeModel(m: Model): void {
  for (const t of [...m.params, m.x, m.mask]) t.dispose();
}

/** A seed stream like the model runtime's: through drawSeed, so a re-run replays it. */
function seedStream(start: number): { next: () => number; drawn: () => number } {
  let s = start;
  let count = 0;
  return {
    next: () => ag.drawSeed(() => {
      count++;
      return (s = (s * 1103515245 + 12345) % 2147483648);
    }),
    drawn: () => count,
  };
}

/** One residual block: x + dropout(sigmoid(gate) * linear(LN(x))) * mask. */
function block(p: Tensor[], seeds: () => number, [x, mask]: readonly Tensor[]): Tensor[] {
  const [g, b, w1, b1, wg] = p;
  const ln = ag.layerNorm(x!, g!, b!);
  const u = ag.mul(ag.sigmoid(ag.linear(ln, wg!)), ag.linear(ln, w1!, b1!));
  return [ag.add(x!, ag.mul(ag.dropout(u, 0.3, seeds(), [0]), mask!))];
}

type Mode = 'plain' | 'checkpoint' | 'nested';

/** Forward (two blocks, optionally checkpointed) + a loss; returns the loss and live tensors after the forward. */
function forwardBackward(m: Model, mode: Mode, seeds: () => number): { loss: number; live: number; grads: Float64Array[] } {
  for (const t of [...m.params, m.x]) {
    t.grad?.dispose();
    t.grad = null;
  }
  let loss = 0;
  let live = 0;
  ag.scope(() => {
    const tape = new ag.Tape();
    const total = ag.recordOn(tape, () => {
      let x = m.x;
      const blocks = (y: Tensor, from: number, to: number): Tensor => {
        for (let i = from; i < to; i++) {
          const p = m.params.slice(i * 5, i * 5 + 5);
          y = mode === 'plain' ? block(p, seeds, [y, m.mask])[0]! : ag.checkpoint((xs) => block(p, seeds, xs), [y, m.mask])[0]!;
        }
        return y;
      };
      // nested: an outer checkpoint around both (checkpointed) blocks
      x = mode === 'nested' ? ag.checkpoint(([y]) => [blocks(y!, 0, 2)], [x])[0]! : ag.scope(() => blocks(x, 0, 2));
      return ag.sum(ag.mul(x, x));
    });
    live = memoryStats().liveTensors;
    loss = total.toNumbers()[0]!;
    ag.gradientOf(tape, total);
  });
  const grads = [...m.params, m.x].map((t) => Float64Array.from(t.grad!.toArray()));
  return { loss, live, grads };
}

test('checkpointed blocks give bit-identical gradients (dropout seeds replayed), fewer live tensors after the forward, no leaks', () =>
  noLeaks(() => {
    const m = makeModel(11);
    const plainSeeds = seedStream(5);
    const plain = forwardBackward(m, 'plain', plainSeeds.next);
    for (const mode of ['checkpoint', 'nested'] as const) {
      const seeds = seedStream(5);
      const ck = forwardBackward(m, mode, seeds.next);
      assert.equal(ck.loss, plain.loss, `${mode}: loss`);
      ck.grads.forEach((g, i) => assert.deepEqual(g, plain.grads[i], `${mode}: gradient ${i}`));
      // the seed stream advanced once per dropout, as without checkpointing
      assert.equal(seeds.drawn(), plainSeeds.drawn(), `${mode}: seeds drawn`);
      const fresh = seedStream(5);
      for (let i = 0; i < plainSeeds.drawn(); i++) fresh.next();
      assert.equal(seeds.next(), fresh.next(), `${mode}: the next seed after the step`);
      assert.ok(ck.live < plain.live, `${mode}: ${ck.live} live tensors after the forward vs ${plain.live} without checkpointing`);
    }
    // dropout really acts: another seed stream changes the loss
    const other = forwardBackward(m, 'checkpoint', seedStream(6).next);
    assert.notEqual(other.loss, plain.loss);
    for (const t of [...m.params, m.x]) t.grad?.dispose();
    disposeModel(m);
  }));

test('outside a recording tape checkpoint just calls the function', () =>
  noLeaks(() => {
    const m = makeModel(3);
    ag.scope(() => {
      const a = block(m.params.slice(0, 5), () => 7, [m.x, m.mask])[0]!;
      const b = ag.checkpoint((xs) => block(m.params.slice(0, 5), () => 7, xs), [m.x, m.mask])[0]!;
      assert.deepEqual(b.toArray(), a.toArray());
    });
    disposeModel(m);
  }));

test('an input passed straight through and an unused output get correct gradients', () =>
  noLeaks(() => {
    const w = ag.keep(tensor([0.5, -2, 3], [3], place));
    w.requiresGrad = true;
    const x = ag.keep(tensor([1, 2, -1], [3], place));
    x.requiresGrad = true;
    ag.scope(() => {
      const tape = new ag.Tape();
      const loss = ag.recordOn(tape, () => {
        const [same, prod, unused] = ag.checkpoint(([y]) => [y!, ag.mul(y!, w), ag.exp(y!)], [x]);
        void unused;
        // loss = sum(x * x * w) + sum(x): d/dx = 2 x w + 1, d/dw = x²
        return ag.add(ag.sum(ag.mul(same!, prod!)), ag.sum(same!));
      });
      ag.gradientOf(tape, loss);
    });
    assert.deepEqual(x.grad!.toNumbers(), [2 * 0.5 + 1, 2 * 2 * -2 + 1, 2 * -1 * 3 + 1]);
    assert.deepEqual(w.grad!.toNumbers(), [1, 4, 1]);
    w.dispose();
    x.dispose();
  }));

test('a function that reads a tensor of the enclosing tape without passing it fails at backward', () =>
  noLeaks(() => {
    const w = ag.keep(tensor([0.5, -2], [2], place));
    w.requiresGrad = true;
    ag.scope(() => {
      const tape = new ag.Tape();
      const loss = ag.recordOn(tape, () => {
        const hidden = ag.mul(w, w); // produced on the tape, read by the closure only
        const [y] = ag.checkpoint(([a]) => [ag.mul(a!, hidden)], [w]);
        return ag.sum(y!);
      });
      assert.throws(() => ag.gradientOf(tape, loss), /not among its inputs/);
    });
    w.dispose();
  }));

test('castVia: the value is the shadow, the gradient arrives in the master dtype', () =>
  noLeaks(() => {
    const master = ag.keep(tensor([1.00390625, -2.5, 3.1], [3], { dtype: 'float32' }));
    master.requiresGrad = true;
    const shadow = ag.keep(ag.cast(master, 'bfloat16'));
    ag.scope(() => {
      const tape = new ag.Tape();
      const loss = ag.recordOn(tape, () => {
        const v = ag.castVia(master, shadow);
        assert.equal(v.dtype, 'bfloat16');
        assert.deepEqual(v.toArray(), shadow.toArray());
        const k = tensor([2, 0.5, -1], [3], { dtype: 'bfloat16' });
        return ag.sum(ag.mul(v, k));
      });
      ag.gradientOf(tape, loss);
    });
    assert.equal(master.grad!.dtype, 'float32');
    assert.deepEqual(master.grad!.toNumbers(), [2, 0.5, -1]);
    ag.scope(() => assert.throws(() => ag.castVia(master, tensor([1, 2], [2], { dtype: 'bfloat16' })), /does not match/));
    master.dispose();
    shadow.dispose();
  }));
