// HHR parser against OpenFold's parse_hhr output (every TemplateHit field),
// and the typed errors on malformed hits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ParseError } from '../../features/errors.ts';
import { parseHhr } from '../../features/parsers/hhr.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

interface GoldenHit {
  index: number;
  name: string;
  aligned_cols: number;
  sum_probs: number | null;
  query: string;
  hit_sequence: string;
  indices_query: number[];
  indices_hit: number[];
}

describe('parseHhr', () => {
  it('equals OpenFold parse_hhr on pdb70_hits.hhr, every field of every hit', () => {
    const golden = JSON.parse(readFileSync(FIXTURES + 'golden/parsed_test_data/pdb70_hits_hhr.json', 'utf8')) as { hits: GoldenHit[] };
    const text = readFileSync(FIXTURES + 'openfold_test_data/alignments/pdb70_hits.hhr', 'utf8');
    const hits = parseHhr(text, 'pdb70_hits.hhr');
    assert.equal(hits.length, golden.hits.length);
    assert.equal(hits.length, 10);
    hits.forEach((hit, i) => {
      const g = golden.hits[i] as GoldenHit;
      assert.deepEqual(
        hit,
        {
          index: g.index,
          name: g.name,
          alignedCols: g.aligned_cols,
          sumProbs: g.sum_probs,
          query: g.query,
          hitSequence: g.hit_sequence,
          indicesQuery: g.indices_query,
          indicesHit: g.indices_hit,
        },
        `hit ${i + 1}`,
      );
    });
  });

  it('a file without hits gives no hits', () => {
    assert.deepEqual(parseHhr('Query         x\nMatch_columns 73\n', 'empty.hhr'), []);
  });

  const summary = 'Probab=99.1  E-value=1e-10  Score=50.2  Aligned_cols=4  Identities=50%  Similarity=0.5  Sum_probs=3.5  Template_Neff=1.0';
  const hit = (qLine: string, tLine: string): string => `No 1\n>1ABC_A thing\n${summary}\n\n${qLine}\n${tLine}\n`;
  const q = 'Q query            3 AC-D    5 (73)';
  const t = 'T 1ABC_A          10 ACED   13 (40)';

  it('parses a hand-written hit with a gap', () => {
    const [h] = parseHhr(hit(q, t), 'h.hhr');
    assert.deepEqual(h, {
      index: 1,
      name: '1ABC_A thing',
      alignedCols: 4,
      sumProbs: 3.5,
      query: 'AC-D',
      hitSequence: 'ACED',
      indicesQuery: [2, 3, -1, 4],
      indicesHit: [9, 10, 11, 12],
    });
  });

  it('a query block whose length disagrees with start/end: ParseError at that line', () => {
    const bad = 'Q query            3 AC-D    9 (73)';
    assert.throws(() => parseHhr(hit(bad, t), 'h.hhr'), (e: unknown) => e instanceof ParseError && e.line === 5 && e.source === 'h.hhr');
  });

  it('a template line before any query line, or of another length: ParseError', () => {
    assert.throws(() => parseHhr(hit('', t), 'h.hhr'), (e: unknown) => e instanceof ParseError && e.line === 6);
    const shortT = 'T 1ABC_A          10 ACE   12 (40)';
    assert.throws(() => parseHhr(hit(q, shortT), 'h.hhr'), (e: unknown) => e instanceof ParseError && e.line === 6);
  });

  it('a bad summary line: ParseError', () => {
    const text = `No 1\n>x\nProbab=high E-value=1 Score=1 Aligned_cols=1 Identities=1% Similarity=1 Sum_probs=1 Template_Neff=1\n`;
    assert.throws(() => parseHhr(text, 'h.hhr'), (e: unknown) => e instanceof ParseError && e.line === 3);
    assert.throws(() => parseHhr('No 1\n>x\n', 'h.hhr'), (e: unknown) => e instanceof ParseError && e.line === 2);
  });
});
