// The defects `scalefold validate` reports. Each kind is a stable name (tools
// may match on it); the README lists them.

export const DEFECT_KINDS = {
  index_unreadable: 'index.parquet is missing or cannot be read',
  shard_unreadable: 'a shard is truncated or corrupt (no valid Arrow IPC file, or a row that does not decode)',
  schema_version: "a shard's schema version is missing or not the one this reader understands",
  schema_mismatch: 'a shard lacks a feature or column of the feature table, has an unknown one, or one of another dtype or rank',
  shape_mismatch: "a feature's shape disagrees with the feature table for the chain's length, MSA depth and template count",
  non_finite: 'a float feature holds NaN or infinity',
  value_out_of_range: 'a token, index or binary mask holds a value outside its range',
  sequence_mismatch: "aatype or seq_length disagree with the row's sequence",
  msa_query_mismatch: 'the first MSA row is not the query sequence',
  coordinates_missing: 'an atom the mask marks present has no coordinates (all zero)',
  coordinates_implausible: 'an atom the mask marks present lies implausibly far out (|x| > 1e4 Å)',
  template_leakage: "a template was released after the row's template cutoff",
  hash_mismatch: "a row's content hash differs from its recomputed hash or from the index",
  duplicate_chain: 'a chain id appears more than once (in the index or across shard rows)',
  index_dangling: 'an index row points at a shard or row that does not exist',
  index_missing_row: 'a shard row has no index row',
  index_mismatch: "an index row's fields disagree with the shard row it points at",
} as const;

export type DefectKind = keyof typeof DEFECT_KINDS;

export interface Defect {
  kind: DefectKind;
  /** Shard file name (or '' when the defect is not in a shard). */
  shard: string;
  /** Chain id (or '' when not about one chain). */
  chain: string;
  message: string;
}
