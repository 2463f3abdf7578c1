// GPU benchmarks of the core (the PyTorch counterpart is bench_torch.py, run
// right after in the same call): copy bandwidth, GEMM TFLOP/s at Evoformer
// shapes, fused attention forward+backward at the MSA-row and
// triangle-attention shapes, layer norm GB/s. Medians of timed repetitions
// with CUDA events after warm-up, on random data; prints figures, asserts
// nothing.
import { native } from '../../trainer/core/binding.ts';
import { cudaInfo, tensor, type Tensor, type DType } from '../../trainer/core/tensor.ts';
import { runOp, runOpAll } from '../../trainer/core/ops.ts';
import { timeQueuedMs } from './queued_timing.ts';
import * as ag from '../../trainer/autograd/index.ts';

const info = cudaInfo();
if (!info.usable) {
  console.error('no usable CUDA device: the GPU benchmarks need one');
  process.exit(1);
}

const start = native.eventCreate();
const end = native.eventCreate();

/** Median milliseconds of fn over reps timed runs, after warm-up. */
function timeMs(fn: () => void, reps = 20, warmup = 3): number {
  for (let i = 0; i < warmup; i++) ag.scope(fn);
  native.synchronize();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    native.eventRecord(start, 0);
    ag.scope(fn);
    native.eventRecord(end, 0);
    native.eventSynchronize(end);
    times.push(native.eventElapsed(start, end));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Median milliseconds per call of fn, timed over `inner` back-to-back calls
 * between one event pair, so that the host's per-call overhead (N-API, output
 * allocation) overlaps the GPU work of short kernels instead of adding to it.
 */
