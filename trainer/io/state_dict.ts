// Model parameters <-> safetensors, by OpenFold state_dict name.
//
// Converting a PyTorch checkpoint is one step on the PyTorch side,
//   safetensors.torch.save_file(model.state_dict(), "weights.safetensors")
// (or `{k: v for k, v in ckpt["state_dict"].items()}` for a Lightning
// checkpoint, whose names carry a `model.` prefix), and then
// `stateDictFromSafetensors` here matches every tensor to the parameter tree
// of our config by name, checks shapes, and converts any float dtype
// (F64/F32/BF16/F16) to the precision asked for. Wrapper prefixes (`module.`
// from DistributedDataParallel, `model.` from OpenFold's Lightning wrapper)
// are stripped.
import type { ParamSpec } from '../model/param_tree.ts';
import { readSafetensors, writeSafetensors, type SafeTensor, type SafetensorsFile } from './safetensors.ts';

export type FloatArray = Float32Array | Float64Array;
export type ParamPrecision = 'float32' | 'float64';

/** bf16 bit patterns -> float32 (exact: bf16 is the top half of a float32). */
export function bf16ToFloat32(bits: Uint16Array): Float32Array {
  const words = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i]! << 16;
  return new Float32Array(words.buffer);
}

/** float -> bf16 bit patterns, rounding to nearest, ties to even; NaN stays NaN. */
export function float32ToBf16(values: ArrayLike<number>): Uint16Array {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i]!;
    const w = u[0]!;
    if ((w & 0x7f800000) === 0x7f800000 && (w & 0x007fffff) !== 0) {
      out[i] = (w >>> 16) | 0x0040; // quiet NaN
    } else {
      out[i] = (w + 0x7fff + ((w >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

/** IEEE half bit patterns -> float32. */
export function f16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** A float tensor's values in the precision asked for; throws on integer dtypes. */
export function floatValues(t: SafeTensor, precision: ParamPrecision, name: string): FloatArray {
  let values: Float32Array | Float64Array;
  switch (t.dtype) {
    case 'F64': values = t.data as Float64Array; break;
    case 'F32': values = t.data as Float32Array; break;
    case 'BF16': values = bf16ToFloat32(t.data as Uint16Array); break;
    case 'F16': values = f16ToFloat32(t.data as Uint16Array); break;
    default: throw new Error(`tensor '${name}' is ${t.dtype}, a parameter must be a float dtype`);
  }
  if (precision === 'float64') return values instanceof Float64Array ? values : Float64Array.from(values);
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

export interface LoadOptions {
  precision: ParamPrecision;
  /** Wrapper prefixes to strip (default `module.`, `model.`). */
  stripPrefixes?: readonly string[];
  /** Ignore tensors that are not parameters of the config (default: reject them). */
  allowExtra?: boolean;
}

function listSome(names: readonly string[]): string {
  return names.slice(0, 5).join(', ') + (names.length > 5 ? `, ... (${names.length} in all)` : '');
}

/**
 * The parameters of `specs`, by name, from a decoded safetensors file.
 * Throws when a parameter is missing, has another shape, or (unless
 * allowExtra) the file has tensors the config does not.
 */
export function stateDictFromSafetensors(
  file: SafetensorsFile,
  specs: readonly ParamSpec[],
  options: LoadOptions,
  source = 'safetensors',
): Map<string, FloatArray> {
  const prefixes = options.stripPrefixes ?? ['module.', 'model.'];
  const wanted = new Set(specs.map((s) => s.name));
  // Strip wrapper prefixes until the name is a parameter (or none is left).
  const resolve = (stored: string): string => {
    let name = stored;
    while (!wanted.has(name)) {
      const p = prefixes.find((q) => name.startsWith(q));
      if (p === undefined) break;
      name = name.slice(p.length);
    }
    return name;
  };
  const byName = new Map<string, { tensor: SafeTensor; stored: string }>();
  for (const [stored, tensor] of file.tensors) {
    const name = resolve(stored);
    if (byName.has(name)) throw new Error(`${source}: '${stored}' and '${byName.get(name)!.stored}' both name parameter '${name}'`);
    byName.set(name, { tensor, stored });
  }
  const missing = specs.filter((s) => !byName.has(s.name)).map((s) => s.name);
  if (missing.length > 0) throw new Error(`${source}: missing parameters: ${listSome(missing)}`);
  const extra = [...byName.keys()].filter((n) => !wanted.has(n));
  if (extra.length > 0 && !options.allowExtra) {
    throw new Error(`${source}: tensors that are not parameters of this config: ${listSome(extra)}. HINT: wrong --config preset, or pass allowExtra`);
  }
  const out = new Map<string, FloatArray>();
  for (const spec of specs) {
    const { tensor, stored } = byName.get(spec.name)!;
    if (tensor.shape.join(',') !== spec.shape.join(',')) {
      throw new Error(`${source}: '${stored}' has shape [${tensor.shape}], the config expects [${spec.shape}] for '${spec.name}'`);
    }
    out.set(spec.name, floatValues(tensor, options.precision, stored));
  }
  return out;
}

export async function loadParams(path: string, specs: readonly ParamSpec[], options: LoadOptions): Promise<Map<string, FloatArray>> {
  return stateDictFromSafetensors(await readSafetensors(path), specs, options, path);
}

export type StoredDType = 'F64' | 'F32' | 'BF16';

/** Saves parameters in state_dict order in the dtype asked for. */
export async function saveParams(
  path: string,
  specs: readonly ParamSpec[],
  values: ReadonlyMap<string, ArrayLike<number>>,
  dtype: StoredDType,
  metadata: Record<string, string> = {},
): Promise<void> {
  const entries: [string, SafeTensor][] = specs.map((spec) => {
    const v = values.get(spec.name);
    if (!v) throw new Error(`saveParams: no values for '${spec.name}'`);
    const data = dtype === 'F64' ? Float64Array.from(v) : dtype === 'F32' ? Float32Array.from(v) : float32ToBf16(v);
    return [spec.name, { dtype, shape: spec.shape, data }];
  });
  await writeSafetensors(path, entries, { format: 'pt', ...metadata });
}
