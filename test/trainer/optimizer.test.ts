import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate, INITIAL_TRAINING_LR } from '../../trainer/train/lr_schedule.ts';
import { fusedAdamSwaStep, toBf16Bits, fromBf16Bits, type ParameterState } from '../../trainer/train/fused_adam_swa.ts';
import { clipByGlobalNorm, globalNorm } from '../../trainer/train/clip.ts';

test('learning rate: linear warm-up, constant, then stepwise decay', () => {
  assert.equal(learningRate(0), 0);
  assert.ok(Math.abs(learningRate(500) - 5e-4) < 1e-15);
  assert.equal(learningRate(1000), 1e-3);
  assert.equal(learningRate(30_000), 1e-3);
  assert.equal(learningRate(50_000), 1e-3);
  assert.ok(Math.abs(learningRate(50_001) - 1e-3 * 0.95) < 1e-15);
  assert.ok(Math.abs(learningRate(100_000) - 1e-3 * 0.95 ** 2) < 1e-15);
  assert.ok(Math.abs(learningRate(10, { ...INITIAL_TRAINING_LR, warmupSteps: 0 }) - 1e-3) < 1e-15);
});

test('bf16 rounding: nearest, ties to even, NaN stays NaN', () => {
  assert.equal(toBf16Bits(1), 0x3f80);
  assert.equal(toBf16Bits(-2), 0xc000);
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties to the even 1.
  assert.equal(toBf16Bits(1 + 2 ** -8), 0x3f80);
  // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6: goes up to even.
  assert.equal(toBf16Bits(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(toBf16Bits(1 + 2 ** -8 + 2 ** -12), 0x3f81);
  assert.ok(Number.isNaN(fromBf16Bits(toBf16Bits(Number.NaN))));
  assert.equal(fromBf16Bits(toBf16Bits(Infinity)), Infinity);
});

function randomState(n: number, seed: number): ParameterState {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const param = Float32Array.from({ length: n }, rand);
  return { param, grad: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n), average: Float32Array.from(param), bf16: new Uint16Array(n) };
}

test('fused Adam + weight average + bf16 copy agrees with a float64 Adam over 20 steps', () => {
  const n = 257;
  const state = randomState(n, 3);
  const p64 = Float64Array.from(state.param);
  const m64 = new Float64Array(n), v64 = new Float64Array(n), avg64 = Float64Array.from(state.param);
  let s = 99;
  for (let step = 1; step <= 20; step++) {
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 22695477) + 1) >>> 0;
      state.grad[i] = Math.fround((s / 2 ** 32 - 0.5) * 0.01);
    }
    const lr = 1e-3;
    fusedAdamSwaStep(state, lr, step);
    for (let i = 0; i < n; i++) {
      const g = state.grad[i]!;
      m64[i] = 0.9 * m64[i]! + 0.1 * g;
      v64[i] = 0.999 * v64[i]! + 0.001 * g * g;
      const mHat = m64[i]! / (1 - 0.9 ** step);
      const vHat = v64[i]! / (1 - 0.999 ** step);
      p64[i] = p64[i]! - (lr * mHat) / (Math.sqrt(vHat) + 1e-6 * 1); // eps added to sqrt(v)/sqrt(bc2) as PyTorch
      avg64[i] = 0.999 * avg64[i]! + 0.001 * p64[i]!;
    }
  }
  for (let i = 0; i < n; i++) {
    // Twenty fp32 steps of size ~1e-3 on values ~0.5: fp32 spacing there is 6e-8.
    assert.ok(Math.abs(state.param[i]! - p64[i]!) < 2e-6, `param ${i}: ${state.param[i]} vs ${p64[i]}`);
    assert.ok(Math.abs(state.average[i]! - avg64[i]!) < 2e-6, `average ${i}`);
    assert.equal(state.bf16[i], toBf16Bits(state.param[i]!));
  }
  // The step moved the weights, and the average lags behind them.
  assert.ok(state.param.some((p, i) => p !== state.average[i]));
});

test('clipping by global norm scales only when the norm exceeds the limit', () => {
  const a = Float32Array.of(3, 0), b = Float32Array.of(0, 4);
  assert.equal(globalNorm([a, b]), 5);
  const { norm, scale } = clipByGlobalNorm([a, b], 0.1);
  assert.equal(norm, 5);
  assert.ok(Math.abs(scale - 0.1 / (5 + 1e-6)) < 1e-7);
  assert.ok(Math.abs(globalNorm([a, b]) - 0.1) < 1e-6);
  const small = [Float32Array.of(0.01, 0.02)];
  assert.equal(clipByGlobalNorm(small, 0.1).scale, 1);
  assert.deepEqual([...small[0]!], [Math.fround(0.01), Math.fround(0.02)]);
});
