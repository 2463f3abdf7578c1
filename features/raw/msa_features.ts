// MSA features from several parsed MSAs: AlphaFold's `make_msa_features`
// (alphafold/data/pipeline.py; OpenFold openfold/data/data_pipeline.py).
// Rows are concatenated in the order the MSAs are given and de-duplicated on
// the aligned string (insertions already removed by the parsers): the first
// occurrence wins, with its deletion row and its species identifier.
// msa holds HHblits alphabet indices (HHBLITS_AA_TO_ID), not AlphaFold's
// residue order; the non-ensembled transform `correct_msa_restypes` maps them.
import { FeatureError } from '../errors.ts';
import type { Msa } from '../parsers/types.ts';
import { HHBLITS_AA_TO_ID } from '../residue_constants.ts';
import { numeric, strings, type FeatureDict } from '../tensor.ts';

/** One MSA and the label (file path) its errors name. */
export interface SourcedMsa {
  msa: Msa;
  source: string;
}

/** Species identifier of an MSA row's description (msa_identifiers.get_identifiers). */
export type SpeciesIdentifierFn = (description: string) => string;

/** ASCII code -> HHblits index, -1 where the character is not in the alphabet. */
const HHBLITS_TABLE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (const [letter, id] of Object.entries(HHBLITS_AA_TO_ID)) table[letter.charCodeAt(0)] = id;
  return table;
})();

/** OpenFold's `make_dummy_msa_obj`: the query alone, description "dummy". */
export function dummyMsa(sequence: string): Msa {
  return { sequences: [sequence], deletionMatrix: [new Int32Array(sequence.length)], descriptions: ['dummy'] };
}

/**
 * msa [N_seq, N_res] int32, deletion_matrix_int [N_seq, N_res] int32,
 * num_alignments [N_res] int32 (N_seq repeated), msa_species_identifiers [N_seq].
 * N_res is the length of the first MSA's first row; every row must have it.
 */
export function makeMsaFeatures(msas: readonly SourcedMsa[], speciesIdentifier: SpeciesIdentifierFn): FeatureDict {
  if (msas.length === 0) throw new RangeError('makeMsaFeatures needs at least one MSA');
  const first = msas[0]!;
  if (first.msa.sequences.length === 0) {
    throw new FeatureError({ source: first.source }, 'the MSA contains no sequence');
  }
  const numRes = first.msa.sequences[0]!.length;
  const totalRows = msas.reduce((n, m) => n + m.msa.sequences.length, 0);
  const seen = new Set<string>();
  // [N_seq, N_res], sized for every row; trimmed to the kept rows below.
  const msaData = new Int32Array(totalRows * numRes);
  const deletionData = new Int32Array(totalRows * numRes);
  const species: string[] = [];
  let numSeq = 0;
  for (const { msa, source } of msas) {
    if (msa.sequences.length === 0) throw new FeatureError({ source }, 'the MSA contains no sequence');
    for (let row = 0; row < msa.sequences.length; row++) {
      const sequence = msa.sequences[row]!;
      if (seen.has(sequence)) continue;
      seen.add(sequence);
      const deletions = msa.deletionMatrix[row]!;
      if (sequence.length !== numRes || deletions.length !== numRes) {
        throw new FeatureError({ source }, `MSA row ${row + 1} has ${sequence.length} aligned columns, but the query has ${numRes}`);
      }
      const offset = numSeq * numRes;
      for (let i = 0; i < numRes; i++) {
        const code = sequence.charCodeAt(i);
        const id = code < 128 ? HHBLITS_TABLE[code]! : -1;
        if (id < 0) throw outsideAlphabet(source, row, i, sequence);
        msaData[offset + i] = id;
      }
      deletionData.set(deletions, offset);
      species.push(speciesIdentifier(msa.descriptions[row] ?? ''));
      numSeq += 1;
    }
  }
  return {
    deletion_matrix_int: numeric('int32', [numSeq, numRes], deletionData.slice(0, numSeq * numRes)),
    msa: numeric('int32', [numSeq, numRes], msaData.slice(0, numSeq * numRes)),
    num_alignments: numeric('int32', [numRes], new Int32Array(numRes).fill(numSeq)),
    msa_species_identifiers: strings([numSeq], species),
  };
}

function outsideAlphabet(source: string, row: number, column: number, sequence: string): FeatureError {
  return new FeatureError(
    { source },
    `MSA row ${row + 1} has the character ${JSON.stringify(sequence[column])} at column ${column + 1}, outside the HHblits alphabet`,
  );
}
