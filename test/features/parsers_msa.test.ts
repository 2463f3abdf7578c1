// FASTA, A3M and Stockholm parsers against OpenFold's parser outputs
// (test/fixtures/golden/parsed_*), the streaming readers against the
// whole-text parsers, and the typed errors on bad input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FeatureError, ParseError } from '../../features/errors.ts';
import { A3mReader, parseA3m } from '../../features/parsers/a3m.ts';
import { parseFasta } from '../../features/parsers/fasta.ts';
import { speciesIdentifier } from '../../features/parsers/msa_identifiers.ts';
import { createMsaReader, msaFormatOf, parseMsa } from '../../features/parsers/msa_reader.ts';
import { StockholmReader, parseStockholm } from '../../features/parsers/stockholm.ts';
import type { Msa } from '../../features/parsers/types.ts';
import { readNpy } from '../helpers/npy_read.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const GOLDEN = FIXTURES + 'golden/';

interface Entry {
  input: string;
  function: string;
  json: string;
  deletion_matrix?: { file: string; shape: number[] };
}

function goldenEntries(dir: string): Entry[] {
  return (JSON.parse(readFileSync(GOLDEN + dir + '/manifest.json', 'utf8')) as { entries: Entry[] }).entries;
}

function assertMsaEqualsGolden(msa: Msa, dir: string, entry: Entry): void {
  const golden = JSON.parse(readFileSync(`${GOLDEN}${dir}/${entry.json}`, 'utf8')) as {
    sequences: string[];
    descriptions: string[];
    'species_ids_from_msa_identifiers.get_identifiers': string[];
  };
  assert.equal(msa.sequences.length, golden.sequences.length);
  assert.deepEqual(msa.sequences, golden.sequences);
  assert.deepEqual(msa.descriptions, golden.descriptions);
  assert.deepEqual(msa.descriptions.map(speciesIdentifier), golden['species_ids_from_msa_identifiers.get_identifiers']);
  const npy = readNpy(`${GOLDEN}${dir}/${(entry.deletion_matrix as { file: string }).file}`);
  assert.equal(npy.dtype, '<i4');
  const [rows, cols] = npy.shape as [number, number];
  assert.equal(msa.deletionMatrix.length, rows);
  for (let r = 0; r < rows; r++) {
    const row = msa.deletionMatrix[r] as Int32Array;
    assert.equal(row.length, cols, `row ${r} length`);
    assert.deepEqual(Array.from(row), Array.from(npy.data.subarray(r * cols, (r + 1) * cols) as Int32Array), `deletion row ${r}`);
  }
}

for (const dir of ['parsed_test_data', 'parsed_test_data_2q2k_A']) {
  describe(`OpenFold parser goldens: ${dir}`, () => {
    for (const entry of goldenEntries(dir)) {
      if (entry.function === 'parse_hhr') continue; // parsers_hhr.test.ts
      it(`${entry.function} ${entry.input}`, () => {
        const text = readFileSync(FIXTURES + entry.input, 'utf8');
        if (entry.function === 'parse_fasta') {
          const golden = JSON.parse(readFileSync(`${GOLDEN}${dir}/${entry.json}`, 'utf8')) as { sequences: string[]; descriptions: string[] };
          assert.deepEqual(parseFasta(text, entry.input), { sequences: golden.sequences, descriptions: golden.descriptions });
        } else if (entry.function === 'parse_a3m') {
          assertMsaEqualsGolden(parseA3m(text, entry.input), dir, entry);
        } else {
          assert.equal(entry.function, 'parse_stockholm');
          assertMsaEqualsGolden(parseStockholm(text, entry.input), dir, entry);
        }
      });
    }
  });
}

/** Splits `text` into chunks at seeded pseudo-random places (1..97 chars). */
function chunks(text: string, seed: number): string[] {
  let state = seed >>> 0;
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const size = 1 + (state % 97);
    out.push(text.slice(i, i + size));
    i += size;
  }
  return out;
}

describe('streaming readers', () => {
  it('A3mReader fed chunks equals parseA3m (CRLF too)', () => {
    for (const path of ['openfold_test_data/alignments/bfd_uniclust_hits.a3m', 'minitrain/alignments/4dmd_A/uniref.a3m']) {
      const text = readFileSync(FIXTURES + path, 'utf8');
      const whole = parseA3m(text, path);
      for (const variant of [text, text.replace(/\n/g, '\r\n')]) {
        const reader = new A3mReader(path);
        for (const chunk of chunks(variant, 7)) reader.push(chunk);
        assert.deepEqual(reader.finish(), whole);
      }
    }
  });

  it('StockholmReader fed chunks equals parseStockholm', () => {
    const path = 'openfold_test_data/alignments/uniref90_hits.sto';
    const text = readFileSync(FIXTURES + path, 'utf8');
    const reader = new StockholmReader(path);
    for (const chunk of chunks(text, 11)) reader.push(chunk);
    assert.deepEqual(reader.finish(), parseStockholm(text, path));
  });

  it('Stockholm rows that come before the query in a block are aligned once the query arrives', () => {
    const text = '# STOCKHOLM 1.0\nq  AB-C\nh1 AXYC\n\nh1 D-\nq  -E\n//\n';
    const msa = parseStockholm(text, 't.sto');
    assert.deepEqual(msa.sequences, ['ABCE', 'AXC-']);
    assert.deepEqual(Array.from(msa.deletionMatrix[1] as Int32Array), [0, 0, 1, 1]);
    assert.deepEqual(msa.descriptions, ['q', 'h1']);
  });
});

