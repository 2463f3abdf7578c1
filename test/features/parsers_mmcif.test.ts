// mmCIF parser: header and SEQRES against OpenFold's (golden manifests), atoms
// against OpenFold's atom37 features (chain goldens and the template goldens of
// 3u8v_A and 4zey_A, which have alternate locations and MSE), tokenizer rules,
// Biopython's altloc choice, and typed errors on broken files.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FeatureError, ParseError } from '../../features/errors.ts';
import { parseMmcif } from '../../features/parsers/mmcif.ts';
import { readMmcifDict } from '../../features/parsers/mmcif_dict.ts';
import { SCOP_TABLE_SIZE, scopOneLetter } from '../../features/parsers/scop_letters.ts';
import type { MmcifObject, MmcifResidue } from '../../features/parsers/types.ts';
import { ATOM_TYPES } from '../../features/residue_constants.ts';
import { readNpy } from '../helpers/npy_read.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const cifText = (pdb: string): string => readFileSync(`${FIXTURES}openfold_test_data/mmcifs/${pdb}.cif`, 'utf8');

/** Atom37 name -> coordinates of a residue; NH1/NH2 keyed together (AlphaFold may swap them). */
function atom37(residue: MmcifResidue): Map<string, string> {
  const out = new Map<string, string>();
  for (const atom of residue.atoms) {
    if (!(ATOM_TYPES as readonly string[]).includes(atom.name)) continue;
    const key = atom.name === 'NH1' || atom.name === 'NH2' ? 'NH*' + coordKey(atom.x, atom.y, atom.z) : atom.name;
    out.set(key, coordKey(atom.x, atom.y, atom.z));
  }
  return out;
}

function coordKey(x: number, y: number, z: number): string {
  return [x, y, z].map((v) => Math.fround(v).toFixed(3)).join(',');
}

/** The same map from one residue row of a golden [.., 37, 3] / [.., 37] pair. */
function goldenAtom37(positions: Float32Array, mask: Float32Array, row: number): Map<string, string> {
  const out = new Map<string, string>();
  for (let a = 0; a < 37; a++) {
    if (mask[row * 37 + a] !== 1) continue;
    const p = (row * 37 + a) * 3;
    const key = coordKey(positions[p] as number, positions[p + 1] as number, positions[p + 2] as number);
    const name = ATOM_TYPES[a] as string;
    out.set(name === 'NH1' || name === 'NH2' ? 'NH*' + key : name, key);
  }
  return out;
}

