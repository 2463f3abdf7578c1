// mmCIF -> MmcifObject, as AlphaFold/OpenFold's `mmcif_parsing.parse`:
// 1. data items through Biopython's tokenizer rules (mmcif_tokenizer.ts,
//    mmcif_dict.ts) and the first model's residues (mmcif_atoms.ts);
// 2. the header (mmcif_header.ts);
// 3. protein chains (`_get_protein_chains`): polymers of `_entity_poly_seq`
//    with at least one monomer whose `_chem_comp.type` contains "peptide",
//    their label chain ids from `_struct_asym`;
// 4. SEQRES -> structure: every `_atom_site` row of model "1" whose label chain
//    is a protein chain puts its residue at SEQRES index
//    label_seq_id - (smallest `_entity_poly_seq.num` of the chain); the other
//    indices are missing; everything keyed by the author chain id;
// 5. the SEQRES sequence in one-letter codes (scop_letters.ts, unknown -> X).
//
// DISCREPANCY: at a microheterogeneity position (two `_entity_poly_seq` rows
// with one num) we keep the first monomer; AlphaFold keeps both, making the
// SEQRES longer than the chain.
// DISCREPANCY: MSE is given as MET (residue and SEQRES names) with SE named
// SD, which is how AlphaFold's feature code reads it.
// A file without protein chains is a FeatureError (AlphaFold returns no
// object and an error); a protein chain without atoms in model "1" is a
// ParseError (AlphaFold fails on the whole file). A position resolved in model
// "1" whose residue is not in the first model (only possible when the first
// model is not "1") has `residue: null`.

import { FeatureError, ParseError } from '../errors.ts';
import { buildFirstModel, readAtomSiteTable, residueKey, toMmcifResidue } from './mmcif_atoms.ts';
import type { MmcifDict } from './mmcif_dict.ts';
import { readMmcifDict } from './mmcif_dict.ts';
import { readMmcifHeader } from './mmcif_header.ts';
import { pyInt } from './py_numbers.ts';
import { scopOneLetter } from './scop_letters.ts';
import type { MmcifObject, SeqresPosition } from './types.ts';

interface Monomer {
  id: string;
  num: number;
}

interface MappedResidue {
  name: string;
  number: number;
  insertionCode: string;
  hetflag: string;
}

export function parseMmcif(text: string, fileId: string, source: string): MmcifObject {
  const dict = readMmcifDict(text, source);
  const atomSite = readAtomSiteTable(dict);
  const firstModel = buildFirstModel(atomSite, source);
  const header = readMmcifHeader(dict);
  const proteinChains = readProteinChains(dict);
  if (proteinChains.size === 0) {
    throw new FeatureError({ source, category: '_entity_poly_seq' }, 'no protein chains found in this file');
  }
  const seqStart = new Map<string, number>();
  for (const [chain, monomers] of proteinChains) {
    let start = Infinity;
    for (const monomer of monomers) start = Math.min(start, monomer.num);
    seqStart.set(chain, start);
  }

  // Rows of model "1": label -> author chain ids, and SEQRES index -> residue.
  const labelToAuthor = new Map<string, string>();
  const mappings = new Map<string, Map<number, MappedResidue>>();
  for (let row = 0; row < atomSite.length; row++) {
    if (!atomSite.model.equals(row, '1')) continue;
    const labelChain = atomSite.labelAsym.value(row);
    const authorChain = atomSite.authAsym.value(row);
    labelToAuthor.set(labelChain, authorChain);
    const start = seqStart.get(labelChain);
    if (start === undefined) continue;
    const name = atomSite.compId.value(row);
    let hetflag = ' ';
    if (atomSite.group.equals(row, 'HETATM')) hetflag = name === 'HOH' || name === 'WAT' ? 'W' : 'H_' + name;
    const insertionCode = atomSite.insCode.equals(row, '.') || atomSite.insCode.equals(row, '?') ? ' ' : atomSite.insCode.value(row);
    const number = atomSite.authSeq.intAt(row);
    const labelSeq = atomSite.labelSeq.intAt(row);
    if (number === null || labelSeq === null) {
      throw new ParseError(
        { source, line: atomSite.labelSeq.lineOf(row), category: '_atom_site' },
        `residue ${name} of protein chain ${labelChain} has no integer label_seq_id/auth_seq_id`,
      );
    }
    let mapping = mappings.get(authorChain);
    if (mapping === undefined) {
      mapping = new Map();
      mappings.set(authorChain, mapping);
    }
    mapping.set(labelSeq - start, { name, number, insertionCode, hetflag });
  }

  const chainToSeqres = new Map<string, string>();
  const authorToLabelChain = new Map<string, string>();
  const missing = new Map<string, Map<number, string>>();
  for (const [labelChain, monomers] of proteinChains) {
    const authorChain = labelToAuthor.get(labelChain);
    if (authorChain === undefined) {
      throw new ParseError({ source, category: '_atom_site' }, `protein chain ${labelChain} has no atoms in model 1`);
    }
    authorToLabelChain.set(authorChain, labelChain);
    const mapping = mappings.get(authorChain) as Map<number, MappedResidue>;
    let missingHere = missing.get(authorChain);
    if (missingHere === undefined) {
      missingHere = new Map();
      missing.set(authorChain, missingHere);
    }
    for (let idx = 0; idx < monomers.length; idx++) {
      if (!mapping.has(idx) && !missingHere.has(idx)) missingHere.set(idx, (monomers[idx] as Monomer).id);
    }
    let sequence = '';
    for (const monomer of monomers) {
      const code = scopOneLetter(monomer.id);
      sequence += code.length === 1 ? code : 'X';
    }
    chainToSeqres.set(authorChain, sequence);
  }

  const seqresToStructure = new Map<string, SeqresPosition[]>();
  for (const [authorChain, sequence] of chainToSeqres) {
    const mapping = mappings.get(authorChain) as Map<number, MappedResidue>;
    const missingHere = missing.get(authorChain) as Map<number, string>;
    const residues = firstModel.get(authorChain);
    const positions: SeqresPosition[] = [];
    for (let idx = 0; idx < sequence.length; idx++) {
      const mapped = mapping.get(idx);
      if (mapped === undefined) {
        positions.push({ name: asMet(missingHere.get(idx) ?? 'UNK'), isMissing: true, residue: null });
        continue;
      }
      const entry = residues?.get(residueKey(mapped.hetflag, mapped.number, mapped.insertionCode));
      positions.push({ name: asMet(mapped.name), isMissing: false, residue: entry === undefined ? null : toMmcifResidue(entry) });
    }
    seqresToStructure.set(authorChain, positions);
  }
  return { fileId, header, chainToSeqres, seqresToStructure, authorToLabelChain };
}

