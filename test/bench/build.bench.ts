// Benchmark of `scalefold build` and `scalefold validate`: chains per second
// at 1 and 2 threads on the minitrain fixture and on a synthetic dataset
// (>= 2,000 chains; BENCH_SYNTHETIC_CHAINS overrides), scaling efficiency,
// peak RSS of the build process for two dataset sizes (it must not grow with
// the dataset), and validate throughput at 1 and 2 threads. Prints figures
// (medians over BENCH_REPEATS alternating runs); asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeSyntheticInputs, DEFAULT_SYNTHETIC } from '../../pipeline/synthetic/synthetic_dataset.ts';
import { validateDataset } from '../../pipeline/validate/validate_dataset.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const MINITRAIN = join(REPO, 'test', 'fixtures', 'minitrain');
const root = mkdtempSync(join(tmpdir(), 'bench-build-'));

interface BuildRun {
  /** CPU milliseconds (all threads) per chain: independent of other load on the machine. */
  cpuMsPerChain: number;
  chainsPerSecond: number;
  steadyChainsPerSecond: number;
  startSeconds: number;
  seconds: number;
  done: number;
  failed: number;
  peakRssMiB: number;
}

/** Peak resident set (VmHWM) of a process, read from /proc while it runs. */
function readPeakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

function build(mmcifDir: string, alignmentDir: string, out: string, threads: number, extra: string[] = []): Promise<BuildRun> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'trainer', 'cli.ts'), 'build', '--mmcif-dir', mmcifDir, '--alignment-dir', alignmentDir, '--out', out, '--threads', String(threads), '--json', ...extra],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, readPeakRss(child.pid!))), 100);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      peak = Math.max(peak, readPeakRss(child.pid!));
    });
    child.on('error', fail);
    child.on('close', () => {
      clearInterval(poll);
      try {
        const s = JSON.parse(stdout);
        done({ cpuMsPerChain: (1000 * s.cpu_seconds) / Math.max(s.done, 1), chainsPerSecond: s.chains_per_second, steadyChainsPerSecond: s.steady_chains_per_second, startSeconds: s.first_result_seconds, seconds: s.seconds, done: s.done, failed: s.failed, peakRssMiB: peak });
      } catch {
        fail(new Error(`build gave no summary: ${stderr.slice(-2000)}`));
      }
    });
  });
}

