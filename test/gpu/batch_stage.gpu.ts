// GPU check of the one-ahead batch staging (trainer/train/batch_stage.ts
// PinnedStager: pinned slot + async copies on a copy stream, event wait by
// the compute stream) at the initial-training sizes (crop 256, 4 passes):
// every feature and pass of every staged batch equals the synchronous upload
// of the same device-ready buffer (SyncStager) bit for bit, with the compute
// stream busy while the copies run and the pinned ring reused (5 batches
// through 2 slots, each consumed one step after it was staged, as
// pretrain_run.ts does); nothing leaks. Prints the host staging time and the
// size of a batch. Exit 1 on a mismatch.
import { cudaInfo, memoryStats, tensor } from '../../trainer/core/tensor.ts';
import { native } from '../../trainer/core/binding.ts';
import { runOpAll } from '../../trainer/core/ops.ts';
import { loadConfig } from '../../trainer/model/config.ts';
import { makeBatchLayout, slotArrays, writeBatchHeader } from '../../pipeline/loader/batch_layout.ts';
import { packForDevice } from '../../pipeline/loader/device_packed.ts';
import type { LoadedBatch } from '../../pipeline/loader/training_loader.ts';
import { perStepForModel } from '../../trainer/train/train_config.ts';
import { PinnedStager, SyncStager, type StagedBatch } from '../../trainer/train/batch_stage.ts';

if (!cudaInfo().usable) {
  console.error('no usable CUDA device: batch_stage needs one');
  process.exit(1);
}
const started = Date.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const p = perStepForModel(loadConfig('initial_training'));
const layout = makeBatchLayout({ passes: p.maxPasses, numRes: p.cropSize, numClusters: p.maxMsaClusters, numExtra: p.maxExtraMsa, numTemplates: p.maxTemplates }, true);

function batchNumber(b: number): LoadedBatch {
  const bytes = new Uint8Array(layout.byteLength);
  const arrays = slotArrays(layout, bytes);
  for (const [key, a] of Object.entries(arrays)) {
    const salt = key.length * 31 + b * 7;
    if (a instanceof BigInt64Array) for (let i = 0; i < a.length; i++) a[i] = BigInt((i + salt) % 23);
    else if (a instanceof Float32Array || a instanceof Float64Array) for (let i = 0; i < a.length; i++) a[i] = ((i * 13 + salt) % 101) / 7;
    else for (let i = 0; i < a.length; i++) (a as Int32Array | Uint8Array)[i] = (i + salt) % 2;
  }
  const passes = 1 + (b % p.maxPasses);
  writeBatchHeader(bytes, passes);
  const batch: LoadedBatch = { sample: { step: b } as LoadedBatch['sample'], bytes, layout, passes, prepareMs: 0 };
  batch.device = packForDevice(layout, bytes);
  return batch;
}

const before = memoryStats().liveTensors;
const pinned = new PinnedStager();
const sync = new SyncStager('cuda');
const stageMs: number[] = [];
let mismatches = 0;
let compared = 0;
const a = tensor(new Float32Array(4096 * 4096).fill(0.5), [4096, 4096], { dtype: 'float32', device: 'cuda' });
const check = (s: StagedBatch): void => {
  const f = s.features(); // the compute stream waits for the copy here
  const ref = sync.stage(s.batch);
  const g = ref.features();
  for (const e of s.batch.device!.packed.entries.values()) {
    for (let k = 0; k < s.batch.passes; k++) {
      const x = f(e.key, k).tensor!.toArray();
      const y = g(e.key, k).tensor!.toArray();
      compared += 1;
      if (x.length !== y.length || x.some((v, i) => !Object.is(v, y[i]))) {
        mismatches += 1;
        if (mismatches <= 5) console.log(`MISMATCH batch ${s.batch.sample.step} ${e.key} pass ${k}`);
      }
    }
  }
  ref.dispose();
  s.dispose();
};
let ahead: StagedBatch | null = null;
for (let b = 0; b < 5; b++) {
  // the "step": matmuls on the compute stream, then the next batch staged while they run
  const busy: ReturnType<typeof runOpAll>[] = [];
  for (let r = 0; r < 4; r++) busy.push(runOpAll('matmul', [a, a], {}));
  const s = pinned.stage(batchNumber(b));
  stageMs.push(s.stageMs);
  if (ahead) check(ahead);
  ahead = s;
  for (const outs of busy) for (const t of outs) t.dispose();
}
if (ahead) check(ahead);
native.synchronize();
a.dispose();
pinned.dispose();
const after = memoryStats().liveTensors;
const mib = (batchNumber(3).device!.buffer.byteLength / 2 ** 20).toFixed(1);
console.log(`device-ready batch (4 passes): ${mib} MiB; host staging (pinned copy + enqueue) median ${median(stageMs).toFixed(2)} ms over ${stageMs.length} batches`);
console.log(`compared ${compared} feature slices, ${mismatches} mismatches; live tensors before ${before}, after ${after}`);
const ok = mismatches === 0 && compared > 0 && after === before;
console.log(`${ok ? 'ALL PASS' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(ok ? 0 : 1);
