// The training loss of AlphaFold2 initial training as OpenFold's
// loss.AlphaFoldLoss computes it (suppl. 1.9, Table 4 weights):
//   total = (Σ_term weight·term) · sqrt(min(mean(seq_length), crop_len))
// with seq_length cast to float32 before the sqrt (model_tiny quirk 7).
// A NaN / inf term is replaced by 0 (OpenFold logs and skips it). Terms are
// computed even at weight 0 (they are reported), but only weighted terms
// join the total. The structural violation term is always reported from the
// host computation (violations.ts, which also gives the per-atom tensors);
// with a positive weight its differentiable form (loss_violation.ts) joins
// the total. pTM is not implemented.
import { tensor, type Tensor } from '../core/tensor.ts';
import { add, mul } from '../autograd/index.ts';
import type { AlphaFoldOutput, IterationFeatures } from './alphafold.ts';
import type { AlphaFoldConfig } from './config_types.ts';
import { backboneFape, sidechainFape } from './loss_fape.ts';
import { distogramLoss, experimentallyResolvedLoss, maskedMsaLoss, plddtLoss } from './loss_logits.ts';
import { supervisedChiLoss } from './loss_supervised_chi.ts';
import { renameSymmetricAtoms, type RenamedTruth } from './renaming.ts';
import { findStructuralViolations, violationLoss, type Violations } from './violations.ts';
import { violationLossTensor } from './loss_violation.ts';

/** fape's default eps inside the sqrt and the denominators (backbone_loss / sidechain_loss). */
const FAPE_EPS = 1e-4;

export interface LossBreakdown {
  distogram: number;
  experimentally_resolved: number;
  fape: number;
  fape_backbone: number;
  fape_sidechain: number;
  plddt_loss: number;
  masked_msa: number;
  supervised_chi: number;
  violation: number;
  unscaled_loss: number;
  loss_scale: number;
  loss: number;
}

export interface LossResult {
  /** the scalar to back-propagate */ total: Tensor;
  breakdown: LossBreakdown;
  renamed: RenamedTruth;
  violations: Violations;
}

