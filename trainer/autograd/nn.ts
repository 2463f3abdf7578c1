// Differentiable network ops (native: ops/matmul.cpp, ops/layer_norm.cpp,
// ops/softmax.cpp, ops/attention.cpp, ops/global_attention.cpp).
import { DTYPE_CODES, Tensor } from '../core/tensor.ts';
import { runOp, runOpAll } from '../core/ops.ts';
import type { NativeAttrs } from '../core/binding.ts';
import { record } from './tape.ts';
import { neg, mul, sumTo } from './elementwise.ts';
import { gradientDtype } from './layout.ts';
import { sum } from './reduce.ts';

export type MatmulPrecision = 'fp32' | 'tf32' | 'simt';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  precision?: MatmulPrecision;
}

/**
 * op(a) op(b); with gradFor, the product is the gradient of that tensor and
 * comes out in gradientDtype(gradFor) (float32 for a bf16 copy of a float32
 * weight: the GEMM's fp32 accumulator, no bf16 rounding, no cast kernel).
 */
function mm(a: Tensor, b: Tensor, transA: boolean, transB: boolean, precision: MatmulPrecision, gradFor?: Tensor): Tensor {
  const out = gradFor === undefined ? a.dtype : gradientDtype(gradFor);
  const attrs: NativeAttrs = { transA, transB, precision };
  if (out !== a.dtype) attrs.outDtype = DTYPE_CODES[out];
  return runOpAll('matmul', [a, b], attrs)[0];
}

/**
 * op(A) op(B) over matching batch axes, or with one 2-D operand shared by
 * the batch. Gradients: dA = dC op(B)^T, dB = op(A)^T dC, summed over the
 * batch for a shared operand.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const precision = options.precision ?? 'fp32';
  const c = mm(a, b, transA, transB, precision);
  record('matmul', [a, b], [c], [a, b], (g, [sa, sb]) => {
    const dc = g[0];
    if (!dc) return [null, null];
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      const full = transA ? mm(sb, dc, transB, true, precision, a) : mm(dc, sb, false, !transB, precision, a);
      da = sumTo(full, a.shape);
      full.dispose();
    }
    if (b.requiresGrad) {
      if (b.rank === 2 && a.rank > 2 && !transA) {
        // fold the batch into the rows: one product instead of a batched one and a sum
        const a2 = sa.reshape([-1, a.shape[a.rank - 1]]);
        const dc2 = dc.reshape([-1, dc.shape[dc.rank - 1]]);
        db = transB ? mm(dc2, a2, true, false, precision, b) : mm(a2, dc2, true, false, precision, b);
        a2.dispose();
        dc2.dispose();
      } else {
        const full = transB ? mm(dc, sa, true, transA, precision, b) : mm(sa, dc, !transA, false, precision, b);
        db = sumTo(full, b.shape);
        full.dispose();
      }
    }
    return [da, db];
  });
  return c;
}

/**
 * The gradient x already has from its later consumers (the tape's prior), as
 * an addend of `shape` for an op that writes x's new gradient on top of it;
 * null when there is none or it cannot be folded (another dtype or size).
 * The caller frees the handle and reports the fold (FoldedGrads).
 */
function priorAddend(prior: Tensor | null, x: Tensor, shape: readonly number[]): Tensor | null {
  return prior !== null && prior.dtype === x.dtype && prior.size === x.size ? prior.reshape(shape) : null;
}