function timeLoopMs(fn: () => void, inner = 20, reps = 10): number {
  for (let i = 0; i < 3; i++) ag.scope(fn);
  native.synchronize();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    native.eventRecord(start, 0);
    for (let i = 0; i < inner; i++) ag.scope(fn);
    native.eventRecord(end, 0);
    native.eventSynchronize(end);
    times.push(native.eventElapsed(start, end) / inner);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function random(shape: number[], dtype: DType, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * Math.random();
  return ag.keep(ag.scope(() => tensor(v, shape, { dtype }).to('cuda')));
}

const lines: string[] = [];
function report(line: string): void {
  lines.push(line);
  console.log(line);
}

// copy bandwidth: 1 GiB device-to-device, bytes read + written
let copyGBs = 0;
{
  const x = ag.keep(ag.scope(() => runOpAll('fill', [tensor([0], [1]).to('cuda')], { value: 1.5, shape: [1 << 28] })[0]));
  const ms = timeMs(() => {
    native.dispose(native.toDevice(x.handle, 1));
  }, 10);
  copyGBs = (2 * 4 * 2 ** 28) / ms / 1e6;
  report(`copy\t1 GiB D2D\t${ms.toFixed(3)} ms\t${copyGBs.toFixed(0)} GB/s`);
  x.dispose();
}

// GEMMs at Evoformer shapes (crop 256, 128 MSA rows, c_m 256, c_z 128), as linear layers x W^T
const gemms: [string, number, number, number, number][] = [
  ['msa q/k/v/gate proj', 1, 128 * 256, 256, 256],
  ['msa transition up', 1, 128 * 256, 256, 1024],
  ['msa transition down', 1, 128 * 256, 1024, 256],
  ['pair tri-mult proj', 1, 256 * 256, 128, 128],
  ['pair transition up', 1, 256 * 256, 128, 512],
  ['outer product mean out', 1, 256 * 256, 1024, 128],
  ['tri-mult update (batched)', 128, 256, 256, 256],
];
const precisions: [string, DType, 'fp32' | 'tf32' | 'simt'][] = info.cublasLt
  ? [['bf16', 'bfloat16', 'fp32'], ['tf32', 'float32', 'tf32'], ['fp32', 'float32', 'fp32'], ['simt-fp32', 'float32', 'simt']]
  : [['simt-fp32', 'float32', 'simt'], ['simt-bf16', 'bfloat16', 'simt']];
for (const [name, batch, m, k, n] of gemms) {
  for (const [pname, dtype, precision] of precisions) {
    const a = random(batch > 1 ? [batch, m, k] : [m, k], dtype);
    const w = random(batch > 1 ? [batch, n, k] : [n, k], dtype);
    const ms = timeMs(() => {
      runOpAll('matmul', [a, w], { transB: true, precision });
    });
    report(`gemm\t${name} [${batch > 1 ? batch + 'x' : ''}${m}x${k}]x[${k}x${n}]\t${pname}\t${ms.toFixed(3)} ms\t${((2 * batch * m * n * k) / ms / 1e9).toFixed(1)} TFLOP/s`);
    a.dispose();
    w.dispose();
  }
}

// fused attention forward + backward with pair bias, mask and gate, on each selectable path:
//   gemm:     cuBLASLt GEMMs + elementwise kernels for forward and backward (cuda/attention_gemm.cuh; the
//             default for bf16 where cuBLASLt is compiled);
//   gemm-bwd: the fused tensor-core forward with the GEMM backward (SF_ATTENTION_GEMM_FWD=0);
//   tc:       the fused tensor-core kernels (cuda/attention_tc.cuh; SF_ATTENTION_GEMM=0);
//   simt:     the SIMT kernels (SF_ATTENTION_GEMM=0 SF_ATTENTION_TC=0), also the float32 path.
const attnBenchEnv: Record<string, Record<string, string>> = {
  gemm: { SF_ATTENTION_GEMM: '1', SF_ATTENTION_GEMM_FWD: '1', SF_ATTENTION_TC: '1' },
  'gemm-bwd': { SF_ATTENTION_GEMM: '1', SF_ATTENTION_GEMM_FWD: '0', SF_ATTENTION_TC: '1' },
  tc: { SF_ATTENTION_GEMM: '0', SF_ATTENTION_GEMM_FWD: '1', SF_ATTENTION_TC: '1' },
  simt: { SF_ATTENTION_GEMM: '0', SF_ATTENTION_GEMM_FWD: '1', SF_ATTENTION_TC: '0' },
};
const attnBenchNames: Record<string, string> = {
  gemm: 'cuBLASLt GEMM path', 'gemm-bwd': 'tensor-core fwd + GEMM bwd', tc: 'tensor cores', simt: 'SIMT fp32 FMA',
};
const attnBenchPaths: [DType, string][] = [
  ...(info.cublasLt ? ([['bfloat16', 'gemm'], ['bfloat16', 'gemm-bwd']] as [DType, string][]) : []),
  ['bfloat16', 'tc'], ['bfloat16', 'simt'], ['float32', 'simt'],
];
for (const [label, B, H] of [['msa-row', 128, 8], ['triangle', 256, 4]] as const) {
  const [Q, D] = [256, 32];
  for (const [dtype, path] of attnBenchPaths) {
    // the path is chosen at each launch from the environment (cuda/attention.cu): see attnBenchEnv
    for (const name of Object.keys(attnBenchEnv.gemm)) delete process.env[name];
    Object.assign(process.env, attnBenchEnv[path]);
    try {
      const q = random([B, Q, H, D], dtype);
      const k = random([B, Q, H, D], dtype);
      const v = random([B, Q, H, D], dtype);
      const g = random([B, Q, H, D], dtype);
      const bias = random([H, Q, Q], dtype);
      const mask = ag.keep(ag.scope(() => ag.cast(ag.cast(random([B, Q], dtype, 0.2, 1.5), 'int32'), dtype)));
      const dout = random([B, Q, H, D], dtype);
      const inputs = [q, k, v, bias, mask, g];
      const fwd = timeMs(() => {
        runOp('attention', inputs, {});
      });
      const [, outRaw, lse] = ag.scope(() => runOpAll('attention', inputs, {}).map((t) => ag.keep(t)));
      const bwd = timeMs(() => {
        runOp('attention_backward', [...inputs, outRaw, lse, dout], {});
      });
      if (path === 'gemm') {
        // one more call with the per-phase CUDA-event breakdown (cuda/attention_gemm.cuh prints it to stdout)
        process.env.SF_ATTENTION_PROFILE = '1';
        ag.scope(() => {
          runOp('attention', inputs, {});
          runOp('attention_backward', [...inputs, outRaw, lse, dout], {});
        });
        delete process.env.SF_ATTENTION_PROFILE;
      }
      const flops = 4 * B * H * Q * Q * D; // two products forward
      report(`attention\t${label} B${B} H${H} ${Q}x${Q} d${D} bias+mask+gate\t${dtype} ${attnBenchNames[path]}\tfwd ${fwd.toFixed(3)} ms\tbwd ${bwd.toFixed(3)} ms\tfwd+bwd ${(fwd + bwd).toFixed(3)} ms\t(${((3.5 * flops) / (fwd + bwd) / 1e9).toFixed(1)} TFLOP/s at 3.5x the forward's products)`);
      if (dtype === 'bfloat16') {
        // the same without bias, mask and gate: what the bias gradient and the extra inputs cost
        const plain = [q, k, v, null, null, null];
        const fwdPlain = timeMs(() => {
          runOp('attention', plain, {});
        });
        const [, rawPlain, lsePlain] = ag.scope(() => runOpAll('attention', plain, {}).map((t) => ag.keep(t)));
        const bwdPlain = timeMs(() => {
          runOp('attention_backward', [...plain, rawPlain, lsePlain, dout], {});
        });
        report(`attention\t${label} without bias/mask/gate\t${dtype} ${path}\tfwd ${fwdPlain.toFixed(3)} ms\tbwd ${bwdPlain.toFixed(3)} ms`);
        rawPlain.dispose();
        lsePlain.dispose();
      }
      for (const t of [...inputs, dout, outRaw, lse]) t.dispose();
    } catch (e) {
      // reported, so that the other paths and benchmarks still run
      report(`attention\t${label}\t${dtype} ${attnBenchNames[path]}\tfailed: ${(e as Error).message}`);
    }
  }
}
for (const name of Object.keys(attnBenchEnv.gemm)) delete process.env[name];

// layer norm at [128 x 256, 256]: bytes of x read and y written (forward); dy, x read and dx written (backward)
const blocker = ag.keep(ag.scope(() => runOpAll('fill', [tensor([0], [1]).to('cuda')], { value: 0.5, shape: [1 << 28] })[0]));
for (const dtype of ['float32', 'bfloat16'] as DType[]) {
  const rows = 128 * 256;
  const c = 256;
  const x = random([rows, c], dtype, -2, 2);
  const gamma = random([c], dtype, 0.5, 1.5);
  const beta = random([c], dtype);
  const dy = random([rows, c], dtype);
  const es = dtype === 'float32' ? 4 : 2;
  const forward = () => {
    runOpAll('layer_norm', [x, gamma, beta], { eps: 1e-5 });
  };
  const fwd1 = timeMs(forward, 50);
  const fwd = timeLoopMs(forward);
  const [, mean, rstd] = runOpAll('layer_norm', [x, gamma, beta], { eps: 1e-5 }).map((t) => ag.keep(t));
  const bwd = timeLoopMs(() => {
    runOpAll('layer_norm_backward', [dy, x, gamma, mean, rstd]);
  });
  const gbs = (bytes: number, ms: number) => (bytes / ms / 1e6).toFixed(0);
  // GPU time alone (timeQueuedMs): the same input each call (x partly stays in the 50 MB L2), and four
  // distinct inputs in turn (134 MB float32, more than L2 holds: every call reads x from HBM, as the copy does)
  const xs = [x, random([rows, c], dtype, -2, 2), random([rows, c], dtype, -2, 2), random([rows, c], dtype, -2, 2)];
  const same = timeQueuedMs(() => {
    runOpAll('layer_norm', [x, gamma, beta], { eps: 1e-5 });
  }, { blocker, copies: 4, inner: 40, repeats: 10 });
  const rot = timeQueuedMs((i) => {
    runOpAll('layer_norm', [xs[i % 4], gamma, beta], { eps: 1e-5 });
  }, { blocker, copies: 4, inner: 40, repeats: 10 });
  const rotB = timeQueuedMs((i) => {
    runOpAll('layer_norm_backward', [dy, xs[i % 4], gamma, mean, rstd]);
  }, { blocker, copies: 4, inner: 40, repeats: 10 });
  const bytesF = 2 * rows * c * es;
  report(`layer_norm GPU-only\t[${rows}, ${c}]\t${dtype}\tfwd 4 inputs in turn ${(rot.ms * 1000).toFixed(1)} us ${gbs(bytesF, rot.ms)} GB/s = ${((100 * bytesF) / rot.ms / 1e6 / copyGBs).toFixed(0)}% of copy\tfwd same input ${(same.ms * 1000).toFixed(1)} us ${gbs(bytesF, same.ms)} GB/s\tbwd 4 inputs in turn ${(rotB.ms * 1000).toFixed(1)} us ${gbs(3 * rows * c * es, rotB.ms)} GB/s\t(host enqueue ${rot.hostMs.toFixed(2)} ms for 40 calls under a ${rot.blockerMs.toFixed(2)} ms copy${rot.hostMs < rot.blockerMs ? '' : ': HOST-BOUND, figure not the GPU alone'})`);
  for (const t of xs.slice(1)) t.dispose();
  report(`layer_norm\t[${rows}, ${c}]\t${dtype}\tfwd ${(fwd * 1000).toFixed(1)} us ${gbs(2 * rows * c * es, fwd)} GB/s (one call between events: ${(fwd1 * 1000).toFixed(1)} us ${gbs(2 * rows * c * es, fwd1)} GB/s)\tbwd ${(bwd * 1000).toFixed(1)} us ${gbs(3 * rows * c * es, bwd)} GB/s`);
  for (const t of [x, gamma, beta, dy, mean, rstd]) t.dispose();
}
blocker.dispose();
