// OpenFold primitives.Attention (AlphaFold2 suppl. 1.11.3 gated multi-head
// attention) on the core's fused attention op: q, k, v projections without
// bias, softmax(q k^T / sqrt(c) + bias + mask bias) v, a sigmoid gate, and
// the output projection.
import type { Tensor } from '../core/tensor.ts';
import { attention, concat, reshape, slice } from '../autograd/index.ts';
import type { ParamView } from './params.ts';

export interface GatedAttentionArgs {
  /** [B, Q, C_q] */ q: Tensor;
  /** [B, K, C_kv] */ kv: Tensor;
  /** [H, Q, K], shared by the B rows */ bias?: Tensor | null;
  /** [B, K], 1 = attend */ mask?: Tensor | null;
  heads: number;
  /** whether the module has linear_g */ gating: boolean;
}

/** Returns [B, Q, C_q]. `p` is the `mha` module. */
export function gatedAttention(p: ParamView, a: GatedAttentionArgs): Tensor {
  const [b, nq] = a.q.shape as [number, number];
  const nk = a.kv.shape[1]!;
  const hc = p.shape('linear_q.weight')[0]!;
  const c = hc / a.heads;
  // [B, Q, H, c] / [B, K, H, c]
  const q = reshape(p.linear('linear_q', a.q), [b, nq, a.heads, c]);
  const k = reshape(p.linear('linear_k', a.kv), [b, nk, a.heads, c]);
  const v = reshape(p.linear('linear_v', a.kv), [b, nk, a.heads, c]);
  const gate = a.gating ? reshape(p.linear('linear_g', a.q), [b, nq, a.heads, c]) : null;
  // softmax over K with scale 1/sqrt(c) (the op's default), gate applied inside
  const bias = a.bias ?? null;
  const mask = a.mask ?? null;
  let o: Tensor;
  if (b * a.heads <= MAX_ROWS_TIMES_HEADS) {
    o = attention({ q, k, v, bias, mask, gate });
  } else {
    // Execution strategy only: the CUDA launcher takes at most 65535 (row, head)
    // pairs per call (template pointwise attention has N_res² rows), so the
    // rows go in chunks; the result is the same.
    const rows = Math.floor(MAX_ROWS_TIMES_HEADS / a.heads);
    const parts: Tensor[] = [];
    for (let at = 0; at < b; at += rows) {
      const len = Math.min(rows, b - at);
      const part4 = (t: Tensor) => slice(t, [at, 0, 0, 0], [len, t.shape[1]!, t.shape[2]!, t.shape[3]!]);
      parts.push(attention({
        q: part4(q), k: part4(k), v: part4(v), bias,
        mask: mask ? slice(mask, [at, 0], [len, mask.shape[1]!]) : null,
        gate: gate ? part4(gate) : null,
      }));
    }
    o = concat(parts, 0);
  }
  return p.linear('linear_o', reshape(o, [b, nq, hc]));
}

/** The most (row, head) pairs one attention call takes (the CUDA grid's y limit). */
const MAX_ROWS_TIMES_HEADS = 65535;