/**
 * Linear layer (AlphaFold2 supplementary 1.11.4; OpenFold's Linear):
 * y = x W^T + b with W [C_out, C_in] as in OpenFold, x [..., C_in], as ONE
 * native call (the matmul op's bias input: on CUDA the GEMM's bias epilogue,
 * no separate add; the sum is rounded once where `add(matmul, b)` rounded
 * twice) and one tape node over x itself. Backward:
 *   dx = dy W, written on top of the gradient x already has from its later
 *     consumers (the op's addend, cuBLASLt's beta = 1: a tensor read by
 *     several projections, like the layer-normed pair of a triangle update,
 *     gets its gradient summed inside the GEMMs, with no add kernels);
 *   dW = dy^T x and db = the column sums of dy, from one call (the op's
 *     biasGrad, cuBLASLt's BGRADB epilogue), in gradientDtype (float32 for
 *     bf16 copies of float32 weights).
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, precision: MatmulPrecision = 'fp32'): Tensor {
  const cin = x.shape[x.rank - 1]!;
  const cout = weight.shape[0]!;
  const rows = cin === 0 ? 0 : x.size / cin;
  const x2 = x.reshape([rows, cin]);
  const [y2] = runOpAll('matmul', bias ? [x2, weight, bias] : [x2, weight], { transA: false, transB: true, precision });
  x2.dispose();
  const y = y2.reshape([...x.shape.slice(0, -1), cout]);
  y2.dispose();
  record('linear', [x, weight, bias], [y], [x, weight], (g, [sx, sw], prior) => {
    const dyIn = g[0];
    if (!dyIn) return [null, null, null];
    const dy = dyIn.reshape([rows, cout]);
    const xs = sx.reshape([rows, cin]);
    try {
      let dx: Tensor | null = null;
      let folded = false;
      if (x.requiresGrad) {
        const acc = priorAddend(prior[0], x, [rows, cin]);
        const dxAttrs: NativeAttrs = { transA: false, transB: false, precision };
        const [dx2] = runOpAll('matmul', acc ? [dy, sw, null, acc] : [dy, sw], dxAttrs);
        acc?.dispose();
        dx = dx2.reshape(x.shape);
        dx2.dispose();
        folded = acc !== null;
      }
      let dw: Tensor | null = null;
      let db: Tensor | null = null;
      const wide = gradientDtype(weight);
      if (weight.requiresGrad && bias?.requiresGrad === true && gradientDtype(bias) === wide) {
        // dW = dy^T x and db = the column sums of dy from one call (cuBLASLt's BGRADB epilogue on CUDA)
        const attrs: NativeAttrs = { transA: true, transB: false, precision, biasGrad: 1 };
        if (wide !== dy.dtype) attrs.outDtype = DTYPE_CODES[wide];
        [dw, db] = runOpAll('matmul', [dy, xs], attrs) as [Tensor, Tensor];
      } else {
        dw = weight.requiresGrad ? mm(dy, xs, true, false, precision, weight) : null;
        db = bias?.requiresGrad === true ? sumTo(dy, bias.shape, gradientDtype(bias)) : null;
      }
      return { grads: [dx, dw, db], folded: [folded, false, false] };
    } finally {
      dy.dispose();
      xs.dispose();
    }
  });
  return y;
}

/** Layer norm over the last axis with gamma, beta [C]. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const [y, meanT, rstd] = runOpAll('layer_norm', [x, gamma, beta], { eps });
  // bf16 copies of float32 gamma and beta: their gradients come out as the unrounded float32 sums
  const wide = x.dtype === 'bfloat16' && gradientDtype(gamma) === 'float32' && gradientDtype(beta) === 'float32';
  record('layer_norm', [x, gamma, beta], [y], [x, gamma, meanT, rstd], (g, [sx, sg, sm, sr], prior) => {
    if (!g[0]) return [null, null, null];
    // dx written on top of the gradient x already has (a residual stream's), in the same pass
    const acc = priorAddend(prior[0], x, x.shape);
    const inputs = acc ? [g[0], sx, sg, sm, sr, acc] : [g[0], sx, sg, sm, sr];
    const [dx, dg, db] = runOpAll('layer_norm_backward', inputs, wide ? { paramGradDtype: DTYPE_CODES.float32 } : undefined);
    acc?.dispose();
    return { grads: [dx, dg, db], folded: [acc !== null, false, false] };
  });
  meanT.dispose();
  rstd.dispose();
  return y;
}

function softmaxImpl(x: Tensor, logSoftmax: boolean): Tensor {
  const attrs = { log: logSoftmax };
  const [y] = runOpAll('softmax', [x], attrs);
  record(logSoftmax ? 'log_softmax' : 'softmax', [x], [y], [y], (g, [sy]) => [
    g[0] ? runOpAll('softmax_backward', [g[0], sy], attrs)[0] : null,
  ]);
  return y;
}

/** Softmax over the last axis. */
export const softmax = (x: Tensor) => softmaxImpl(x, false);
/** Log-softmax over the last axis. */
export const logSoftmax = (x: Tensor) => softmaxImpl(x, true);

