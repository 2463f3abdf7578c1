// Time per chain to parse the inputs and build raw AlphaFold features
// (computeChainFeatures: file reads, parsing, MSA, templates), median of
// several runs after a warm-up, against OpenFold's Python pipeline measured on
// this kind of machine (one core, lru caches cleared; issue 2):
//   process_fasta(short.fasta, 4 alignment files, templates from the fixture mmCIFs) 1.93 s,
//   the same without templates 0.032 s,
//   mmcif_parsing.parse + process_mmcif, no alignments: 3zee 0.041 s, 4i6p 0.064 s,
//   1psm 0.51 s, 2crb 1.20 s.
// Each run opens a fresh template source, so no parsed mmCIF is reused
// between runs. Prints wall and CPU medians (CPU: this process, all threads),
// the speed-up over OpenFold and peak RSS.
// Run: node --import tsx test/bench/raw_features.bench.ts [runs]
import { computeChainFeatures, type ChainFeaturesRequest } from '../../pipeline/chain_features.ts';

const DATA = 'test/fixtures/openfold_test_data';
const RUNS = Number(process.argv[2] ?? 9);
const WARMUP = 2;

interface Case {
  name: string;
  openfoldSeconds: number;
  request: () => ChainFeaturesRequest;
}

const CASES: Case[] = [
  {
    name: 'short.fasta + 4 alignment files + templates',
    openfoldSeconds: 1.93,
    request: () => ({
      input: { kind: 'fasta', path: `${DATA}/short.fasta` },
      alignmentDir: `${DATA}/alignments`,
      msaOrder: 'sorted',
      templates: { mmcifDir: `${DATA}/mmcifs`, maxTemplateDate: '2021-10-10', zeroCenter: true },
    }),
  },
  {
    name: 'short.fasta + 4 alignment files, no templates',
    openfoldSeconds: 0.032,
    request: () => ({ input: { kind: 'fasta', path: `${DATA}/short.fasta` }, alignmentDir: `${DATA}/alignments`, msaOrder: 'sorted' }),
  },
  ...(
    [
      ['3zee', 0.041],
      ['4i6p', 0.064],
      ['1psm', 0.51],
      ['2crb', 1.2],
    ] as const
  ).map(([pdb, seconds]) => ({
    name: `mmCIF ${pdb} chain A, no alignments`,
    openfoldSeconds: seconds,
    request: (): ChainFeaturesRequest => ({ input: { kind: 'mmcif', path: `${DATA}/mmcifs/${pdb}.cif`, chainId: 'A' } }),
  })),
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeRun(request: ChainFeaturesRequest): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await computeChainFeatures(request);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

console.log(`raw features per chain: median of ${RUNS} runs (101 for chains under 50 ms) after ${WARMUP} warm-up runs (node ${process.version})`);
console.log(
  ['case', 'first run s', 'median wall s', 'median cpu s', 'OpenFold s', 'speed-up (wall)', 'speed-up (cpu)'].join(' | '),
);
for (const c of CASES) {
  const first = await timeRun(c.request());
  for (let i = 1; i < WARMUP; i++) await timeRun(c.request());
  const walls: number[] = [];
  const cpus: number[] = [];
  // Chains that take milliseconds get more runs, so that the median is stable.
  const runs = first.wall < 0.05 ? Math.max(RUNS, 101) : RUNS;
  for (let i = 0; i < runs; i++) {
    const { wall, cpu } = await timeRun(c.request());
    walls.push(wall);
    cpus.push(cpu);
  }
  const wall = median(walls);
  const cpu = median(cpus);
  console.log(
    [
      c.name,
      first.wall.toFixed(4),
      wall.toFixed(4),
      cpu.toFixed(4),
      c.openfoldSeconds.toFixed(3),
      `${(c.openfoldSeconds / wall).toFixed(1)}x`,
      `${(c.openfoldSeconds / cpu).toFixed(1)}x`,
    ].join(' | '),
  );
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`);
