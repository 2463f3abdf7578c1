// Per-block forward+backward benchmarks of the model on the GPU (run.sh bench),
// next to OpenFold's figures on the same H200 (issue 7; PyTorch 2.11, bf16
// autocast): Evoformer block (Alg. 6) at 128 x 256 MSA, c_m 256, c_z 128,
// N_res 256; extra-MSA block (Alg. 18 lines 3-9) at 1024 x 256, c_e 64;
// template pair block (Alg. 16) on 4 templates of 256 x 256, c_t 64;
// structure module (Alg. 20, 8 layers) from s [256, 384] and z; the full
// training step (synthetic batch at MLPerf shapes: crop 256, 124 clusters + 4
// template rows, 1024 extra, 4 templates, losses, backward through the last
// pass) at 1 and 4 recycling iterations.
//
// Each row: random parameters (initParams) and random inputs, warm-up, then
// the median of timed repeats, each bracketed by device synchronizations
// (forward and forward+backward). Block inputs require gradients (a block in
// the middle of a stack back-propagates into its inputs); the backward is
// seeded with fixed random cotangents made before timing. "peak" is the
// largest count of live device bytes of the core's allocator (memoryStats,
// sampled after every native call of the row), minus what was alive before
// the row (the parameters of the row included in "live before").
// Every row is isolated: an error (out of memory included) prints a row with
// the error and the bench goes on; everything the row made is freed and the
// live bytes are checked against the baseline.
//
// Modes: fp32 (everything float32), bf16+shadow (bf16 with the optimizer's bf16
// weight copies set, as in pretrain; block rows, BLOCK_MODES) and bf16 (runtime trunkDtype 'bfloat16':
// bf16 trunk, fp32 masters / structure module / heads / losses); the full
// step also with checkpointBlocks (OpenFold blocks_per_ckpt = 1). A mode the
// runtime does not offer prints "not available".
//
// Knobs: BLOCKS=evoformer,extra,template,structure,full  REPEATS=3
// FULL_REPEATS=3  FULL_MODES=bf16+ckpt,bf16,fp32+ckpt,fp32  RECYCLES=1,4
// BENCH_BUDGET_S=230 (rows beyond it are skipped, repeats cut to fit)
// PROFILE=evoformer,extra,template,structure (rows given one more step with per-op
// times, printed as '# profile' lines; PROFILE=none for none; 'full r1' works
// too). PROFILE_MODE=events (default on CUDA): CUDA events around every native
// call on the current stream, no synchronization, so the figures are the GPU's
// own: time per op kind, the GPU idle time between consecutive ops (where the
// host is the bottleneck) and the costliest single calls; PROFILE_MODE=sync:
// a device synchronization around every call (host + GPU time per call).
// BENCH_DEVICE=cpu with BLOCKS_SCALE=tiny: a dry run on the CPU (tiny widths);
// BLOCKS_SCALE=small: full widths at small shapes (N_res 32, 16 MSA rows, 64 extra).
import { native } from '../../trainer/core/binding.ts';
import { cudaInfo, memoryStats, tensor, type DeviceName, type Tensor } from '../../trainer/core/tensor.ts';
import { Tape, cast, gradientOf, keep, noGrad, recordOn, scope } from '../../trainer/autograd/index.ts';
import { replay } from '../../trainer/autograd/tape.ts';
import { addGradients } from '../../trainer/autograd/backward.ts';
import { Rng } from '../../features/rng.ts';
import { loadConfig } from '../../trainer/model/config.ts';
import type { AlphaFoldConfig } from '../../trainer/model/config_types.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import type { ParamSpec } from '../../trainer/model/param_tree.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { ParamStore } from '../../trainer/model/params.ts';
import { trainingRuntime, type ModelRuntime, type RuntimeOptions } from '../../trainer/model/runtime.ts';
import { alphaFold, trunkRuntime } from '../../trainer/model/alphafold.ts';
import { alphaFoldLoss } from '../../trainer/model/alphafold_loss.ts';
import { msaBlock } from '../../trainer/model/evoformer_block.ts';
import { templatePairStack } from '../../trainer/model/template_pair_stack.ts';
import { structureModule } from '../../trainer/model/structure_module.ts';
import { syntheticBatch } from '../../trainer/model/synthetic_batch.ts';

