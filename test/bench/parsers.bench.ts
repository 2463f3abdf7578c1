// Parser benchmark: mmCIF parse time per fixture file (median of several runs
// after warm-up, against OpenFold's parse + process_mmcif times from issue 2),
// A3M / Stockholm throughput in rows per second on the big minitrain MSAs
// (whole-text and 64 KiB streaming), and peak RSS. Prints; asserts nothing.
import { readFileSync } from 'node:fs';
import { A3mReader, parseA3m } from '../../features/parsers/a3m.ts';
import { parseMmcif } from '../../features/parsers/mmcif.ts';
import { StockholmReader, parseStockholm } from '../../features/parsers/stockholm.ts';
import type { Msa } from '../../features/parsers/types.ts';

// PARSERS_BENCH_FIXTURES points at test/fixtures/ when this file runs bundled elsewhere.
const FIXTURES = process.env.PARSERS_BENCH_FIXTURES ?? new URL('../fixtures/', import.meta.url).pathname;

/** OpenFold `mmcif_parsing.parse` + `process_mmcif`, one core (issue 2). */
const OPENFOLD_SECONDS: Record<string, number> = { '3zee': 0.041, '4i6p': 0.064, '1psm': 0.51, '2crb': 1.2 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

let lastMin = 0;

/** Median ms of `runs` timed runs after `warmup` runs; the minimum is left in lastMin. */
function timeMs(run: () => unknown, warmup: number, runs: number): number {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  lastMin = Math.min(...times);
  return median(times);
}

console.log('mmCIF parse (parseMmcif), median ms per file (min in brackets; on a shared machine the min is the cleaner figure)');
const mmcifIds = ['3zee', '4i6p', '2q2k', '3u8v', '4zey', '5kc1', '1psm', '2crb'];
const mmcifTexts = new Map(mmcifIds.map((pdb) => [pdb, readFileSync(`${FIXTURES}openfold_test_data/mmcifs/${pdb}.cif`, 'utf8')]));
// Warm the JIT on every file first, so the first file timed is not penalised.
for (let round = 0; round < 3; round++) for (const [pdb, text] of mmcifTexts) parseMmcif(text, pdb, pdb);
for (const pdb of mmcifIds) {
  const text = mmcifTexts.get(pdb) as string;
  const ms = timeMs(() => parseMmcif(text, pdb, pdb), 3, pdb === '2crb' ? 11 : 31);
  const reference = OPENFOLD_SECONDS[pdb];
  const ratio = reference === undefined ? '' : `  OpenFold parse+process ${(reference * 1000).toFixed(0)} ms -> ${((reference * 1000) / ms).toFixed(0)}x`;
  console.log(`  ${pdb}  ${(text.length / 1024).toFixed(0).padStart(5)} KiB  ${ms.toFixed(2).padStart(7)} ms (${lastMin.toFixed(2)})${ratio}`);
}

function streamed(make: () => A3mReader | StockholmReader, text: string): Msa {
  const reader = make();
  for (let i = 0; i < text.length; i += 65536) reader.push(text.slice(i, i + 65536));
  return reader.finish();
}

console.log('MSA parsers, median of 7 runs');
const msaFiles = [
  'minitrain/alignments/1ubq_A/uniref.a3m',
  'minitrain/alignments/1ubq_A/bfd.mgnify30.metaeuk30.smag30.a3m',
  'minitrain/alignments/7zzx_B/non_pairing.a3m',
  'minitrain/alignments/1k1a_A/non_pairing.a3m',
  'minitrain/alignments/3zee_A/uniprot_hits.sto',
  'minitrain/alignments/4i6p_A/uniprot_hits.sto',
  'minitrain/alignments/4i6p_A/uniref90_hits.sto',
];
const totals = { a3m: [0, 0, 0], sto: [0, 0, 0] } as Record<'a3m' | 'sto', [number, number, number]>;
for (const path of msaFiles) {
  const text = readFileSync(FIXTURES + path, 'utf8');
  const isA3m = path.endsWith('.a3m');
  const whole = (): Msa => (isA3m ? parseA3m(text, path) : parseStockholm(text, path));
  const rows = whole().sequences.length;
  const ms = timeMs(whole, 2, 7);
  const streamMs = timeMs(() => streamed(() => (isA3m ? new A3mReader(path) : new StockholmReader(path)), text), 2, 7);
  const kind = isA3m ? 'a3m' : 'sto';
  totals[kind][0] += rows;
  totals[kind][1] += ms;
  totals[kind][2] += streamMs;
  console.log(
    `  ${path.split('/').slice(-2).join('/').padEnd(48)} ${String(rows).padStart(6)} rows ${(text.length / 1e6).toFixed(2)} MB` +
      `  ${ms.toFixed(1).padStart(6)} ms = ${((rows / ms) * 1000).toFixed(0).padStart(8)} rows/s` +
      `  (streamed 64 KiB chunks: ${((rows / streamMs) * 1000).toFixed(0)} rows/s)`,
  );
}
for (const kind of ['a3m', 'sto'] as const) {
  const [rows, ms, streamMs] = totals[kind];
  console.log(`  ${kind} overall: ${((rows / ms) * 1000).toFixed(0)} rows/s whole text, ${((rows / streamMs) * 1000).toFixed(0)} rows/s streamed`);
}

console.log(`peak RSS so far: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);

// A large A3M that is never one string: 1ubq_A's uniref.a3m rows repeated
// 40 times (about 55 MB), fed to A3mReader in 1 MiB chunks.
{
  const base = readFileSync(FIXTURES + 'minitrain/alignments/1ubq_A/uniref.a3m', 'utf8').replace(/\0$/, '');
  const body = base.slice(base.indexOf('\n>', 1));
  const t0 = performance.now();
  const reader = new A3mReader('synthetic.a3m');
  reader.push(base);
  let bytes = base.length;
  for (let copy = 0; copy < 40; copy++) {
    for (let i = 0; i < body.length; i += 1 << 20) reader.push(body.slice(i, i + (1 << 20)));
    bytes += body.length;
  }
  const rows = reader.finish().sequences.length;
  const ms = performance.now() - t0;
  console.log(
    `streamed synthetic A3M: ${(bytes / 1e6).toFixed(0)} MB, ${rows} rows in ${ms.toFixed(0)} ms = ` +
      `${((rows / ms) * 1000).toFixed(0)} rows/s, ${((bytes / 1e6 / ms) * 1000).toFixed(0)} MB/s`,
  );
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
