// A synthetic training batch with the shapes of a real one (every key the
// model and the loss read, OpenFold names, recycling axis last), for timing
// and memory probes at full size where no real chain of that size is at hand.
// Values are random but well-formed: one-hot features, unit masks, valid
// residue types and index tables, coordinates of a random walk.
import { Rng } from '../../features/rng.ts';
import { RESTYPE_ATOM14_TO_ATOM37, RESTYPE_ATOM37_TO_ATOM14, RESTYPE_ATOM14_MASK, RESTYPE_ATOM37_MASK } from '../../features/constants/atom14_tables.ts';
import type { HostArray } from './host_tensor.ts';
import type { IterationFeatures } from './alphafold.ts';

export interface SyntheticShapes {
  nRes: number;
  nMsa: number;
  nExtra: number;
  nTemplates: number;
  iterations: number;
}

export function syntheticBatch(s: SyntheticShapes, seed: number): IterationFeatures {
  const rng = Rng.fromSeed(seed);
  const n = s.nRes;
  const cache = new Map<string, HostArray>();
  const aatype = Array.from({ length: n }, () => Math.floor(rng.float() * 20));
  const walk = new Float64Array(n * 37 * 3);
  for (let i = 0; i < n; i++) for (let a = 0; a < 37; a++) for (let c = 0; c < 3; c++) walk[(i * 37 + a) * 3 + c] = 3.8 * i * (c === 0 ? 1 : 0) + (rng.float() - 0.5) * 2 + a * 0.1;
  const fill = (shape: number[], f: (i: number) => number): HostArray => {
    const size = shape.reduce((a, b) => a * b, 1);
    const d = new Float64Array(size);
    for (let i = 0; i < size; i++) d[i] = f(i);
    return { shape, data: d };
  };
  const oneHot = (shape: number[], classes: number, pick: () => number): HostArray => {
    const d = new Float64Array(shape.reduce((a, b) => a * b, 1) * classes);
    for (let i = 0; i < d.length / classes; i++) d[i * classes + pick()] = 1;
    return { shape: [...shape, classes], data: d };
  };
  const identity4 = (count: number): HostArray => fill([count, 4, 4], (i) => (i % 16 === 0 || i % 16 === 5 || i % 16 === 10 || i % 16 === 15 ? 1 : 0));
  const make = (name: string): HostArray => {
    switch (name) {
      case 'aatype': return { shape: [n], data: Float64Array.from(aatype) };
      case 'residue_index': return fill([n], (i) => i);
      case 'seq_mask': case 'pseudo_beta_mask': case 'backbone_rigid_mask': return fill([n], () => 1);
      case 'seq_length': return { shape: [], data: new Float64Array([n]) };
      case 'resolution': return { shape: [], data: new Float64Array([2]) };
      case 'use_clamped_fape': return { shape: [], data: new Float64Array([1]) };
      case 'target_feat': return oneHot([n], 22, () => Math.floor(rng.float() * 21));
      case 'msa_feat': return fill([s.nMsa, n, 49], () => (rng.float() < 0.05 ? 1 : 0));
      case 'msa_mask': case 'bert_mask': return fill([s.nMsa, n], () => 1);
      case 'true_msa': return fill([s.nMsa, n], () => Math.floor(rng.float() * 21));
      case 'extra_msa': return fill([s.nExtra, n], () => Math.floor(rng.float() * 22));
      case 'extra_has_deletion': return fill([s.nExtra, n], () => 0);
      case 'extra_deletion_value': return fill([s.nExtra, n], () => 0);
      case 'extra_msa_mask': return fill([s.nExtra, n], () => 1);
      case 'template_aatype': return fill([s.nTemplates, n], () => Math.floor(rng.float() * 20));
      case 'template_mask': return fill([s.nTemplates], () => 1);
      case 'template_pseudo_beta': return fill([s.nTemplates, n, 3], (i) => walk[(Math.floor(i / 3) % n) * 111 + (i % 3)]!);
      case 'template_pseudo_beta_mask': return fill([s.nTemplates, n], () => 1);
      case 'template_all_atom_mask': return fill([s.nTemplates, n, 37], () => 1);
      case 'template_torsion_angles_sin_cos': case 'template_alt_torsion_angles_sin_cos': return fill([s.nTemplates, n, 7, 2], (i) => (i % 2 ? 1 : 0));
      case 'template_torsion_angles_mask': return fill([s.nTemplates, n, 7], () => 1);
      case 'pseudo_beta': return fill([n, 3], (i) => walk[Math.floor(i / 3) * 111 + (i % 3)]!);
      case 'all_atom_positions': return { shape: [n, 37, 3], data: walk };
      case 'all_atom_mask': case 'atom37_atom_exists': return fill([n, 37], (i) => RESTYPE_ATOM37_MASK[aatype[Math.floor(i / 37)]! * 37 + (i % 37)]!);
      case 'atom14_atom_exists': case 'atom14_gt_exists': case 'atom14_alt_gt_exists': return fill([n, 14], (i) => RESTYPE_ATOM14_MASK[aatype[Math.floor(i / 14)]! * 14 + (i % 14)]!);
      case 'atom14_atom_is_ambiguous': return fill([n, 14], () => 0);
      case 'atom14_gt_positions': case 'atom14_alt_gt_positions': return fill([n, 14, 3], (i) => walk[Math.floor(i / 42) * 111 + (i % 42)]!);
      case 'residx_atom14_to_atom37': return fill([n, 14], (i) => RESTYPE_ATOM14_TO_ATOM37[aatype[Math.floor(i / 14)]! * 14 + (i % 14)]!);
      case 'residx_atom37_to_atom14': return fill([n, 37], (i) => RESTYPE_ATOM37_TO_ATOM14[aatype[Math.floor(i / 37)]! * 37 + (i % 37)]!);
      case 'backbone_rigid_tensor': {
        const t = identity4(n);
        for (let i = 0; i < n; i++) t.data[i * 16 + 3] = 3.8 * i;
        return t;
      }
      case 'rigidgroups_gt_frames': case 'rigidgroups_alt_gt_frames': return { ...identity4(n * 8), shape: [n, 8, 4, 4] };
      case 'rigidgroups_gt_exists': return fill([n, 8], () => 1);
      case 'chi_mask': return fill([n, 4], () => 1);
      case 'chi_angles_sin_cos': return fill([n, 4, 2], (i) => (i % 2 ? 1 : 0));
      default: throw new Error(`syntheticBatch: no recipe for '${name}'`);
    }
  };
  // every iteration sees the same values (timing only)
  return (name: string) => {
    let v = cache.get(name);
    if (!v) cache.set(name, (v = make(name)));
    return v;
  };
}
