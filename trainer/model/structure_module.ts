// AlphaFold2 suppl. Algorithm 20: the structure module (OpenFold
// structure_module.StructureModule, monomer path), with IPA (Alg. 22), the
// backbone update (Alg. 23) and all-atom coordinates (Alg. 24).
//   s = linear_in(LN(s_initial)); z = LN(z); frames = identity
//   per layer: s += IPA(s, z, frames); s = LN(dropout(s)); s = transition(s)
//     frames = frames ∘ backbone_update(s)          (q normalized, R_old t)
//     angles = AngleResnet(s, s_initial); all-atom frames and atom14 positions
//     rotations detached before the next layer (stop_rot_gradient)
// Translations are in nm inside the loop and scaled by trans_scale_factor
// (10) for every output.
import type { Tensor } from '../core/tensor.ts';
import { add, concat, dropout, mulScalar, relu, scope } from '../autograd/index.ts';
import type { StructureModuleConfig } from './config_types.ts';
import { frameToAtom14Positions, torsionAnglesToFrames } from './all_atom.ts';
import { angleResnet } from './angle_resnet.ts';
import { invariantPointAttention } from './invariant_point_attention.ts';
import type { ParamView } from './params.ts';
import { composeQUpdate, detach, quatToRot, type QuatRigid, type Rigid } from './rigid.ts';
import type { ModelRuntime } from './runtime.ts';
import { tensor } from '../core/tensor.ts';

export interface StructureLayerOutput {
  /** [N, 7] quaternion + translation (Å) */ frames: Tensor;
  /** rotation [N, 3, 3] and translation (Å) [N, 3] of the backbone frames */ backbone: Rigid;
  /** group frames [N, 8] (Å) */ sidechainFrames: Rigid;
  /** [N, 7, 2] */ unnormalizedAngles: Tensor;
  /** [N, 7, 2] */ angles: Tensor;
  /** [N, 14, 3] (Å) */ positions: Tensor;
  /** [N, C_s] */ states: Tensor;
}

export interface StructureModuleOutput {
  layers: StructureLayerOutput[];
  /** [N, C_s] the final single representation */ single: Tensor;
}

/** Suppl. Alg. 20 lines 8-9: three-layer ReLU transition with residual, dropout, LayerNorm. */
function structureTransition(p: ParamView, rt: ModelRuntime, cfg: StructureModuleConfig, s: Tensor): Tensor {
  for (let i = 0; i < cfg.no_transition_layers; i++) {
    const l = p.sub(`layers.${i}`);
    s = add(s, l.linear('linear_3', relu(l.linear('linear_2', relu(l.linear('linear_1', s))))));
  }
  if (rt.training && cfg.dropout_rate > 0) s = dropout(s, cfg.dropout_rate, rt.nextSeed());
  return p.layerNorm('layer_norm', s);
}

/**
 * `p` is `structure_module`; single [N, C_s], pair [N, N, C_z] from the
 * Evoformer; aatype and seqMask [N] on the host.
 */
export function structureModule(
  p: ParamView, rt: ModelRuntime, cfg: StructureModuleConfig, single: Tensor, pair: Tensor, aatype: ArrayLike<number>, seqMask: Float64Array,
): StructureModuleOutput {
  const n = single.shape[0]!;
  const sInitial = p.layerNorm('layer_norm_s', single);
  const z = p.layerNorm('layer_norm_z', pair);
  let s = p.linear('linear_in', sInitial);
  const identity = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) identity[i * 4] = 1;
  let frames: QuatRigid = {
    quat: tensor(identity, [n, 4], rt.place),
    trans: tensor(new Float64Array(n * 3), [n, 3], rt.place),
  };
  const layers: StructureLayerOutput[] = [];
  const scale = cfg.trans_scale_factor;
  for (let i = 0; i < cfg.no_blocks; i++) {
    // one scope per layer: only the layer's outputs, s and the frames leave it
    const prev = frames;
    const sIn = s;
    const layer = scope(() => {
    let s = sIn;
    let frames = prev;
    const rigid: Rigid = { rot: quatToRot(frames.quat), trans: frames.trans };
    s = add(s, invariantPointAttention(p.sub('ipa'), cfg, s, z, rigid, seqMask));
    if (rt.training && cfg.dropout_rate > 0) s = dropout(s, cfg.dropout_rate, rt.nextSeed());
    s = p.layerNorm('layer_norm_ipa', s);
    s = structureTransition(p.sub('transition'), rt, cfg, s);
    frames = composeQUpdate(frames, p.sub('bb_update').linear('linear', s));
    const backbone: Rigid = { rot: quatToRot(frames.quat), trans: mulScalar(frames.trans, scale) };
    const { unnormalized, angles } = angleResnet(p.sub('angle_resnet'), cfg, s, sInitial);
    const sidechainFrames = torsionAnglesToFrames(backbone, angles, aatype);
    const positions = frameToAtom14Positions(sidechainFrames, aatype);
    const out: StructureLayerOutput = {
      frames: concat([frames.quat, backbone.trans], -1),
      backbone, sidechainFrames, unnormalizedAngles: unnormalized, angles, positions, states: s,
    };
    // stop_rot_gradient: the next layer sees the rotation as a constant
    return { out, s, frames: { quat: detach(frames.quat), trans: frames.trans } };
    });
    layers.push(layer.out);
    s = layer.s;
    frames = layer.frames;
  }
  return { layers, single: s };
}

/** Group frames as [N, 8, 4, 4] homogeneous matrices (OpenFold to_tensor_4x4), for comparisons. */
export function rigidTo4x4(r: Rigid): Float64Array {
  const rot = r.rot.toArray();
  const trans = r.trans.toArray();
  const count = trans.length / 3;
  const out = new Float64Array(count * 16);
  for (let k = 0; k < count; k++) {
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) out[k * 16 + a * 4 + b] = rot[k * 9 + a * 3 + b]!;
      out[k * 16 + a * 4 + 3] = trans[k * 3 + a]!;
    }
    out[k * 16 + 15] = 1;
  }
  return out;
}
