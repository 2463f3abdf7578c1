// The training loader the trainer consumes (an async iterator of batches):
// the sampler picks (chain, seed, forward passes) per step; stored rows are
// read into shared memory and handed to a piscina pool that runs the per-step
// transforms and packs one contiguous batch buffer; a bounded prefetch queue
// hands out the batches ready-first (or strictly in order). A sample that
// times out or whose worker dies is logged and skipped; training goes on.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { INITIAL_TRAINING, type PerStepConfig } from '../../features/transforms/config.ts';
import { uniform } from './counter_hash.ts';
import { makeBatchLayout, batchPasses, batchPrepareMs, type BatchLayout } from './batch_layout.ts';
import { DatasetRows } from './dataset_rows.ts';
import { PrefetchQueue, type DeliveryOrder, type SkippedItem } from './prefetch_queue.ts';
import { Sampler, type SampleRef, type SamplerConfig } from './sampler.ts';
import type { SampleResult, SampleTask } from './sample_task.ts';
import { devicePackedLayout, type DevicePackedLayout } from './device_packed.ts';

export interface FaultInjection {
  /** Fraction of samples made slow by `stragglerMs` of blocking work. */
  stragglerRate: number;
  stragglerMs: number;
  /** Global sample indices whose worker thread dies (tests). */
  crashSamples: ReadonlySet<number>;
}

export interface LoaderOptions {
  datasetDir: string;
  sampler: Partial<SamplerConfig>;
  perStep: PerStepConfig;
  order: DeliveryOrder;
  /** Batches in flight or waiting (bounds memory: depth x batch bytes). */
  depth: number;
  workers: number;
  /** A sample taking longer than this is skipped. */
  timeoutMs: number;
  /** First step (resume) and number of steps to deliver. */
  startStep: number;
  steps: number;
  faults: FaultInjection;
  onSkip: (skipped: SkippedItem & { sample: SampleRef }) => void;
  /** The workers also make each batch's device-ready form (device_packed.ts), for the one-transfer upload. */
  devicePacked: boolean;
}

export const DEFAULT_LOADER_OPTIONS: Omit<LoaderOptions, 'datasetDir'> = {
  sampler: {},
  perStep: INITIAL_TRAINING,
  order: 'ready-first',
  depth: 8,
  workers: Math.max(1, availableParallelism() - 1),
  timeoutMs: 120_000,
  startStep: 0,
  steps: 1000,
  faults: { stragglerRate: 0, stragglerMs: 0, crashSamples: new Set() },
  onSkip: () => {},
  devicePacked: false,
};

export interface LoadedBatch {
  sample: SampleRef;
  /** One contiguous buffer in `layout` (batch_layout.ts). */
  bytes: Uint8Array;
  layout: BatchLayout;
  passes: number;
  prepareMs: number;
  /** The device-ready form (float32 + int32 in one buffer), when the loader was opened with devicePacked. */
  device?: { packed: DevicePackedLayout; buffer: ArrayBuffer };
}

const STREAM_STRAGGLER = 9;

export class TrainingLoader implements AsyncIterable<LoadedBatch> {
  readonly sampler: Sampler;
  readonly skipped: (SkippedItem & { sample: SampleRef })[] = [];
  private readonly pool: Piscina;
  private readonly queue: PrefetchQueue<LoadedBatch>;

  private constructor(
    private readonly rows: DatasetRows,
    private readonly options: LoaderOptions,
  ) {
    this.sampler = new Sampler(rows.samplerEntries(), { maxForwardPasses: options.perStep.maxPasses, ...options.sampler });
    this.pool = new Piscina({
      filename: new URL('./sample_worker_entry.mjs', import.meta.url).href,
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 1,
      execArgv: [],
    });
    this.queue = new PrefetchQueue<LoadedBatch>(
      options.steps,
      (i, signal) => this.prepare(options.startStep + i, signal),
      { order: options.order, depth: options.depth, concurrency: options.workers, timeoutMs: options.timeoutMs },
      (item) => {
        const record = { ...item, sample: this.sampler.sampleForStep(options.startStep + item.index) };
        this.skipped.push(record);
        options.onSkip(record);
      },
    );
  }

  static async open(options: Partial<LoaderOptions> & { datasetDir: string }): Promise<TrainingLoader> {
    const full: LoaderOptions = { ...DEFAULT_LOADER_OPTIONS, ...options };
    const rows = await DatasetRows.open(full.datasetDir);
    return new TrainingLoader(rows, full);
  }

  /** Batches in flight or waiting (never above depth). */
  get buffered(): number {
    return this.queue.buffered;
  }

  async next(): Promise<LoadedBatch | null> {
    const item = await this.queue.next();
    return item === null ? null : item.value;
  }

  /** The next batch if one is ready now (never waits); null when none is (or the stream is done). */
  tryNext(): LoadedBatch | null {
    const item = this.queue.tryNext();
    return item === null ? null : item.value;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LoadedBatch> {
    try {
      for (;;) {
        const batch = await this.next();
        if (batch === null) return;
        yield batch;
      }
    } finally {
      await this.close();
    }
  }

  /** Stops the workers; returns promptly even with samples stuck in them. */
  async close(): Promise<void> {
    await this.queue.close();
    await this.pool.destroy();
    this.rows.close();
  }

  private async prepare(step: number, signal: AbortSignal): Promise<LoadedBatch> {
    const sample = this.sampler.sampleForStep(step);
    const { stragglerRate, stragglerMs, crashSamples } = this.options.faults;
    const slow = stragglerRate > 0 && uniform(this.sampler.config.seed, STREAM_STRAGGLER, sample.globalIndex) < stragglerRate;
    const task: SampleTask = {
      source: this.rows.location(sample.chainId),
      seed: sample.seed,
      passes: sample.forwardPasses,
      config: this.options.perStep,
      extraDelayMs: slow ? stragglerMs : 0,
      crashWorker: crashSamples.has(sample.globalIndex),
      devicePacked: this.options.devicePacked,
    };
    const result = (await this.pool.run(task, { signal })) as SampleResult;
    const bytes = new Uint8Array(result.batch);
    const p = this.options.perStep;
    const shape = { passes: p.maxPasses, numRes: p.cropSize, numClusters: p.maxMsaClusters, numExtra: p.maxExtraMsa, numTemplates: p.maxTemplates };
    // The worker read the row, so whether it carries structure (the supervised
    // layout, longer) is told by the batch's size.
    const supervisedLayout = makeBatchLayout(shape, true);
    const layout = bytes.byteLength === supervisedLayout.byteLength ? supervisedLayout : makeBatchLayout(shape, false);
    if (bytes.byteLength !== layout.byteLength) throw new Error(`loader: a batch of ${bytes.byteLength} bytes fits neither batch layout (${supervisedLayout.byteLength} / ${layout.byteLength})`);
    const passes = batchPasses(bytes);
    const batch: LoadedBatch = { sample, bytes, layout, passes, prepareMs: batchPrepareMs(bytes) };
    if (result.device !== undefined) {
      const packed = devicePackedLayout(layout, passes);
      if (result.device.byteLength !== packed.byteLength) throw new Error(`loader: a device-packed batch of ${result.device.byteLength} bytes, its layout needs ${packed.byteLength}`);
      batch.device = { packed, buffer: result.device };
    }
    return batch;
  }
}
