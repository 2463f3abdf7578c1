// Benchmark of the training thread's time per checkpoint (CPU), before and
// after moving the writing off the thread:
//   before: encodeCheckpoint (three safetensors files allocated and filled on
//     the training thread; writeCheckpoint then writes them asynchronously);
//   after: CheckpointWriter.write (the tensors copied into the final file
//     bytes in buffers reused across checkpoints; a writer thread writes).
// On the tiny preset's slots and on a synthetic set of slots with the
// initial-training preset's 5,044 tensors (93.2 M parameters). On CUDA the
// device optimizer's copy to the host (syncToHost) comes on top of either; a
// pretrain run logs it per checkpoint step as checkpoint_sync_ms. Prints
// medians; asserts nothing. BENCH_REPEATS sets the large set's repeats.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../trainer/model/config.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { CHECKPOINT_FORMAT, encodeCheckpoint, type CheckpointState } from '../../trainer/train/checkpoint.ts';
import { CheckpointWriter, type WriteTiming } from '../../trainer/train/checkpoint_writer.ts';
import type { OptimizerSlot } from '../../trainer/train/optimizer_state.ts';

const LARGE_REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function syntheticSlots(preset: string): OptimizerSlot[] {
  return modelParamSpec(loadConfig(preset)).map((spec, i) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const f = (k: number) => new Float32Array(n).fill(i * 1e-3 + k);
    return { name: spec.name, shape: [...spec.shape], param: f(0), m: f(1), v: f(2), average: f(3), bf16: new Uint16Array(n) };
  });
}

const state = (step: number): CheckpointState => ({
  format: CHECKPOINT_FORMAT, step, adamStep: step, nextSampleStep: step, consumedAhead: [],
  rng: { seed: 0, dropoutStream: 'dropout', samplerEpochLength: 1 }, run: {},
});

async function measure(label: string, slots: OptimizerSlot[], repeats: number): Promise<void> {
  const params = slots.reduce((a, s) => a + s.param.length, 0);
  const encode: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const payload = encodeCheckpoint(slots, state(r + 1));
    encode.push(performance.now() - t0);
    if (payload.files.length !== 4) throw new Error('unexpected payload');
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-ckpt-'));
  const writer = new CheckpointWriter(dir, slots, { keep: 1 });
  const main: number[] = [], copy: number[] = [], total: number[] = [];
  let allocated = 0;
  try {
    await writer.ready();
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      let timing: WriteTiming | undefined;
      const done = writer.write(slots, state(r + 1), (t) => (timing = t));
      await done;
      main.push(timing!.mainMs);
      copy.push(timing!.copyMs);
      allocated += timing!.allocated;
      total.push(performance.now() - t0);
    }
  } finally {
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${label}: ${slots.length} tensors, ${(params / 1e6).toFixed(2)} M parameters, ${repeats} checkpoints each`);
  console.log(`  before  encodeCheckpoint on the training thread   median ${median(encode).toFixed(1)} ms  (all: ${encode.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`  after   CheckpointWriter.write on the training thread median ${median(main).toFixed(1)} ms (copy ${median(copy).toFixed(1)} ms; buffers allocated here: ${allocated})  (all: ${main.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`          ratio before/after ${(median(encode) / median(main)).toFixed(1)}x; write complete (writer thread, fsync, rename) median ${median(total).toFixed(0)} ms after the call`);
}

await measure('tiny preset', syntheticSlots('tiny'), 15);
await measure('initial_training preset (synthetic slots)', syntheticSlots('initial_training'), LARGE_REPEATS);
