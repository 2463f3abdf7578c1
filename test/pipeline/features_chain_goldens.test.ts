// computeChainFeatures (the I/O half of process_fasta / process_mmcif) against
// every raw-feature golden: AlphaFold's short.fasta features (its seven
// templates that have an mmCIF here), OpenFold's with zero-centred and
// uncentred templates, and OpenFold's single mmCIF chains; plus template
// realignment through the real kalign binary and minitrain's 1ubq_A, whose
// ColabFold A3M files end in a NUL byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeChainFeatures, type ChainFeaturesRequest } from '../../pipeline/chain_features.ts';
import { readNpyDir } from '../../pipeline/npy_dir.ts';
import type { NumericTensor } from '../../features/tensor.ts';
import { compareWithGolden, selectTemplates } from '../features/helpers/raw_golden.ts';

const DATA = 'test/fixtures/openfold_test_data';
const GOLDEN = 'test/fixtures/golden';
const SHORT = { kind: 'fasta', path: `${DATA}/short.fasta` } as const;
const templates = (zeroCenter: boolean) => ({ mmcifDir: `${DATA}/mmcifs`, maxTemplateDate: '2021-10-10', zeroCenter });
const mmcifChain = (pdb: string) => ({ kind: 'mmcif', path: `${DATA}/mmcifs/${pdb}.cif`, chainId: 'A' }) as const;

async function assertMatchesGolden(request: ChainFeaturesRequest, golden: string, keepTemplates?: number[]) {
  const result = await computeChainFeatures(request);
  let expected = await readNpyDir(`${GOLDEN}/${golden}`);
  if (keepTemplates !== undefined) expected = selectTemplates(expected, keepTemplates);
  assert.deepEqual(compareWithGolden(result.features, expected), []);
  return result;
}

test("AlphaFold's raw features of short.fasta: MSA in AlphaFold's order, the 7 templates with an mmCIF", async () => {
  const result = await assertMatchesGolden(
    { input: SHORT, alignmentDir: `${DATA}/alignments`, msaOrder: 'af2', templates: templates(false) },
    'af2_raw_short',
    // 3u8v_A, (1hf9_B: no mmCIF), 2crb_A, 4zey_A, 1psm_A, 3zee_A, 4i6p_A, 2q2k_A
    [0, 2, 3, 4, 5, 6, 7],
  );
  assert.deepEqual(result.info.msaFiles, ['uniref90_hits.sto', 'bfd_uniclust_hits.a3m', 'mgnify_hits.sto']);
  // The hit without an mmCIF and the two OpenFold rejects are reported, not fatal.
  assert.equal(result.warnings.length, 3);
  assert.match(result.warnings[0]!, /^1hf9_B .*missing_mmcif.*1hf9\.cif/);
  assert.match(result.warnings[1]!, /^5kc1_F .*all zeros/);
  assert.match(result.warnings[2]!, /^5kc1_J .*all zeros/);
});

test("OpenFold's process_fasta features: sorted MSA files, zero-centred templates, exactly", async () => {
  await assertMatchesGolden(
    { input: SHORT, alignmentDir: `${DATA}/alignments`, msaOrder: 'sorted', templates: templates(true) },
    'openfold_raw_short',
  );
});

test("OpenFold's templates without zero-centring (AlphaFold's default)", async () => {
  await assertMatchesGolden(
    { input: SHORT, alignmentDir: `${DATA}/alignments`, msaOrder: 'sorted', templates: templates(false) },
    'openfold_raw_short/variant_zero_center_false',
  );
});

test("OpenFold's process_mmcif features of single chains with no alignments: dummy MSA, empty templates", async () => {
  for (const pdb of ['3zee', '4i6p', '2q2k']) {
    const result = await assertMatchesGolden({ input: mmcifChain(pdb), templates: templates(false) }, `mmcif_${pdb}_A`);
    assert.deepEqual(result.features.template_all_atom_positions!.shape[0], 0);
  }
});