const device: DeviceName = process.env.BENCH_DEVICE === 'cpu' ? 'cpu' : 'cuda';
const scale = process.env.BLOCKS_SCALE ?? 'full';
const tiny = scale === 'tiny';
const blocks = new Set((process.env.BLOCKS ?? 'evoformer,extra,template,structure,full').split(',').map((s) => s.trim()));
const repeats = Math.max(1, Number(process.env.REPEATS ?? 3));
const fullRepeats = Math.max(1, Number(process.env.FULL_REPEATS ?? 3));
const fullModes = (process.env.FULL_MODES ?? 'bf16+ckpt,bf16,fp32+ckpt,fp32').split(',').map((s) => s.trim());
const recycles = (process.env.RECYCLES ?? '1,4').split(',').map(Number);
const profiled = new Set((process.env.PROFILE ?? 'evoformer,extra,template,structure').split(',').map((x) => x.trim()));
const budgetMs = Number(process.env.BENCH_BUDGET_S ?? 230) * 1000;
const started = performance.now();
const remainingMs = () => budgetMs - (performance.now() - started);

if (device === 'cuda' && !cudaInfo().usable) {
  console.error('no usable CUDA device (BENCH_DEVICE=cpu BLOCKS_SCALE=tiny for a CPU dry run)');
  process.exit(1);
}
const sync = (): void => {
  if (device === 'cuda') native.synchronize();
};

// ---- peak live bytes: sample the allocator's count after every native call that can allocate
const liveBytes = (): number => (device === 'cuda' ? memoryStats().deviceBytes : memoryStats().hostBytes);
let peak = 0;
/** Calls seen by the sampling wrappers (0 in a row: the core allocates some other way; no peak shown). */
let sampled = 0;
// per-op times of one extra profiled step (device synchronized around every native op)
let profile: Map<string, { ms: number; n: number }> | null = null;
const eventMode = device === 'cuda' && (process.env.PROFILE_MODE ?? 'events') === 'events';
/** Events mode: the calls of the profiled step, each with its events (taken from a pool kept across rows). */
let traced: { key: string; start: number; end: number }[] | null = null;
const eventPool: number[] = [];
let eventsUsed = 0;
const nextEvent = (): number => {
  if (eventsUsed === eventPool.length) eventPool.push(native.eventCreate());
  return eventPool[eventsUsed++]!;
};
{
  const n = native as unknown as Record<string, (...a: unknown[]) => unknown>;
  // run() takes an op name or a table id (runOp resolves names to ids once): label ids by name
  const idToName = new Map<number, string>();
  if (typeof n.opId === 'function') for (const op of native.opNames()) idToName.set(n.opId(op) as number, op);
  const opLabel = (op: unknown): string => (typeof op === 'number' ? (idToName.get(op) ?? `op#${op}`) : String(op));
  const synchronize = native.synchronize.bind(native);
  for (const name of ['run', 'fromTypedArray', 'toDevice']) {
    if (typeof n[name] !== 'function') continue;
    const orig = n[name]!.bind(native);
    const wrapped = (...a: unknown[]) => {
      sampled++;
      let t0 = 0;
      let traceStart = -1;
      if (traced) {
        traceStart = nextEvent();
        native.eventRecord(traceStart, native.streamCurrent());
      } else if (profile) {
        if (device === 'cuda') synchronize();
        t0 = performance.now();
      }
      const r = orig(...a);
      if (traced) {
        const end = nextEvent();
        native.eventRecord(end, native.streamCurrent());
        traced.push({ key: name === 'run' ? opLabel(a[0]) : name, start: traceStart, end });
      } else if (profile) {
        if (device === 'cuda') synchronize();
        const key = name === 'run' ? opLabel(a[0]) : name;
        const e = profile.get(key) ?? { ms: 0, n: 0 };
        e.ms += performance.now() - t0;
        e.n++;
        profile.set(key, e);
      }
      const b = liveBytes();
      if (b > peak) peak = b;
      return r;
    };
    try {
      n[name] = wrapped;
    } catch {
      console.log(`# native.${name} cannot be wrapped: no peak / profile from it`);
    }
  }
}
const GiB = 2 ** 30;

