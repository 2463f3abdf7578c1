// Parser fuzz test: seeded random mutations of real fixture files (byte
// flips, truncation, line deletion/duplication/swap, inserted quotes,
// semicolons, NULs, '>' and '#'). Every parser must either return a
// well-formed result or throw one of our InputError subclasses, never any
// other exception; each parse is linear, so no mutant can hang.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InputError } from '../../features/errors.ts';
import { parseA3m } from '../../features/parsers/a3m.ts';
import { parseFasta } from '../../features/parsers/fasta.ts';
import { parseHhr } from '../../features/parsers/hhr.ts';
import { parseMmcif } from '../../features/parsers/mmcif.ts';
import { parseStockholm } from '../../features/parsers/stockholm.ts';
import type { Msa } from '../../features/parsers/types.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
// More mutants or another seed for a longer run: FUZZ_MUTANTS=20000 FUZZ_SEED=7.
// By default 1000 mutants per MSA/HHR/FASTA format and 300 of mmCIF (slower to parse).
const MUTANTS = process.env.FUZZ_MUTANTS === undefined ? null : Number(process.env.FUZZ_MUTANTS);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

/** mulberry32: a small seeded generator (tests only). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOISE = ['\'', '"', ';', '\0', '#', '_', '\n', ' ', '\t', '>', '-', '.', '?', 'a', 'Z', '9', '\r', 'loop_', '\u00e9'];

const FIELD_NOISE = ['A', 'B', '.', '?', '1', '2', '-1', '0.5', 'ATOM', 'HETATM', 'MSE', 'HOH', 'SE', 'CA', 'x', "'q'", '_x.y', 'loop_', ';'];

function mutate(text: string, random: () => number): { text: string; steps: string[] } {
  const steps: string[] = [];
  const count = 1 + Math.floor(random() * 3);
  for (let m = 0; m < count; m++) {
    const kind = Math.floor(random() * 8);
    const at = Math.floor(random() * (text.length + 1));
    const noise = NOISE[Math.floor(random() * NOISE.length)] as string;
    if (kind === 0) {
      text = text.slice(0, at) + noise + text.slice(at + 1);
      steps.push(`replace@${at}=${JSON.stringify(noise)}`);
    } else if (kind === 1) {
      text = text.slice(0, at);
      steps.push(`truncate@${at}`);
    } else if (kind === 2) {
      text = text.slice(0, at) + noise + text.slice(at);
      steps.push(`insert@${at}=${JSON.stringify(noise)}`);
    } else if (kind === 7) {
      // Replace one whitespace-separated field of a line (mmCIF columns:
      // altlocs, record types, residue names and numbers, model numbers).
      const lines = text.split('\n');
      const i = Math.floor(random() * lines.length);
      const fields = (lines[i] as string).split(' ');
      const k = Math.floor(random() * fields.length);
      const token = FIELD_NOISE[Math.floor(random() * FIELD_NOISE.length)] as string;
      fields[k] = token;
      lines[i] = fields.join(' ');
      text = lines.join('\n');
      steps.push(`field@${i}:${k}=${JSON.stringify(token)}`);
    } else {
      const lines = text.split('\n');
      const i = Math.floor(random() * lines.length);
      const j = Math.floor(random() * lines.length);
      if (kind === 3) lines.splice(i, 1);
      else if (kind === 4) lines.splice(i, 0, lines[i] as string);
      else if (kind === 5) [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
      else lines[i] = (lines[i] as string).slice(0, Math.floor(random() * ((lines[i] as string).length + 1)));
      text = lines.join('\n');
      steps.push(['delete', 'duplicate', 'swap', 'cut'][kind - 3] + `-line@${i}`);
    }
  }
  return { text, steps };
}

function checkMsa(msa: Msa): void {
  assert.ok(msa.sequences.length > 0);
  assert.equal(msa.deletionMatrix.length, msa.sequences.length);
  assert.equal(msa.descriptions.length, msa.sequences.length);
  const width = (msa.sequences[0] as string).length;
  for (let r = 0; r < msa.sequences.length; r++) {
    assert.equal((msa.sequences[r] as string).length, width);
    assert.equal((msa.deletionMatrix[r] as Int32Array).length, width);
  }
}

interface Target {
  name: string;
  mutants: number;
  files: string[];
  parse: (text: string, source: string) => void;
}

const TARGETS: Target[] = [
  {
    name: 'a3m',
    mutants: MUTANTS ?? 1000,
    files: ['openfold_test_data/alignments/2q2k_A/bfd_uniclust_hits.a3m', 'minitrain/alignments/4dmd_A/uniref.a3m', 'minitrain/alignments/102m_A/non_pairing.a3m'],
    parse: (text, source) => checkMsa(parseA3m(text, source)),
  },
  {
    name: 'sto',
    mutants: MUTANTS ?? 1000,
    files: ['openfold_test_data/alignments/2q2k_A/uniref90_hits.sto', 'openfold_test_data/alignments/mgnify_hits.sto'],
    parse: (text, source) => checkMsa(parseStockholm(text, source)),
  },
  {
    name: 'hhr',
    mutants: MUTANTS ?? 1000,
    files: ['openfold_test_data/alignments/pdb70_hits.hhr'],
    parse: (text, source) => {
      for (const hit of parseHhr(text, source)) {
        assert.equal(hit.indicesQuery.length, hit.query.length);
        assert.equal(hit.indicesHit.length, hit.hitSequence.length);
      }
    },
  },
  {
    name: 'fasta',
    mutants: MUTANTS ?? 1000,
    files: ['openfold_test_data/short.fasta', 'minitrain/alignments/2q2k_A/bfd_uniclust_hits.a3m'],
    parse: (text, source) => {
      const records = parseFasta(text, source);
      assert.equal(records.sequences.length, records.descriptions.length);
    },
  },
  {
    name: 'mmcif',
    mutants: MUTANTS ?? 300,
    files: ['openfold_test_data/mmcifs/3zee.cif', 'minitrain/mmcifs/4dmd.cif'],
    parse: (text, source) => {
      const object = parseMmcif(text, 'fuzz', source);
      for (const [chain, sequence] of object.chainToSeqres) {
        assert.equal(object.seqresToStructure.get(chain)?.length, sequence.length);
      }
    },
  },
];

describe('parser fuzz (seeded mutations of real files)', () => {
  for (const target of TARGETS) {
    it(`${target.name}: ${target.mutants} mutants give a result or an InputError`, () => {
      const texts = target.files.map((f) => readFileSync(FIXTURES + f, 'utf8'));
      const random = generator(SEED + target.name.length * 977);
      let typedErrors = 0;
      for (let i = 0; i < target.mutants; i++) {
        const f = i % texts.length;
        const { text, steps } = mutate(texts[f] as string, random);
        try {
          target.parse(text, target.files[f] as string);
        } catch (error) {
          if (error instanceof InputError) {
            typedErrors++;
            continue;
          }
          assert.fail(`${target.name} mutant ${i} of ${target.files[f]} (${steps.join(', ')}): ${(error as Error).stack}`);
        }
      }
      // The mutations must actually reach the error paths.
      assert.ok(typedErrors > target.mutants / 20, `only ${typedErrors} typed errors`);
    });
  }
});
