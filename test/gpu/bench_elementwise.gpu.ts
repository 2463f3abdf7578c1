// GPU benchmark of the generic elementwise, layout and reduction kernels
// (trainer/core launch.h, cuda/reduce.cuh, cuda/layout_transpose.cuh) at the
// model's shapes: GB/s (bytes read + written, over the median GPU time) next
// to a device-to-device copy moving the same number of bytes. The GPU time
// is taken with CUDA events around `inner` back-to-back calls queued behind
// a long copy, so the host's per-call cost (Node-API, allocation) hides
// behind the GPU work (the method of bench.gpu.ts's timeQueuedMs). Prints
// figures, asserts nothing.
import { native } from '../../trainer/core/binding.ts';
import { cudaInfo, tensor, type Tensor, type DType } from '../../trainer/core/tensor.ts';
import { runOpAll } from '../../trainer/core/ops.ts';
import { timeQueuedMs } from './queued_timing.ts';
import * as ag from '../../trainer/autograd/index.ts';

const info = cudaInfo();
if (!info.usable) {
  console.error('no usable CUDA device: the GPU benchmarks need one');
  process.exit(1);
}

const blocker = ag.keep(ag.scope(() => runOpAll('fill', [tensor([0], [1]).to('cuda')], { value: 1.5, shape: [1 << 27] })[0]));
/** Calls queued behind 8 copies of 512 MiB (~2 ms of GPU work), 20 per repeat, median of 9. */
const queue = { blocker, copies: 8, inner: 20, repeats: 9 };

function random(shape: number[], dtype: DType): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.random() * 2 - 1;
  return ag.keep(ag.scope(() => tensor(v, shape, { dtype }).to('cuda')));
}

const bytesOf = (dtype: DType) => (dtype === 'bfloat16' ? 2 : dtype === 'float64' ? 8 : 4);

/** Times a device copy of a float32 buffer of bytes/2 bytes (so bytes moved in all). */
function copyMs(bytes: number): number {
  const n = Math.max(1, Math.round(bytes / 2 / 4));
  const x = ag.keep(ag.scope(() => runOpAll('fill', [tensor([0], [1]).to('cuda')], { value: 1, shape: [n] })[0]));
  const t = timeQueuedMs(() => native.dispose(native.toDevice(x.handle, 1)), queue);
  x.dispose();
  return t.ms;
}

console.log(['case', 'dtype', 'ms', 'GB/s', 'copy GB/s (same bytes)', '% of copy', 'host ms/call', 'blocker ms'].join('\t'));
function bench(name: string, dtype: DType, inputs: Tensor[], fn: (xs: Tensor[]) => Tensor): void {
  const probe = ag.scope(() => {
    const y = fn(inputs);
    return { numel: y.shape.reduce((a, b) => a * b, 1), dtype: y.dtype };
  });
  const bytes = inputs.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1) * bytesOf(t.dtype), 0) + probe.numel * bytesOf(probe.dtype);
  const t = timeQueuedMs(() => {
    fn(inputs);
  }, queue);
  const c = copyMs(bytes);
  const gbs = bytes / t.ms / 1e6;
  const cgbs = bytes / c / 1e6;
  console.log([name, dtype, t.ms.toFixed(4), gbs.toFixed(0), cgbs.toFixed(0), ((100 * gbs) / cgbs).toFixed(0), (t.hostMs / 20).toFixed(4), t.blockerMs.toFixed(2)].join('\t'));
  for (const x of inputs) x.dispose();
}

const sum = (axes: number[]) => ([x]: Tensor[]) => runOpAll('reduce_sum', [x], { axes })[0];
for (const dtype of ['float32', 'bfloat16'] as DType[]) {
  bench('reduce_sum [65536,128] -> [128] (bias grad)', dtype, [random([65536, 128], dtype)], sum([0]));
  bench('reduce_sum [4,256,256,128] -> [128] (bias grad)', dtype, [random([4, 256, 256, 128], dtype)], sum([0, 1, 2]));
  bench('reduce_sum [128,65536] -> [128,1]', dtype, [random([128, 65536], dtype)], sum([1]));
  bench('reduce_sum [256,256,128] axis 1', dtype, [random([256, 256, 128], dtype)], sum([1]));
  bench('reduce_sum [131072,32] axis 1 (short rows)', dtype, [random([131072, 32], dtype)], sum([1]));
  bench('add [128,256,256]+[256]', dtype, [random([128, 256, 256], dtype), random([256], dtype)], ([a, b]) => runOpAll('binary', [a, b], { fn: 'add' })[0]);
  bench('mul [128,256,256]*[128,256,256]', dtype, [random([128, 256, 256], dtype), random([128, 256, 256], dtype)], ([a, b]) => runOpAll('binary', [a, b], { fn: 'mul' })[0]);
  bench('binary_backward mul [128,256,256],[256]', dtype, [random([128, 256, 256], dtype), random([128, 256, 256], dtype), random([256], dtype)], ([g, a, b]) => {
    const [da, db] = runOpAll('binary_backward', [g, a, b], { fn: 'mul' });
    db.dispose();
    return da;
  });
  bench('sigmoid [128,256,256]', dtype, [random([128, 256, 256], dtype)], ([x]) => runOpAll('unary', [x], { fn: 'sigmoid' })[0]);
  bench('permute [256,256,128] -> [128,256,256]', dtype, [random([256, 256, 128], dtype)], ([x]) => runOpAll('permute', [x], { perm: [2, 0, 1] })[0]);
  bench('permute [256,256,4,32] -> [4,256,256,32]', dtype, [random([256, 256, 4, 32], dtype)], ([x]) => runOpAll('permute', [x], { perm: [2, 0, 1, 3] })[0]);
  bench('permute [256,256,128] -> [256,256,128] (0,1 swap)', dtype, [random([256, 256, 128], dtype)], ([x]) => runOpAll('permute', [x], { perm: [1, 0, 2] })[0]);
  bench('slice [256,256,256] -> [256,256,128]', dtype, [random([256, 256, 256], dtype)], ([x]) => runOpAll('slice', [x], { begin: [0, 0, 64], size: [256, 256, 128] })[0]);
  bench('concat 2 x [256,256,64] axis 2', dtype, [random([256, 256, 64], dtype), random([256, 256, 64], dtype)], (xs) => runOpAll('concat', xs, { axis: 2 })[0]);
  bench('reduce_max [65536,256] axis 1', dtype, [random([65536, 256], dtype)], ([x]) => {
    const [y, arg] = runOpAll('reduce_max', [x], { axis: 1 });
    arg.dispose();
    return y;
  });
}
bench('cast f32 -> bf16 [128,256,256]', 'float32', [random([128, 256, 256], 'float32')], ([x]) => runOpAll('cast', [x], { dtype: 2 })[0]);
bench('cast bf16 -> f32 [128,256,256]', 'bfloat16', [random([128, 256, 256], 'bfloat16')], ([x]) => runOpAll('cast', [x], { dtype: 0 })[0]);
bench('dropout_mask [256,256,128]', 'float32', [random([1], 'float32')], ([x]) => runOpAll('dropout_mask', [x], { shape: [256, 256, 128], rate: 0.25, seed: 5 })[0]);
blocker.dispose();
