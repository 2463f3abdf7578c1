// Benchmark of the training thread's host time per step for the model's
// inputs at the initial-training sizes (crop 256, 124 clusters, 1024 extra
// sequences, 4 templates, 4 forward passes; a synthetic packed batch), CPU
// device:
//   before: deviceBatchFeatures on the training thread (every feature
//     converted to float32 / int32 there, two uploads) and an eager float64
//     host slice for every feature and pass the model asks for;
//   after: the device-ready form made in the loader's worker
//     (packForDevice, timed separately: off the training thread), staged
//     (SyncStager: the two uploads; on CUDA a pinned copy + async upload),
//     slices per feature and pass on the device, float64 host data only for
//     the features the model reads on the host (HOST_READ: the list printed by
//     test/trainer/train_batch_stage.test.ts on the tiny preset).
// Both ask for every feature of every pass (an upper bound of the model's
// requests). Prints medians over REPEATS; asserts nothing.
import { loadConfig } from '../../trainer/model/config.ts';
import { makeBatchLayout, slotArrays, writeBatchHeader } from '../../pipeline/loader/batch_layout.ts';
import { packForDevice } from '../../pipeline/loader/device_packed.ts';
import type { LoadedBatch } from '../../pipeline/loader/training_loader.ts';
import { perStepForModel } from '../../trainer/train/train_config.ts';
import { deviceBatchFeatures } from '../../trainer/train/batch_features.ts';
import { SyncStager } from '../../trainer/train/batch_stage.ts';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);
const HOST_READ = new Set([
  'aatype', 'all_atom_mask', 'all_atom_positions', 'atom14_alt_gt_exists', 'atom14_alt_gt_positions', 'atom14_atom_exists',
  'atom14_atom_is_ambiguous', 'atom14_gt_exists', 'atom14_gt_positions', 'atom37_atom_exists', 'backbone_rigid_mask',
  'backbone_rigid_tensor', 'bert_mask', 'chi_angles_sin_cos', 'chi_mask', 'msa_mask', 'pseudo_beta', 'pseudo_beta_mask',
  'residue_index', 'residx_atom14_to_atom37', 'residx_atom37_to_atom14', 'resolution', 'rigidgroups_alt_gt_frames',
  'rigidgroups_gt_exists', 'rigidgroups_gt_frames', 'seq_length', 'seq_mask', 'template_aatype', 'template_all_atom_mask',
  'template_alt_torsion_angles_sin_cos', 'template_mask', 'template_pseudo_beta', 'template_pseudo_beta_mask',
  'template_torsion_angles_mask', 'template_torsion_angles_sin_cos', 'use_clamped_fape',
]);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const p = perStepForModel(loadConfig('initial_training'));
const layout = makeBatchLayout({ passes: p.maxPasses, numRes: p.cropSize, numClusters: p.maxMsaClusters, numExtra: p.maxExtraMsa, numTemplates: p.maxTemplates }, true);
const bytes = new Uint8Array(layout.byteLength);
for (const [key, a] of Object.entries(slotArrays(layout, bytes))) {
  const salt = key.length * 31;
  if (a instanceof BigInt64Array) for (let i = 0; i < a.length; i++) a[i] = BigInt((i + salt) % 23);
  else if (a instanceof Float32Array || a instanceof Float64Array) for (let i = 0; i < a.length; i++) a[i] = ((i * 13 + salt) % 101) / 7;
  else for (let i = 0; i < a.length; i++) (a as Int32Array | Uint8Array)[i] = (i + salt) % 2;
}
writeBatchHeader(bytes, p.maxPasses);
const keys = layout.slots.map((s) => s.key);
const batch: LoadedBatch = { sample: { step: 0 } as LoadedBatch['sample'], bytes, layout, passes: p.maxPasses, prepareMs: 0 };

const before: number[] = [];
const workerPack: number[] = [];
const after: number[] = [];
const afterStage: number[] = [];
const afterHost: number[] = [];
const stager = new SyncStager('cpu');
let touched = 0;
for (let r = 0; r < REPEATS; r++) {
  {
    const t0 = performance.now();
    const d = deviceBatchFeatures(layout, bytes, 'cpu');
    for (let k = 0; k < batch.passes; k++) for (const key of keys) touched += d.features(key, k).data.length > 0 ? 1 : 0;
    before.push(performance.now() - t0);
    d.dispose();
  }
  {
    const t0 = performance.now();
    batch.device = packForDevice(layout, bytes); // in the loader's worker thread
    workerPack.push(performance.now() - t0);
    const t1 = performance.now();
    const s = stager.stage(batch);
    afterStage.push(s.stageMs);
    const f = s.features();
    let hostMs = 0;
    for (let k = 0; k < batch.passes; k++) {
      for (const key of keys) {
        const a = f(key, k);
        if (!HOST_READ.has(key)) continue;
        const t2 = performance.now();
        touched += a.data.length > 0 ? 1 : 0;
        hostMs += performance.now() - t2;
      }
    }
    afterHost.push(hostMs);
    after.push(performance.now() - t1);
    s.dispose();
  }
}
const mib = (n: number) => (n / 2 ** 20).toFixed(1);
console.log(`batch: ${keys.length} features, ${batch.passes} passes, packed ${mib(layout.byteLength)} MiB, device-ready ${mib(batch.device!.buffer.byteLength)} MiB (${touched > 0 ? 'ok' : '?'})`);
console.log(`training thread, before (deviceBatchFeatures + eager float64 slices): median ${median(before).toFixed(1)} ms per step`);
console.log(`training thread, after (stage + device slices + lazy host data for ${HOST_READ.size} features): median ${median(after).toFixed(1)} ms per step (of which staging/upload ${median(afterStage).toFixed(1)} ms, lazy host data ${median(afterHost).toFixed(1)} ms; the rest: slice copies, device ops on CUDA)`);
console.log(`moved to the loader's worker: packForDevice median ${median(workerPack).toFixed(1)} ms per sample`);
console.log(`ratio before / after: ${(median(before) / median(after)).toFixed(2)}x`);
