// The pure half of AlphaFold's template step: hit names, obsolete ids, the
// prefilter, query->hit mappings, locating a hit in an mmCIF's SEQRES, the
// kalign realignment mapping and per-hit template extraction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseHhr } from '../../features/parsers/hhr.ts';
import type { MmcifObject, SeqresPosition, TemplateHit } from '../../features/parsers/types.ts';
import { assessHit, parseObsoleteList, pdbIdAndChain, prefilterHits } from '../../features/templates/hit_filters.ts';
import { buildQueryToHitMapping, findTemplateInMmcif, realignMapping } from '../../features/templates/hit_mapping.ts';
import { extractTemplate, stackTemplates } from '../../features/templates/template_features.ts';
import { TemplateSkip } from '../../features/templates/template_skip.ts';

const HHR = 'test/fixtures/openfold_test_data/alignments/pdb70_hits.hhr';
const QUERY = 'MAAHKGAEHHHKAAEHHEQAAKHHHAAAEHHEKGEHEQAAHHADTAYAHHKHAEEHAAQAAKHDAEHHAPKPH';

function hit(fields: Partial<TemplateHit>): TemplateHit {
  return { index: 1, name: '1ABC_A x', alignedCols: 20, sumProbs: 1, query: '', hitSequence: '', indicesQuery: [], indicesHit: [], ...fields };
}

function skipKind(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TemplateSkip) return e.kind;
    throw e;
  }
  return 'none';
}

test('hit names give a lower-case PDB id and the chain; other names are skipped', () => {
  assert.deepEqual(pdbIdAndChain(hit({ name: '3U8V_A Metal-binding protein' })), { pdbId: '3u8v', chainId: 'A' });
  assert.deepEqual(pdbIdAndChain(hit({ name: '7abc_AA1 x' })), { pdbId: '7abc', chainId: 'AA1' });
  assert.equal(skipKind(() => pdbIdAndChain(hit({ name: 'sp|P12345|X' }))), 'bad_hit_name');
});

test("obsolete.dat: entries with a replacement, followed to the last one", () => {
  const text = [
    'LIST OF OBSOLETE COORDINATE ENTRIES AND SUCCESSORS',
    'OBSLTE    31-JUL-94 116L     216L',
    'OBSLTE    02-FEB-99 216L     316L',
    'OBSLTE    30-SEP-06 1ABC',
  ].join('\n');
  assert.deepEqual([...parseObsoleteList(text)], [['116l', '316l'], ['216l', '316l']]);
});

test('the prefilter drops late, poorly aligned, duplicate and short hits', () => {
  const options = { maxTemplateDate: '2020-01-01', releaseDates: new Map([['1ABC', '2021-05-05']]) };
  const good = hit({ name: '2XYZ_A', alignedCols: 20, hitSequence: 'MKVLAAGIVGLLL' });
  assert.doesNotThrow(() => assessHit(good, '2xyz', QUERY, options));
  assert.match(String(assertSkip(() => assessHit(good, '1abc', QUERY, options))), /date/);
  // 7/73 = 0.096 <= 0.1
  assert.match(String(assertSkip(() => assessHit({ ...good, alignedCols: 7 }, '2xyz', QUERY, options))), /align ratio/);
  const duplicate = { ...good, hitSequence: QUERY.slice(0, 70) };
  assert.match(String(assertSkip(() => assessHit(duplicate, '2xyz', QUERY, options))), /subsequence/);
  assert.match(String(assertSkip(() => assessHit({ ...good, hitSequence: 'MKV-LAAG' }, '2xyz', QUERY, options))), /too short/);
});

function assertSkip(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TemplateSkip);
    assert.equal(e.kind, 'prefilter');
    return e.message;
  }
  assert.fail('expected a prefilter rejection');
}

test("the fixture's HHR hits pass the prefilter and sort by sum_probs as AlphaFold's do", () => {
  const hits = parseHhr(readFileSync(HHR, 'utf8'), HHR);
  const { accepted, rejected } = prefilterHits(QUERY, hits, { maxTemplateDate: '2021-10-10' });
  assert.equal(rejected.length, 0);
  // AlphaFold's golden template order, plus 5kc1_F and 5kc1_J (dropped later for empty masks).
  assert.deepEqual(
    accepted.map((h) => pdbIdAndChain(h)).map((p) => `${p.pdbId}_${p.chainId}`),
    ['3u8v_A', '1hf9_B', '2crb_A', '4zey_A', '1psm_A', '3zee_A', '5kc1_F', '5kc1_J', '4i6p_A', '2q2k_A'],
  );
  const sums = accepted.map((h) => h.sumProbs!);
  assert.deepEqual(sums, [...sums].sort((a, b) => b - a));
});

test('query->hit mapping: offsets of the hit in the query, gaps skipped', () => {
  // Query residues 3..7 ("KVLAA" of "MAKVLAAG") aligned to hit residues 10..14 with a gap column.
  const h = hit({ query: 'KVL-AA', hitSequence: 'RVLDA-', indicesQuery: [2, 3, 4, -1, 5, 6], indicesHit: [10, 11, 12, 13, 14, -1] });
  assert.deepEqual([...buildQueryToHitMapping(h, 'MAKVLAAG')], [[2, 0], [3, 1], [4, 2], [5, 4]]);
  assert.equal(buildQueryToHitMapping(hit({}), 'MAKV').size, 0);
});