// ---- shapes and config
const config: AlphaFoldConfig = loadConfig(tiny ? 'tiny' : 'initial_training');
const shapes = tiny
  ? { nRes: 16, nMsa: 8, nClusters: 6, nExtra: 16, nTemplates: 2 }
  : scale === 'small'
    ? { nRes: 32, nMsa: 16, nClusters: 12, nExtra: 64, nTemplates: 2 }
    : { nRes: 256, nMsa: 128, nClusters: 124, nExtra: 1024, nTemplates: 4 };
const g = config.globals;
const rng = Rng.fromSeed(11);
const uniform = (shape: readonly number[], lo = -1, hi = 1): Float64Array => {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * rng.float();
  return d;
};

// OpenFold on the same H200 (issue 7), milliseconds; keyed by row name
const OPENFOLD: Record<string, string> = {
  evoformer: '22.1 eager / 12.0 compiled',
  extra: '47.7',
  template: '57.9',
  structure: '-',
  'full r1': '2100 (ckpt) / 1870 (no ckpt, 106 GiB)',
  'full r4': '3390 (ckpt) / 3270 (no ckpt)',
};

interface Row { name: string; mode: string; fwdMs?: number; stepMs?: number; bestMs?: number; reps?: number; peakGiB?: number; note: string }
const rows: Row[] = [];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** The runtime of a mode, or null when the runtime ignores the option (not available). */
function runtimeOf(mode: string): ModelRuntime | null {
  const options: RuntimeOptions = {};
  if (mode.includes('bf16')) options.trunkDtype = 'bfloat16';
  if (mode.includes('ckpt')) options.checkpointBlocks = true;
  const rt = trainingRuntime({ dtype: 'float32', device }, 1, 0, options);
  if (options.trunkDtype && rt.trunkDtype !== options.trunkDtype) return null;
  if (options.checkpointBlocks && rt.checkpointBlocks !== true) return null;
  return rt;
}

function paramsFor(filter: (s: ParamSpec) => boolean, mode = ''): ParamStore {
  const specs = modelParamSpec(config).filter(filter);
  const store = ParamStore.fromValues(specs, initParams(specs, 1), 'float32', device);
  // '+shadow': bf16 copies of the weights as the fused optimizer leaves them in
  // pretrain (no weight casts in the forward; gradients still reach the fp32 masters)
  if (mode.includes('shadow')) for (const [name, t] of store.tensors) store.setShadow(name, noGrad(() => cast(t, 'bfloat16')));
  return store;
}

function clearGrads(params: ParamStore): void {
  for (const t of params.tensors.values()) if (t.grad) { t.grad.dispose(); t.grad = null; }
}

/**
 * One timed forward+backward: forward(rt) records on a tape and returns the
 * tensors to seed (with their cotangents, or a scalar loss). Returns the
 * forward and total milliseconds.
 */
function timedStep(forward: (tape: Tape) => { seeds: Map<Tensor, Tensor> } | { loss: Tensor }): { fwd: number; total: number } {
  // a collection before (not inside) the timed region where node runs with --expose-gc
  (globalThis as { gc?: () => void }).gc?.();
  sync();
  const t0 = performance.now();
  let fwd = 0;
  const tape = new Tape();
  try {
    scope(() => {
      const r = recordOn(tape, () => forward(tape));
      sync();
      fwd = performance.now() - t0;
      if ('loss' in r) gradientOf(tape, r.loss);
      else noGrad(() => scope(() => { replay(tape, r.seeds, addGradients); }));
      sync();
    });
  } finally {
    tape.release();
  }
  return { fwd, total: performance.now() - t0 };
}

