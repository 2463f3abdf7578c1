// Sequence and MSA steps of OpenFold's nonensembled_transform_fns
// (openfold/data/data_transforms.py): cast_to_64bit_ints, correct_msa_restypes,
// squeeze_features, make_seq_mask, make_msa_mask, make_hhblits_profile.
// AlphaFold2 supplementary 1.2.9 (MSA features).

import { MAP_HHBLITS_AATYPE_TO_OUR_AATYPE } from '../../residue_constants.ts';
import { numeric, type FeatureDict, type NumericTensor } from '../../tensor.ts';
import { argmaxLastAxis, getNumeric, int64Tensor, intValues } from '../tensor_access.ts';

/** cast_to_64bit_ints: every int32 feature becomes int64. */
export function castTo64BitInts(d: FeatureDict): FeatureDict {
  const out: FeatureDict = { ...d };
  for (const [k, v] of Object.entries(d)) {
    if (v.kind === 'numeric' && v.dtype === 'int32') out[k] = int64Tensor(v.shape, v.data as Int32Array);
  }
  return out;
}

/** correct_msa_restypes: HHblits letter order -> AlphaFold residue order in `msa`. */
export function correctMsaRestypes(d: FeatureDict): FeatureDict {
  const msa = getNumeric(d, 'msa');
  const values = intValues(msa);
  const mapped = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) mapped[i] = MAP_HHBLITS_AATYPE_TO_OUR_AATYPE[values[i]!]!;
  // DISCREPANCY: OpenFold would also permute any '*profile*' key, with a call
  // that cannot run in torch; no raw feature set here carries one.
  return { ...d, msa: int64Tensor(msa.shape, mapped) };
}

const SQUEEZE_KEYS = [
  'domain_name', 'msa', 'num_alignments', 'seq_length', 'sequence', 'superfamily', 'deletion_matrix',
  'resolution', 'between_segment_residues', 'residue_index', 'template_all_atom_mask',
];

function withoutLastUnitDim<T extends { shape: number[] }>(t: T): T {
  return { ...t, shape: t.shape.slice(0, -1) };
}

/** squeeze_features: one-hot aatype -> indices; drop a trailing unit dim; per-residue counts -> scalars. */
export function squeezeFeatures(d: FeatureDict): FeatureDict {
  const out: FeatureDict = { ...d };
  const aatype = getNumeric(d, 'aatype');
  const width = aatype.shape[aatype.shape.length - 1]!;
  const rows = aatype.data.length / width;
  out['aatype'] = int64Tensor(aatype.shape.slice(0, -1), argmaxLastAxis(aatype, rows, width));
  for (const k of SQUEEZE_KEYS) {
    const v = out[k];
    if (v !== undefined && v.shape.length > 0 && v.shape[v.shape.length - 1] === 1) out[k] = withoutLastUnitDim(v);
  }
  for (const k of ['seq_length', 'num_alignments']) {
    const v = out[k];
    if (v !== undefined && v.kind === 'numeric') out[k] = firstElement(v);
  }
  return out;
}

function firstElement(t: NumericTensor): NumericTensor {
  const stride = t.data.length / t.shape[0]!;
  const data = t.data.slice(0, stride) as typeof t.data;
  return numeric(t.dtype, t.shape.slice(1), data);
}

/** make_seq_mask: ones over residues. */
export function makeSeqMask(d: FeatureDict): FeatureDict {
  const aatype = getNumeric(d, 'aatype');
  return { ...d, seq_mask: numeric('float32', [...aatype.shape], new Float32Array(aatype.data.length).fill(1)) };
}

/** make_msa_mask: ones over MSA entries and rows (zeros arrive later with padding). */
export function makeMsaMask(d: FeatureDict): FeatureDict {
  const msa = getNumeric(d, 'msa');
  return {
    ...d,
    msa_mask: numeric('float32', [...msa.shape], new Float32Array(msa.data.length).fill(1)),
    msa_row_mask: numeric('float32', [msa.shape[0]!], new Float32Array(msa.shape[0]!).fill(1)),
  };
}

/** make_hhblits_profile: per-residue frequency of the 22 MSA classes over all rows (kept if present). */
export function makeHhblitsProfile(d: FeatureDict): FeatureDict {
  if (d['hhblits_profile'] !== undefined) return d;
  const msa = getNumeric(d, 'msa');
  const [numSeq, numRes] = msa.shape as [number, number];
  const values = intValues(msa);
  const counts = new Float64Array(numRes * 22);
  for (let s = 0; s < numSeq; s++) {
    for (let r = 0; r < numRes; r++) counts[r * 22 + values[s * numRes + r]!]! += 1;
  }
  const profile = new Float32Array(numRes * 22);
  for (let i = 0; i < profile.length; i++) profile[i] = counts[i]! / numSeq;
  return { ...d, hhblits_profile: numeric('float32', [numRes, 22], profile) };
}