function row(label: string, r: BuildRun): string {
  return `${label.padEnd(44)} ${r.cpuMsPerChain.toFixed(1).padStart(6)} CPU-ms/chain ${r.chainsPerSecond.toFixed(2).padStart(8)} chains/s (steady ${r.steadyChainsPerSecond.toFixed(2)}; first result after ${r.startSeconds.toFixed(1)} s)  ${r.seconds.toFixed(1).padStart(7)} s  peak RSS ${r.peakRssMiB.toFixed(0).padStart(5)} MiB  (${r.done} done, ${r.failed} failed)`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Medians of the rates and times; the largest peak RSS. */
function medianRun(runs: BuildRun[]): BuildRun {
  return {
    cpuMsPerChain: median(runs.map((r) => r.cpuMsPerChain)),
    chainsPerSecond: median(runs.map((r) => r.chainsPerSecond)),
    steadyChainsPerSecond: median(runs.map((r) => r.steadyChainsPerSecond)),
    startSeconds: median(runs.map((r) => r.startSeconds)),
    seconds: median(runs.map((r) => r.seconds)),
    done: runs[0]!.done,
    failed: Math.max(...runs.map((r) => r.failed)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  };
}

function efficiency(one: BuildRun, two: BuildRun): string {
  const overall = (100 * two.chainsPerSecond) / (2 * one.chainsPerSecond);
  const steady = (100 * two.steadyChainsPerSecond) / (2 * one.steadyChainsPerSecond);
  const cpu = (100 * one.cpuMsPerChain) / two.cpuMsPerChain;
  return `${overall.toFixed(0)} % overall, ${steady.toFixed(0)} % steady (measured on ${availableParallelism()} shared cores); CPU per chain ${one.cpuMsPerChain.toFixed(1)} vs ${two.cpuMsPerChain.toFixed(1)} ms: ${cpu.toFixed(0)} % efficiency given free cores`;
}

async function validateFigure(label: string, dir: string): Promise<void> {
  for (const threads of [1, 2]) {
    const report = await validateDataset(dir, { threads });
    const gb = report.bytes / 1e9;
    console.log(`${`${label}, ${threads} thread${threads > 1 ? 's' : ''}`.padEnd(44)} ${(gb / report.seconds).toFixed(3)} GB/s  (${report.shards} shards, ${report.rows} rows, ${gb.toFixed(3)} GB, ${report.seconds.toFixed(2)} s, ${report.defects.length} defects)`);
  }
}

const mmcifs = join(MINITRAIN, 'mmcifs');
const alignments = join(MINITRAIN, 'alignments');
console.log(`# scalefold build / validate benchmark (${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start)`);
const fx1 = await build(mmcifs, alignments, join(root, 'fixtures-1'), 1);
const fx2 = await build(mmcifs, alignments, join(root, 'fixtures-2'), 2);
console.log(row('minitrain (19 chains), 1 thread', fx1));
console.log(row('minitrain (19 chains), 2 threads', fx2));
console.log(`minitrain scaling efficiency (2 threads)          ${efficiency(fx1, fx2)}`);
await validateFigure('validate minitrain', join(root, 'fixtures-2'));

const n = Number(process.env.BENCH_SYNTHETIC_CHAINS ?? 2000);
const t0 = performance.now();
const big = writeSyntheticInputs(join(root, 'synthetic'), { ...DEFAULT_SYNTHETIC, chains: n, lengthMedian: 100, depthMedian: 32 });
const small = writeSyntheticInputs(join(root, 'synthetic-small'), { ...DEFAULT_SYNTHETIC, chains: Math.ceil(n / 4), lengthMedian: 100, depthMedian: 32 });
console.log(`synthetic inputs: ${n} + ${small.chains.length} chains, ${((big.bytes + small.bytes) / 1e6).toFixed(0)} MB, written in ${((performance.now() - t0) / 1000).toFixed(1)} s (median length 100, median MSA depth 32)`);
// Alternate 1- and 2-thread runs and take medians: other load on a shared machine varies.
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const runs1: BuildRun[] = [];
const runs2: BuildRun[] = [];
for (let r = 0; r < REPEATS; r++) {
  runs1.push(await build(big.mmcifDir, big.alignmentDir, join(root, 'syn-1'), 1));
  rmSync(join(root, 'syn-1'), { recursive: true, force: true });
  runs2.push(await build(big.mmcifDir, big.alignmentDir, join(root, 'syn-2'), 2));
  if (r < REPEATS - 1) rmSync(join(root, 'syn-2'), { recursive: true, force: true });
}
const s1 = medianRun(runs1);
const s2 = medianRun(runs2);
const sq = await build(small.mmcifDir, small.alignmentDir, join(root, 'syn-small-2'), 2);
console.log(row(`synthetic (${n} chains), 1 thread, median of ${REPEATS}`, s1));
console.log(row(`synthetic (${n} chains), 2 threads, median of ${REPEATS}`, s2));
console.log(row(`synthetic (${small.chains.length} chains), 2 threads`, sq));
console.log(`synthetic scaling efficiency (2 threads)          ${efficiency(s1, s2)}`);
console.log(`peak RSS, ${n} vs ${small.chains.length} chains (2 threads)         ${s2.peakRssMiB.toFixed(0)} vs ${sq.peakRssMiB.toFixed(0)} MiB (ratio ${(s2.peakRssMiB / sq.peakRssMiB).toFixed(2)})`);
await validateFigure(`validate synthetic (${n} chains)`, join(root, 'syn-2'));
console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
rmSync(root, { recursive: true, force: true });
