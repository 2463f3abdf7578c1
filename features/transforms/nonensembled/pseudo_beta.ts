// make_pseudo_beta of OpenFold (openfold/data/data_transforms.py): the CB
// position, or CA for glycine, and its mask (AlphaFold2 supplementary 1.2.5,
// used by the template pair features and the distogram).

import { ATOM_ORDER, ATOM_TYPE_NUM, RESTYPE_ORDER } from '../../residue_constants.ts';
import { numeric, type FeatureDict } from '../../tensor.ts';
import { float32Values, getNumeric, intValues } from '../tensor_access.ts';

const GLY = RESTYPE_ORDER.get('G')!;
const CA = ATOM_ORDER.get('CA')!;
const CB = ATOM_ORDER.get('CB')!;

/** Pseudo-beta for `prefix` '' (the chain) or 'template_' (every template). */
export function makePseudoBeta(prefix: '' | 'template_') {
  return function makePseudoBetaStep(d: FeatureDict): FeatureDict {
    const aatype = intValues(getNumeric(d, prefix === '' ? 'aatype' : 'template_aatype'));
    const positionsT = getNumeric(d, prefix + 'all_atom_positions');
    const positions = float32Values(positionsT);
    const mask = float32Values(getNumeric(d, prefix === '' ? 'all_atom_mask' : 'template_all_atom_mask'));
    const n = aatype.length; // [*, N_res] flattened
    const beta = new Float32Array(n * 3);
    const betaMask = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const atom = aatype[i] === GLY ? CA : CB;
      const at = (i * ATOM_TYPE_NUM + atom) * 3;
      beta[i * 3] = positions[at]!;
      beta[i * 3 + 1] = positions[at + 1]!;
      beta[i * 3 + 2] = positions[at + 2]!;
      betaMask[i] = mask[i * ATOM_TYPE_NUM + atom]!;
    }
    const lead = positionsT.shape.slice(0, -2);
    return {
      ...d,
      [prefix + 'pseudo_beta']: numeric('float32', [...lead, 3], beta),
      [prefix + 'pseudo_beta_mask']: numeric('float32', [...lead], betaMask),
    };
  };
}