function mmcifOf(chains: Record<string, string>): MmcifObject {
  return {
    fileId: '1abc',
    header: { structureMethod: 'x-ray diffraction', releaseDate: '2000-01-01', resolution: 2 },
    chainToSeqres: new Map(Object.entries(chains)),
    seqresToStructure: new Map(),
    authorToLabelChain: new Map(),
  };
}

test("a hit is located in its own chain, else any chain, else with X as a wildcard", () => {
  const mmcif = mmcifOf({ A: 'GGGMKVLAAG', B: 'MKVLAAGWWW', C: 'PPXKVLXQ' });
  assert.deepEqual(findTemplateInMmcif(mmcif, 'A', 'KVLAA'), { seqres: 'GGGMKVLAAG', chainId: 'A', offset: 4 });
  assert.deepEqual(findTemplateInMmcif(mmcif, 'A', 'LAAGW'), { seqres: 'MKVLAAGWWW', chainId: 'B', offset: 3 });
  assert.deepEqual(findTemplateInMmcif(mmcif, 'A', 'MKVLPQ'), { seqres: 'PPXKVLXQ', chainId: 'C', offset: 2 });
  assert.equal(findTemplateInMmcif(mmcif, 'A', 'WYWYW'), null);
});

test('realignment maps the query through the hit onto the mmCIF sequence, requiring 90% identity', () => {
  const old = 'MKVLAAGIVGL';
  const target = 'SSMKVLAAGIVGLTT';
  const mapping = new Map([[0, 0], [1, 1], [5, 5], [9, 10]]);
  const result = realignMapping(old, target, '--MKVLAAGIVGL--', target, mapping);
  assert.equal(result.templateSequence, target);
  assert.deepEqual([...result.mapping], [[0, 2], [1, 3], [5, 7], [9, 12]]);
  assert.equal(
    skipKind(() => realignMapping(old, 'MKWWWWGIVGL', 'MKVLAAGIVGL', 'MKWWWWGIVGL', mapping)),
    'realign',
  );
});

function residueWithBackbone(name: string, x: number): SeqresPosition {
  const atoms = ['N', 'CA', 'C', 'O', 'CB'].map((atom, k) => ({ name: atom, element: atom[0]!, x: x + k * 0.1, y: 0, z: 0, occupancy: 1, bFactor: 0 }));
  return { name, isMissing: false, residue: { name, residueNumber: 1, insertionCode: ' ', hetflag: ' ', atoms } };
}

test('template extraction places atoms at the mapped query residues and rejects near-empty templates', () => {
  const mmcif = mmcifOf({ A: 'MKVA' });
  mmcif.seqresToStructure.set('A', [
    residueWithBackbone('MET', 0),
    { name: 'LYS', isMissing: true, residue: null },
    residueWithBackbone('VAL', 3.8),
    residueWithBackbone('ALA', 7.6),
  ]);
  const base = { mmcif, pdbId: '1abc', chainId: 'A', templateSequence: 'KVA', offset: 1, query: 'GKVAG', sumProbs: 3.5, zeroCenter: false };
  const t = extractTemplate({ ...base, mapping: new Map([[1, 0], [2, 1], [3, 2]]) });
  assert.equal(t.sequence, '-KVA-');
  assert.equal(t.domainName, '1abc_A');
  // Query residue 2 holds SEQRES residue 2 (VAL): CA at x = 3.9.
  assert.ok(Math.abs(t.positions[(2 * 37 + 1) * 3]! - 3.9) < 1e-6);
  assert.equal(t.mask.subarray(37, 74).reduce((a, b) => a + b, 0), 0); // LYS unresolved
  const stacked = stackTemplates([t], 5);
  assert.deepEqual(stacked.template_aatype!.shape, [1, 5, 22]);
  assert.equal(stacked.template_aatype!.kind === 'numeric' ? stacked.template_aatype!.dtype : '', 'int64');
  // Only the unresolved LYS mapped: fewer than 5 atoms.
  assert.equal(skipKind(() => extractTemplate({ ...base, mapping: new Map([[1, 0]]) })), 'mask_all_zeros');
  // A chain that is not in the structure.
  assert.equal(skipKind(() => extractTemplate({ ...base, chainId: 'Z', mapping: new Map([[2, 1]]) })), 'no_atom_data');
});

test('zero-centring subtracts the mean of every resolved atom of the chain', () => {
  const mmcif = mmcifOf({ A: 'MV' });
  mmcif.seqresToStructure.set('A', [residueWithBackbone('MET', 0), residueWithBackbone('VAL', 3.8)]);
  const t = extractTemplate({
    mmcif, pdbId: '1abc', chainId: 'A', templateSequence: 'MV', offset: 0, query: 'MV', sumProbs: 1, zeroCenter: true,
    mapping: new Map([[0, 0], [1, 1]]),
  });
  let sum = 0;
  for (let a = 0; a < 74; a++) if (t.mask[a]) sum += t.positions[a * 3]!;
  assert.ok(Math.abs(sum) < 1e-5);
});
