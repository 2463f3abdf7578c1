// Per-sample time of all per-step (ensembled) transforms at crop 256, for 1
// and 4 forward passes, on three minitrain chains whose raw features come from
// the real pipeline (computeChainFeatures + nonensembledTransforms, done once
// per chain before timing). Median over many samples (a new seed each), one
// core: the transforms run on the main thread, and the bench re-runs itself
// with V8's --single-threaded-gc so that garbage collection stays on that
// thread too. Prints wall and CPU medians and the ratio to OpenFold's
// FeaturePipeline.process_features(raw, "train") (always 4 passes), measured
// on this kind of machine: 7zzx_B 0.70 s, 1k1a_A 0.39 s, 3zee_A 0.13 s
// (issue 3; target: 4 passes in at most a tenth of that). Also prints the
// nearest-neighbour clustering alone: the bit-sliced implementation against
// the plain reference on one pass.
// Run: node --import tsx test/bench/transforms.bench.ts [samples]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { computeChainFeatures } from '../../pipeline/chain_features.ts';
import { nonensembledTransforms } from '../../features/transforms/nonensembled.ts';
import { chooseSample, msaPass, perStepTransforms, prepareChain } from '../../features/transforms/ensembled/per_step.ts';
import { BatchBuffers } from '../../features/transforms/ensembled/batch_buffers.ts';
import { nearestNeighborClusters, nearestNeighborClustersReference, type ClusterInput } from '../../features/transforms/ensembled/nearest_neighbor.ts';
import { perStepConfig } from '../../features/transforms/config.ts';
import { Rng } from '../../features/rng.ts';

if (process.env['SCALEFOLD_BENCH_CHILD'] !== '1') {
  const r = spawnSync(process.execPath, ['--single-threaded-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SCALEFOLD_BENCH_CHILD: '1' },
  });
  process.exit(r.status ?? 1);
}

const SAMPLES = Number(process.argv[2] ?? 41);
const WARMUP = 5;
const MINITRAIN = 'test/fixtures/minitrain';
const CHAINS = [
  { pdb: '7zzx', chain: 'B', openfoldSeconds: 0.7 },
  { pdb: '1k1a', chain: 'A', openfoldSeconds: 0.39 },
  { pdb: '3zee', chain: 'A', openfoldSeconds: 0.13 },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeIt(run: (i: number) => void, samples: number): { wall: number; cpu: number } {
  for (let i = 0; i < WARMUP; i++) run(1_000_000 + i);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < samples; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run(i);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

console.log(`per-step transforms, crop 256, median of ${SAMPLES} samples; OpenFold = process_features(train), 4 passes; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
for (const c of CHAINS) {
  const raw = await computeChainFeatures({
    input: { kind: 'mmcif', path: `${MINITRAIN}/mmcifs/${c.pdb}.cif`, chainId: c.chain },
    alignmentDir: `${MINITRAIN}/alignments/${c.pdb}_${c.chain}`,
  });
  const stored = nonensembledTransforms(raw.features, { supervised: true });
  const [rows, residues] = stored['msa']!.shape as [number, number];
  const line = [`${c.pdb}_${c.chain} (${residues} res, ${rows} rows):`];
  const ofMs = c.openfoldSeconds * 1000;
  console.log(line[0]);
  // Reused output buffers are the loader's path (fixed-size batch buffers); fresh allocation for comparison.
  const buffers = new BatchBuffers(perStepConfig());
  for (const [passes, reuse] of [[1, true], [4, true], [4, false]] as const) {
    const config = perStepConfig({ passes });
    const t = timeIt((seed) => perStepTransforms(stored, { seed, config, buffers: reuse ? buffers : undefined }), SAMPLES);
    const label = `${passes} pass${passes > 1 ? 'es' : ''}, ${reuse ? 'reused buffers' : 'fresh allocation'}`.padEnd(32);
    const ratio = passes === 4 ? `  vs OpenFold ${ofMs.toFixed(0)} ms: wall ${(t.wall / ofMs).toFixed(3)}, cpu ${(t.cpu / ofMs).toFixed(3)} (target <= 0.1)` : '';
    console.log(`    ${label} wall ${t.wall.toFixed(1).padStart(6)} ms  cpu ${t.cpu.toFixed(1).padStart(6)} ms${ratio}`);
  }

  // Clustering alone, one pass's inputs: bit-sliced vs plain reference.
  const chain = prepareChain(stored);
  const config = perStepConfig();
  const rng = Rng.fromSeed(1);
  const choice = chooseSample(chain, config, rng);
  const pass = msaPass(chain, config, rng.derive('pass', 0), choice.cropStart, choice.cropLength);
  const input: ClusterInput = {
    centres: pass.centres, centreMask: null, numCentres: pass.selected.length, numRes: chain.numRes,
    msa: chain.msa, extraRows: pass.extraAll, msaMask: null, gapAgreementWeight: 0,
  };
  const fast = timeIt(() => nearestNeighborClusters(input), SAMPLES);
  const reference = timeIt(() => nearestNeighborClustersReference(input), 5);
  console.log(
    `    clustering (one pass) ${pass.extraAll.length} extra x ${pass.selected.length} centres x ${chain.numRes} res: ` +
      `bit-sliced cpu ${fast.cpu.toFixed(2)} ms, reference cpu ${reference.cpu.toFixed(1)} ms (${(reference.cpu / fast.cpu).toFixed(0)}x)`,
  );
}
