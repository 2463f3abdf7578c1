// The first model of `_atom_site` as Biopython's MMCIFParser and
// StructureBuilder build it (the structure AlphaFold's get_atom_coords reads):
// chains by author chain id (`auth_asym_id`); residues keyed by (hetero flag,
// author residue number, insertion code), where the hetero flag is ' ' for
// ATOM, 'W' for HETATM water (HOH/WAT) and 'H_<name>' for other HETATM;
// atoms by `label_atom_id`. Alternate locations: atoms with an altloc form a
// disordered atom whose chosen member is the first one with the strictly
// highest occupancy (Biopython's DisorderedAtom). Two residue names at one
// residue id (point mutations, every atom with an altloc) form a disordered
// residue whose chosen member is the name seen last. The cases Biopython
// rejects (an atom name twice without altlocs, a hetero residue id twice,
// blank altlocs in a point mutation) are ParseErrors.
//
// DISCREPANCY: only the first model is built and checked; Biopython also
// reads (and may reject) the later models.

import { ParseError } from '../errors.ts';
import type { MmcifColumn, MmcifDict } from './mmcif_dict.ts';
import { parseDecimal, pyInt } from './py_numbers.ts';
import type { MmcifAtom, MmcifResidue } from './types.ts';

/** The `_atom_site` items the parser reads, all of one length. */
export interface AtomSiteTable {
  length: number;
  group: MmcifColumn;
  typeSymbol: MmcifColumn | null;
  atomName: MmcifColumn;
  altId: MmcifColumn;
  compId: MmcifColumn;
  labelAsym: MmcifColumn;
  labelSeq: MmcifColumn;
  insCode: MmcifColumn;
  x: MmcifColumn;
  y: MmcifColumn;
  z: MmcifColumn;
  occupancy: MmcifColumn;
  bFactor: MmcifColumn;
  authSeq: MmcifColumn;
  authAsym: MmcifColumn;
  model: MmcifColumn;
}

export function readAtomSiteTable(dict: MmcifDict): AtomSiteTable {
  const req = (item: string): MmcifColumn => dict.requireColumn('_atom_site.' + item);
  const table: AtomSiteTable = {
    length: 0,
    group: req('group_PDB'),
    typeSymbol: dict.column('_atom_site.type_symbol'),
    atomName: req('label_atom_id'),
    altId: req('label_alt_id'),
    compId: req('label_comp_id'),
    labelAsym: req('label_asym_id'),
    labelSeq: req('label_seq_id'),
    insCode: req('pdbx_PDB_ins_code'),
    x: req('Cartn_x'),
    y: req('Cartn_y'),
    z: req('Cartn_z'),
    occupancy: req('occupancy'),
    bFactor: req('B_iso_or_equiv'),
    authSeq: req('auth_seq_id'),
    authAsym: req('auth_asym_id'),
    model: req('pdbx_PDB_model_num'),
  };
  table.length = table.atomName.length;
  for (const column of Object.values(table)) {
    if (typeof column === 'object' && column !== null && column.length !== table.length) {
      throw new ParseError(
        { source: dict.source, category: '_atom_site' },
        'the _atom_site items have different numbers of values (truncated loop?)',
      );
    }
  }
  if (table.length === 0) throw new ParseError({ source: dict.source, category: '_atom_site' }, 'no atoms');
  return table;
}

interface BioAtom {
  name: string;
  element: string;
  x: number;
  y: number;
  z: number;
  occupancy: number;
  bFactor: number;
}

/** An atom name's entry: one atom, or a disordered atom with its choice. */
interface AtomSlot {
  chosen: BioAtom;
  disordered: boolean;
  lastOccupancy: number;
}

class BioResidue {
  readonly atoms = new Map<string, AtomSlot>();
  hasBlankAltloc = false;
  constructor(
    readonly name: string,
    readonly hetflag: string,
    readonly number: number,
    readonly insertionCode: string,
  ) {}
}

export interface ResidueEntry {
  chosen: BioResidue;
  /** Residue name -> member, for a disordered residue (point mutation). */
  members: Map<string, BioResidue> | null;
}

/** Author chain id -> residue key -> residue, of the first model. */
export type FirstModel = Map<string, Map<string, ResidueEntry>>;

export function residueKey(hetflag: string, number: number, insertionCode: string): string {
  return `${hetflag}|${number}|${insertionCode}`;
}

function isUnset(column: MmcifColumn, row: number): boolean {
  return column.equals(row, '.') || column.equals(row, '?');
}

function numberAt(column: MmcifColumn, row: number, what: string, source: string): number {
  const range = column.range(row);
  const value = range === null ? null : parseDecimal(column.text, range[0], range[1]);
  if (value === null) {
    throw new ParseError({ source, line: column.lineOf(row), category: '_atom_site' }, `invalid ${what} ${JSON.stringify(column.value(row))}`);
  }
  return value;
}

