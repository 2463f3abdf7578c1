// Structure features of one chain of a parsed mmCIF: AlphaFold's
// `make_mmcif_features` (OpenFold openfold/data/data_pipeline.py): the sequence
// features of the chain's SEQRES (description `<file id>_<chain>`), atom37
// positions and mask, resolution, release date and is_distillation = 0.
import { FeatureError } from '../errors.ts';
import type { MmcifObject } from '../parsers/types.ts';
import { ATOM_TYPE_NUM } from '../residue_constants.ts';
import { numeric, strings, type FeatureDict } from '../tensor.ts';
import { availableChains, chainAtomCoords } from './atom_coords.ts';
import { makeSequenceFeatures } from './sequence_features.ts';

/** The chain's one-letter SEQRES sequence; a FeatureError naming `source` when absent. */
export function chainSequence(mmcif: MmcifObject, chainId: string, source: string): string {
  const sequence = mmcif.chainToSeqres.get(chainId);
  if (sequence === undefined) {
    const known = availableChains(mmcif);
    throw new FeatureError(
      { source, category: '_entity_poly_seq' },
      `chain '${chainId}' is not a protein chain of ${mmcif.fileId} (protein chains: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
  return sequence;
}

/**
 * Sequence features plus all_atom_positions [N_res, 37, 3] float32,
 * all_atom_mask [N_res, 37] float32, resolution [1] float32,
 * release_date [1], is_distillation [] float32.
 */
export function makeMmcifFeatures(mmcif: MmcifObject, chainId: string, source: string): FeatureDict {
  const sequence = chainSequence(mmcif, chainId, source);
  const coords = chainAtomCoords(mmcif, chainId, source);
  const numRes = sequence.length;
  return {
    ...makeSequenceFeatures(sequence, `${mmcif.fileId}_${chainId}`, source),
    all_atom_positions: numeric('float32', [numRes, ATOM_TYPE_NUM, 3], coords.positions),
    all_atom_mask: numeric('float32', [numRes, ATOM_TYPE_NUM], coords.mask),
    resolution: numeric('float32', [1], Float32Array.of(mmcif.header.resolution)),
    release_date: strings([1], [mmcif.header.releaseDate]),
    is_distillation: numeric('float32', [], Float32Array.of(0)),
  };
}
