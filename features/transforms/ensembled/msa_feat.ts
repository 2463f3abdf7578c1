// make_msa_feat of OpenFold (openfold/data/data_transforms.py; AlphaFold2
// supplementary 1.2.9 Table 1): target_feat [N_res, 22] = (has_break,
// one-hot aatype 21) and msa_feat [N_clust, N_res, 49] = (one-hot MSA 23,
// has_deletion, deletion_value, cluster profile 23, cluster deletion mean
// value), with deletion values squashed by 2/pi * atan(d / 3).

const f = Math.fround;
const TWO_OVER_PI = f(2 / Math.PI);

/** 2/pi * atan(d / 3) in float32 steps. */
export function deletionValue(d: number): number {
  return f(f(Math.atan(f(d / 3))) * TWO_OVER_PI);
}

/** deletionValue for small integer counts, looked up. */
const DELETION_VALUE_TABLE: Readonly<Float32Array> = Float32Array.from({ length: 4096 }, (_, i) => deletionValue(i));

export function deletionValueFast(d: number): number {
  return d >= 0 && d < 4096 && d === (d | 0) ? DELETION_VALUE_TABLE[d]! : deletionValue(d);
}

/** min(max(d, 0), 1), the has_deletion feature. */
export function hasDeletion(d: number): number {
  return d <= 0 ? 0 : d >= 1 ? 1 : d;
}
