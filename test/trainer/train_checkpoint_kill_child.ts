// Child process of train_checkpoint_kill.test.ts: writes checkpoint step 1 in
// full, then checkpoint step 2 and kills itself with SIGKILL after the first
// chunk of `ema.safetensors` (mid-file, mid-checkpoint).
import { loadConfig } from '../../trainer/model/config.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { CHECKPOINT_FORMAT, encodeCheckpoint, writeCheckpoint, type CheckpointState } from '../../trainer/train/checkpoint.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { OptimizerState } from '../../trainer/train/optimizer_state.ts';

const dir = process.argv[2]!;
const specs = modelParamSpec(loadConfig('tiny'));
const opt = OptimizerState.fromWeights(specs, initParams(specs, 0), ALPHAFOLD_ADAM_SWA);
const state = (step: number): CheckpointState => ({
  format: CHECKPOINT_FORMAT, step, adamStep: step, nextSampleStep: step, consumedAhead: [],
  rng: { seed: 0, dropoutStream: 'dropout', samplerEpochLength: 10 }, run: {},
});
await writeCheckpoint(dir, encodeCheckpoint(opt.slots, state(1)));
for (const s of opt.slots) s.param.fill(7);
await writeCheckpoint(dir, encodeCheckpoint(opt.slots, state(2)), {
  chunkBytes: 4096,
  observe: (file) => {
    if (file === 'ema.safetensors') process.kill(process.pid, 'SIGKILL');
  },
});
