// Benchmark of the host-to-device side of a pretrain step at the
// initial-training sizes (crop 256, 128 MSA clusters, 1024 extra sequences, 4
// templates, up to 4 forward passes): the loader's packed batch
//   A. as ONE transfer from pinned memory on a copy stream
//      (trainer/train/batch_upload.ts): time, bandwidth;
//   B. feature by feature from pageable host arrays, the way the model
//      uploads its inputs now (IterationFeatures slices -> float tensors):
//      host wall time, synchronised;
//   C. A while the compute stream runs matmuls: does the copy overlap?
// Prints figures; asserts nothing.
import { cudaInfo, tensor } from '../../trainer/core/tensor.ts';
import { native } from '../../trainer/core/binding.ts';
import { runOpAll } from '../../trainer/core/ops.ts';
import { scope } from '../../trainer/autograd/index.ts';
import { loadConfig } from '../../trainer/model/config.ts';
import { floatTensor } from '../../trainer/model/host_tensor.ts';
import { makeBatchLayout, writeBatchHeader } from '../../pipeline/loader/batch_layout.ts';
import { perStepForModel } from '../../trainer/train/train_config.ts';
import { batchFeatures } from '../../trainer/train/batch_features.ts';
import { BatchUploader } from '../../trainer/train/batch_upload.ts';

if (!cudaInfo().usable) {
  console.error('no usable CUDA device: bench_pretrain needs one');
  process.exit(1);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const p = perStepForModel(loadConfig('initial_training'));
const layout = makeBatchLayout({ passes: p.maxPasses, numRes: p.cropSize, numClusters: p.maxMsaClusters, numExtra: p.maxExtraMsa, numTemplates: p.maxTemplates }, true);
const bytes = new Uint8Array(layout.byteLength);
// small non-negative integers in every byte-aligned word: valid as indices, finite as floats
const words = new Int32Array(bytes.buffer);
for (let i = 0; i < words.length; i++) words[i] = i % 7;
writeBatchHeader(bytes, p.maxPasses);
console.log(`packed batch: ${layout.slots.length} features, ${(layout.byteLength / 2 ** 20).toFixed(1)} MiB for ${p.maxPasses} passes (crop ${p.cropSize})`);

// A
const up = new BatchUploader(layout.byteLength, 2);
const copyMs: number[] = [];
for (let i = 0; i < 12; i++) {
  const s = up.stage(bytes);
  copyMs.push(up.transferMs(s));
  s.device.dispose();
}
const a = median(copyMs.slice(2));
console.log(`A. one pinned transfer on the copy stream: ${a.toFixed(3)} ms (${(layout.byteLength / a / 1e6).toFixed(1)} GB/s)`);

// B
const keys = layout.slots.map((s) => s.key);
const perFeature: number[] = [];
for (let i = 0; i < 4; i++) {
  native.synchronize();
  const t0 = performance.now();
  scope(() => {
    const f = batchFeatures(layout, bytes);
    for (let k = 0; k < p.maxPasses; k++) for (const key of keys) floatTensor(f(key, k), { dtype: 'float32', device: 'cuda' });
  });
  native.synchronize();
  perFeature.push(performance.now() - t0);
}
const b = median(perFeature.slice(1));
console.log(`B. feature by feature from pageable host arrays (${keys.length} features x ${p.maxPasses} passes, as the model does): ${b.toFixed(1)} ms host wall (${(b / a).toFixed(0)}x A)`);

// C
scope(() => {
  const n = 4096;
  const x = tensor(Float32Array.from({ length: n * n }, (_, i) => (i % 13) / 13), [n, n], { device: 'cuda' });
  const compute = () => {
    for (let i = 0; i < 8; i++) runOpAll('matmul', [x, x]);
  };
  compute();
  native.synchronize();
  let t0 = performance.now();
  compute();
  native.synchronize();
  const computeMs = performance.now() - t0;
  t0 = performance.now();
  const s = up.stage(bytes);
  compute();
  const device = up.consume(s);
  native.synchronize();
  const bothMs = performance.now() - t0;
  const copy = up.transferMs(s);
  device.dispose();
  console.log(`C. 8 matmuls ${n}^3 alone: ${computeMs.toFixed(2)} ms; with the batch transfer on the copy stream: ${bothMs.toFixed(2)} ms ` +
    `(transfer ${copy.toFixed(2)} ms; ${bothMs < computeMs + 0.5 * copy ? 'overlapped' : 'NOT overlapped'})`);
});
up.dispose();
