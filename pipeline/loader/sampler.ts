// The training sampler over a built dataset (AlphaFold2 supplementary 1.2.5;
// OpenFold's OpenFoldDataset / the MLPerf OpenFold reference):
//   weight(chain) = max(min(L, 512), 256) / 512 * cluster factor,
// the cluster factor 1/sqrt(cluster size) as MLPerf, or 1/cluster size as
// OpenFold. An epoch is `epochLength` draws with replacement by weight. The
// whole sequence of (chain, seed) pairs follows from one global seed through
// counter-based hashing, so it is the same in every process and any position
// can be recomputed (resume). Global sample g of step s on rank r is
// g = s * worldSize + r: ranks are disjoint and together cover the epoch.
// The number of forward passes of a step (OpenFold's no_recycling_iters + 1)
// comes from one global stream indexed by step, so all ranks agree.
// DISCREPANCY: OpenFold draws the recycling count per rank; ranks then wait
// on each other whenever they disagree.
import { hash32, uniform } from './counter_hash.ts';

export interface SamplerEntry {
  chainId: string;
  length: number;
  clusterSize: number;
  resolution: number;
  /** YYYY-MM-DD */
  releaseDate: string;
}

export type ClusterWeighting = 'inverse-sqrt' | 'inverse';

export interface SamplerConfig {
  seed: number;
  /** Samples per epoch (over all ranks). */
  epochLength: number;
  worldSize: number;
  rank: number;
  clusterWeighting: ClusterWeighting;
  maxResolution: number;
  minLength: number;
  /** Inclusive bounds, YYYY-MM-DD; empty string for none. */
  minReleaseDate: string;
  maxReleaseDate: string;
  /** Forward passes per step are drawn uniformly from 1..maxForwardPasses. */
  maxForwardPasses: number;
}

export const DEFAULT_SAMPLER_CONFIG: SamplerConfig = {
  seed: 0,
  epochLength: 1000,
  worldSize: 1,
  rank: 0,
  clusterWeighting: 'inverse-sqrt',
  maxResolution: 9,
  minLength: 1,
  minReleaseDate: '',
  maxReleaseDate: '',
  maxForwardPasses: 4,
};

export interface SampleRef {
  /** Position in the global sample sequence (epoch * epochLength + i). */
  globalIndex: number;
  step: number;
  chainId: string;
  /** Seed of this sample's per-step transforms. */
  seed: number;
  /** Forward passes of the step this sample belongs to (1..4). */
  forwardPasses: number;
}

const STREAM_CHAIN = 1;
const STREAM_SEED = 2;
const STREAM_PASSES = 3;

export function samplingWeight(entry: SamplerEntry, weighting: ClusterWeighting): number {
  const lengthFactor = Math.max(Math.min(entry.length, 512), 256) / 512;
  const size = Math.max(entry.clusterSize, 1);
  return lengthFactor * (weighting === 'inverse' ? 1 / size : 1 / Math.sqrt(size));
}

export function passesEligibility(entry: SamplerEntry, config: SamplerConfig): boolean {
  return (
    entry.resolution <= config.maxResolution &&
    entry.length >= config.minLength &&
    (config.minReleaseDate === '' || entry.releaseDate >= config.minReleaseDate) &&
    (config.maxReleaseDate === '' || entry.releaseDate <= config.maxReleaseDate)
  );
}

export class Sampler {
  readonly config: SamplerConfig;
  readonly chains: readonly SamplerEntry[];
  private readonly cumulative: Float64Array;

  constructor(entries: readonly SamplerEntry[], config: Partial<SamplerConfig> = {}) {
    this.config = { ...DEFAULT_SAMPLER_CONFIG, ...config };
    const { rank, worldSize, epochLength, maxForwardPasses } = this.config;
    if (!(worldSize >= 1 && rank >= 0 && rank < worldSize)) throw new RangeError(`rank ${rank} outside world of ${worldSize}`);
    if (!(epochLength >= worldSize)) throw new RangeError(`epoch length ${epochLength} is smaller than the world (${worldSize})`);
    if (!(maxForwardPasses >= 1)) throw new RangeError('maxForwardPasses must be >= 1');
    // Sorted by chain id, so the sequence does not depend on index row order.
    this.chains = entries.filter((e) => passesEligibility(e, this.config)).sort((a, b) => (a.chainId < b.chainId ? -1 : a.chainId > b.chainId ? 1 : 0));
    if (this.chains.length === 0) throw new RangeError('no chain passes the sampler filters');
    this.cumulative = new Float64Array(this.chains.length);
    let total = 0;
    this.chains.forEach((e, i) => {
      total += samplingWeight(e, this.config.clusterWeighting);
      this.cumulative[i] = total;
    });
  }

  /** Steps per epoch for one rank. */
  get stepsPerEpoch(): number {
    return Math.floor(this.config.epochLength / this.config.worldSize);
  }

  /** Forward passes of a global step: the same on every rank. */
  forwardPasses(step: number): number {
    return 1 + Math.floor(uniform(this.config.seed, STREAM_PASSES, step) * this.config.maxForwardPasses);
  }

  /** The sample of the global sequence at `globalIndex`. */
  sampleAt(globalIndex: number): Omit<SampleRef, 'step' | 'forwardPasses'> {
    const total = this.cumulative[this.cumulative.length - 1]!;
    const target = uniform(this.config.seed, STREAM_CHAIN, globalIndex) * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return { globalIndex, chainId: this.chains[lo]!.chainId, seed: hash32(this.config.seed, STREAM_SEED, globalIndex) };
  }

  /** This rank's sample for a step (steps count on across epochs). */
  sampleForStep(step: number): SampleRef {
    const { worldSize, rank, epochLength } = this.config;
    const stepsPerEpoch = this.stepsPerEpoch;
    const epoch = Math.floor(step / stepsPerEpoch);
    const within = (step % stepsPerEpoch) * worldSize + rank;
    return { ...this.sampleAt(epoch * epochLength + within), step, forwardPasses: this.forwardPasses(step) };
  }
}
