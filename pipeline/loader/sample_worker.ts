// Piscina worker of the training loader: runs the per-step transforms on one
// stored chain and packs the result into one contiguous batch buffer.
import { Piscina } from 'piscina';
import { perStepTransforms } from '../../features/transforms/ensembled/per_step.ts';
import { BatchBuffers } from '../../features/transforms/ensembled/batch_buffers.ts';
import { makeBatchLayout, setPrepareMs, slotArrays, writeBatchHeader } from './batch_layout.ts';
import { openFeatureFile, type FeatureFile } from '../arrow/index.ts';
import type { FeatureDict } from '../../features/tensor.ts';
import { packForDevice } from './device_packed.ts';
import type { RowLocation, SampleResult, SampleTask } from './sample_task.ts';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Feature files this worker has open (a bounded set: the oldest is closed first). */
const openFiles = new Map<string, FeatureFile>();
const MAX_OPEN_FILES = 16;

function storedFeatures(source: RowLocation): FeatureDict {
  let file = openFiles.get(source.file);
  if (file === undefined) {
    if (openFiles.size >= MAX_OPEN_FILES) {
      const [oldest, handle] = openFiles.entries().next().value as [string, FeatureFile];
      handle.close();
      openFiles.delete(oldest);
    }
    file = openFeatureFile(source.file);
    openFiles.set(source.file, file);
  }
  return file.row(source.row).features;
}

/** Returns the packed batch's ArrayBuffer (and its device-ready form), moved (not copied) to the loader. */
export default function prepareSample(task: SampleTask): unknown {
  const started = performance.now();
  if (task.crashWorker) process.exit(70);
  const config = { ...task.config, passes: task.passes };
  const features = storedFeatures(task.source);
  const supervised = 'all_atom_positions' in features;
  const layout = makeBatchLayout(
    { passes: config.maxPasses, numRes: config.cropSize, numClusters: config.maxMsaClusters, numExtra: config.maxExtraMsa, numTemplates: config.maxTemplates },
    supervised,
  );
  // The per-step transforms write straight into the batch's slots: no copy.
  const bytes = new Uint8Array(layout.byteLength);
  const buffers = new BatchBuffers(config, supervised, slotArrays(layout, bytes) as never);
  perStepTransforms(features, { seed: task.seed, config, buffers });
  writeBatchHeader(bytes, task.passes);
  // Blocks this thread as real preparation work would.
  if (task.extraDelayMs > 0) Atomics.wait(sleepCell, 0, 0, task.extraDelayMs);
  const device = task.devicePacked === true ? packForDevice(layout, bytes).buffer : undefined;
  setPrepareMs(bytes, performance.now() - started);
  const result: SampleResult = device === undefined ? { batch: bytes.buffer } : { batch: bytes.buffer, device };
  return Piscina.move({
    get [Piscina.transferableSymbol]() {
      return device === undefined ? [bytes.buffer] : [bytes.buffer, device];
    },
    get [Piscina.valueSymbol]() {
      return result;
    },
  } as never);
}
