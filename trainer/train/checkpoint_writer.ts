// Checkpoints written off the training thread (ScaleFold: a step waits on
// nothing but the compute). `write` copies the optimizer's tensors into the
// final file bytes (checkpoint_snapshot.ts: one memcpy into reused, resident
// buffers) and returns; a writer thread (checkpoint_worker.ts) writes them
// with the atomic protocol of checkpoint.ts (temporary folder, fsync, rename)
// and hands the buffers back. The files are byte for byte those of
// encodeCheckpoint + writeCheckpoint, so readers and resume are unchanged.
import { Worker } from 'node:worker_threads';
import type { CheckpointState } from './checkpoint.ts';
import type { CheckpointWorkerData, FilePart, WriteReply, WriteRequest } from './checkpoint_messages.ts';
import { checkpointLayout, headerBytes, snapshotFile, stateBytes } from './checkpoint_snapshot.ts';
import type { OptimizerSlot } from './optimizer_state.ts';

export interface WriterOptions {
  /** Complete checkpoints to keep (default 3, as writeCheckpoint). */
  keep?: number;
  chunkBytes?: number;
  /** Tests: SIGKILL the whole process in the middle of this file of every write. */
  killIn?: string;
  /**
   * 'files' (default): write() copies the host slots into whole files; 'flat': writeFlat() takes each kind of
   * tensor as one flat array (the device optimizer's flatToHost), and the files are a header plus those arrays.
   */
  mode?: 'files' | 'flat';
}

/** The tensors of a checkpoint, each kind as all slots' values end to end (slot order). */
export type FlatKind = 'param' | 'average' | 'm' | 'v';

export interface WriteTiming {
  /** Milliseconds the calling thread spent in write() (layout, copies, hand-off). */
  mainMs: number;
  /** Of which copying into buffers (writeFlat: the reads). */
  copyMs: number;
  /** Buffers that had to be allocated here (none came back / arrived yet). */
  allocated: number;
}

export class CheckpointWriter {
  private readonly worker: Worker;
  /** Spare buffers (made and touched by the worker, or returned after a write). */
  private pool: ArrayBuffer[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (path: string) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;
  private readonly poolReady: Promise<void>;
  private readonly dir: string;

  /** `slots`: the tensors every checkpoint will hold (the writer prepares buffers of their size at once). */
  constructor(dir: string, slots: readonly OptimizerSlot[], private readonly options: WriterOptions = {}) {
    this.dir = dir;
    const total = slots.reduce((a, s) => a + s.param.length, 0) * 4;
    const data: CheckpointWorkerData = {
      prefault: options.mode === 'flat' ? [0, 1, 2, 3].map(() => roundUp(total)) : checkpointLayout(slots, 0).map((f) => roundUp(f.bytes)),
    };
    this.worker = new Worker(new URL('./checkpoint_worker_entry.mjs', import.meta.url), { workerData: data });
    let poolArrived!: () => void;
    this.poolReady = new Promise<void>((done) => (poolArrived = done));
    this.worker.on('message', (reply: WriteReply) => {
      this.pool.push(...reply.buffers);
      if (reply.kind === 'buffers') {
        poolArrived();
        // the process may end while the writer thread idles
        if (this.waiting.size === 0) this.worker.unref();
      } else {
        this.settle(reply);
      }
    });
    this.worker.on('error', (error) => {
      this.failure = error;
      poolArrived();
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    });
  }

  /** Resolves once the worker's first buffers arrived (benchmarks; write() never waits for them). */
  ready(): Promise<void> {
    return this.poolReady;
  }

  /**
   * Snapshots the slots as checkpoint `state.step` and starts writing it; the promise resolves with the
   * checkpoint's folder once it is complete (renamed and fsynced). The slots may change as soon as this returns.
   */
  write(slots: readonly OptimizerSlot[], state: CheckpointState, timing?: (t: WriteTiming) => void): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const t0 = performance.now();
    const layouts = checkpointLayout(slots, state.step);
    let allocated = 0;
    let copyMs = 0;
    const files = layouts.map((layout) => {
      const buffer = this.take(layout.bytes) ?? (allocated++, new ArrayBuffer(roundUp(layout.bytes)));
      const c0 = performance.now();
      snapshotFile(layout, slots, buffer);
      copyMs += performance.now() - c0;
      return { name: layout.name, parts: [{ buffer, offset: 0, length: layout.bytes, pooled: true }] };
    });
    const done = this.send(state, files);
    timing?.({ mainMs: performance.now() - t0, copyMs, allocated });
    return done;
  }