describe('mmCIF goldens (OpenFold process_mmcif)', () => {
  for (const pdb of ['2q2k', '3zee', '4i6p']) {
    it(`${pdb}: header, SEQRES and chain A atoms`, () => {
      const dir = `${FIXTURES}golden/mmcif_${pdb}_A/`;
      const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8')) as {
        mmcif_header: { structure_method: string; release_date: string; resolution: number };
        seqres: string;
        mmcif_parse_errors: Record<string, unknown>;
      };
      assert.deepEqual(manifest.mmcif_parse_errors, {});
      const parsed = parseMmcif(cifText(pdb), pdb, `${pdb}.cif`);
      assert.equal(parsed.fileId, pdb);
      assert.deepEqual(parsed.header, {
        structureMethod: manifest.mmcif_header.structure_method,
        releaseDate: manifest.mmcif_header.release_date,
        resolution: manifest.mmcif_header.resolution,
      });
      assert.equal(parsed.chainToSeqres.get('A'), manifest.seqres);
      const positions = readNpy(dir + 'all_atom_positions.npy').data as Float32Array;
      const mask = readNpy(dir + 'all_atom_mask.npy').data as Float32Array;
      const structure = parsed.seqresToStructure.get('A');
      assert.ok(structure !== undefined);
      assert.equal(structure.length, manifest.seqres.length);
      structure.forEach((position, i) => {
        const golden = goldenAtom37(positions, mask, i);
        if (position.isMissing) {
          assert.equal(golden.size, 0, `residue ${i} is missing but has golden atoms`);
          assert.equal(position.residue, null);
        } else {
          assert.deepEqual(atom37(position.residue as MmcifResidue), golden, `residue ${i}`);
        }
      });
    });
  }

  it('CRLF line endings give the same object', () => {
    const text = cifText('4i6p');
    assert.deepEqual(parseMmcif(text.replace(/\n/g, '\r\n'), '4i6p', '4i6p.cif'), parseMmcif(text, '4i6p', '4i6p.cif'));
  });

  it('2q2k: 25 unresolved residues, DNA chains left out, author -> label chain ids', () => {
    const parsed = parseMmcif(cifText('2q2k'), '2q2k', '2q2k.cif');
    assert.deepEqual([...parsed.chainToSeqres.keys()], ['A', 'B']);
    assert.equal(parsed.seqresToStructure.get('A')?.filter((p) => p.isMissing).length, 25);
    // Label chain A is the DNA entity; the protein's label chains are B and C.
    assert.equal(parsed.authorToLabelChain.get('A'), 'B');
    assert.equal(parsed.authorToLabelChain.get('B'), 'C');
  });

  // The template goldens hold each template chain's atoms, realigned to the
  // query; every template residue there must be one of our residues, atom for
  // atom (3u8v_A and 4zey_A check the alternate location choice and MSE -> SD).
  const templates = JSON.parse(
    readFileSync(`${FIXTURES}golden/openfold_raw_short/variant_zero_center_false/template_domain_names.json`, 'utf8'),
  ) as { values: string[] };
  const templatePositions = readNpy(`${FIXTURES}golden/openfold_raw_short/variant_zero_center_false/template_all_atom_positions.npy`);
  const templateMask = readNpy(`${FIXTURES}golden/openfold_raw_short/variant_zero_center_false/template_all_atom_mask.npy`);
  for (const name of templates.values) {
    it(`template ${name}: every golden template residue is one of ours`, () => {
      const t = templates.values.indexOf(name);
      const [pdb, chain] = name.split('_') as [string, string];
      const parsed = parseMmcif(cifText(pdb), pdb, `${pdb}.cif`);
      const ours = (parsed.seqresToStructure.get(chain) ?? []).filter((p) => !p.isMissing).map((p) => atom37(p.residue as MmcifResidue));
      const byCa = new Map(ours.map((m) => [m.get('CA'), m]));
      const nRes = templateMask.shape[1] as number;
      let compared = 0;
      for (let r = 0; r < nRes; r++) {
        const golden = goldenAtom37(templatePositions.data as Float32Array, templateMask.data as Float32Array, t * nRes + r);
        if (golden.size === 0) continue;
        assert.deepEqual(byCa.get(golden.get('CA')), golden, `${name} query residue ${r}`);
        compared++;
      }
      assert.ok(compared >= 10, `${compared} residues compared`);
    });
  }
});

describe('non-standard residues and models', () => {
  it("SEQRES letters: Biopython 1.80's protein_letters_3to1_extended, unknown -> X", () => {
    assert.equal(SCOP_TABLE_SIZE, 1032);
    const cases: [string, string][] = [['ALA', 'A'], ['MSE', 'M'], ['SEP', 'S'], ['PCA', 'Q'], ['MA ', 'A'], ['UNK', 'X'], ['ACE', 'X'], ['DA', 'X'], ['HOH', 'X']];
    for (const [name, letter] of cases) assert.equal(scopOneLetter(name), letter, name);
  });

  it('MSE is read as MET with SE named SD; SEQRES gives M', () => {
    const parsed = parseMmcif(cifText('4zey'), '4zey', '4zey.cif');
    const positions = parsed.seqresToStructure.get('A') ?? [];
    const mse = positions.filter((p) => p.residue?.hetflag === 'H_MSE');
    assert.ok(mse.length > 0);
    for (const p of mse) {
      assert.equal(p.name, 'MET');
      assert.equal(p.residue?.name, 'MET');
      assert.ok(p.residue?.atoms.some((a) => a.name === 'SD'));
      assert.ok(!p.residue?.atoms.some((a) => a.name === 'SE'));
    }
    const seq = parsed.chainToSeqres.get('A') ?? '';
    for (const p of mse) assert.equal(seq[positions.indexOf(p)], 'M');
  });

  it('ACE cap is X in the SEQRES, as AlphaFold maps unknown names', () => {
    const text = readFileSync(`${FIXTURES}minitrain/mmcifs/4dmd.cif`, 'utf8');
    const parsed = parseMmcif(text, '4dmd', '4dmd.cif');
    assert.equal(parsed.chainToSeqres.get('A')?.[0], 'X');
    assert.equal(parsed.seqresToStructure.get('A')?.[0]?.name, 'ACE');
  });

  it('NMR entry: only the first model is read', () => {
    const parsed = parseMmcif(cifText('1psm'), '1psm', '1psm.cif');
    const first = parsed.seqresToStructure.get('A')?.[0]?.residue;
    assert.ok(first);
    // The first model's coordinates of the first residue's N atom.
    const text = cifText('1psm');
    const line = text.split('\n').find((l) => l.startsWith('ATOM ') && / N +/.test(l));
    assert.ok(line !== undefined);
    const n = first.atoms.find((a) => a.name === 'N');
    assert.ok(n && line.includes(n.x.toFixed(3)));
    assert.equal(new Set(first.atoms.map((a) => a.name)).size, first.atoms.length);
  });
});

