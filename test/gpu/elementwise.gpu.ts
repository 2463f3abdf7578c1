// GPU checks of the generic elementwise, layout and reduction kernels against
// the CPU reference (rule and tolerances: gpu_harness.ts). Each shape is
// chosen to reach one CUDA path of trainer/core (launch.h, cuda/reduce.cuh,
// cuda/layout_transpose.cuh):
//   reduce_sum: rows (warp per row, vector loads or not, split over blocks
//     with a partial pass), short rows (thread per row), columns (inner >= 32,
//     inner < 32 packed, split with partial passes), middle axes, several
//     reduced groups (intermediates in float32), all axes, size-1 axes;
//   reduce_max: warp per row and thread per output;
//   binary / where: same-shape (identity indexer), row and middle broadcasts;
//   permute: tiled transpose (2-D, batched, partial tiles) and the strided
//     copy when the innermost axis stays (vector loads/stores along aligned
//     unit-stride runs or element by element); slice, pad, concat, index_select,
//     one_hot, cast, dropout.
// Large reductions (the bias gradients of the model) are checked forward only
// (checkForward), the rest forward and backward (checkOp).
// SCALEFOLD_GPU_TEST_DEVICE=cpu dry-runs it with the CPU in the GPU's place.
import { cudaInfo, memoryStats, tensor, type Tensor, type DType } from '../../trainer/core/tensor.ts';
import { native } from '../../trainer/core/binding.ts';
import { runOpAll } from '../../trainer/core/ops.ts';
import * as ag from '../../trainer/autograd/index.ts';
import { relErr } from '../trainer/core_gradcheck.ts';
import { checkOp, FLOORS, printRows, randomValues, rows, testDevice, type GpuInput, type Mode } from './gpu_harness.ts';

const info = cudaInfo();
if (!info.usable && testDevice === 'cuda') {
  console.error(`no usable CUDA device (compiled: ${info.compiled}); the GPU tests need one`);
  process.exit(1);
}

const both: Mode[] = ['float32', 'bfloat16'];
const inp = (shape: number[], lo = -1, hi = 1): GpuInput => ({ shape, values: randomValues(shape, lo, hi) });
const fixed = (shape: number[], values: Float64Array): GpuInput => ({ shape, values, grad: false });
const ints = (shape: number[], n: number): GpuInput => ({ shape, values: Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(Math.random() * n)), int: true });
const mask = (n: number) => Float64Array.from({ length: n }, () => (Math.random() < 0.7 ? 1 : 0));

/** Forward only, for inputs too large for the harness's per-element arrays: same rule as checkOp. */
function checkForward(op: string, mode: Mode, shape: number[], fn: (x: Tensor) => Tensor): void {
  const dtype: DType = mode === 'bfloat16' ? 'bfloat16' : 'float32';
  const values = Float64Array.from(ag.scope(() => tensor(randomValues(shape), shape, { dtype }).toArray()));
  const run = (dt: DType, device: 'cpu' | 'cuda') =>
    ag.scope(() => {
      const host = tensor(values, shape, { dtype: dt });
      const x = device === 'cuda' ? host.to('cuda') : host;
      if (device === 'cuda') native.poisonDevicePool(256 << 20);
      return Float64Array.from(ag.noGrad(() => fn(x)).toArray());
    });
  const ref64 = run('float64', 'cpu');
  const eRef = relErr(run(dtype, 'cpu'), ref64);
  const eGpu = relErr(run(dtype, testDevice), ref64);
  const limit = 2 * eRef + FLOORS[mode];
  rows.push({ op, mode, tensor: 'out', eRef, eGpu, limit, pass: eGpu <= limit });
}

const started = Date.now();
const before = memoryStats();