  /**
   * As write(), for state kept elsewhere (the device optimizer): `read(kind, into)` puts all slots' values of
   * `kind` end to end into `into` (a reused buffer of at least 4 bytes per value) and returns them; the files
   * are each header followed by those arrays (optimizer.safetensors: m then v), byte for byte write()'s.
   */
  writeFlat(slots: readonly OptimizerSlot[], state: CheckpointState, read: (kind: FlatKind, into: ArrayBuffer) => Float32Array, timing?: (t: WriteTiming) => void): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const t0 = performance.now();
    const total = slots.reduce((a, s) => a + s.param.length, 0);
    let allocated = 0;
    let copyMs = 0;
    const taken: ArrayBuffer[] = [];
    const flat = (kind: FlatKind): FilePart => {
      const buffer = this.take(total * 4) ?? (allocated++, new ArrayBuffer(roundUp(total * 4)));
      taken.push(buffer);
      const c0 = performance.now();
      const values = read(kind, buffer);
      copyMs += performance.now() - c0;
      if (values.buffer !== buffer || values.byteOffset !== 0 || values.length !== total) throw new Error(`writeFlat: read('${kind}') must fill the buffer it was given with ${total} values`);
      return { buffer, offset: 0, length: total * 4, pooled: true };
    };
    let parts: Record<FlatKind, FilePart>;
    try {
      parts = { param: flat('param'), average: flat('average'), m: flat('m'), v: flat('v') };
    } catch (error) {
      this.pool.push(...taken);
      return Promise.reject(error as Error);
    }
    const data: Record<string, FilePart[]> = { 'model.safetensors': [parts.param], 'ema.safetensors': [parts.average], 'optimizer.safetensors': [parts.m, parts.v] };
    const files = checkpointLayout(slots, state.step).map((layout) => {
      const head = headerBytes(layout);
      return { name: layout.name, parts: [{ buffer: head.buffer as ArrayBuffer, offset: 0, length: head.length, pooled: false }, ...data[layout.name]!] };
    });
    const done = this.send(state, files);
    timing?.({ mainMs: performance.now() - t0, copyMs, allocated });
    return done;
  }

  private send(state: CheckpointState, files: WriteRequest['files']): Promise<string> {
    const id = this.nextId++;
    const req: WriteRequest = {
      id, dir: this.dir, state, stateJson: stateBytes(state), files, keep: this.options.keep ?? 3,
      chunkBytes: this.options.chunkBytes ?? (1 << 20), ...(this.options.killIn ? { killIn: this.options.killIn } : {}),
    };
    const done = new Promise<string>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // the worker holds the process open while a write is in flight
    this.worker.ref();
    this.worker.postMessage(req, [...new Set(files.flatMap((f) => f.parts.map((p) => p.buffer)))]);
    return done;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  /** A spare buffer large enough (the smallest such), removed from the pool. */
  private take(bytes: number): ArrayBuffer | null {
    let best = -1;
    for (let i = 0; i < this.pool.length; i++) {
      const b = this.pool[i]!;
      if (b.byteLength >= bytes && (best < 0 || b.byteLength < this.pool[best]!.byteLength)) best = i;
    }
    return best < 0 ? null : this.pool.splice(best, 1)[0]!;
  }

  private settle(reply: Extract<WriteReply, { id: number }>): void {
    const w = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0 && this.pool.length > 0) this.worker.unref();
    if (!w) return;
    if (reply.kind === 'written') w.resolve(reply.path);
    else w.reject(new Error(`checkpoint write failed: ${reply.message}`));
  }
}

/** Buffers are made a little larger than asked so a later header that grew by a few bytes still fits. */
function roundUp(bytes: number): number {
  return Math.ceil((bytes + 4096) / 65536) * 65536;
}
