import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../trainer/model/config.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { encodeSafetensors, decodeSafetensors, type SafeTensor } from '../../trainer/io/safetensors.ts';
import {
  bf16ToFloat32, f16ToFloat32, float32ToBf16, loadParams, saveParams, stateDictFromSafetensors,
} from '../../trainer/io/state_dict.ts';
import { debugGroup, readDebugState } from '../../trainer/io/debug_state.ts';

const specs = modelParamSpec(loadConfig('tiny'));

test('bf16 conversion: exact widening, round-to-nearest-even narrowing, NaN/inf kept', () => {
  assert.deepEqual(Array.from(float32ToBf16([1, -2, 0, Infinity, -Infinity])), [0x3f80, 0xc000, 0, 0x7f80, 0xff80]);
  // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties go to the even mantissa (1).
  assert.equal(float32ToBf16([1 + 2 ** -8])[0], 0x3f80);
  // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): goes up.
  assert.equal(float32ToBf16([1 + 3 * 2 ** -8])[0], 0x3f82);
  assert.equal(float32ToBf16([1 + 2 ** -8 + 2 ** -20])[0], 0x3f81);
  assert.ok(Number.isNaN(bf16ToFloat32(float32ToBf16([NaN]))[0]!));
  const widened = bf16ToFloat32(new Uint16Array([0x3f80, 0x4049, 0x8001]));
  assert.deepEqual(Array.from(widened), [1, 3.140625, -(2 ** -133)]);
  assert.deepEqual(Array.from(f16ToFloat32(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0x3555]))),
    [1, -2, 2 ** -24, Infinity, 0.333251953125]);
});

test('golden model_tiny params: save F64 -> load by name is exact; order and wrapper prefixes do not matter', async () => {
  const state = await readDebugState('test/fixtures/golden/model_tiny', ['param']);
  const params = debugGroup(state, 'param');
  const values = new Map([...params].map(([n, t]) => [n, t.data as Float64Array]));
  const dir = await mkdtemp(join(tmpdir(), 'sd-'));
  try {
    const path = join(dir, 'tiny.safetensors');
    await saveParams(path, specs, values, 'F64', { preset: 'tiny' });
    const back = await loadParams(path, specs, { precision: 'float64' });
    assert.deepEqual([...back.keys()], specs.map((s) => s.name));
    for (const [name, v] of values) assert.deepEqual(back.get(name), v, name);

    // A PyTorch Lightning-style dump: 'model.' prefix, reversed order, float32.
    const shuffled: [string, SafeTensor][] = [...params].reverse().map(([n, t]) =>
      [`model.${n}`, { dtype: 'F32', shape: t.shape, data: Float32Array.from(t.data as Float64Array) }]);
    const file = decodeSafetensors(encodeSafetensors(shuffled, { format: 'pt' }), 'lightning');
    const loaded = stateDictFromSafetensors(file, specs, { precision: 'float32' });
    for (const [name, v] of values) {
      assert.deepEqual(loaded.get(name), Float32Array.from(v), name);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('BF16 save keeps each value within half a bf16 ulp (relative 2^-8, 7 mantissa bits)', async () => {
  const values = new Map(specs.map((s, i) => {
    const v = new Float64Array(s.shape.reduce((a, b) => a * b, 1));
    for (let j = 0; j < v.length; j++) v[j] = Math.sin(i * 131 + j * 7.3) * 10 ** ((j % 5) - 2);
    return [s.name, v] as const;
  }));
  const dir = await mkdtemp(join(tmpdir(), 'sd-'));
  try {
    const path = join(dir, 'bf16.safetensors');
    await saveParams(path, specs, values, 'BF16');
    const back = await loadParams(path, specs, { precision: 'float64' });
    for (const [name, v] of values) {
      const got = back.get(name)!;
      for (let j = 0; j < v.length; j++) {
        assert.ok(Math.abs(got[j]! - v[j]!) <= Math.abs(v[j]!) * 2 ** -8 * (1 + 1e-6), `${name}[${j}]`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('missing, extra, mis-shaped and non-float tensors are rejected by name', () => {
  const full: [string, SafeTensor][] = specs.map((s) => [s.name, {
    dtype: 'F32', shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)),
  }]);
  const decode = (entries: [string, SafeTensor][]) => decodeSafetensors(encodeSafetensors(entries), 'x');
  assert.throws(() => stateDictFromSafetensors(decode(full.slice(1)), specs, { precision: 'float64' }),
    /missing parameters: input_embedder\.linear_tf_z_i\.weight/);
  const extra: [string, SafeTensor][] = [...full, ['optimizer.step', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]];
  assert.throws(() => stateDictFromSafetensors(decode(extra), specs, { precision: 'float64' }), /not parameters of this config: optimizer\.step/);
  assert.equal(stateDictFromSafetensors(decode(extra), specs, { precision: 'float64', allowExtra: true }).size, specs.length);
  const bad = full.map(([n, t]): [string, SafeTensor] => n === 'structure_module.ipa.head_weights'
    ? [n, { dtype: 'F32', shape: [3], data: new Float32Array(3) }] : [n, t]);
  assert.throws(() => stateDictFromSafetensors(decode(bad), specs, { precision: 'float64' }), /head_weights' has shape \[3\], the config expects \[2\]/);
  const ints = full.map(([n, t]): [string, SafeTensor] => n === 'structure_module.ipa.head_weights'
    ? [n, { dtype: 'I32', shape: [2], data: new Int32Array(2) }] : [n, t]);
  assert.throws(() => stateDictFromSafetensors(decode(ints), specs, { precision: 'float64' }), /is I32, a parameter must be a float dtype/);
  const dup: [string, SafeTensor][] = [...full, [`module.${full[0]![0]}`, full[0]![1]]];
  assert.throws(() => stateDictFromSafetensors(decode(dup), specs, { precision: 'float64' }), /both name parameter/);
});
