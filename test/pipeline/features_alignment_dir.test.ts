// Which files of a chain's alignment folder feed the features, and in which
// order: AlphaFold's uniref90, bfd, mgnify (then others by name) or OpenFold's
// sorted listing; uniprot_hits.* and hmm_output.* are not MSAs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAlignmentNames, listAlignmentDir, orderMsaNames } from '../../pipeline/alignment_dir.ts';
import { InputError } from '../../features/errors.ts';

const ALIGNMENTS = 'test/fixtures/openfold_test_data/alignments';

test("af2 order: uniref90, bfd, mgnify, then the others by name; sorted: by name", () => {
  const names = ['zeta.a3m', 'mgnify_hits.sto', 'bfd_uniclust_hits.a3m', 'uniref90_hits.sto', 'alpha.sto', 'small_bfd_hits.sto'];
  assert.deepEqual(orderMsaNames(names, 'af2'), [
    'uniref90_hits.sto', 'bfd_uniclust_hits.a3m', 'small_bfd_hits.sto', 'mgnify_hits.sto', 'alpha.sto', 'zeta.a3m',
  ]);
  assert.deepEqual(orderMsaNames(names, 'sorted'), [
    'alpha.sto', 'bfd_uniclust_hits.a3m', 'mgnify_hits.sto', 'small_bfd_hits.sto', 'uniref90_hits.sto', 'zeta.a3m',
  ]);
});

test('uniprot_hits.* and hmm_output.* are skipped; *.hhr are template hits; other files are ignored', () => {
  const c = classifyAlignmentNames(
    ['uniprot_hits.sto', 'uniprot_hits.a3m', 'hmm_output.sto', 'pdb70_hits.hhr', 'b.hhr', 'notes.txt', 'bfd.a3m', 'x.a3m.gz'],
    'sorted',
  );
  assert.deepEqual(c.msa, [{ name: 'bfd.a3m', format: 'a3m' }]);
  assert.deepEqual(c.hits, ['b.hhr', 'pdb70_hits.hhr']);
  assert.deepEqual(c.skipped.map((s) => s.name), ['uniprot_hits.sto', 'uniprot_hits.a3m', 'hmm_output.sto']);
});

test("the fixture folders list as the goldens' manifests record", async () => {
  const short = await listAlignmentDir(ALIGNMENTS, 'sorted');
  assert.deepEqual(short.msaFiles.map((f) => f.name), ['bfd_uniclust_hits.a3m', 'mgnify_hits.sto', 'uniref90_hits.sto']);
  assert.deepEqual(short.hitFiles.map((f) => f.name), ['pdb70_hits.hhr']);
  const af2 = await listAlignmentDir(ALIGNMENTS, 'af2');
  assert.deepEqual(af2.msaFiles.map((f) => f.name), ['uniref90_hits.sto', 'bfd_uniclust_hits.a3m', 'mgnify_hits.sto']);
  const chain = await listAlignmentDir(`${ALIGNMENTS}/2q2k_A`, 'sorted');
  assert.deepEqual(chain.msaFiles.map((f) => f.name), ['bfd_uniclust_hits.a3m', 'mgnify_hits.sto', 'uniref90_hits.sto']);
  assert.deepEqual(chain.skipped.map((s) => s.name), ['uniprot_hits.sto']);
});

test('a missing alignment folder is an InputError naming it', async () => {
  await assert.rejects(listAlignmentDir(`${ALIGNMENTS}/no_such_chain`, 'af2'), (e: unknown) => e instanceof InputError && e.source.endsWith('no_such_chain'));
});
