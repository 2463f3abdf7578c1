// Child process of train_checkpoint_writer.test.ts: the writer thread writes
// checkpoint step 1 in full, then checkpoint step 2, and the process is
// SIGKILLed after the first chunk of that write's `ema.safetensors`.
import { loadConfig } from '../../trainer/model/config.ts';
import { initParams } from '../../trainer/model/param_init.ts';
import { modelParamSpec } from '../../trainer/model/param_spec.ts';
import { CHECKPOINT_FORMAT, type CheckpointState } from '../../trainer/train/checkpoint.ts';
import { CheckpointWriter } from '../../trainer/train/checkpoint_writer.ts';
import { ALPHAFOLD_ADAM_SWA } from '../../trainer/train/fused_adam_swa.ts';
import { OptimizerState } from '../../trainer/train/optimizer_state.ts';

const dir = process.argv[2]!;
const specs = modelParamSpec(loadConfig('tiny'));
const opt = OptimizerState.fromWeights(specs, initParams(specs, 0), ALPHAFOLD_ADAM_SWA);
const state = (step: number): CheckpointState => ({
  format: CHECKPOINT_FORMAT, step, adamStep: step, nextSampleStep: step, consumedAhead: [],
  rng: { seed: 0, dropoutStream: 'dropout', samplerEpochLength: 10 }, run: {},
});
const whole = new CheckpointWriter(dir, opt.slots);
await whole.write(opt.slots, state(1));
await whole.close();
for (const s of opt.slots) s.param.fill(7);
const killed = new CheckpointWriter(dir, opt.slots, { chunkBytes: 4096, killIn: 'ema.safetensors' });
await killed.write(opt.slots, state(2));
