// The checkpoint writer thread (checkpoint_writer.ts): writes the files the
// training thread snapshotted (checkpoint_snapshot.ts) atomically
// (checkpoint.ts writeCheckpoint: temporary folder, fsync, rename), then
// hands the buffers back for the next checkpoint. At start it makes the
// buffers the first checkpoint will need and touches every page, so that
// the training thread's first copy lands in resident memory.
import { parentPort, workerData } from 'node:worker_threads';
import { writeCheckpoint } from './checkpoint.ts';
import type { CheckpointWorkerData, WriteReply, WriteRequest } from './checkpoint_messages.ts';

const data = workerData as CheckpointWorkerData;
const port = parentPort!;

const warm = data.prefault.map((bytes) => {
  const b = new ArrayBuffer(bytes);
  new Uint8Array(b).fill(0);
  return b;
});
port.postMessage({ kind: 'buffers', buffers: warm } satisfies WriteReply, warm);

port.on('message', (req: WriteRequest) => {
  void (async () => {
    try {
      const files: { name: string; bytes: Uint8Array | Uint8Array[] }[] = req.files.map((f) => ({
        name: f.name, bytes: f.parts.map((p) => new Uint8Array(p.buffer, p.offset, p.length)),
      }));
      files.push({ name: 'state.json', bytes: req.stateJson });
      const path = await writeCheckpoint(req.dir, { state: req.state, files }, {
        keep: req.keep, chunkBytes: req.chunkBytes,
        // tests: die like a killed trainer, in the middle of this file
        ...(req.killIn ? { observe: (file: string) => { if (file === req.killIn) process.kill(process.pid, 'SIGKILL'); } } : {}),
      });
      const buffers = pooled(req);
      port.postMessage({ kind: 'written', id: req.id, path, buffers } satisfies WriteReply, buffers);
    } catch (error) {
      const buffers = pooled(req);
      port.postMessage({ kind: 'failed', id: req.id, message: (error as Error).message, buffers } satisfies WriteReply, buffers);
    }
  })();
});

/** The request's pooled buffers, each once (a buffer may hold parts of several files). */
function pooled(req: WriteRequest): ArrayBuffer[] {
  return [...new Set(req.files.flatMap((f) => f.parts.filter((p) => p.pooled).map((p) => p.buffer)))];
}
