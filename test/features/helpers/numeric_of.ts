// The numeric tensor at `key` of a feature dict (a test failure if absent or a string array).
import assert from 'node:assert/strict';
import type { FeatureDict, NumericTensor } from '../../../features/tensor.ts';

export function num(dict: FeatureDict, key: string): NumericTensor {
  const t = dict[key];
  assert.ok(t !== undefined && t.kind === 'numeric', `'${key}' is a numeric feature`);
  return t;
}
