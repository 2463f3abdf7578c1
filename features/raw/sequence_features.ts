// Sequence features of one chain: AlphaFold's `make_sequence_features`
// (alphafold/data/pipeline.py; OpenFold openfold/data/data_pipeline.py).
// aatype is the one-hot of `sequence_to_onehot(..., restype_order_with_x,
// map_unknown_to_x=True)`: any upper-case letter outside the 20 standard
// residues becomes X; any other character is an error.
import { FeatureError } from '../errors.ts';
import { RESTYPES_WITH_X, restypeIndexWithX } from '../residue_constants.ts';
import { numeric, strings, type FeatureDict } from '../tensor.ts';

/** Index in RESTYPES_WITH_X of each residue; throws on a character that is not A-Z. */
export function sequenceToRestypeIndices(sequence: string, source: string): Uint8Array {
  const indices = new Uint8Array(sequence.length);
  for (let i = 0; i < sequence.length; i++) {
    const code = sequence.charCodeAt(i);
    if (code < 65 || code > 90) {
      throw new FeatureError(
        { source },
        `invalid residue character ${JSON.stringify(sequence[i])} at position ${i + 1} of the sequence ` +
          '(AlphaFold accepts upper-case letters only; non-standard letters become X)',
      );
    }
    indices[i] = restypeIndexWithX(sequence[i]!);
  }
  return indices;
}

/**
 * aatype [N_res, 21] int32 one-hot, between_segment_residues [N_res],
 * domain_name [1], residue_index [N_res], seq_length [N_res], sequence [1].
 */
export function makeSequenceFeatures(sequence: string, description: string, source: string): FeatureDict {
  const numRes = sequence.length;
  if (numRes === 0) throw new FeatureError({ source }, 'the query sequence is empty');
  const indices = sequenceToRestypeIndices(sequence, source);
  const classes = RESTYPES_WITH_X.length; // 21
  // [N_res, 21]
  const aatype = new Int32Array(numRes * classes);
  for (let i = 0; i < numRes; i++) aatype[i * classes + indices[i]!] = 1;
  const residueIndex = new Int32Array(numRes);
  for (let i = 0; i < numRes; i++) residueIndex[i] = i;
  return {
    aatype: numeric('int32', [numRes, classes], aatype),
    between_segment_residues: numeric('int32', [numRes], new Int32Array(numRes)),
    domain_name: strings([1], [description]),
    residue_index: numeric('int32', [numRes], residueIndex),
    seq_length: numeric('int32', [numRes], new Int32Array(numRes).fill(numRes)),
    sequence: strings([1], [sequence]),
  };
}
