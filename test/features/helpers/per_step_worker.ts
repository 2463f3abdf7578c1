// Worker side of the cross-thread determinism test: runs the per-step
// transforms on the features it is sent and posts back a digest of the batch.
import { parentPort, workerData } from 'node:worker_threads';
import { readNpyDir } from '../../../pipeline/npy_dir.ts';
import { perStepTransforms } from '../../../features/transforms/ensembled/per_step.ts';
import { perStepConfig } from '../../../features/transforms/config.ts';
import { batchDigest } from './batch_digest.ts';

const { dir, seed, passes } = workerData as { dir: string; seed: number; passes: number };
const input = await readNpyDir(dir);
const batch = perStepTransforms(input, { seed, config: perStepConfig({ passes }) });
parentPort!.postMessage(batchDigest(batch));
