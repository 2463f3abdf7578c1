// Checks of one dataset row against the feature table: shapes for the
// chain's sizes, dtypes, NaN/Inf, value ranges, sequence <-> aatype <-> MSA
// query, coordinates where the mask says an atom is, template release dates
// against the cutoff (leakage), and the content hash.
import { RESTYPE_ORDER, UNKNOWN_RESTYPE } from '../../features/residue_constants.ts';
import type { FeatureDict, NumericTensor } from '../../features/tensor.ts';
import type { PlainValue } from '../arrow/column_types.ts';
import { contentHash } from '../dataset/content_hash.ts';
import { expectedShape, SHARD_FEATURES, type FeatureEntry } from '../dataset/feature_table.ts';
import type { Defect, DefectKind } from './defects.ts';

/** Coordinates beyond this (Å) are not a real structure (mmCIF/PDB files hold |x| < 1e4). */
const MAX_COORDINATE = 1e4;

class RowReport {
  readonly defects: Defect[] = [];
  constructor(
    private readonly shard: string,
    private readonly chain: string,
  ) {}
  add(kind: DefectKind, message: string): void {
    this.defects.push({ kind, shard: this.shard, chain: this.chain, message });
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkValues(name: string, t: NumericTensor, entry: FeatureEntry, report: RowReport): void {
  const rule = entry.rule;
  if (t.dtype === 'int64') {
    if (rule.kind !== 'int_range') return;
    const data = t.data as BigInt64Array;
    const min = BigInt(rule.min);
    const max = BigInt(rule.max);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < min || v > max) {
        report.add('value_out_of_range', `${name}[${i}] = ${v}, outside [${rule.min}, ${rule.max}]`);
        return;
      }
    }
    return;
  }
  const data = t.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      report.add('non_finite', `${name}[${i}] = ${v}`);
      return;
    }
    if (rule.kind === 'binary' && v !== 0 && v !== 1) {
      report.add('value_out_of_range', `${name}[${i}] = ${v}, a mask must be 0 or 1`);
      return;
    }
  }
}

function numericFeature(features: FeatureDict, name: string): NumericTensor | null {
  const f = features[name];
  return f !== undefined && f.kind === 'numeric' ? f : null;
}

function checkSequence(features: FeatureDict, sequence: string, report: RowReport): void {
  const aatype = numericFeature(features, 'aatype');
  const seqLength = numericFeature(features, 'seq_length');
  if (seqLength !== null && seqLength.data.length === 1 && Number(seqLength.data[0]) !== sequence.length) {
    report.add('sequence_mismatch', `seq_length ${seqLength.data[0]} but the sequence has ${sequence.length} residues`);
  }
  if (aatype === null || aatype.data.length !== sequence.length) return;
  for (let i = 0; i < sequence.length; i++) {
    const want = RESTYPE_ORDER.get(sequence[i]!) ?? UNKNOWN_RESTYPE;
    if (Number(aatype.data[i]) !== want) {
      report.add('sequence_mismatch', `aatype[${i}] = ${aatype.data[i]} but residue ${i} of the sequence is '${sequence[i]}' (${want})`);
      return;
    }
  }
  const msa = numericFeature(features, 'msa');
  if (msa === null || msa.shape.length !== 2 || msa.shape[1] !== sequence.length) return;
  if (msa.shape[0] === 0) {
    report.add('msa_query_mismatch', 'the MSA has no rows');
    return;
  }
  for (let i = 0; i < sequence.length; i++) {
    if (msa.data[i] !== aatype.data[i]) {
      report.add('msa_query_mismatch', `msa[0, ${i}] = ${msa.data[i]} but aatype[${i}] = ${aatype.data[i]}`);
      return;
    }
  }
}

function checkCoordinates(features: FeatureDict, report: RowReport): void {
  const positions = numericFeature(features, 'all_atom_positions');
  const mask = numericFeature(features, 'all_atom_mask');
  if (positions === null || mask === null || positions.data.length !== mask.data.length * 3) return;
  const p = positions.data as Float32Array;
  const m = mask.data as Float32Array;
  for (let a = 0; a < m.length; a++) {
    if (m[a] !== 1) continue;
    const x = p[3 * a]!;
    const y = p[3 * a + 1]!;
    const z = p[3 * a + 2]!;
    if (x === 0 && y === 0 && z === 0) {
      report.add('coordinates_missing', `atom ${a % 37} of residue ${Math.floor(a / 37)} is marked present but sits at (0, 0, 0)`);
      return;
    }
    if (Math.abs(x) > MAX_COORDINATE || Math.abs(y) > MAX_COORDINATE || Math.abs(z) > MAX_COORDINATE) {
      report.add('coordinates_implausible', `atom ${a % 37} of residue ${Math.floor(a / 37)} at (${x}, ${y}, ${z})`);
      return;
    }
  }
}

function checkTemplates(features: FeatureDict, columns: Record<string, PlainValue>, report: RowReport): void {
  const cutoff = columns.template_cutoff;
  const dates = columns.template_release_dates;
  const count = numericFeature(features, 'template_aatype')?.shape[0] ?? 0;
  if (typeof cutoff !== 'string' || !Array.isArray(dates)) {
    if (count > 0) report.add('template_leakage', `${count} templates but no template cutoff or release dates to check them against`);
    return;
  }
  if (dates.length !== count) {
    report.add('template_leakage', `${count} templates but ${dates.length} template release dates`);
    return;
  }
  dates.forEach((date, i) => {
    if (!(date <= cutoff)) report.add('template_leakage', `template ${i} released ${date}, after the cutoff ${cutoff}`);
  });
}

/** All defects of one row. */
export function checkRow(features: FeatureDict, columns: Record<string, PlainValue>, shard: string): Defect[] {
  const chain = typeof columns.chain_id === 'string' ? columns.chain_id : '';
  const report = new RowReport(shard, chain);
  const sequence = typeof columns.sequence === 'string' ? columns.sequence : '';
  const sizes = {
    N_res: sequence.length,
    N_seq: numericFeature(features, 'msa')?.shape[0] ?? 0,
    N_templ: numericFeature(features, 'template_aatype')?.shape[0] ?? 0,
  };
  for (const [name, entry] of Object.entries(SHARD_FEATURES)) {
    const t = features[name];
    if (t === undefined) continue; // a schema defect, reported once per shard
    if (t.kind !== 'numeric' || t.dtype !== entry.dtype) continue;
    const want = expectedShape(entry.dims, sizes);
    if (!sameShape(t.shape, want)) {
      report.add('shape_mismatch', `${name} has shape [${t.shape.join(', ')}], expected [${want.join(', ')}]`);
      continue;
    }
    checkValues(name, t, entry, report);
  }
  checkSequence(features, sequence, report);
  checkCoordinates(features, report);
  checkTemplates(features, columns, report);
  const stored = columns.content_hash;
  const recomputed = contentHash(features, columns);
  if (stored !== recomputed) report.add('hash_mismatch', `content hash ${String(stored)} stored, ${recomputed} recomputed`);
  return report.defects;
}
