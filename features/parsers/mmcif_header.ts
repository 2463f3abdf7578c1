// The header AlphaFold/OpenFold keep from an mmCIF (`mmcif_parsing._get_header`):
// - structure_method: every `_exptl.method`, lower case, joined by ',';
// - release_date: the earliest `_pdbx_audit_revision_history.revision_date`;
// - resolution: the first of `_refine.ls_d_res_high`,
//   `_em_3d_reconstruction.resolution`, `_reflns.d_resolution_high` whose first
//   value is a number (Python float()), else 0.
//
// DISCREPANCY: without any revision date AlphaFold leaves release_date unset
// (and OpenFold's feature code then fails); we give ''.

import { ParseError } from '../errors.ts';
import type { MmcifDict } from './mmcif_dict.ts';
import { pyFloat } from './py_numbers.ts';
import type { MmcifHeader } from './types.ts';

const RESOLUTION_ITEMS = ['_refine.ls_d_res_high', '_em_3d_reconstruction.resolution', '_reflns.d_resolution_high'];

export function readMmcifHeader(dict: MmcifDict): MmcifHeader {
  const experiments = dict.categoryRows('_exptl.');
  const methods = experiments.map((row) => {
    const method = row['_exptl.method'];
    if (method === undefined) {
      throw new ParseError({ source: dict.source, category: '_exptl' }, 'the _exptl category has no method item');
    }
    return method.toLowerCase();
  });

  let releaseDate = '';
  const revisions = dict.column('_pdbx_audit_revision_history.revision_date');
  if (revisions !== null) {
    if (revisions.length === 0) {
      throw new ParseError({ source: dict.source, category: '_pdbx_audit_revision_history' }, 'no revision date values');
    }
    releaseDate = revisions.value(0);
    for (let r = 1; r < revisions.length; r++) {
      const date = revisions.value(r);
      if (date < releaseDate) releaseDate = date;
    }
  }

  let resolution = 0;
  for (const name of RESOLUTION_ITEMS) {
    const column = dict.column(name);
    if (column === null) continue;
    if (column.length === 0) {
      throw new ParseError({ source: dict.source, category: name.slice(0, name.indexOf('.')) }, `${name} has no value`);
    }
    const value = pyFloat(column.value(0));
    if (value !== null) {
      resolution = value;
      break;
    }
  }
  return { structureMethod: methods.join(','), releaseDate, resolution };
}