/** Runs a row: setup (untimed, returns what to free), warm-up, repeats; isolated from the others. */
function bench(name: string, mode: string, reps: number, warmup: number, run: () => { step: () => { fwd: number; total: number }; free: () => void }, estimateMs = 0): void {
  if (remainingMs() <= estimateMs) {
    rows.push({ name, mode, note: 'skipped (BENCH_BUDGET_S spent)' });
    printRow(rows[rows.length - 1]!);
    return;
  }
  const before = liveBytes();
  let free: (() => void) | null = null;
  const row: Row = { name, mode, note: '' };
  try {
    const r = run();
    free = r.free;
    const base = liveBytes();
    peak = base;
    sampled = 0;
    let warm: { fwd: number; total: number } | null = null;
    for (let i = 0; i < warmup; i++) warm = r.step();
    // cut the repeats to what the budget still allows; none left: the warm-up run is the figure
    const per = Math.max(warm?.total ?? 0, 1);
    const n = warm ? Math.max(0, Math.min(reps, Math.floor(remainingMs() / per))) : reps;
    const fwd: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = r.step();
      fwd.push(t.fwd);
      total.push(t.total);
      if (remainingMs() < t.total) break; // another run would overrun the budget
    }
    if (total.length === 0 && warm) {
      fwd.push(warm.fwd);
      total.push(warm.total);
    }
    if (profiled.has(name) && remainingMs() > 2 * per) printProfile(`${name} ${mode}`, () => r.step());
    const done = n === 0 ? 0 : total.length;
    if (process.env.PRINT_REPEATS === '1') console.log(`# repeats ${name} ${mode}: ${total.map((x) => x.toFixed(2)).join(' ')}`);
    Object.assign(row, { fwdMs: median(fwd), stepMs: median(total), bestMs: Math.min(...total), reps: done, peakGiB: sampled > 0 ? (peak - base) / GiB : undefined });
    row.note = `live before ${(base / GiB).toFixed(2)} GiB${done === 0 ? '; the warm-up run only (budget)' : done < reps ? `; repeats cut to ${done} (budget)` : ''}`;
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 160);
    row.note = `ERROR: ${msg}`;
  } finally {
    try {
      free?.();
    } catch (e) {
      row.note += ` (free failed: ${e instanceof Error ? e.message : e})`;
    }
  }
  sync();
  const after = liveBytes();
  if (after > before + (1 << 20)) row.note += ` LEAK: ${((after - before) / GiB).toFixed(3)} GiB still alive`;
  rows.push(row);
  printRow(row);
}

/** One more step with every native op synchronized and timed; prints the ops by total time. */
function printProfile(label: string, step: () => void): void {
  if (eventMode) {
    printEventProfile(label, step);
    return;
  }
  profile = new Map();
  const t0 = performance.now();
  try {
    step();
  } finally {
    const all = profile;
    profile = null;
    const wall = performance.now() - t0;
    const sum = [...all.values()].reduce((a, e) => a + e.ms, 0);
    const top = [...all].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12);
    console.log(`# profile ${label}: ${wall.toFixed(1)} ms synchronized (ops ${sum.toFixed(1)} ms, ${[...all.values()].reduce((a, e) => a + e.n, 0)} calls): ` +
      top.map(([op, e]) => `${op} ${e.ms.toFixed(1)}/${e.n}`).join(', '));
  }
}

/** One more step with CUDA events around every native call (no synchronization); prints GPU time per op kind, idle gaps, top calls. */
function printEventProfile(label: string, step: () => void): void {
  sync();
  traced = [];
  eventsUsed = 0;
  const t0 = performance.now();
  let calls: { key: string; start: number; end: number }[] = [];
  try {
    step();
  } finally {
    calls = traced;
    traced = null;
  }
  sync();
  const wall = performance.now() - t0;
  const byOp = new Map<string, { ms: number; n: number }>();
  const single: { key: string; at: number; ms: number }[] = [];
  let busy = 0;
  let idle = 0;
  let largestGap = 0;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    const ms = native.eventElapsed(c.start, c.end);
    busy += ms;
    if (i > 0) {
      const gap = Math.max(0, native.eventElapsed(calls[i - 1]!.end, c.start));
      idle += gap;
      largestGap = Math.max(largestGap, gap);
    }
    const e = byOp.get(c.key) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n++;
    byOp.set(c.key, e);
    single.push({ key: c.key, at: i, ms });
  }
  const span = calls.length > 1 ? native.eventElapsed(calls[0]!.start, calls.at(-1)!.end) : 0;
  const top = [...byOp].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14);
  console.log(`# profile ${label} (GPU events): wall ${wall.toFixed(1)} ms, GPU span ${span.toFixed(2)} ms = ops ${busy.toFixed(2)} ms + idle between ops ${idle.toFixed(2)} ms (largest gap ${largestGap.toFixed(3)}), ${calls.length} calls: ` +
    top.map(([op, e]) => `${op} ${e.ms.toFixed(2)}/${e.n}`).join(', '));
  const costly = single.sort((a, b) => b.ms - a.ms).slice(0, 16);
  console.log(`# profile ${label} costliest calls (op@index ms): ` + costly.map((c) => `${c.key}@${c.at} ${c.ms.toFixed(3)}`).join(', '));
}

