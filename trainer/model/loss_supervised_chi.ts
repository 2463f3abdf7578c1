// AlphaFold2 suppl. 1.9.1 / Algorithm 27 (torsion angle loss, χ part) as
// OpenFold computes it (loss.supervised_chi_loss), over every structure-module
// layer:
//   chi error = min(|χ* - χ|², |χ*_π - χ|²) (the π-shifted truth for
//     π-periodic χ), masked mean over (layer, residue, χ) with eps 1e-4;
//   angle norm = | sqrt(|α_unnormalized|² + eps) - 1 |, masked by seq_mask;
//   loss = chi_weight · chi error + angle_norm_weight · angle norm.
import { tensor, type Tensor } from '../core/tensor.ts';
import { abs, add, concat, div, minimum, mul, slice, sqrt, square, sub, sum } from '../autograd/index.ts';
import { CHI_PI_PERIODIC_TABLE } from '../../features/constants/rigid_group_tables.ts';
import type { LossConfig } from './config_types.ts';
import type { HostArray } from './host_tensor.ts';
import { unsqueeze } from './rigid.ts';

/** OpenFold tensor_utils.masked_mean's default eps. */
const MASKED_MEAN_EPS = 1e-4;

export interface ChiTruth {
  aatype: HostArray;
  seq_mask: HostArray;
  /** [N, 4] */ chi_mask: HostArray;
  /** [N, 4, 2] */ chi_angles_sin_cos: HostArray;
}

/** angles / unnormalized: one [N, 7, 2] tensor per layer. */
export function supervisedChiLoss(angles: readonly Tensor[], unnormalized: readonly Tensor[], t: ChiTruth, cfg: LossConfig['supervised_chi']): Tensor {
  const n = t.seq_mask.data.length;
  const L = angles.length;
  const like = angles[0]!;
  const c = (v: ArrayLike<number>, shape: number[]) => tensor(v, shape, { dtype: like.dtype, device: like.device });
  // [L, N, 4, 2] predicted χ (angles 3..6)
  const pred = concat(angles.map((a) => unsqueeze(slice(a, [0, 3, 0], [n, 4, 2]), 0)), 0);
  const shift = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) for (let k = 0; k < 4; k++) shift[i * 4 + k] = 1 - 2 * CHI_PI_PERIODIC_TABLE[t.aatype.data[i]! * 4 + k]!;
  const trueChi = c(t.chi_angles_sin_cos.data, [1, n, 4, 2]);
  const trueShifted = mul(trueChi, c(shift, [1, n, 4, 1]));
  const err = minimum(sum(square(sub(trueChi, pred)), [-1]), sum(square(sub(trueShifted, pred)), [-1]));
  let chiMaskSum = 0;
  for (const v of t.chi_mask.data) chiMaskSum += v;
  const chiLoss = div(sum(mul(err, c(t.chi_mask.data, [1, n, 4])), [0, 1, 2]), c([MASKED_MEAN_EPS + L * chiMaskSum], []));
  // [L, N, 7]
  const un = concat(unnormalized.map((a) => unsqueeze(a, 0)), 0);
  const norm = sqrt(add(sum(square(un), [-1]), c([cfg.eps], [])));
  const normErr = abs(sub(norm, c([1], [])));
  let seqSum = 0;
  for (const v of t.seq_mask.data) seqSum += v;
  const normLoss = div(sum(mul(normErr, c(t.seq_mask.data, [1, n, 1])), [0, 1, 2]), c([MASKED_MEAN_EPS + L * 7 * seqSum], []));
  return add(mul(chiLoss, c([cfg.chi_weight], [])), mul(normLoss, c([cfg.angle_norm_weight], [])));
}
