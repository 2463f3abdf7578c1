// Piscina worker of the training loader: runs the per-step transforms on one
// stored chain and packs the result into one contiguous batch buffer.
import { Piscina } from 'piscina';
import { perStepTransforms } from '../../features/transforms/ensembled/per_step.ts';
import { BatchBuffers } from '../../features/transforms/ensembled/batch_buffers.ts';
import { makeBatchLayout, setPrepareMs, slotArrays, writeBatchHeader } from './batch_layout.ts';
import type { SampleTask } from './sample_task.ts';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Returns the packed batch's ArrayBuffer, moved (not copied) to the loader. */
export default function prepareSample(task: SampleTask): unknown {
  const started = performance.now();
  if (task.crashWorker) process.exit(70);
  const config = { ...task.config, passes: task.passes };
  const supervised = 'all_atom_positions' in task.features;
  const layout = makeBatchLayout(
    { passes: config.maxPasses, numRes: config.cropSize, numClusters: config.maxMsaClusters, numExtra: config.maxExtraMsa, numTemplates: config.maxTemplates },
    supervised,
  );
  // The per-step transforms write straight into the batch's slots: no copy.
  const bytes = new Uint8Array(layout.byteLength);
  const buffers = new BatchBuffers(config, supervised, slotArrays(layout, bytes) as never);
  perStepTransforms(task.features, { seed: task.seed, config, buffers });
  writeBatchHeader(bytes, task.passes);
  // Blocks this thread as real preparation work would.
  if (task.extraDelayMs > 0) Atomics.wait(sleepCell, 0, 0, task.extraDelayMs);
  setPrepareMs(bytes, performance.now() - started);
  return Piscina.move(bytes.buffer);
}