/** `f(name, k)` gives batch features; the loss uses the last iteration's slice. */
export function alphaFoldLoss(out: AlphaFoldOutput, c: AlphaFoldConfig, f: IterationFeatures, k: number, useClampedFapeOverride?: number): LossResult {
  const l = c.loss;
  if (l.tm.enabled) throw new Error('the pTM loss is not implemented (loss.tm.enabled)');
  const last = out.sm.layers[out.sm.layers.length - 1]!;
  const like = out.pair;
  const resolution = f('resolution', k).data[0]!;
  const renamed = renameSymmetricAtoms(last.positions.toArray(), {
    atom14_gt_positions: f('atom14_gt_positions', k), atom14_alt_gt_positions: f('atom14_alt_gt_positions', k),
    atom14_gt_exists: f('atom14_gt_exists', k), atom14_alt_gt_exists: f('atom14_alt_gt_exists', k),
    atom14_atom_is_ambiguous: f('atom14_atom_is_ambiguous', k),
  });
  const useClamped = useClampedFapeOverride ?? f('use_clamped_fape', k).data[0]!;
  const bb = backboneFape(out.sm.layers.map((x) => x.backbone), {
    backbone_rigid_tensor: f('backbone_rigid_tensor', k), backbone_rigid_mask: f('backbone_rigid_mask', k),
  }, useClamped, l.fape.backbone, FAPE_EPS);
  const sc = sidechainFape(last.sidechainFrames, last.positions, {
    rigidgroups_gt_frames: f('rigidgroups_gt_frames', k), rigidgroups_alt_gt_frames: f('rigidgroups_alt_gt_frames', k),
    rigidgroups_gt_exists: f('rigidgroups_gt_exists', k),
  }, renamed, l.fape.sidechain, FAPE_EPS);
  const w = (v: number) => tensor([v], [], { dtype: like.dtype, device: like.device });
  const fape = add(mul(bb, w(l.fape.backbone.weight)), mul(sc, w(l.fape.sidechain.weight)));
  const terms: [keyof LossBreakdown, Tensor, number][] = [
    ['distogram', distogramLoss(out.heads.distogramLogits, f('pseudo_beta', k), f('pseudo_beta_mask', k), l.distogram), l.distogram.weight],
    ['experimentally_resolved', experimentallyResolvedLoss(out.heads.experimentallyResolvedLogits, f('atom37_atom_exists', k), f('all_atom_mask', k), resolution, l.experimentally_resolved), l.experimentally_resolved.weight],
    ['fape', fape, l.fape.weight],
    ['plddt_loss', plddtLoss(out.heads.lddtLogits, out.finalAtomPositions.toArray() as Float64Array, f('all_atom_positions', k), f('all_atom_mask', k), resolution, l.plddt_loss), l.plddt_loss.weight],
    ['masked_msa', maskedMsaLoss(out.heads.maskedMsaLogits, f('true_msa', k), f('bert_mask', k), l.masked_msa), l.masked_msa.weight],
    ['supervised_chi', supervisedChiLoss(out.sm.layers.map((x) => x.angles), out.sm.layers.map((x) => x.unnormalizedAngles), {
      aatype: f('aatype', k), seq_mask: f('seq_mask', k), chi_mask: f('chi_mask', k), chi_angles_sin_cos: f('chi_angles_sin_cos', k),
    }, l.supervised_chi), l.supervised_chi.weight],
  ];
  const breakdown = {} as LossBreakdown;
  let total: Tensor | null = null;
  for (const [name, t, weight] of terms) {
    let value = t.toArray()[0]!;
    if (!Number.isFinite(value)) {
      process.stderr.write(`${name} loss is NaN. Skipping...\n`);
      value = 0;
      breakdown[name] = 0;
      continue;
    }
    breakdown[name] = value;
    if (weight === 0) continue;
    const term = mul(t, w(weight));
    total = total ? add(total, term) : term;
  }
  const violations = findStructuralViolations(last.positions.toArray(), {
    atom14_atom_exists: f('atom14_atom_exists', k), residue_index: f('residue_index', k), aatype: f('aatype', k),
    residx_atom14_to_atom37: f('residx_atom14_to_atom37', k),
  }, l.violation.violation_tolerance_factor, l.violation.clash_overlap_tolerance);
  breakdown.violation = violationLoss(violations, f('atom14_atom_exists', k), l.violation.average_clashes, l.violation.eps);
  if (l.violation.weight > 0 && Number.isFinite(breakdown.violation)) {
    const v = violationLossTensor(last.positions, {
      atom14_atom_exists: f('atom14_atom_exists', k), residue_index: f('residue_index', k), aatype: f('aatype', k),
      residx_atom14_to_atom37: f('residx_atom14_to_atom37', k),
    }, l.violation);
    const term = mul(v, w(l.violation.weight));
    total = total ? add(total, term) : term;
  }
  breakdown.fape_backbone = bb.toArray()[0]!;
  breakdown.fape_sidechain = sc.toArray()[0]!;
  const unscaled = total ?? w(0);
  breakdown.unscaled_loss = unscaled.toArray()[0]!;
  // mean(seq_length) in float32, then min with the crop length, then sqrt (float32 / float64 as OpenFold's types fall)
  const seqLen = Math.fround(f('seq_length', k).data[0]!);
  const cropLen = f('aatype', k).data.length;
  const scale = seqLen <= cropLen ? Math.fround(Math.sqrt(seqLen)) : Math.sqrt(cropLen);
  breakdown.loss_scale = scale;
  const totalScaled = mul(unscaled, w(scale));
  breakdown.loss = totalScaled.toArray()[0]!;
  return { total: totalScaled, breakdown, renamed, violations };
}
