// Template steps of OpenFold's nonensembled_transform_fns
// (openfold/data/data_transforms.py): fix_templates_aatype, make_template_mask.

import { MAP_HHBLITS_AATYPE_TO_OUR_AATYPE } from '../../residue_constants.ts';
import { numeric, type FeatureDict } from '../../tensor.ts';
import { argmaxLastAxis, getNumeric, int64Tensor } from '../tensor_access.ts';

/** fix_templates_aatype: one-hot HHblits-order template_aatype -> AlphaFold residue indices (int64). */
export function fixTemplatesAatype(d: FeatureDict): FeatureDict {
  const t = getNumeric(d, 'template_aatype');
  const width = t.shape[t.shape.length - 1]!;
  const rows = width === 0 ? 0 : t.data.length / width;
  const idx = argmaxLastAxis(t, rows, width);
  for (let i = 0; i < idx.length; i++) idx[i] = MAP_HHBLITS_AATYPE_TO_OUR_AATYPE[idx[i]!]!;
  return { ...d, template_aatype: int64Tensor(t.shape.slice(0, -1), idx) };
}

/** make_template_mask: ones over templates. */
export function makeTemplateMask(d: FeatureDict): FeatureDict {
  const n = getNumeric(d, 'template_aatype').shape[0]!;
  return { ...d, template_mask: numeric('float32', [n], new Float32Array(n).fill(1)) };
}
