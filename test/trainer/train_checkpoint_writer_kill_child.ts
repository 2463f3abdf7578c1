// Child process of train_checkpoint_writer.test.ts: the writer thread writes
// checkpoint step 1 in full, then checkpoint step 2, and the process is
// SIGKILLed after the first chunk of that write's `ema.safetensors`.
import { CheckpointWriter } from '../../trainer/train/checkpoint_writer.ts';
import { checkpointState, tinyOptimizer } from './checkpoint_kill_support.ts';

const dir = process.argv[2]!;
const opt = tinyOptimizer();
const state = checkpointState;
const whole = new CheckpointWriter(dir, opt.slots);
await whole.write(opt.slots, state(1));
await whole.close();
for (const s of opt.slots) s.param.fill(7);
const killed = new CheckpointWriter(dir, opt.slots, { chunkBytes: 4096, killIn: 'ema.safetensors' });
await killed.write(opt.slots, state(2));