for (const mode of both) {
  // reduce_sum: rows
  checkOp('sum rows [300,1000] (warp, vector loads)', mode, [inp([300, 1000])], ([x]) => ag.sum(x, [1]));
  checkOp('sum rows [300,1001] (warp, scalar loads)', mode, [inp([300, 1001])], ([x]) => ag.sum(x, [1]));
  checkOp('sum rows [77,20] (thread per row)', mode, [inp([77, 20])], ([x]) => ag.sum(x, [1]));
  checkOp('sum rows [4,50000] (split + partial pass)', mode, [inp([4, 50000])], ([x]) => ag.sum(x, [1]));
  checkOp('sum rows [3,50001] (split, scalar loads)', mode, [inp([3, 50001])], ([x]) => ag.sum(x, [1]));
  checkOp('sum all [100003] (split twice)', mode, [inp([100003])], ([x]) => ag.sum(x));
  // reduce_sum: columns
  checkOp('sum cols [5000,128] (split + partials)', mode, [inp([5000, 128])], ([x]) => ag.sum(x, [0]));
  checkOp('sum cols [5000,7] (inner < 32 packed)', mode, [inp([5000, 7])], ([x]) => ag.sum(x, [0]));
  checkOp('sum cols [5000,20] (inner 20)', mode, [inp([5000, 20])], ([x]) => ag.sum(x, [0]));
  checkOp('sum cols [3000,33] (partial tile)', mode, [inp([3000, 33])], ([x]) => ag.sum(x, [0]));
  checkOp('sum cols [3,300] (few rows)', mode, [inp([3, 300])], ([x]) => ag.sum(x, [0]));
  // middle axes, several groups, size-1 axes
  checkOp('sum middle [64,300,96] axis 1', mode, [inp([64, 300, 96])], ([x]) => ag.sum(x, [1]));
  checkOp('sum middle [5,2000,3] axis 1', mode, [inp([5, 2000, 3])], ([x]) => ag.sum(x, [1]));
  checkOp('sum [6,40,7,30] axes 0,2 (two groups)', mode, [inp([6, 40, 7, 30])], ([x]) => ag.sum(x, [0, 2]));
  checkOp('sum [6,40,7,30] axes 1,3 (two groups)', mode, [inp([6, 40, 7, 30])], ([x]) => ag.sum(x, [1, 3]));
  checkOp('sum [5,6,7,8] all axes', mode, [inp([5, 6, 7, 8])], ([x]) => ag.sum(x, [0, 1, 2, 3]));
  checkOp('sum [1,300,1,40] axes 0,1 (size-1 axes)', mode, [inp([1, 300, 1, 40])], ([x]) => ag.sum(x, [0, 1]));
  checkOp('sum [30,1,40] axis 1 (only a size-1 axis)', mode, [inp([30, 1, 40])], ([x]) => ag.sum(x, [1]));
  // the bias-gradient case through the tape: binary_backward + reduce_sum
  checkOp('add [8192,128]+[128] (bias grad)', mode, [inp([8192, 128]), inp([128])], ([a, b]) => ag.add(a, b));
  checkOp('mul [16,64,64,8]*[1,1,1,8] (bias grad)', mode, [inp([16, 64, 64, 8]), inp([1, 1, 1, 8])], ([a, b]) => ag.mul(a, b));
  // large reductions, forward only
  checkForward('sum [65536,128] -> [128]', mode, [65536, 128], (x) => ag.sum(x, [0]));
  checkForward('sum [4,256,256,128] -> [128]', mode, [4, 256, 256, 128], (x) => ag.sum(x, [0, 1, 2]));
  checkForward('sum [128,65536] -> [128]', mode, [128, 65536], (x) => ag.sum(x, [1]));
  checkForward('sum [256,256,128] axis 1', mode, [256, 256, 128], (x) => ag.sum(x, [1]));
  // reduce_max
  checkOp('max rows [300,1000] (warp per row)', mode, [inp([300, 1000])], ([x]) => ag.max(x, 1));
  checkOp('max rows [300,20] (thread per output)', mode, [inp([300, 20])], ([x]) => ag.max(x, 1));
  checkOp('max middle [64,33,17] axis 1', mode, [inp([64, 33, 17])], ([x]) => ag.max(x, 1));
  // binary and where
  checkOp('mul same shape [257,129]', mode, [inp([257, 129]), inp([257, 129])], ([a, b]) => ag.mul(a, b));
  checkOp('add row broadcast [64,33,17]+[17]', mode, [inp([64, 33, 17]), inp([17])], ([a, b]) => ag.add(a, b));
  checkOp('sub middle broadcast [64,33,17]-[64,1,17]', mode, [inp([64, 33, 17]), inp([64, 1, 17])], ([a, b]) => ag.sub(a, b));
  checkOp('div outer broadcast [64,1,17]/[1,33,1]', mode, [inp([64, 1, 17]), inp([1, 33, 1], 0.5, 2)], ([a, b]) => ag.div(a, b));
  checkOp('maximum scalar broadcast [1000003]', mode, [inp([1000003]), inp([1])], ([a, b]) => ag.maximum(a, b));
  checkOp('where broadcast [40,1,9] ? [40,30,9] : [30,9]', mode, [fixed([40, 1, 9], mask(360)), inp([40, 30, 9]), inp([30, 9])], ([c, a, b]) => ag.where(c, a, b));
  checkOp('sigmoid [1000003]', mode, [inp([1000003], -4, 4)], ([x]) => ag.sigmoid(x));
  // layout
  checkOp('permute [64,96,40] -> [40,64,96] (tiled 2-D)', mode, [inp([64, 96, 40])], ([x]) => ag.permute(x, [2, 0, 1]));
  checkOp('permute [33,17,5,7] [3,1,2,0] (tiled batched)', mode, [inp([33, 17, 5, 7])], ([x]) => ag.permute(x, [3, 1, 2, 0]));
  checkOp('permute [1000,3] -> [3,1000] (tiled)', mode, [inp([1000, 3])], ([x]) => ag.permute(x, [1, 0]));
  checkOp('permute [16,24,4,32] -> [4,16,24,32] (inner kept)', mode, [inp([16, 24, 4, 32])], ([x]) => ag.permute(x, [2, 0, 1, 3]));
  checkOp('permute [37,45,3] [1,0,2] (inner kept)', mode, [inp([37, 45, 3])], ([x]) => ag.permute(x, [1, 0, 2]));
  checkOp('permute [1,50,1,70] [3,2,1,0] (size-1 axes)', mode, [inp([1, 50, 1, 70])], ([x]) => ag.permute(x, [3, 2, 1, 0]));
  checkForward('permute [256,256,128] -> [128,256,256]', mode, [256, 256, 128], (x) => ag.permute(x, [2, 0, 1]));
  checkOp('slice last axis [40,33,17]', mode, [inp([40, 33, 17])], ([x]) => ag.slice(x, [0, 0, 5], [40, 33, 9]));
  checkOp('slice middle axis [40,33,17]', mode, [inp([40, 33, 17])], ([x]) => ag.slice(x, [2, 4, 0], [30, 20, 17]));
  checkOp('pad [40,33,17]', mode, [inp([40, 33, 17])], ([x]) => ag.pad(x, [0, 2, 1], [1, 0, 3], -0.5));
  checkOp('concat axis 0', mode, [inp([5, 33, 17]), inp([9, 33, 17])], ([a, b]) => ag.concat([a, b], 0));
  checkOp('concat last axis', mode, [inp([40, 33, 5]), inp([40, 33, 12]), inp([40, 33, 1])], ([a, b, c]) => ag.concat([a, b, c], 2));
  // aligned unit-stride runs: vector loads and stores in the strided copy
  checkOp('slice aligned runs [40,64] -> [40,32]', mode, [inp([40, 64])], ([x]) => ag.slice(x, [0, 16], [40, 32]));
  checkOp('pad aligned runs [40,32] by 8 on the last axis', mode, [inp([40, 32])], ([x]) => ag.pad(x, [1, 8], [2, 8], 0.5));
  checkOp('concat aligned runs [40,16]+[40,32] axis 1', mode, [inp([40, 16]), inp([40, 32])], ([a, b]) => ag.concat([a, b], 1));
  checkOp('cast round trip [1000003]', mode, [inp([1000003])], ([x]) => ag.cast(ag.cast(x, mode === 'bfloat16' ? 'float32' : 'bfloat16'), x.dtype));
  checkOp('dropout shared axis 1 [64,33,17]', mode, [inp([64, 33, 17])], ([x]) => ag.dropout(x, 0.25, 77, [1]));
  checkOp('oneHot [3001] x 37', mode, [ints([3001], 37)], ([i]) => ag.oneHot(i, 37, mode === 'bfloat16' ? 'bfloat16' : 'float32'), false);
  checkOp('indexSelect axis 1 (forward)', mode, [inp([40, 300, 7]), ints([501], 300)], ([x, i]) => ag.indexSelect(x, i, 1), false);
}
// index_add (the gather backward) accumulates in float32/float64 only
checkOp('indexSelect axis 0 [300,65] (with index_add)', 'float32', [inp([300, 65]), ints([1001], 300)], ([x, i]) => ag.indexSelect(x, i, 0));
checkOp('indexSelect axis 2 [7,9,300] (with index_add)', 'float32', [inp([7, 9, 300]), ints([257], 300)], ([x, i]) => ag.indexSelect(x, i, 2));
// cast f32 -> bf16 directly (not a round trip)
checkOp('cast f32->bf16 [1000003]', 'bfloat16', [inp([1000003])], ([x]) => {
  const y = ag.cast(ag.cast(x, 'float32'), 'bfloat16');
  return y;
}, false);
// a raw reduce_sum with keepdims layout on an odd 5-D shape (every group length differs)
checkOp('reduce_sum [3,5,7,11,13] axes 0,2,4', 'float32', [inp([3, 5, 7, 11, 13])], ([x]) => runOpAll('reduce_sum', [x], { axes: [0, 2, 4] })[0], false);

const failed = printRows();
const after = memoryStats();
console.log(`live tensors before ${before.liveTensors}, after ${after.liveTensors}`);
console.log(`${failed === 0 ? 'ALL PASS' : `${failed} FAILED`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed === 0 && after.liveTensors === before.liveTensors ? 0 : 1);
