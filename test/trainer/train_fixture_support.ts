// Shared by the training suites: small datasets built from the real minitrain
// chains into a temporary folder, and the quick CPU training settings.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { buildDataset } from '../../pipeline/build/build_dataset.ts';
import { Progress } from '../../pipeline/build/progress.ts';
import { loadConfig } from '../../trainer/model/config.ts';
import { cpuDemoRun, perStepForModel, type TrainConfig } from '../../trainer/train/train_config.ts';

export const REPO = resolve(import.meta.dirname, '..', '..');
const MINITRAIN = join(REPO, 'test', 'fixtures', 'minitrain');
export const TRAIN_CHAINS = ['1k1a_A', '4dmd_B', '5zyh_A', '8f9h_A'];
export const VAL_CHAINS = ['1ubq_A', '2crb_A'];

/** Builds `chains` of the minitrain fixture into a fresh temporary dataset. */
export async function buildChains(chains: readonly string[], name: string): Promise<string> {
  const outDir = join(mkdtempSync(join(tmpdir(), `train-${name}-`)), 'dataset');
  const summary = await buildDataset({
    mmcifDir: join(MINITRAIN, 'mmcifs'), alignmentDir: join(MINITRAIN, 'alignments'), outDir, chains, threads: 2,
    progress: new Progress(new PassThrough() as unknown as NodeJS.WriteStream, false),
  });
  if (summary.rows !== chains.length) throw new Error(`built ${summary.rows} of ${chains.length} chains`);
  return outDir;
}

/** The tiny preset's CPU run at a crop of 32 (a step well under a second). */
export function quickRun(steps: number, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const c = loadConfig('tiny');
  return { ...cpuDemoRun(c, steps), perStep: perStepForModel(c, { cropSize: 32, maxExtraMsa: 16, maxPasses: 2 }), ...overrides };
}
