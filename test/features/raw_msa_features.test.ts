// Sequence and MSA raw features (make_sequence_features, make_msa_features)
// against AlphaFold's and OpenFold's goldens for short.fasta, plus the error
// cases: non-standard residues, empty MSAs, rows of the wrong width.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FeatureError } from '../../features/errors.ts';
import { parseA3m } from '../../features/parsers/a3m.ts';
import { parseFasta } from '../../features/parsers/fasta.ts';
import { speciesIdentifier } from '../../features/parsers/msa_identifiers.ts';
import { parseStockholm } from '../../features/parsers/stockholm.ts';
import { dummyMsa, makeMsaFeatures, type SourcedMsa } from '../../features/raw/msa_features.ts';
import { makeSequenceFeatures } from '../../features/raw/sequence_features.ts';
import { readNpyDir } from '../../pipeline/npy_dir.ts';
import { compareWithGolden } from './helpers/raw_golden.ts';

const DATA = 'test/fixtures/openfold_test_data';
const GOLDEN = 'test/fixtures/golden';

function msaFile(name: string): SourcedMsa {
  const path = `${DATA}/alignments/${name}`;
  const text = readFileSync(path, 'utf8');
  return { msa: name.endsWith('.a3m') ? parseA3m(text, path) : parseStockholm(text, path), source: path };
}

function shortQuery(): { sequence: string; description: string } {
  const records = parseFasta(readFileSync(`${DATA}/short.fasta`, 'utf8'), 'short.fasta');
  return { sequence: records.sequences[0]!, description: records.descriptions[0]! };
}

function withoutTemplates(dict: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(dict).filter(([k]) => !k.startsWith('template_')));
}

test("AlphaFold's MSA order (uniref90, bfd, mgnify) gives AlphaFold's raw MSA row for row", async () => {
  const { sequence, description } = shortQuery();
  const ours = {
    ...makeSequenceFeatures(sequence, description, 'short.fasta'),
    ...makeMsaFeatures(['uniref90_hits.sto', 'bfd_uniclust_hits.a3m', 'mgnify_hits.sto'].map(msaFile), speciesIdentifier),
  };
  const golden = withoutTemplates(await readNpyDir(`${GOLDEN}/af2_raw_short`)) as typeof ours;
  assert.deepEqual(compareWithGolden(ours, golden), []);
  assert.equal(ours.msa!.shape[0], 1136);
});

test("OpenFold's sorted file order gives OpenFold's raw MSA and species identifiers exactly", async () => {
  const { sequence, description } = shortQuery();
  const ours = {
    ...makeSequenceFeatures(sequence, description, 'short.fasta'),
    ...makeMsaFeatures(['bfd_uniclust_hits.a3m', 'mgnify_hits.sto', 'uniref90_hits.sto'].map(msaFile), speciesIdentifier),
  };
  const golden = withoutTemplates(await readNpyDir(`${GOLDEN}/openfold_raw_short`)) as typeof ours;
  assert.deepEqual(compareWithGolden(ours, golden), []);
});

test('rows are de-duplicated on the aligned string; the first occurrence keeps its deletions', () => {
  const a = { sequences: ['MKV', 'MK-', 'MKV'], deletionMatrix: [Int32Array.of(0, 0, 0), Int32Array.of(1, 0, 0), Int32Array.of(0, 0, 0)], descriptions: ['q', 'a', 'b'] };
  // Same aligned string as row 2 of `a` but different deletions: dropped.
  const b = { sequences: ['MK-', 'AKV'], deletionMatrix: [Int32Array.of(0, 5, 0), Int32Array.of(0, 0, 2)], descriptions: ['c', 'd'] };
  const f = makeMsaFeatures([{ msa: a, source: 'a.a3m' }, { msa: b, source: 'b.a3m' }], () => '');
  assert.deepEqual(f.msa!.shape, [3, 3]);
  // HHblits ids: M 10, K 8, V 17, - 21, A 0.
  assert.deepEqual([...(f.msa!.kind === 'numeric' ? f.msa!.data : [])], [10, 8, 17, 10, 8, 21, 0, 8, 17]);
  assert.deepEqual([...(f.deletion_matrix_int!.kind === 'numeric' ? f.deletion_matrix_int!.data : [])], [0, 0, 0, 1, 0, 0, 0, 0, 2]);
  assert.deepEqual([...(f.num_alignments!.kind === 'numeric' ? f.num_alignments!.data : [])], [3, 3, 3]);
});

test("with no alignments the MSA is OpenFold's dummy: the query alone, no species", () => {
  const f = makeMsaFeatures([{ msa: dummyMsa('MKVB'), source: 'dummy' }], speciesIdentifier);
  assert.deepEqual(f.msa!.shape, [1, 4]);
  assert.deepEqual(f.msa_species_identifiers, { kind: 'string', shape: [1], values: [''] });
});

test('non-standard residue letters become X in aatype; other characters are an error naming the file', () => {
  const f = makeSequenceFeatures('MBUZOX', 'odd', 'odd.fasta');
  const aatype = f.aatype!.kind === 'numeric' ? f.aatype!.data : new Int32Array();
  const argmax = [...Array(6).keys()].map((i) => [...aatype.subarray(i * 21, (i + 1) * 21)].indexOf(1));
  assert.deepEqual(argmax, [12, 20, 20, 20, 20, 20]);
  assert.throws(
    () => makeSequenceFeatures('MK*V', 'bad', 'bad.fasta'),
    (e: unknown) => e instanceof FeatureError && e.source === 'bad.fasta' && /position 3/.test(e.message),
  );
  assert.throws(() => makeSequenceFeatures('mkv', 'lower', 'lower.fasta'), FeatureError);
});

test('an empty MSA and a row of the wrong width are FeatureErrors naming the MSA file', () => {
  const empty = { sequences: [], deletionMatrix: [], descriptions: [] };
  assert.throws(
    () => makeMsaFeatures([{ msa: dummyMsa('MKV'), source: 'q' }, { msa: empty, source: 'empty.a3m' }], () => ''),
    (e: unknown) => e instanceof FeatureError && e.source === 'empty.a3m',
  );
  const wide = { sequences: ['MKV', 'MKVA'], deletionMatrix: [new Int32Array(3), new Int32Array(4)], descriptions: ['q', 'x'] };
  assert.throws(
    () => makeMsaFeatures([{ msa: wide, source: 'wide.sto' }], () => ''),
    (e: unknown) => e instanceof FeatureError && e.source === 'wide.sto' && /row 2/.test(e.message),
  );
  const odd = { sequences: ['MKV', 'M*V'], deletionMatrix: [new Int32Array(3), new Int32Array(3)], descriptions: ['q', 'x'] };
  assert.throws(() => makeMsaFeatures([{ msa: odd, source: 'odd.a3m' }], () => ''), /odd\.a3m.*HHblits alphabet/);
});
