// Every file of the minitrain fixture parses (15 mmCIFs, every .a3m/.sto),
// each chain's MSA query equals its mmCIF chain's SEQRES, and the depths and
// sequences agree with the fixture's manifest (real-world quirks: ColabFold
// headers and trailing NUL, `>query`, ACE caps, NMR models, a DNA chain).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parseA3m } from '../../features/parsers/a3m.ts';
import { parseMmcif } from '../../features/parsers/mmcif.ts';
import { parseStockholm } from '../../features/parsers/stockholm.ts';
import type { MmcifObject } from '../../features/parsers/types.ts';

const ROOT = new URL('../fixtures/minitrain/', import.meta.url).pathname;

interface ManifestChain {
  chain: string;
  pdb: string;
  chain_id: string;
  length: number;
  sequence: string;
  msas: { file: string; depth: number; trailing_nul: boolean }[];
}

const manifest = JSON.parse(readFileSync(ROOT + 'manifest.json', 'utf8')) as { chains: ManifestChain[] };

describe('minitrain: every file parses and MSA queries equal the SEQRES', () => {
  const parsed = new Map<string, MmcifObject>();
  const structureOf = (pdb: string): MmcifObject => {
    let object = parsed.get(pdb);
    if (object === undefined) {
      object = parseMmcif(readFileSync(`${ROOT}mmcifs/${pdb}.cif`, 'utf8'), pdb, `${pdb}.cif`);
      parsed.set(pdb, object);
    }
    return object;
  };

  it('every mmCIF parses, with protein chains and a release date', () => {
    const files = readdirSync(ROOT + 'mmcifs').filter((f) => f.endsWith('.cif'));
    assert.equal(files.length, 15);
    for (const file of files) {
      const object = structureOf(file.replace(/\.cif$/, ''));
      assert.ok(object.chainToSeqres.size > 0, file);
      assert.match(object.header.releaseDate, /^\d{4}-\d{2}-\d{2}$/, file);
    }
  });

  it('the alignment folders are exactly the manifest chains', () => {
    assert.deepEqual(readdirSync(ROOT + 'alignments').sort(), manifest.chains.map((c) => c.chain).sort());
    assert.equal(manifest.chains.length, 19);
  });

  for (const chain of manifest.chains) {
    it(`${chain.chain}: SEQRES and every MSA query`, () => {
      const object = structureOf(chain.pdb);
      const seqres = object.chainToSeqres.get(chain.chain_id);
      assert.equal(seqres, chain.sequence);
      assert.equal(object.seqresToStructure.get(chain.chain_id)?.length, chain.length);
      const files = readdirSync(`${ROOT}alignments/${chain.chain}`).filter((f) => f.endsWith('.a3m') || f.endsWith('.sto'));
      assert.deepEqual(files.sort(), chain.msas.map((m) => m.file).sort());
      for (const msaFile of chain.msas) {
        const path = `${ROOT}alignments/${chain.chain}/${msaFile.file}`;
        const text = readFileSync(path, 'utf8');
        assert.equal(text.endsWith('\0'), msaFile.trailing_nul, path);
        const msa = msaFile.file.endsWith('.a3m') ? parseA3m(text, path) : parseStockholm(text, path);
        assert.equal(msa.sequences[0], seqres, path);
        assert.equal(msa.sequences.length, msaFile.depth, path);
        for (let r = 0; r < msa.sequences.length; r++) {
          assert.equal((msa.sequences[r] as string).length, chain.length);
          assert.equal((msa.deletionMatrix[r] as Int32Array).length, chain.length);
        }
      }
    });
  }

  it('2q2k: the DNA chain beside the protein is not a protein chain', () => {
    assert.deepEqual([...structureOf('2q2k').chainToSeqres.keys()], ['A', 'B']);
  });

  it('NMR entries (20 models) give one residue per SEQRES position from model 1', () => {
    for (const pdb of ['1psm', '2crb']) {
      const positions = structureOf(pdb).seqresToStructure.get('A') ?? [];
      assert.ok(positions.every((p) => !p.isMissing && p.residue !== null), pdb);
      for (const p of positions) {
        const names = (p.residue?.atoms ?? []).map((a) => a.name);
        assert.equal(new Set(names).size, names.length);
      }
    }
  });
});