const fmt = (x: number | undefined, d = 1): string => (x === undefined ? '-' : x.toFixed(d));
function printRow(r: Row): void {
  const ref = OPENFOLD[r.name] ?? '-';
  const peakText = r.peakGiB === undefined ? '-' : r.peakGiB >= 1 ? r.peakGiB.toFixed(2) : `${(r.peakGiB * 1024).toFixed(1)} MiB`;
  console.log([r.name, r.mode, fmt(r.fwdMs), fmt(r.stepMs), fmt(r.bestMs), r.reps ?? '-', peakText, ref, r.note].join('\t'));
}

/** Input leaves requiring gradients, made once per row (not timed). */
function leaf(shape: readonly number[], dtype: 'float32' | 'bfloat16'): Tensor {
  const t = keep(tensor(uniform(shape), shape, { dtype, device }));
  t.requiresGrad = true;
  return t;
}
function constant(shape: readonly number[], dtype: 'float32' | 'bfloat16', value = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return keep(tensor(new Float64Array(n).fill(value), shape, { dtype, device }));
}

/** Cotangents for outputs, made on the first step (warm-up) and reused: fixed random values, owned by the row. */
function cotangents(): { of: (t: Tensor) => Tensor; free: () => void } {
  const cache = new Map<string, Tensor>();
  return {
    of: (t: Tensor) => {
      const key = `${t.dtype}:${t.shape.join('x')}`;
      let s = cache.get(key);
      if (!s) cache.set(key, (s = keep(tensor(uniform(t.shape), t.shape, { dtype: t.dtype, device }))));
      return s;
    },
    free: () => { for (const t of cache.values()) t.dispose(); cache.clear(); },
  };
}

function msaBlockRow(name: 'evoformer' | 'extra', mode: string): void {
  const rt0 = runtimeOf(mode);
  if (!rt0) { rows.push({ name, mode, note: 'not available (runtime has no trunkDtype)' }); printRow(rows[rows.length - 1]!); return; }
  bench(name, mode, repeats, 1, () => {
    const prefix = name === 'evoformer' ? 'evoformer.blocks.0.' : 'extra_msa_stack.blocks.0.';
    const params = paramsFor((s) => s.name.startsWith(prefix), mode);
    const rt = trunkRuntime(rt0);
    const dtype = rt.place.dtype as 'float32' | 'bfloat16';
    const rows_ = name === 'evoformer' ? shapes.nMsa : shapes.nExtra;
    const c = name === 'evoformer' ? g.c_m : g.c_e;
    const n = shapes.nRes;
    const m = leaf([rows_, n, c], dtype);
    const z = leaf([n, n, g.c_z], dtype);
    const msaMask = constant([rows_, n], dtype);
    const pairMask = constant([n, n], dtype);
    const stack = name === 'evoformer' ? config.model.evoformer_stack : config.model.extra_msa.extra_msa_stack;
    const p = params.view(prefix.slice(0, -1), rt0.trunkDtype);
    const cot = cotangents();
    return {
      step: () => {
        const t = timedStep(() => {
          const o = msaBlock(p, rt, { m, z, msaMask, pairMask }, { stack, globalColumnAttention: name === 'extra', maskTransition: config.model._mask_trans, eps: g.eps });
          return { seeds: new Map([[o.m, cot.of(o.m)], [o.z, cot.of(o.z)]]) };
        });
        for (const x of [m, z]) if (x.grad) { x.grad.dispose(); x.grad = null; }
        clearGrads(params);
        return t;
      },
      free: () => { cot.free(); for (const x of [m, z, msaMask, pairMask]) x.dispose(); params.dispose(); },
    };
  });
}

