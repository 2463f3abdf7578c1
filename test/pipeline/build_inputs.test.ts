// Build inputs: chain names, --chains lists, cluster files, dates and the
// training filters, on minitrain's real chains.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverChains, readChainList, readClusterFile, splitChainName } from '../../pipeline/build/chain_inputs.ts';
import { addDays, isDate } from '../../pipeline/build/dates.ts';
import { DEFAULT_FILTERS, filterReason } from '../../pipeline/build/filters.ts';
import { ALIGNMENTS, MMCIFS, manifestChains, writeClusterFile } from './build_fixture_support.ts';

const dir = mkdtempSync(join(tmpdir(), 'build-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('chain names split at the first underscore', () => {
  assert.deepEqual(splitChainName('1abc_A'), { pdbId: '1abc', chainId: 'A' });
  assert.deepEqual(splitChainName('distill_12_AB'), { pdbId: 'distill', chainId: '12_AB' });
  assert.equal(splitChainName('1abc'), null);
  assert.equal(splitChainName('_A'), null);
  assert.equal(splitChainName('1abc_'), null);
});

test('the alignment folders define the chains; --chains restricts them and unknown names are reported', async () => {
  const all = await discoverChains({ mmcifDir: MMCIFS, alignmentDir: ALIGNMENTS });
  assert.deepEqual(all.chains.map((c) => c.chain), manifestChains().map((c) => c.chain).sort());
  assert.equal(all.chains.find((c) => c.chain === '2q2k_B')!.mmcifPath, join(MMCIFS, '2q2k.cif'));
  const some = await discoverChains({ mmcifDir: MMCIFS, alignmentDir: ALIGNMENTS, only: ['2q2k_B', '9zzz_A'] });
  assert.deepEqual(some.chains.map((c) => c.chain), ['2q2k_B']);
  assert.deepEqual(some.rejected.map((r) => r.chain), ['9zzz_A']);
});

test('--chains takes a comma list or a file of names', async () => {
  assert.deepEqual(await readChainList('1abc_A,2xyz_B'), ['1abc_A', '2xyz_B']);
  const file = join(dir, 'chains.txt');
  writeFileSync(file, '1abc_A\n2xyz_B 3def_C,\n\n');
  assert.deepEqual(await readChainList(file), ['1abc_A', '2xyz_B', '3def_C']);
});

test('cluster file: one cluster per line, names upper-cased, size = members on the line', async () => {
  const file = join(dir, 'clusters.txt');
  writeClusterFile(file);
  const sizes = await readClusterFile(file);
  assert.equal(sizes.get('2Q2K_A'), 2);
  assert.equal(sizes.get('102M_A'), 4);
  assert.equal(sizes.get('1PSM_A'), 1);
  assert.equal(sizes.get('5KC1_A'), undefined);
});

test('dates: validation and the MLPerf 60-day offset', () => {
  assert.ok(isDate('2008-02-29'));
  assert.ok(!isDate('2007-02-29'));
  assert.ok(!isDate('2020-13-01'));
  assert.ok(!isDate('20-01-01'));
  assert.equal(addDays('2008-02-05', -60), '2007-12-07');
  assert.equal(addDays('2000-03-01', -1), '2000-02-29');
});

test('filters on real chains: resolution, single residue type, release date bounds', () => {
  const chain = (name: string) => manifestChains().find((c) => c.chain === name)!;
  const psm = { sequence: chain('1psm_A').sequence, resolution: 0, releaseDate: '1995-02-07' };
  assert.equal(filterReason(psm, DEFAULT_FILTERS), null); // 0 Å (NMR) passes, largest residue share 0.32
  assert.equal(filterReason(psm, { ...DEFAULT_FILTERS, maxSingleResidueFraction: 0.3 }), 'single_residue_type');
  const zee = { sequence: chain('3zee_A').sequence, resolution: 6.1, releaseDate: '2013-10-16' };
  assert.equal(filterReason(zee, DEFAULT_FILTERS), null);
  assert.equal(filterReason(zee, { ...DEFAULT_FILTERS, maxResolution: 6 }), 'resolution');
  assert.equal(filterReason(zee, { ...DEFAULT_FILTERS, maxReleaseDate: '2013-10-15' }), 'release_date');
  assert.equal(filterReason(zee, { ...DEFAULT_FILTERS, minReleaseDate: '2013-10-17' }), 'release_date');
  assert.equal(filterReason(zee, { ...DEFAULT_FILTERS, minReleaseDate: '2013-10-16', maxReleaseDate: '2013-10-16' }), null);
  assert.equal(filterReason({ sequence: 'AAAAAAAAAG', resolution: 2, releaseDate: '2000-01-01' }, DEFAULT_FILTERS), 'single_residue_type');
});