function asMet(name: string): string {
  return name === 'MSE' ? 'MET' : name;
}

/** AlphaFold's `_get_protein_chains`: label chain id -> SEQRES monomers. */
function readProteinChains(dict: MmcifDict): Map<string, Monomer[]> {
  const source = dict.source;
  const polymers = new Map<string, Monomer[]>();
  const seen = new Map<string, Set<number>>();
  for (const row of dict.categoryRows('_entity_poly_seq.')) {
    const entity = row['_entity_poly_seq.entity_id'];
    const id = row['_entity_poly_seq.mon_id'];
    const numText = row['_entity_poly_seq.num'];
    if (entity === undefined || id === undefined || numText === undefined) {
      throw new ParseError({ source, category: '_entity_poly_seq' }, 'needs the entity_id, mon_id and num items');
    }
    const num = pyInt(numText);
    if (num === null) throw new ParseError({ source, category: '_entity_poly_seq' }, `num ${JSON.stringify(numText)} is not an integer`);
    let monomers = polymers.get(entity);
    let nums = seen.get(entity);
    if (monomers === undefined || nums === undefined) {
      monomers = [];
      nums = new Set();
      polymers.set(entity, monomers);
      seen.set(entity, nums);
    }
    if (nums.has(num)) continue; // microheterogeneity: first monomer kept
    nums.add(num);
    monomers.push({ id, num });
  }

  const chemCompTypes = new Map<string, string>();
  for (const row of dict.categoryRows('_chem_comp.')) {
    const id = row['_chem_comp.id'];
    if (id === undefined) throw new ParseError({ source, category: '_chem_comp' }, 'the _chem_comp category has no id item');
    const type = row['_chem_comp.type'];
    if (type !== undefined) chemCompTypes.set(id, type);
    else chemCompTypes.delete(id);
  }

  const entityChains = new Map<string, string[]>();
  for (const row of dict.categoryRows('_struct_asym.')) {
    const chain = row['_struct_asym.id'];
    const entity = row['_struct_asym.entity_id'];
    if (chain === undefined || entity === undefined) {
      throw new ParseError({ source, category: '_struct_asym' }, 'needs the id and entity_id items');
    }
    const chains = entityChains.get(entity);
    if (chains === undefined) entityChains.set(entity, [chain]);
    else chains.push(chain);
  }

  const valid = new Map<string, Monomer[]>();
  for (const [entity, monomers] of polymers) {
    let isPeptide = false;
    for (const monomer of monomers) {
      const type = chemCompTypes.get(monomer.id);
      if (type === undefined) {
        throw new ParseError({ source, category: '_chem_comp' }, `monomer ${monomer.id} of entity ${entity} has no _chem_comp type`);
      }
      if (type.includes('peptide')) isPeptide = true;
    }
    if (!isPeptide) continue;
    for (const chain of entityChains.get(entity) ?? []) valid.set(chain, monomers);
  }
  return valid;
}