/**
 * AlphaFold's softmax_cross_entropy (OpenFold loss.softmax_cross_entropy):
 * -sum(labels * log_softmax(logits), -1) with soft labels [..., C].
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return neg(sum(mul(labels, logSoftmax(logits)), [-1]));
}

export interface AttentionInputs {
  /** [B, Q, H, D] */ q: Tensor;
  /** [B, K, H, D] */ k: Tensor;
  /** [B, K, H, D] */ v: Tensor;
  /** [H, Q, K], shared by the B rows (pair / triangle bias) */ bias?: Tensor | null;
  /** [B, K], 1 = attend, 0 = masked */ mask?: Tensor | null;
  /** [B, Q, H, D], the gate pre-activation (sigmoid applied inside) */ gate?: Tensor | null;
  /** default 1/sqrt(D) */ scale?: number;
}

/** Fused gated attention with pair bias: returns [B, Q, H, D]. */
export function attention(inp: AttentionInputs): Tensor {
  const bias = inp.bias ?? null;
  const mask = inp.mask ?? null;
  const gate = inp.gate ?? null;
  const attrs: NativeAttrs = inp.scale === undefined ? {} : { scale: inp.scale };
  const [out, outRaw, lse] = runOp('attention', [inp.q, inp.k, inp.v, bias, mask, gate], attrs) as Tensor[];
  record('attention', [inp.q, inp.k, inp.v, bias, mask, gate], [out], [inp.q, inp.k, inp.v, outRaw, lse, ...(bias ? [bias] : []), ...(mask ? [mask] : []), ...(gate ? [gate] : [])], (g, saved) => {
    if (!g[0]) return [null, null, null, null, null, null];
    const [sq, sk, sv, sRaw, sLse] = saved;
    let at = 5;
    const sBias = bias ? saved[at++] : null;
    const sMask = mask ? saved[at++] : null;
    const sGate = gate ? saved[at++] : null;
    const [dq, dk, dv, dbias, dgate] = runOp('attention_backward', [sq, sk, sv, sBias, sMask, sGate, sRaw, sLse, g[0]], attrs);
    return [dq, dk, dv, dbias, null, dgate];
  });
  if (outRaw !== out) outRaw.dispose();
  lse.dispose();
  return out;
}

/**
 * Global attention core of AlphaFold2 Algorithm 19: q [B, H, D] (the masked
 * mean query, projected), k, v [B, S, D], mask [B, S]; returns [B, H, D].
 */
export function globalAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null = null, scale?: number): Tensor {
  const attrs: NativeAttrs = scale === undefined ? {} : { scale };
  const [o] = runOpAll('global_attention', [q, k, v, mask], attrs);
  record('global_attention', [q, k, v, mask], [o], [q, k, v, o, ...(mask ? [mask] : [])], (g, saved) => {
    if (!g[0]) return [null, null, null, null];
    const [sq, sk, sv, so] = saved;
    const sMask = mask ? saved[4] : null;
    const [dq, dk, dv] = runOpAll('global_attention_backward', [sq, sk, sv, sMask, so, g[0]], attrs);
    return [dq, dk, dv, null];
  });
  return o;
}