describe('msa_reader', () => {
  it('picks the parser by file name; streamed errors carry the right line', () => {
    assert.equal(msaFormatOf('x/uniref90_hits.sto'), 'sto');
    assert.equal(msaFormatOf('bfd.mgnify30.metaeuk30.smag30.a3m'), 'a3m');
    assert.equal(msaFormatOf('pdb70_hits.hhr'), null);
    const path = 'openfold_test_data/alignments/mgnify_hits.sto';
    const text = readFileSync(FIXTURES + path, 'utf8');
    const reader = createMsaReader('sto', path);
    for (const chunk of chunks(text, 3)) reader.push(chunk);
    assert.deepEqual(reader.finish(), parseMsa('sto', text, path));
    const bad = createMsaReader('a3m', 'bad.a3m');
    for (const chunk of chunks('>q\r\nACDE\r\n\r\n>h\r\nAC1E\r\n', 5)) {
      try {
        bad.push(chunk);
      } catch (e) {
        assert.ok(e instanceof ParseError && e.line === 5, String(e));
        return;
      }
    }
    assert.throws(() => bad.finish(), (e: unknown) => e instanceof ParseError && e.line === 5);
  });
});

describe('A3M rules', () => {
  it('lower case counts into the next column, trailing insertions are dropped, "." is ignored', () => {
    const msa = parseA3m('>q\nACDE\n>h\naAcC.D-xyz\n', 't.a3m');
    assert.deepEqual(msa.sequences, ['ACDE', 'ACD-']);
    assert.deepEqual(Array.from(msa.deletionMatrix[1] as Int32Array), [1, 1, 0, 0]);
  });

  it('reads ColabFold files: tab-separated headers, "#" first line, trailing NUL', () => {
    const msa = parseA3m('#4\t1\n>101\nMKV\n>UniRef100_X\t118\t0.907\nMRV\n\0', 'c.a3m');
    assert.deepEqual(msa.sequences, ['MKV', 'MRV']);
    assert.deepEqual(msa.descriptions, ['101', 'UniRef100_X\t118\t0.907']);
  });

  it('illegal character: ParseError with the line', () => {
    assert.throws(
      () => parseA3m('>q\nACDE\n>h\nAC*E\n', 'bad.a3m'),
      (e: unknown) => e instanceof ParseError && e.source === 'bad.a3m' && e.line === 4 && /illegal character/.test(e.message),
    );
  });

  it('row with a different number of columns: ParseError at its header', () => {
    assert.throws(() => parseA3m('>q\nACDE\n>h\nACD\n', 'bad.a3m'), (e: unknown) => e instanceof ParseError && e.line === 3);
  });

  it('text after the NUL terminator: ParseError', () => {
    assert.throws(() => parseA3m('>q\nAC\n\0\n>h\nAC\n', 'bad.a3m'), (e: unknown) => e instanceof ParseError && e.line === 4);
  });

  it('empty MSA: FeatureError', () => {
    for (const text of ['', '\n\n', '# only a comment\n', '\0']) {
      assert.throws(() => parseA3m(text, 'empty.a3m'), (e: unknown) => e instanceof FeatureError && e.source === 'empty.a3m');
    }
  });

  it('sequence before any header: ParseError', () => {
    assert.throws(() => parseA3m('ACDE\n>q\nACDE\n', 'bad.a3m'), (e: unknown) => e instanceof ParseError && e.line === 1);
  });
});

describe('Stockholm rules', () => {
  it('without a query (no sequence lines): FeatureError', () => {
    const text = '# STOCKHOLM 1.0\n#=GF ID query-i1\n#=GS x DE y\n//\n';
    assert.throws(() => parseStockholm(text, 'noquery.sto'), (e: unknown) => e instanceof FeatureError && e.source === 'noquery.sto');
  });

  it('a row shorter than the query: ParseError', () => {
    assert.throws(() => parseStockholm('q ACDE\nh ACD\n', 'short.sto'), (e: unknown) => e instanceof ParseError && e.line === 2);
  });

  it('illegal character and extra fields: ParseError with the line', () => {
    assert.throws(() => parseStockholm('q AC\nh A1\n', 's.sto'), (e: unknown) => e instanceof ParseError && e.line === 2);
    assert.throws(() => parseStockholm('q AC\nh A C\n', 's.sto'), (e: unknown) => e instanceof ParseError && e.line === 2);
  });
});

describe('FASTA and species ids', () => {
  it('FASTA: descriptions, wrapped sequences, comments', () => {
    assert.deepEqual(parseFasta('# c\n>a b\nAC\n DE \n\n>c\nF\n', 'f.fasta'), { sequences: ['ACDE', 'F'], descriptions: ['a b', 'c'] });
    assert.throws(() => parseFasta('>a\nA\x01C\n', 'f.fasta'), (e: unknown) => e instanceof ParseError && e.line === 2);
  });

  it('speciesIdentifier follows msa_identifiers', () => {
    assert.equal(speciesIdentifier('tr|A0A146SKV9|A0A146SKV9_FUNHE/1-100 desc'), 'FUNHE');
    assert.equal(speciesIdentifier('sp|P0C2L1|A3X1_LOXLA'), 'LOXLA');
    assert.equal(speciesIdentifier('tr|A0A146SKV9_1|A0A146SKV9_FUNHE_12'), 'FUNHE');
    assert.equal(speciesIdentifier('UniRef100_A0A964YKG2\t118'), '');
    assert.equal(speciesIdentifier('tr|A0A1|X_Y'), '');
    assert.equal(speciesIdentifier(''), '');
  });
});
