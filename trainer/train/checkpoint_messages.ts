// Messages between the trainer and the checkpoint writer thread (checkpoint_worker.ts).
import type { CheckpointState } from './checkpoint.ts';

export interface CheckpointWorkerData {
  /** Byte sizes of the buffers to make and touch at start (the files of the first checkpoint). */
  prefault: number[];
}

/** `length` bytes of `buffer` from `offset`; a pooled buffer goes back to the trainer after the write. */
export interface FilePart {
  buffer: ArrayBuffer;
  offset: number;
  length: number;
  pooled: boolean;
}

/** Write these snapshotted files (each the concatenation of its parts) and state.json as checkpoint state.step. */
export interface WriteRequest {
  id: number;
  dir: string;
  state: CheckpointState;
  stateJson: Uint8Array;
  files: { name: string; parts: FilePart[] }[];
  keep: number;
  chunkBytes: number;
  /** Tests: SIGKILL the process after the first chunk of this file. */
  killIn?: string;
}

export type WriteReply =
  | { kind: 'buffers'; buffers: ArrayBuffer[] }
  | { kind: 'written'; id: number; path: string; buffers: ArrayBuffer[] }
  | { kind: 'failed'; id: number; message: string; buffers: ArrayBuffer[] };
