// AlphaFold2 suppl. Algorithm 20 lines 11-14: torsion-angle prediction
// (OpenFold structure_module.AngleResnet). The ReLUs on the inputs are in
// the released code, not in the supplement's pseudocode (kept, as OpenFold).
//   a = linear_in(relu(s)) + linear_initial(relu(s_initial))
//   a += linear_2(relu(linear_1(relu(a))))   (no_resnet_blocks times)
//   α = linear_out(relu(a)) -> [N, 7, 2]; normalized by sqrt(max(|α|², eps))
import type { Tensor } from '../core/tensor.ts';
import { add, clamp, div, mul, relu, reshape, sqrt, sum } from '../autograd/index.ts';
import type { StructureModuleConfig } from './config_types.ts';
import type { ParamView } from './params.ts';

export function angleResnet(p: ParamView, cfg: StructureModuleConfig, s: Tensor, sInitial: Tensor): { unnormalized: Tensor; angles: Tensor } {
  let a = add(p.linear('linear_in', relu(s)), p.linear('linear_initial', relu(sInitial)));
  for (let i = 0; i < cfg.no_resnet_blocks; i++) {
    const l = p.sub(`layers.${i}`);
    a = add(a, l.linear('linear_2', relu(l.linear('linear_1', relu(a)))));
  }
  const n = s.shape[0]!;
  const unnormalized = reshape(p.linear('linear_out', relu(a)), [n, cfg.no_angles, 2]);
  const norm = sqrt(clamp(sum(mul(unnormalized, unnormalized), [-1], true), cfg.epsilon, Infinity));
  return { unnormalized, angles: div(unnormalized, norm) };
}
