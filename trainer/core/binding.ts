// The one way into the native core (trainer/core/src, built by `make native`
// into trainer/core/build/scalefold_core.node). This file declares the
// native interface and is the only place that loads the .node file; every
// other module goes through the typed wrappers in tensor.ts and ops.ts.
// SCALEFOLD_CORE overrides the path (the GPU bundle builds its own copy).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque native tensor handle (a Node-API external). */
export type NativeHandle = { readonly __nativeTensor: unique symbol };

export type NativeAttrs = Record<string, number | boolean | string | readonly number[]>;

export interface NativeCore {
  fromTypedArray(data: Float32Array | Float64Array | Int32Array | Uint16Array, shape: readonly number[], dtype: number, device: number): NativeHandle;
  toTypedArray(h: NativeHandle): Float32Array | Float64Array | Int32Array | Uint16Array;
  /** [dtype code, device code, ...shape] */
  describe(h: NativeHandle): number[];
  reshape(h: NativeHandle, shape: readonly number[]): NativeHandle;
  dispose(h: NativeHandle): void;
  isDisposed(h: NativeHandle): boolean;
  toDevice(h: NativeHandle, device: number): NativeHandle;
  /** op: a name or an id from opId(). Fills the buffer bound by bindDescribeBuffer with the outputs' descriptions. */
  run(op: string | number, inputs: readonly (NativeHandle | null)[], attrs: NativeAttrs): (NativeHandle | null)[];
  /** The table index of an op (throws for an unknown name). */
  opId(name: string): number;
  /**
   * Binds the Float64Array each run() fills with [count, then per output:
   * dtype, device, rank, ...shape, or -1 for an absent output]; count is -1
   * when the descriptions do not fit.
   */
  bindDescribeBuffer(buffer: Float64Array): void;
  memoryStats(): { liveTensors: number; liveStorages: number; hostBytes: number; deviceBytes: number };
  cudaInfo(): { compiled: boolean; usable: boolean; devices: number; cublasLt: boolean };
  opNames(): string[];
  /** A non-blocking stream; priority 0 (default) is the lowest, higher numbers are scheduled first (clamped to the device range). */
  streamCreate(priority?: number): number;
  streamDestroy(id: number): void;
  streamSetCurrent(id: number): void;
  streamCurrent(): number;
  streamSynchronize(id: number): void;
  eventCreate(): number;
  eventDestroy(id: number): void;
  eventRecord(event: number, stream: number): void;
  eventSynchronize(event: number): void;
  streamWaitEvent(stream: number, event: number): void;
  eventElapsed(start: number, end: number): number;
  synchronize(): void;
  pinnedBuffer(bytes: number): ArrayBuffer;
  copyToHostAsync(h: NativeHandle, buffer: ArrayBuffer): void;
  copyFromHostAsync(h: NativeHandle, buffer: ArrayBuffer): void;
  /** GPU tests: fill pooled device memory with NaN bytes so unwritten outputs show. */
  poisonDevicePool(bytes: number): void;
}

function corePath(): string {
  const fromEnv = process.env.SCALEFOLD_CORE;
  if (fromEnv) return fromEnv;
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, 'build', 'scalefold_core.node');
}

function load(): NativeCore {
  const path = corePath();
  if (!existsSync(path)) {
    throw new Error(`native core not built: ${path} is missing. HINT: run 'make native' (cmake + g++ + Node's headers).`);
  }
  const require = createRequire(import.meta.url);
  return require(path) as NativeCore;
}

export const native: NativeCore = load();
