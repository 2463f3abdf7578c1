// The logit losses of AlphaFold2 (OpenFold utils/loss.py), each with its
// targets found on the host (the targets are never differentiated; the large
// one-hots, distogram bins and true MSA, are encoded on the device):
//   distogram (suppl. 1.9.8): CE against the true pseudo-beta distance bin
//     (63 squared boundaries linspace(2.3125, 21.6875)), mean over the
//     pseudo-beta pair mask;
//   masked MSA (1.9.9): CE against true_msa on BERT-masked positions;
//   experimentally resolved (1.9.10): sigmoid CE per atom37 slot, gated by
//     resolution;
//   pLDDT (1.9.6, Alg. 29): CE against the binned lDDT-Cα of the final atom
//     positions (detached), gated by resolution.
import { tensor, type Tensor } from '../core/tensor.ts';
import { add, div, logSoftmax, mul, neg, oneHot as deviceOneHot, softplus, sum } from '../autograd/index.ts';
import type { LossConfig } from './config_types.ts';
import { indexTensor, type HostArray } from './host_tensor.ts';
import { linspace } from './recycling_embedder.ts';

function constant(values: ArrayLike<number>, shape: number[], like: Tensor): Tensor {
  return tensor(values, shape, { dtype: like.dtype, device: like.device });
}

/** Σ_c labels·log_softmax(logits), negated: [..., C] -> [...]. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return neg(sum(mul(labels, logSoftmax(logits)), [-1]));
}

function oneHot(indices: ArrayLike<number>, classes: number): Float64Array {
  const out = new Float64Array(indices.length * classes);
  for (let i = 0; i < indices.length; i++) out[i * classes + indices[i]!] = 1;
  return out;
}

/** A scalar tensor of a host value. */
function scalar(v: number, like: Tensor): Tensor {
  return constant([v], [], like);
}

export function distogramLoss(logits: Tensor, pseudoBeta: HostArray, pseudoBetaMask: HostArray, cfg: LossConfig['distogram']): Tensor {
  const n = pseudoBetaMask.data.length;
  const boundaries = linspace(cfg.min_bin, cfg.max_bin, cfg.no_bins - 1).map((b) => b * b);
  const bins = new Float64Array(n * n);
  const mask = new Float64Array(n * n);
  let maskSum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let x = 0; x < 3; x++) {
        const diff = pseudoBeta.data[i * 3 + x]! - pseudoBeta.data[j * 3 + x]!;
        d += diff * diff;
      }
      let b = 0;
      for (const edge of boundaries) if (d > edge) b++;
      bins[i * n + j] = b;
      mask[i * n + j] = pseudoBetaMask.data[i]! * pseudoBetaMask.data[j]!;
      maskSum += mask[i * n + j]!;
    }
  }
  const labels = deviceOneHot(indexTensor({ shape: [n, n], data: bins }, logits.device), cfg.no_bins, logits.dtype);
  const errors = softmaxCrossEntropy(logits, labels);
  // OpenFold: Σ_j (err·mask) / denom, then Σ_i
  const perRow = div(sum(mul(errors, constant(mask, [n, n], logits)), [-1]), scalar(cfg.eps + maskSum, logits));
  return sum(perRow, [-1]);
}

export function maskedMsaLoss(logits: Tensor, trueMsa: HostArray, bertMask: HostArray, cfg: LossConfig['masked_msa']): Tensor {
  const [s, n] = trueMsa.shape as [number, number];
  const labels = deviceOneHot(indexTensor(trueMsa, logits.device), cfg.num_classes, logits.dtype);
  const errors = softmaxCrossEntropy(logits, labels);
  // OpenFold's fp16-friendly form: Σ_s (Σ_i err·mask) / (eps + Σ 0.5·mask), times 0.5
  let half = 0;
  for (const m of bertMask.data) half += 0.5 * m;
  const perSeq = div(sum(mul(errors, constant(bertMask.data, [s, n], logits)), [-1]), scalar(cfg.eps + half, logits));
  return mul(sum(perSeq, [-1]), scalar(0.5, logits));
}

