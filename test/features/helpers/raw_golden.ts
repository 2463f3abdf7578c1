// Compares a raw feature dict with a golden directory (test/fixtures/golden):
// every golden key present, same shape, integers equal, floats within
// 1e-5 abs + 1e-5 rel, same dtype except template_aatype (float32 in
// AlphaFold and in OpenFold's empty templates, int64 in OpenFold's filled
// ones; we write int64 always: its values are compared, not its dtype).
import { numeric, type Feature, type FeatureDict, type NumericTensor } from '../../../features/tensor.ts';
import { compareTensor } from './compare_features.ts';

export const RAW_TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

/** AlphaFold's older key -> OpenFold's. */
const KEY_RENAMES: Record<string, string> = { template_all_atom_masks: 'template_all_atom_mask' };

function asFloat64(t: NumericTensor): NumericTensor {
  return numeric('float64', [...t.shape], Float64Array.from(t.data as ArrayLike<number | bigint>, Number));
}

/** Problems found comparing `ours` with `golden` (empty when they match). */
export function compareWithGolden(ours: FeatureDict, golden: FeatureDict): string[] {
  const problems: string[] = [];
  for (const [goldenKey, expected] of Object.entries(golden)) {
    const key = KEY_RENAMES[goldenKey] ?? goldenKey;
    const actual: Feature | undefined = ours[key];
    if (key === 'template_aatype' && actual?.kind === 'numeric' && expected.kind === 'numeric') {
      problems.push(...compareTensor(key, asFloat64(actual), asFloat64(expected), { atol: 0, rtol: 0 }));
    } else {
      problems.push(...compareTensor(key, actual, expected, RAW_TOLERANCE));
    }
  }
  return problems;
}

/** The template entries `keep` (indices along the leading dimension) of a golden's template arrays. */
export function selectTemplates(golden: FeatureDict, keep: readonly number[]): FeatureDict {
  const out: FeatureDict = { ...golden };
  for (const [key, t] of Object.entries(golden)) {
    if (!key.startsWith('template_')) continue;
    const stride = t.shape.slice(1).reduce((a, b) => a * b, 1);
    const shape = [keep.length, ...t.shape.slice(1)];
    if (t.kind === 'string') {
      out[key] = { kind: 'string', shape, values: keep.map((i) => t.values[i]!) };
    } else {
      const source = t.data;
      const data = new (source.constructor as new (n: number) => typeof source)(keep.length * stride);
      keep.forEach((i, j) => (data as { set(a: ArrayLike<unknown>, o: number): void }).set(source.subarray(i * stride, (i + 1) * stride) as ArrayLike<unknown>, j * stride));
      out[key] = { kind: 'numeric', dtype: t.dtype, shape, data } as NumericTensor;
    }
  }
  return out;
}
