// Child process of train_checkpoint_kill.test.ts: writes checkpoint step 1 in
// full, then checkpoint step 2 and kills itself with SIGKILL after the first
// chunk of `ema.safetensors` (mid-file, mid-checkpoint).
import { encodeCheckpoint, writeCheckpoint } from '../../trainer/train/checkpoint.ts';
import { checkpointState, tinyOptimizer } from './checkpoint_kill_support.ts';

const dir = process.argv[2]!;
const opt = tinyOptimizer();
const state = checkpointState;
await writeCheckpoint(dir, encodeCheckpoint(opt.slots, state(1)));
for (const s of opt.slots) s.param.fill(7);
await writeCheckpoint(dir, encodeCheckpoint(opt.slots, state(2)), {
  chunkBytes: 4096,
  observe: (file) => {
    if (file === 'ema.safetensors') process.kill(process.pid, 'SIGKILL');
  },
});
