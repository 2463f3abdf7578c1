// AlphaFold's learning-rate schedule (AlphaFold2 supplementary 1.11.3;
// OpenFold's AlphaFoldLRScheduler): linear warm-up from `baseLr` to `maxLr`
// over `warmupSteps`, constant, then after `startDecayAfter` steps multiplied
// by `decayFactor` once per `decayEvery` steps (the first decay applies at
// once, as OpenFold's exponent counts from 1).

export interface LrScheduleConfig {
  baseLr: number;
  maxLr: number;
  warmupSteps: number;
  startDecayAfter: number;
  decayEvery: number;
  decayFactor: number;
}

/** Initial training (supplementary Table 4 / OpenFold's defaults). */
export const INITIAL_TRAINING_LR: Readonly<LrScheduleConfig> = Object.freeze({
  baseLr: 0,
  maxLr: 1e-3,
  warmupSteps: 1000,
  startDecayAfter: 50_000,
  decayEvery: 50_000,
  decayFactor: 0.95,
});

/** The learning rate of step `step` (0-based count of optimizer steps taken). */
export function learningRate(step: number, c: LrScheduleConfig = INITIAL_TRAINING_LR): number {
  if (step <= c.warmupSteps) return c.baseLr + (step / Math.max(c.warmupSteps, 1)) * c.maxLr;
  if (step > c.startDecayAfter) {
    const decays = Math.floor((step - c.startDecayAfter) / c.decayEvery) + 1;
    return c.maxLr * c.decayFactor ** decays;
  }
  return c.maxLr;
}