/** Builds the residues of the first model (the rows up to the first change of model number). */
export function buildFirstModel(table: AtomSiteTable, source: string): FirstModel {
  const chains: FirstModel = new Map();
  const firstModel = table.model.value(0);
  if (pyInt(firstModel) === null) {
    throw new ParseError({ source, line: table.model.lineOf(0), category: '_atom_site' }, 'invalid model number');
  }
  let chainId: string | null = null;
  let chain: Map<string, ResidueEntry> = new Map();
  let residueId: string | null = null;
  let residueName: string | null = null;
  let entry: ResidueEntry | null = null;
  const fail = (row: number, reason: string): never => {
    throw new ParseError({ source, line: table.atomName.lineOf(row), category: '_atom_site' }, reason);
  };
  for (let row = 0; row < table.length && table.model.equals(row, firstModel); row++) {
    const resname = table.compId.value(row);
    const authChain = table.authAsym.value(row);
    const altloc = isUnset(table.altId, row) ? ' ' : table.altId.value(row);
    const number = table.authSeq.intAt(row);
    if (number === null) fail(row, `author residue number ${JSON.stringify(table.authSeq.value(row))} is not an integer`);
    const icode = isUnset(table.insCode, row) ? ' ' : table.insCode.value(row);
    const name = table.atomName.value(row);
    const bFactor = numberAt(table.bFactor, row, 'B factor', source);
    const occupancy = numberAt(table.occupancy, row, 'occupancy', source);
    let hetflag = ' ';
    if (table.group.equals(row, 'HETATM')) hetflag = resname === 'HOH' || resname === 'WAT' ? 'W' : 'H_' + resname;
    const key = residueKey(hetflag, number as number, icode);

    if (chainId !== authChain) {
      chainId = authChain;
      const existing = chains.get(authChain);
      if (existing === undefined) {
        chain = new Map();
        chains.set(authChain, chain);
      } else {
        chain = existing;
      }
      residueId = null;
      residueName = null;
    }
    if (residueId !== key || residueName !== resname) {
      residueId = key;
      residueName = resname;
      entry = initResidue(chain, key, resname, hetflag, number as number, icode, () => fail(row, `blank altlocs in the point mutation ${resname} ${number}`));
      if (entry === null) fail(row, `residue ${resname} ${number}${icode.trim()} of chain ${authChain} defined twice`);
    }
    const atom: BioAtom = {
      name,
      element: table.typeSymbol === null ? '' : table.typeSymbol.value(row).toUpperCase(),
      x: numberAt(table.x, row, 'coordinate', source),
      y: numberAt(table.y, row, 'coordinate', source),
      z: numberAt(table.z, row, 'coordinate', source),
      occupancy,
      bFactor,
    };
    const target = entry as ResidueEntry;
    const residue = target.chosen;
    const slot = residue.atoms.get(name);
    if (altloc !== ' ') {
      if (slot === undefined) {
        residue.atoms.set(name, { chosen: atom, disordered: true, lastOccupancy: occupancy });
      } else if (slot.disordered) {
        if (occupancy > slot.lastOccupancy) {
          slot.chosen = atom;
          slot.lastOccupancy = occupancy;
        }
      } else {
        // A blank-altloc atom followed by one with an altloc: Biopython moves
        // both into a new disordered atom (new atom first) at the end.
        residue.atoms.delete(name);
        const chosen = slot.chosen.occupancy > occupancy ? slot.chosen : atom;
        residue.atoms.set(name, { chosen, disordered: true, lastOccupancy: Math.max(occupancy, slot.chosen.occupancy) });
      }
    } else {
      if (target.members !== null) fail(row, `blank altloc in the point mutation ${resname} ${number}`);
      if (slot !== undefined) fail(row, `atom ${name} defined twice in residue ${resname} ${number}${icode.trim()}`);
      residue.hasBlankAltloc = true;
      residue.atoms.set(name, { chosen: atom, disordered: false, lastOccupancy: occupancy });
    }
  }
  return chains;
}

/** StructureBuilder.init_residue; null where Biopython rejects the residue. */
function initResidue(
  chain: Map<string, ResidueEntry>,
  key: string,
  resname: string,
  hetflag: string,
  number: number,
  icode: string,
  blankAltlocs: () => never,
): ResidueEntry | null {
  const existing = chain.get(key);
  if (existing !== undefined) {
    if (hetflag !== ' ') return null;
    if (existing.members !== null) {
      let member = existing.members.get(resname);
      if (member === undefined) {
        member = new BioResidue(resname, hetflag, number, icode);
        existing.members.set(resname, member);
      }
      existing.chosen = member;
      return existing;
    }
    if (existing.chosen.name === resname) return existing;
    if (existing.chosen.hasBlankAltloc) blankAltlocs();
    const member = new BioResidue(resname, hetflag, number, icode);
    const disordered: ResidueEntry = {
      chosen: member,
      members: new Map([
        [existing.chosen.name, existing.chosen],
        [resname, member],
      ]),
    };
    chain.delete(key);
    chain.set(key, disordered);
    return disordered;
  }
  const created: ResidueEntry = { chosen: new BioResidue(resname, hetflag, number, icode), members: null };
  chain.set(key, created);
  return created;
}

/**
 * The residue as the feature code reads it: chosen atoms in Biopython's
 * order, MSE read as MET with its SE atom named SD (AlphaFold puts the
 * selenium in the sulphur's atom37 slot).
 */
export function toMmcifResidue(entry: ResidueEntry): MmcifResidue {
  const residue = entry.chosen;
  const isMse = residue.name === 'MSE';
  const atoms: MmcifAtom[] = [];
  for (const slot of residue.atoms.values()) {
    const a = slot.chosen;
    const name = isMse && a.name.toUpperCase() === 'SE' ? 'SD' : a.name;
    atoms.push({ name, element: a.element, x: a.x, y: a.y, z: a.z, occupancy: a.occupancy, bFactor: a.bFactor });
  }
  return {
    name: isMse ? 'MET' : residue.name,
    residueNumber: residue.number,
    insertionCode: residue.insertionCode,
    hetflag: residue.hetflag,
    atoms,
  };
}
