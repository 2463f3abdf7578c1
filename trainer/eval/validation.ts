// Validation of a set of weights (AlphaFold2 suppl. 1.11.7 / OpenFold's
// validation_step): every chain of a validation dataset, one fixed example
// each, forward passes without dropout or gradients, then
//   lddt_ca       lDDT-Ca of the final Ca positions against the true ones (lddt.ts)
//   distogram     the distogram loss term
//   plddt         the mean predicted lDDT of the chain (0-100)
//   plddt_loss    the pLDDT head's loss term
// averaged over chains. DISCREPANCY: OpenFold validates uncropped chains with
// the eval-mode MSA sampling; here each chain is the training transforms'
// example at a fixed seed (same crop as training), so a validation step costs
// what a training forward costs.
import type { PerStepConfig } from '../../features/transforms/config.ts';
import { perStepTransforms } from '../../features/transforms/ensembled/per_step.ts';
import { DatasetRows } from '../../pipeline/loader/dataset_rows.ts';
import { cast, keep, noGrad, scope } from '../autograd/index.ts';
import { parameter, tensor } from '../core/tensor.ts';
import { alphaFold, type IterationFeatures } from '../model/alphafold.ts';
import { alphaFoldLoss } from '../model/alphafold_loss.ts';
import type { AlphaFoldConfig } from '../model/config_types.ts';
import type { TensorPlacement } from '../model/host_tensor.ts';
import { ParamStore } from '../model/params.ts';
import { evalRuntime, type RuntimeOptions } from '../model/runtime.ts';
import { iterationFeatures } from '../train/batch_features.ts';
import { disposeRecycled } from '../train/train_step.ts';
import { lddtCa } from './lddt.ts';

/** Seed of the fixed validation examples. */
export const VALIDATION_SEED = 20_240_417;
const ATOM_CA = 1;

export interface ValidationExample {
  chainId: string;
  features: IterationFeatures;
  passes: number;
}

export interface ChainMetrics {
  chainId: string;
  lddt_ca: number;
  distogram: number;
  plddt: number;
  plddt_loss: number;
}

export interface ValidationMetrics {
  lddt_ca: number;
  distogram: number;
  plddt: number;
  plddt_loss: number;
  chains: ChainMetrics[];
}

/** One fixed example per chain of the dataset (sorted by chain id), at the most forward passes. */
export async function validationExamples(datasetDir: string, perStep: PerStepConfig): Promise<ValidationExample[]> {
  const rows = await DatasetRows.open(datasetDir);
  try {
    const chains = [...rows.index.keys()].sort();
    return chains.map((chainId) => {
      const dict = perStepTransforms(rows.features(chainId), { seed: VALIDATION_SEED, config: { ...perStep, passes: perStep.maxPasses } });
      return { chainId, features: iterationFeatures(dict), passes: dict.aatype!.shape[0]! };
    });
  } finally {
    rows.close();
  }
}

/**
 * The store of the weights to evaluate (state_dict order); under a bf16 trunk
 * with their bf16 copies set as shadows once, as the optimizer's in training,
 * instead of a cast per use and pass.
 */
export function evaluationParams(names: readonly string[], shapes: readonly (readonly number[])[], values: readonly Float32Array[], place: TensorPlacement, runtime: RuntimeOptions = {}): ParamStore {
  const tensors = new Map(names.map((name, i) => [name, keep(parameter(tensor(values[i]!, shapes[i]!, place)))]));
  const params = new ParamStore(tensors);
  if (runtime.trunkDtype === 'bfloat16') noGrad(() => { for (const [name, t] of tensors) params.setShadow(name, cast(t, 'bfloat16')); });
  return params;
}

function caOf(atom37: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = atom37[(i * 37 + ATOM_CA) * 3 + c]!;
  return out;
}

/**
 * Metrics of one example under `params` (no dropout, no tape). `runtime`: the
 * mixed precision of training (a bf16 trunk, structure module / heads / losses
 * in place.dtype); activation checkpointing is pointless without a tape.
 */
export function evaluateExample(params: ParamStore, c: AlphaFoldConfig, place: TensorPlacement, ex: ValidationExample, runtime: RuntimeOptions = {}): ChainMetrics {
  return noGrad(() => scope(() => {
    const f = ex.features;
    const k = ex.passes - 1;
    const out = alphaFold(params, evalRuntime(place, runtime), c, f, ex.passes);
    const loss = alphaFoldLoss(out, c, f, k);
    disposeRecycled(out.recycled);
    const n = f('aatype', k).data.length;
    const seqMask = f('seq_mask', k).data;
    const allAtomMask = f('all_atom_mask', k).data;
    const mask = new Float64Array(n);
    for (let i = 0; i < n; i++) mask[i] = seqMask[i]! * allAtomMask[i * 37 + ATOM_CA]!;
    const lddt = lddtCa(caOf(out.finalAtomPositions.toArray(), n), caOf(f('all_atom_positions', k).data, n), mask)[0]!;
    const plddt = out.heads.plddt.toArray();
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) if (seqMask[i]! > 0) { sum += plddt[i]!; count++; }
    return { chainId: ex.chainId, lddt_ca: lddt, distogram: loss.breakdown.distogram, plddt: count > 0 ? sum / count : 0, plddt_loss: loss.breakdown.plddt_loss };
  }));
}

/** Mean metrics over the examples (each chain weighs the same, as OpenFold averages per batch). */
export function evaluate(params: ParamStore, c: AlphaFoldConfig, place: TensorPlacement, examples: readonly ValidationExample[], runtime: RuntimeOptions = {}): ValidationMetrics {
  const chains = examples.map((ex) => evaluateExample(params, c, place, ex, runtime));
  const mean = (key: 'lddt_ca' | 'distogram' | 'plddt' | 'plddt_loss') => chains.reduce((a, m) => a + m[key], 0) / Math.max(chains.length, 1);
  return { lddt_ca: mean('lddt_ca'), distogram: mean('distogram'), plddt: mean('plddt'), plddt_loss: mean('plddt_loss'), chains };
}