test("OpenFold's process_mmcif with 2q2k_A's alignments: uniprot_hits.sto left out, 20 rows", async () => {
  const result = await assertMatchesGolden(
    { input: mmcifChain('2q2k'), alignmentDir: `${DATA}/alignments/2q2k_A`, msaOrder: 'sorted' },
    'mmcif_2q2k_A_with_msa',
  );
  assert.deepEqual(result.info.msaFiles, ['bfd_uniclust_hits.a3m', 'mgnify_hits.sto', 'uniref90_hits.sto']);
});

test('a hit whose sequence differs from its mmCIF is realigned with kalign to the same template', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scalefold-realign-'));
  try {
    const hhr = await readFile(`${DATA}/alignments/pdb70_hits.hhr`, 'utf8');
    // One substitution (I -> W) in the 3U8V_A hit: no longer a substring of its SEQRES.
    const original = 'T 3U8V_A           50 THVGHGIKHLEDAIKHGEEGHVGVATKHAQEA   81 (93)';
    assert.ok(hhr.includes(original));
    await writeFile(join(dir, 'pdb70_hits.hhr'), hhr.replace(original, original.replace('LEDAIKH', 'LEDAWKH')));
    const result = await computeChainFeatures({ input: SHORT, alignmentDir: dir, templates: templates(false) });
    const golden = await readNpyDir(`${GOLDEN}/openfold_raw_short/variant_zero_center_false`);
    assert.deepEqual(compareWithGolden(result.features, golden), []);
    assert.ok(result.warnings.some((w) => /^3u8v_A .*realigning/.test(w)));
    // No MSA files in the folder: the query alone.
    assert.deepEqual(result.features.msa!.shape, [1, 73]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("minitrain's 1ubq_A (ColabFold A3M files ending in a NUL byte) gives features; the MSA query is the chain", async () => {
  const result = await computeChainFeatures({
    input: { kind: 'mmcif', path: 'test/fixtures/minitrain/mmcifs/1ubq.cif', chainId: 'A' },
    alignmentDir: 'test/fixtures/minitrain/alignments/1ubq_A',
  });
  const msa = result.features.msa!;
  assert.equal(msa.shape[1], 76);
  assert.ok(msa.shape[0]! > 10000);
  assert.deepEqual(result.info.msaFiles, ['bfd.mgnify30.metaeuk30.smag30.a3m', 'uniref.a3m']);
  // Row 0 is the query: HHblits ids of the SEQRES.
  const hhblits = 'ACDEFGHIKLMNPQRSTVWYX-';
  assert.equal(msa.kind, 'numeric');
  const row0 = Array.from((msa as NumericTensor<'int32'>).data.subarray(0, 76), (id) => hhblits[id]).join('');
  assert.equal(row0, result.info.sequence);
});

test("an MSA whose first row is not the query is used but reported; one of another width is an error naming it", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scalefold-msa-query-'));
  try {
    const query = 'MAAHKGAEHHHKAAEHHEQAAKHHHAAAEHHEKGEHEQAAHHADTAYAHHKHAEEHAAQAAKHDAEHHAPKPH';
    await writeFile(join(dir, 'other.a3m'), `>other\n${'G' + query.slice(1)}\n>hit\n${query}\n`);
    const result = await computeChainFeatures({ input: SHORT, alignmentDir: dir });
    assert.deepEqual(result.features.msa!.shape, [2, 73]);
    assert.deepEqual(result.warnings.length, 1);
    assert.match(result.warnings[0]!, /other\.a3m: the MSA's first row differs from the query/);
    await writeFile(join(dir, 'other.a3m'), `>short\n${query.slice(1)}\n`);
    await assert.rejects(computeChainFeatures({ input: SHORT, alignmentDir: dir }), /other\.a3m: the MSA has 72 columns but the query has 73/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