/** A small mmCIF with one protein entity on label chain A / author chain Z. */
function tinyCif(atomRows: string[], extra = ''): string {
  return `data_TINY
#
_entry.id TINY
_exptl.method 'X-RAY DIFFRACTION'
_refine.ls_d_res_high ?
_reflns.d_resolution_high 2.50
loop_
_pdbx_audit_revision_history.ordinal
_pdbx_audit_revision_history.revision_date
1 2010-05-01
2 2009-01-31
loop_
_entity_poly_seq.entity_id
_entity_poly_seq.num
_entity_poly_seq.mon_id
1 1 GLY
1 2 SER
1 2 ALA
1 3 MSE
loop_
_chem_comp.id
_chem_comp.type
GLY 'peptide linking'
SER 'L-peptide linking'
ALA 'L-peptide linking'
MSE 'L-peptide linking'
HOH non-polymer
loop_
_struct_asym.id
_struct_asym.entity_id
A 1
W 2
${extra}loop_
_atom_site.group_PDB
_atom_site.id
_atom_site.type_symbol
_atom_site.label_atom_id
_atom_site.label_alt_id
_atom_site.label_comp_id
_atom_site.label_asym_id
_atom_site.label_seq_id
_atom_site.pdbx_PDB_ins_code
_atom_site.Cartn_x
_atom_site.Cartn_y
_atom_site.Cartn_z
_atom_site.occupancy
_atom_site.B_iso_or_equiv
_atom_site.auth_seq_id
_atom_site.auth_asym_id
_atom_site.pdbx_PDB_model_num
${atomRows.join('\n')}
#
`;
}

const ROWS = [
  'ATOM 1 N N . SER A 2 ? 1.0 2.0 3.0 1.00 10.0 12 Z 1',
  'ATOM 2 C CA A SER A 2 ? 1.1 2.0 3.0 0.40 10.0 12 Z 1',
  'ATOM 3 C CA B SER A 2 ? 1.2 2.0 3.0 0.60 10.0 12 Z 1',
  'ATOM 4 C CB A SER A 2 ? 1.3 2.0 3.0 0.50 10.0 12 Z 1',
  'ATOM 5 C CB B SER A 2 ? 1.4 2.0 3.0 0.50 10.0 12 Z 1',
  'HETATM 6 SE SE . MSE A 3 ? 5.0 5.0 5.0 1.00 10.0 13 Z 1',
  'HETATM 7 O O . HOH W . ? 9.0 9.0 9.0 1.00 10.0 101 Z 1',
  'ATOM 8 N N . SER A 2 ? 7.0 7.0 7.0 1.00 10.0 12 Z 2',
];

describe('AlphaFold/Biopython rules on a small file', () => {
  it('header fallbacks, first revision date, SEQRES with heterogeneity, missing residues', () => {
    const parsed: MmcifObject = parseMmcif(tinyCif(ROWS), 'tiny', 'tiny.cif');
    assert.deepEqual(parsed.header, { structureMethod: 'x-ray diffraction', releaseDate: '2009-01-31', resolution: 2.5 });
    assert.equal(parsed.chainToSeqres.get('Z'), 'GSM');
    assert.equal(parsed.authorToLabelChain.get('Z'), 'A');
    const positions = parsed.seqresToStructure.get('Z') ?? [];
    assert.deepEqual(positions.map((p) => [p.name, p.isMissing]), [['GLY', true], ['SER', false], ['MET', false]]);
  });

  it('alternate locations: the first atom with the highest occupancy', () => {
    const residue = parseMmcif(tinyCif(ROWS), 'tiny', 'tiny.cif').seqresToStructure.get('Z')?.[1]?.residue;
    assert.ok(residue);
    assert.equal(residue.residueNumber, 12);
    assert.equal(residue.hetflag, ' ');
    const x = Object.fromEntries(residue.atoms.map((a) => [a.name, a.x]));
    assert.deepEqual(x, { N: 1.0, CA: 1.2, CB: 1.3 }); // model 2 not read
  });

  it('an atom name twice without altloc: ParseError naming _atom_site', () => {
    const rows = [...ROWS.slice(0, 1), 'ATOM 9 N N . SER A 2 ? 1.0 2.0 3.0 1.00 10.0 12 Z 1', ...ROWS.slice(1)];
    assert.throws(() => parseMmcif(tinyCif(rows), 'tiny', 'tiny.cif'), (e: unknown) => e instanceof ParseError && e.category === '_atom_site');
  });

  it('no protein chains: FeatureError', () => {
    const text = tinyCif(ROWS).replace(/'peptide linking'|'L-peptide linking'/g, "'DNA linking'");
    assert.throws(() => parseMmcif(text, 'tiny', 'tiny.cif'), (e: unknown) => e instanceof FeatureError && e.source === 'tiny.cif');
  });
});