function templateRow(mode: string): void {
  const rt0 = runtimeOf(mode);
  if (!rt0) { rows.push({ name: 'template', mode, note: 'not available (runtime has no trunkDtype)' }); printRow(rows[rows.length - 1]!); return; }
  bench('template', mode, repeats, 1, () => {
    const prefix = 'template_embedder.template_pair_stack.';
    const params = paramsFor((s) => s.name.startsWith(`${prefix}blocks.0.`) || s.name.startsWith(`${prefix}layer_norm.`), mode);
    const rt = trunkRuntime(rt0);
    const dtype = rt.place.dtype as 'float32' | 'bfloat16';
    const n = shapes.nRes;
    const ts = Array.from({ length: shapes.nTemplates }, () => leaf([n, n, g.c_t], dtype));
    const pairMask = constant([n, n], dtype);
    const cfg = { ...config.model.template.template_pair_stack, no_blocks: 1 };
    const p = params.view(prefix.slice(0, -1), rt0.trunkDtype);
    const cot = cotangents();
    return {
      step: () => {
        const t = timedStep(() => {
          const seeds = new Map<Tensor, Tensor>();
          for (const x of ts) {
            const o = scope(() => templatePairStack(p, rt, cfg, x, pairMask, config.model._mask_trans));
            seeds.set(o, cot.of(o));
          }
          return { seeds };
        });
        for (const x of ts) if (x.grad) { x.grad.dispose(); x.grad = null; }
        clearGrads(params);
        return t;
      },
      free: () => { cot.free(); for (const x of [...ts, pairMask]) x.dispose(); params.dispose(); },
    };
  });
}

function structureRow(): void {
  // the structure module runs in float32 under either mode (ScaleFold / our bf16 trunk)
  bench('structure', 'fp32 (both)', repeats, 1, () => {
    const params = paramsFor((s) => s.name.startsWith('structure_module.'));
    const rt = trainingRuntime({ dtype: 'float32', device }, 1, 0);
    const n = shapes.nRes;
    const single = leaf([n, g.c_s], 'float32');
    const pair = leaf([n, n, g.c_z], 'float32');
    const aatype = Float64Array.from({ length: n }, () => Math.floor(rng.float() * 20));
    const seqMask = new Float64Array(n).fill(1);
    const p = params.view('structure_module');
    const cot = cotangents();
    return {
      step: () => {
        const t = timedStep(() => {
          const sm = structureModule(p, rt, config.model.structure_module, single, pair, aatype, seqMask);
          const seeds = new Map<Tensor, Tensor>([[sm.single, cot.of(sm.single)]]);
          // what the losses read: every layer's frames and angles, the positions
          for (const l of sm.layers) for (const o of [l.frames, l.unnormalizedAngles, l.angles, l.positions]) if (o.requiresGrad) seeds.set(o, cot.of(o));
          return { seeds };
        });
        for (const x of [single, pair]) if (x.grad) { x.grad.dispose(); x.grad = null; }
        clearGrads(params);
        return t;
      },
      free: () => { cot.free(); single.dispose(); pair.dispose(); params.dispose(); },
    };
  });
}

function fullRows(): void {
  let params: ParamStore | null = null;
  try {
    const t0 = performance.now();
    params = paramsFor(() => true);
    console.log(`# full model parameters ready (${((performance.now() - t0) / 1000).toFixed(1)} s, ${(liveBytes() / GiB).toFixed(2)} GiB live)`);
  } catch (e) {
    rows.push({ name: 'full', mode: '-', note: `ERROR making parameters: ${e instanceof Error ? e.message : e}` });
    printRow(rows[rows.length - 1]!);
    return;
  }
  const ps = params;
  const batches = new Map(recycles.map((it) => [it, syntheticBatch({ nRes: shapes.nRes, nMsa: shapes.nClusters, nExtra: shapes.nExtra, nTemplates: shapes.nTemplates, iterations: it }, 7)]));
  for (const mode of fullModes) {
    const rt0 = runtimeOf(mode);
    let warmed = false;
    let lastMs = 0; // a lower bound of the next row's step (more recycling passes)
    for (const it of recycles) {
      const name = `full r${it}`;
      if (!rt0) { rows.push({ name, mode, note: 'not available (runtime lacks the option)' }); printRow(rows[rows.length - 1]!); continue; }
      const f = batches.get(it)!;
      bench(name, mode, fullRepeats, warmed ? 0 : 1, () => ({
        step: () => {
          const rt = runtimeOf(mode)!;
          const t = timedStep(() => {
            const out = alphaFold(ps, rt, config, f, it);
            return { loss: alphaFoldLoss(out, config, f, it - 1).total };
          });
          clearGrads(ps);
          return t;
        },
        free: () => clearGrads(ps),
      }), lastMs);
      // the kernels of a mode are warm after its first row
      const done = rows[rows.length - 1]!.stepMs;
      if (done !== undefined) { warmed = true; lastMs = done; }
    }
  }
  ps.dispose();
}

