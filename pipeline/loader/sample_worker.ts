// Piscina worker of the training loader: runs the per-step transforms on one
// stored chain and packs the result into one contiguous batch buffer.
import { Piscina } from 'piscina';
import { perStepTransforms } from '../../features/transforms/ensembled/per_step.ts';
import { makeBatchLayout, packBatch, setPrepareMs } from './batch_layout.ts';
import type { SampleTask } from './sample_task.ts';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Returns the packed batch's ArrayBuffer, moved (not copied) to the loader. */
export default function prepareSample(task: SampleTask): unknown {
  const started = performance.now();
  if (task.crashWorker) process.exit(70);
  const config = { ...task.config, passes: task.passes };
  const batch = perStepTransforms(task.features, { seed: task.seed, config });
  const layout = makeBatchLayout(
    { passes: task.config.maxPasses, numRes: config.cropSize, numClusters: config.maxMsaClusters, numExtra: config.maxExtraMsa, numTemplates: config.maxTemplates },
    'all_atom_positions' in batch,
  );
  const bytes = new Uint8Array(layout.byteLength);
  packBatch(layout, batch, task.passes, bytes);
  // Blocks this thread as real preparation work would.
  if (task.extraDelayMs > 0) Atomics.wait(sleepCell, 0, 0, task.extraDelayMs);
  setPrepareMs(bytes, performance.now() - started);
  return Piscina.move(bytes.buffer);
}