describe('tokenizer (Biopython MMCIF2Dict rules)', () => {
  const value = (text: string, name: string): string[] | undefined => readMmcifDict(text, 't.cif').column(name)?.values();

  it('quotes, comments, text fields, loops', () => {
    const text = [
      'data_X',
      "_a.q1 'it's here'",
      '_a.q2 "say \'hi\'"',
      '_a.q3 abc#def # a comment',
      '_a.text',
      ';line one',
      '  line two  ',
      ';',
      'loop_',
      '_b.x',
      '_b.y',
      "1 _notakey 2 'two words'",
      '_a.after 5',
    ].join('\n');
    assert.deepEqual(value(text, '_a.q1'), ["it's here"]);
    assert.deepEqual(value(text, '_a.q2'), ["say 'hi'"]);
    assert.deepEqual(value(text, '_a.q3'), ['abc#def']);
    assert.deepEqual(value(text, '_a.text'), ['line one\n  line two']);
    assert.deepEqual(value(text, '_b.x'), ['1', '2']);
    assert.deepEqual(value(text, '_b.y'), ['_notakey', 'two words']);
    assert.deepEqual(value(text, '_a.after'), ['5']);
  });

  it('integers as Python int() reads them', () => {
    const column = readMmcifDict('data_X\nloop_\n_n.v\n12 -3 +4 007 5_0 . ? 1.0 9999999999999999\n', 'n.cif').column('_n.v');
    assert.ok(column !== null);
    const ints = Array.from({ length: column.length }, (_, r) => column.intAt(r));
    assert.deepEqual(ints, [12, -3, 4, 7, 50, null, null, null, 9999999999999999]);
  });

  it('unterminated quoted string: ParseError at its line', () => {
    assert.throws(() => readMmcifDict("data_X\n_a.b 'open\n_a.c 1\n", 'q.cif'), (e: unknown) => e instanceof ParseError && e.line === 2 && e.source === 'q.cif');
  });

  it('unterminated semicolon text field: ParseError at its opening line', () => {
    assert.throws(() => readMmcifDict('data_X\n_a.b\n;text\nmore\n', 's.cif'), (e: unknown) => e instanceof ParseError && e.line === 3);
  });

  it('closing ";" followed by text without whitespace: ParseError', () => {
    assert.throws(() => readMmcifDict('data_X\n_a.b\n;text\n;x\n', 's.cif'), (e: unknown) => e instanceof ParseError && e.line === 4);
  });

  it('a file that does not start with data_, or is empty: ParseError', () => {
    assert.throws(() => readMmcifDict('_a.b 1\n', 'n.cif'), ParseError);
    assert.throws(() => readMmcifDict('', 'n.cif'), ParseError);
  });
});

describe('truncated mmCIF', () => {
  const text = cifText('3zee');
  it('cut inside _atom_site: ParseError naming the category', () => {
    const rows = text.indexOf('_atom_site.pdbx_PDB_model_num');
    const middle = rows + Math.floor((text.indexOf('\n#', rows) - rows) / 2);
    for (const cut of [middle, text.indexOf(' ', middle) + 1]) {
      assert.throws(() => parseMmcif(text.slice(0, cut), '3zee', '3zee.cif'), (e: unknown) => e instanceof ParseError && e.category === '_atom_site');
    }
  });

  it('cut before _atom_site: ParseError naming the missing item', () => {
    const cut = text.slice(0, text.indexOf('_atom_site.group_PDB'));
    assert.throws(() => parseMmcif(cut, '3zee', '3zee.cif'), (e: unknown) => e instanceof ParseError && e.category === '_atom_site');
  });

  it('cut inside a text field or a quoted string: ParseError with the line', () => {
    const field = text.indexOf('\n;') + 5;
    assert.throws(() => parseMmcif(text.slice(0, field), '3zee', '3zee.cif'), (e: unknown) => e instanceof ParseError && e.line !== undefined);
    const quote = text.indexOf(" '") + 4;
    assert.throws(() => parseMmcif(text.slice(0, quote), '3zee', '3zee.cif'), (e: unknown) => e instanceof ParseError && e.line !== undefined);
  });
});