console.log(`# bench_blocks: device ${device}, scale ${scale}${tiny ? ' (tiny widths)' : ''}; shapes ${JSON.stringify(shapes)}; repeats ${repeats} (full ${fullRepeats}); budget ${budgetMs / 1000} s`);
console.log(['block', 'mode', 'fwd ms', 'fwd+bwd ms', 'best', 'reps', 'peak GiB', 'OpenFold fwd+bwd ms (H200)', 'note'].join('\t'));
// BENCH_VARIANTS='label:ENV=V,ENV2=W;label2:...' runs the block rows once per variant with those environment
// variables set (the core reads its SF_* switches per call), round-robin VARIANT_ROUNDS times (default 2), so
// that a drifting GPU (shared machine, clocks) touches every variant alike; the rows' modes carry [label].
const variants = (process.env.BENCH_VARIANTS ?? '').split(';').filter((v) => v.trim() !== '').map((v) => {
  const [label, ...rest] = v.split(':');
  const env = Object.fromEntries(rest.join(':').split(',').filter((kv) => kv.includes('=')).map((kv) => kv.split('=') as [string, string]));
  return { label: label!.trim(), env };
});
const blockModes = (process.env.BLOCK_MODES ?? 'fp32,bf16,bf16+shadow').split(',').map((x) => x.trim());
const blockRows = (suffix: string): void => {
  for (const mode of blockModes) {
    if (blocks.has('evoformer')) msaBlockRow('evoformer', mode + suffix);
    if (blocks.has('extra')) msaBlockRow('extra', mode + suffix);
    if (blocks.has('template')) templateRow(mode + suffix);
  }
};
if (variants.length === 0) blockRows('');
for (let round = 0; variants.length > 0 && round < Number(process.env.VARIANT_ROUNDS ?? 2); round++) {
  for (const v of variants) {
    const saved = Object.fromEntries(Object.keys(v.env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, v.env);
    try {
      blockRows(` [${v.label}]`);
    } finally {
      for (const [k, old] of Object.entries(saved)) {
        if (old === undefined) delete process.env[k];
        else process.env[k] = old;
      }
    }
  }
}
if (blocks.has('structure')) structureRow();
if (blocks.has('full')) fullRows();
// ours / OpenFold for the comparable rows (OpenFold's figures are bf16 autocast)
const COMPARE: [string, string, number, string][] = [
  ['evoformer', 'bf16', 22.1, 'eager'], ['evoformer', 'bf16', 12.0, 'torch.compile'], ['evoformer', 'bf16+shadow', 12.0, 'torch.compile'], ['extra', 'bf16+shadow', 47.7, 'eager'], ['extra', 'bf16', 47.7, 'eager'], ['template', 'bf16', 57.9, 'eager'],
  ['full r1', 'bf16+ckpt', 2100, 'ckpt'], ['full r4', 'bf16+ckpt', 3390, 'ckpt'], ['full r1', 'bf16', 1870, 'no ckpt'], ['full r4', 'bf16', 3270, 'no ckpt'],
];
console.log(`# ours / OpenFold (fwd+bwd median; < 1 is faster)${device !== 'cuda' || scale !== 'full' ? ' -- DRY RUN, not comparable' : ''}:`);
for (const [name, mode, ref, what] of COMPARE) {
  const r = rows.find((x) => x.name === name && x.mode === mode);
  if (r?.stepMs !== undefined) console.log(`#   ${name} ${mode}: ${r.stepMs.toFixed(1)} ms vs ${ref} ms (${what}) = ${(r.stepMs / ref).toFixed(2)}x`);
}
console.log(`# done in ${((performance.now() - started) / 1000).toFixed(1)} s; live at end ${(liveBytes() / GiB).toFixed(3)} GiB`);