function resolutionGate(resolution: number, min: number, max: number): number {
  return resolution >= min && resolution <= max ? 1 : 0;
}

export function experimentallyResolvedLoss(
  logits: Tensor, atom37Exists: HostArray, allAtomMask: HostArray, resolution: number, cfg: LossConfig['experimentally_resolved'],
): Tensor {
  const [n, a] = atom37Exists.shape as [number, number];
  const labels = constant(allAtomMask.data, [n, a], logits);
  const one = scalar(1, logits);
  // sigmoid CE = labels·softplus(-x) + (1 - labels)·softplus(x)
  const errors = add(mul(labels, softplus(neg(logits))), mul(add(one, neg(labels)), softplus(logits)));
  let existsSum = 0;
  for (const e of atom37Exists.data) existsSum += e;
  const perRes = div(sum(mul(errors, constant(atom37Exists.data, [n, a], logits)), [-1]), scalar(cfg.eps + existsSum, logits));
  return mul(sum(perRes, [-1]), scalar(resolutionGate(resolution, cfg.min_resolution, cfg.max_resolution), logits));
}

/**
 * lDDT-Cα per residue (OpenFold loss.lddt, per_residue): pairs within
 * `cutoff` in the truth, scored by |Δd| < 0.5, 1, 2, 4 Å; eps in numerator
 * and denominator (model_tiny quirk 6).
 */
export function lddtCa(predCa: Float64Array, trueCa: Float64Array, mask: Float64Array, cutoff: number, eps: number): Float64Array {
  const n = mask.length;
  const dist = (x: Float64Array, i: number, j: number): number => {
    let d = 0;
    for (let c = 0; c < 3; c++) {
      const diff = x[i * 3 + c]! - x[j * 3 + c]!;
      d += diff * diff;
    }
    return Math.sqrt(eps + d);
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    let score = 0;
    for (let j = 0; j < n; j++) {
      const dt = dist(trueCa, i, j);
      const w = (dt < cutoff ? 1 : 0) * mask[i]! * mask[j]! * (i === j ? 0 : 1);
      const l1 = Math.abs(dt - dist(predCa, i, j));
      const s = 0.25 * ((l1 < 0.5 ? 1 : 0) + (l1 < 1 ? 1 : 0) + (l1 < 2 ? 1 : 0) + (l1 < 4 ? 1 : 0));
      norm += w;
      score += w * s;
    }
    out[i] = (1 / (eps + norm)) * (eps + score);
  }
  return out;
}

const CA = 1;

export function plddtLoss(
  logits: Tensor, finalAtomPositions: Float64Array, allAtomPositions: HostArray, allAtomMask: HostArray, resolution: number, cfg: LossConfig['plddt_loss'],
): Tensor {
  const n = allAtomMask.shape[0]!;
  const pick = (x: ArrayLike<number>, stride: number, width: number): Float64Array => {
    const out = new Float64Array(n * width);
    for (let i = 0; i < n; i++) for (let c = 0; c < width; c++) out[i * width + c] = x[i * stride * width + CA * width + c]!;
    return out;
  };
  const pred = pick(finalAtomPositions, 37, 3);
  const truth = pick(allAtomPositions.data, 37, 3);
  const mask = pick(allAtomMask.data, 37, 1);
  const score = lddtCa(pred, truth, mask, cfg.cutoff, cfg.eps);
  const bins = new Float64Array(n);
  for (let i = 0; i < n; i++) bins[i] = Math.min(Math.floor(Math.max(score[i]!, 0) * cfg.no_bins), cfg.no_bins - 1);
  const errors = softmaxCrossEntropy(logits, constant(oneHot(bins, cfg.no_bins), [n, cfg.no_bins], logits));
  let maskSum = 0;
  for (const m of mask) maskSum += m;
  const loss = div(sum(mul(errors, constant(mask, [n], logits)), [-1]), scalar(cfg.eps + maskSum, logits));
  return mul(loss, scalar(resolutionGate(resolution, cfg.min_resolution, cfg.max_resolution), logits));
}
