// Fresh parameters from the parameter tree's init kinds (OpenFold
// primitives.py inits; AlphaFold2 suppl. 1.11.4), drawn from a seeded
// generator (features/rng.ts), so a run is reproducible:
//   lecun_normal / he_normal: truncated normal (±2σ), σ = sqrt(s / fan_in)
//     divided by the truncation's stddev factor (s = 1 / 2), as OpenFold;
//   glorot_uniform: U(±sqrt(6 / (fan_in + fan_out)));
//   normal: N(0, 1/fan_in); zeros / ones; softplus_inverse_one: log(e - 1).
import { Rng } from '../../features/rng.ts';
import type { ParamSpec } from './param_tree.ts';

// stddev of a standard normal truncated to [-2, 2]
const TRUNC_STD = 0.87962566103423978;

function normal(rng: Rng): number {
  // Box-Muller on two uniforms in (0, 1]
  const u = 1 - rng.float();
  const v = rng.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function truncatedNormal(rng: Rng): number {
  for (;;) {
    const x = normal(rng);
    if (x >= -2 && x <= 2) return x;
  }
}

export function initParams(specs: readonly ParamSpec[], seed: number): Map<string, Float64Array> {
  const root = Rng.fromSeed(seed);
  const out = new Map<string, Float64Array>();
  for (const s of specs) {
    const rng = root.derive(s.name);
    const n = s.shape.reduce((a, b) => a * b, 1);
    const v = new Float64Array(n);
    const fanIn = Math.max(s.fanIn, 1);
    const fanOut = s.shape[0] ?? 1;
    switch (s.init) {
      case 'lecun_normal':
      case 'he_normal': {
        const std = Math.sqrt((s.init === 'he_normal' ? 2 : 1) / fanIn) / TRUNC_STD;
        for (let i = 0; i < n; i++) v[i] = truncatedNormal(rng) * std;
        break;
      }
      case 'glorot_uniform': {
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        for (let i = 0; i < n; i++) v[i] = (2 * rng.float() - 1) * limit;
        break;
      }
      case 'normal': {
        const std = Math.sqrt(1 / fanIn);
        for (let i = 0; i < n; i++) v[i] = normal(rng) * std;
        break;
      }
      case 'zeros':
        break;
      case 'ones':
        v.fill(1);
        break;
      case 'softplus_inverse_one':
        v.fill(Math.log(Math.E - 1));
        break;
    }
    out.set(s.name, v);
  }
  return out;
}
