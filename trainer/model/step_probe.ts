// Step probe: the tiny model vs the float64 golden (float32, any device), and
// full-size step time and memory at MLPerf shapes (synthetic batch). Usage:
//   node --import tsx trainer/model/step_probe.ts tiny cuda|cpu
//   node --import tsx trainer/model/step_probe.ts full cuda|cpu N_RES ITERS[,ITERS] [fwd]
// (PROFILE_BWD=1 times every backward node by op; TRUNK_DTYPE=bfloat16 runs the
// bf16 trunk, CHECKPOINT=1 checkpoints every trunk block: runtime options).
// A measuring tool, not a test; test/gpu/bench_blocks.gpu.ts is the benchmark.
import { native } from '../core/binding.ts';
import { cudaInfo, memoryStats } from '../core/tensor.ts';
import { Tape, gradientOf, noGrad, recordOn, scope } from '../autograd/index.ts';
import { GoldenState } from './golden_state.ts';
import { compareArrays } from './compare.ts';
import { evalRuntime, type RuntimeOptions } from './runtime.ts';
import { alphaFold } from './alphafold.ts';
import { alphaFoldLoss } from './alphafold_loss.ts';
import { loadConfig } from './config.ts';
import { modelParamSpec } from './param_spec.ts';
import { initParams } from './param_init.ts';
import { ParamStore } from './params.ts';
import { syntheticBatch } from './synthetic_batch.ts';
import type { IterationFeatures } from './alphafold.ts';
import type { AlphaFoldConfig } from './config_types.ts';

const mode = process.argv[2] ?? 'tiny';
const device = (process.argv[3] ?? 'cuda') as 'cuda' | 'cpu';
console.log('cuda', JSON.stringify(cudaInfo()));
const runtimeOptions: RuntimeOptions = {
  ...(process.env.TRUNK_DTYPE === 'bfloat16' ? { trunkDtype: 'bfloat16' as const } : {}),
  ...(process.env.CHECKPOINT === '1' ? { checkpointBlocks: true } : {}),
};
console.log('runtime options', JSON.stringify(runtimeOptions));
const sync = (): void => {
  if (device === 'cuda') native.synchronize();
};

function step(params: ParamStore, c: AlphaFoldConfig, f: IterationFeatures, iterations: number, place: { dtype: 'float32' | 'float64'; device: 'cuda' | 'cpu' }) {
  let peak = 0;
  const t0 = performance.now();
  let tf = 0;
  let breakdown: Record<string, number> = {};
  scope(() => {
    const tape = new Tape();
    let loss!: ReturnType<typeof alphaFoldLoss>;
    recordOn(tape, () => {
      const out = alphaFold(params, evalRuntime(place, runtimeOptions), c, f, iterations);
      loss = alphaFoldLoss(out, c, f, iterations - 1);
    });
    sync();
    tf = performance.now() - t0;
    peak = memoryStats().deviceBytes;
    breakdown = loss.breakdown as unknown as Record<string, number>;
    if (process.env.PROFILE_BWD) {
      const acc = new Map<string, { ms: number; n: number }>();
      for (const node of tape.nodes) {
        const orig = node.backward;
        node.backward = (g, saved, prior) => {
          sync();
          const t1 = performance.now();
          const r = orig(g, saved, prior);
          sync();
          const e = acc.get(node.op) ?? { ms: 0, n: 0 };
          e.ms += performance.now() - t1;
          e.n++;
          acc.set(node.op, e);
          return r;
        };
      }
      const tb = performance.now();
      gradientOf(tape, loss.total);
      sync();
      console.log('backward ms (profiled)', (performance.now() - tb).toFixed(0), 'nodes', acc.size);
      for (const [op, e] of [...acc].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(`  ${op}: ${e.ms.toFixed(0)} ms over ${e.n} calls`);
    } else gradientOf(tape, loss.total);
    sync();
  });
  const t = performance.now() - t0;
  return { ms: t, forwardMs: tf, liveAfterForwardGiB: peak / 2 ** 30, breakdown };
}

if (mode === 'tiny') {
  const g = await GoldenState.read('test/fixtures/golden/model_tiny');
  const place = { dtype: 'float32' as const, device };
  const params = g.params(place);
  const f = (n: string, k: number) => g.input(n, k);
  const r = step(params, g.config, f, g.iterations, place);
  console.log('tiny step ms', r.ms.toFixed(1));
  let worstLoss = 0;
  for (const [name, v] of Object.entries(r.breakdown)) {
    const ref = g.loss(name);
    const rel = Math.abs(v - ref) / Math.abs(ref);
    worstLoss = Math.max(worstLoss, rel);
    console.log(`loss ${name} ours ${v} golden ${ref} rel ${rel.toExponential(2)}`);
  }
  const rels: number[] = [];
  let worst = '';
  let worstRel = 0;
  for (const [name, t] of params.tensors) {
    const ref = g.grad(name).data;
    const c = compareArrays(t.grad ? t.grad.toArray() : new Float64Array(ref.length), ref);
    if (c.maxAbsRef < 1e-12) continue; // zero-by-math grads
    rels.push(c.relError);
    if (c.relError > worstRel) { worstRel = c.relError; worst = name; }
  }
  rels.sort((a, b) => a - b);
  console.log(`grads: median rel ${rels[rels.length >> 1]!.toExponential(2)}, p90 ${rels[Math.floor(rels.length * 0.9)]!.toExponential(2)}, max ${worstRel.toExponential(2)} (${worst}); worst loss rel ${worstLoss.toExponential(2)}`);
} else {
  const c = loadConfig('initial_training');
  const specs = modelParamSpec(c);
  const place = { dtype: 'float32' as const, device };
  const t0 = performance.now();
  const params = ParamStore.fromValues(specs, initParams(specs, 1), 'float32', device);
  console.log('params ready ms', (performance.now() - t0).toFixed(0));
  const nRes = Number(process.argv[4] ?? 256);
  const fwdOnly = process.argv[6] === 'fwd';
  for (const iterations of (process.argv[5] ?? '1,4').split(',').map(Number)) {
    const f = syntheticBatch({ nRes, nMsa: 124, nExtra: 1024, nTemplates: 4, iterations }, 7);
    for (let rep = 0; rep < 2; rep++) {
      let r: ReturnType<typeof step>;
      if (fwdOnly) {
        const t0 = performance.now();
        let l = 0;
        noGrad(() => scope(() => { const out = alphaFold(params, evalRuntime(place, runtimeOptions), c, f, iterations); l = alphaFoldLoss(out, c, f, iterations - 1).breakdown.loss; sync(); }));
        r = { ms: performance.now() - t0, forwardMs: performance.now() - t0, liveAfterForwardGiB: 0, breakdown: { loss: l } };
      } else r = step(params, c, f, iterations, place);
      for (const t of params.tensors.values()) { if (t.grad) { t.grad.dispose(); t.grad = null; } }
      console.log(`full N=${nRes} iterations=${iterations} rep=${rep}: step ${r.ms.toFixed(0)} ms (forward+loss ${r.forwardMs.toFixed(0)} ms), live after forward ${r.liveAfterForwardGiB.toFixed(1)} GiB, loss ${r.breakdown.loss}`);
    }
  }
}
