// Rigid-group frames of OpenFold's nonensembled_transform_fns
// (openfold/data/data_transforms.py): atom37_to_frames (AlphaFold2
// supplementary Algorithm 21 for the 8 rigid groups of Table 2; the backbone
// frame, built from (C, CA, N), is turned by pi about its y axis so that it
// equals the frame built from (N, CA, C); the alternative frames rotate the
// last chi group of the 180-degree-symmetric residues by pi, Algorithm 26)
// and get_backbone_frames. Float32 in torch's operation order.

import { ATOM_TYPE_NUM } from '../../residue_constants.ts';
import { numeric, type FeatureDict } from '../../tensor.ts';
import {
  NUM_RIGID_GROUPS, RESTYPE_RIGIDGROUP_BASE_ATOM37_IDX, RESTYPE_RIGIDGROUP_IS_AMBIGUOUS, RESTYPE_RIGIDGROUP_MASK,
} from '../../constants/rigid_group_tables.ts';
import { frameFrom3Points, writeFrame4x4 } from '../../geometry/rigid_f32.ts';
import { float32Values, getNumeric, intValues } from '../tensor_access.ts';

/** atom37_to_frames: ground-truth frames of the 8 rigid groups, existence and ambiguity masks. */
export function atom37ToFrames(d: FeatureDict): FeatureDict {
  const aatype = intValues(getNumeric(d, 'aatype'));
  const positions = float32Values(getNumeric(d, 'all_atom_positions'));
  const mask = float32Values(getNumeric(d, 'all_atom_mask'));
  const n = aatype.length;
  const G = NUM_RIGID_GROUPS;
  const gtFrames = new Float32Array(n * G * 16); // [N_res, 8, 4, 4]
  const altFrames = new Float32Array(n * G * 16);
  const gtExists = new Float32Array(n * G); // [N_res, 8]
  const groupExists = new Float32Array(n * G);
  const isAmbiguous = new Float32Array(n * G);
  const rot = new Float32Array(9);
  const trans = new Float32Array(3);
  for (let i = 0; i < n; i++) {
    const rt = aatype[i]!;
    for (let g = 0; g < G; g++) {
      const base = (rt * G + g) * 3;
      const a0 = RESTYPE_RIGIDGROUP_BASE_ATOM37_IDX[base]!;
      const a1 = RESTYPE_RIGIDGROUP_BASE_ATOM37_IDX[base + 1]!;
      const a2 = RESTYPE_RIGIDGROUP_BASE_ATOM37_IDX[base + 2]!;
      const p = i * ATOM_TYPE_NUM;
      frameFrom3Points(positions, (p + a0) * 3, positions, (p + a1) * 3, positions, (p + a2) * 3, 1e-8, rot, trans);
      if (g === 0) {
        // Compose with diag(-1, 1, -1): the backbone frame's x and z axes flip.
        for (let r = 0; r < 3; r++) { rot[r * 3] = -rot[r * 3]!; rot[r * 3 + 2] = -rot[r * 3 + 2]!; }
      }
      const k = i * G + g;
      writeFrame4x4(rot, trans, gtFrames, k * 16);
      const ambiguous = RESTYPE_RIGIDGROUP_IS_AMBIGUOUS[rt * G + g]!;
      if (ambiguous) {
        // Compose with diag(1, -1, -1): a rotation by pi about the group's x axis.
        for (let r = 0; r < 3; r++) { rot[r * 3 + 1] = -rot[r * 3 + 1]!; rot[r * 3 + 2] = -rot[r * 3 + 2]!; }
      }
      writeFrame4x4(rot, trans, altFrames, k * 16);
      const exists = RESTYPE_RIGIDGROUP_MASK[rt * G + g]!;
      groupExists[k] = exists;
      isAmbiguous[k] = ambiguous;
      gtExists[k] = Math.min(mask[p + a0]!, mask[p + a1]!, mask[p + a2]!) * exists;
    }
  }
  return {
    ...d,
    rigidgroups_gt_frames: numeric('float32', [n, G, 4, 4], gtFrames),
    rigidgroups_gt_exists: numeric('float32', [n, G], gtExists),
    rigidgroups_group_exists: numeric('float32', [n, G], groupExists),
    rigidgroups_group_is_ambiguous: numeric('float32', [n, G], isAmbiguous),
    rigidgroups_alt_gt_frames: numeric('float32', [n, G, 4, 4], altFrames),
  };
}

/** get_backbone_frames: the backbone group's frame and existence. */
export function getBackboneFrames(d: FeatureDict): FeatureDict {
  const frames = float32Values(getNumeric(d, 'rigidgroups_gt_frames'));
  const exists = float32Values(getNumeric(d, 'rigidgroups_gt_exists'));
  const n = exists.length / NUM_RIGID_GROUPS;
  const tensor = new Float32Array(n * 16);
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    tensor.set(frames.subarray(i * NUM_RIGID_GROUPS * 16, i * NUM_RIGID_GROUPS * 16 + 16), i * 16);
    mask[i] = exists[i * NUM_RIGID_GROUPS]!;
  }
  return {
    ...d,
    backbone_rigid_tensor: numeric('float32', [n, 4, 4], tensor),
    backbone_rigid_mask: numeric('float32', [n], mask),
  };
}
