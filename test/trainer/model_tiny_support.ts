// One forward + loss + backward of the tiny golden model (test/fixtures/
// golden/model_tiny) under a given runtime, for the mixed-precision and
// checkpointing tests: the loss breakdown, every parameter gradient (host
// float64 copies), the live tensors right after the forward and the tape's
// op counts.
import { GoldenState } from '../../trainer/model/golden_state.ts';
import type { TensorPlacement } from '../../trainer/model/host_tensor.ts';
import type { ModelRuntime } from '../../trainer/model/runtime.ts';
import type { ParamStore } from '../../trainer/model/params.ts';
import type { AlphaFoldConfig } from '../../trainer/model/config_types.ts';
import { alphaFold, type AlphaFoldOutput } from '../../trainer/model/alphafold.ts';
import { alphaFoldLoss } from '../../trainer/model/alphafold_loss.ts';
import { Tape, gradientOf, recordOn, scope } from '../../trainer/autograd/index.ts';
import { memoryStats } from '../../trainer/core/tensor.ts';

export const golden = await GoldenState.read('test/fixtures/golden/model_tiny');
export const features = (name: string, it: number) => golden.input(name, it);

export interface TinyRun {
  loss: Record<string, number>;
  grads: Map<string, Float64Array | null>;
  /** live tensor handles / host bytes right after the forward and the loss */
  liveAfterForward: { tensors: number; hostBytes: number };
  /** dtypes of the parameters' gradients */
  gradDtypes: Set<string>;
  /** tape node count per op */
  ops: Map<string, number>;
  /** dtypes of the outputs */
  dtypes: { pair: string; msa: string; single: string; smSingle: string; lddtLogits: string; recycledPair: string; total: string };
}

export interface TinyRunOptions {
  /** edits the parameters before the run (e.g. shadows, a skipped layer) */
  prepare?: (params: ParamStore) => void;
  config?: AlphaFoldConfig;
}

export function runTiny(place: TensorPlacement, runtime: (place: TensorPlacement) => ModelRuntime, o: TinyRunOptions = {}): TinyRun {
  const c = o.config ?? golden.config;
  const params = golden.params(place);
  try {
    o.prepare?.(params);
    return scope(() => {
      const tape = new Tape();
      let out!: AlphaFoldOutput;
      const loss = recordOn(tape, () => {
        out = alphaFold(params, runtime(place), c, features, golden.iterations);
        return alphaFoldLoss(out, c, features, golden.iterations - 1);
      });
      const m = memoryStats();
      const ops = new Map<string, number>();
      for (const n of tape.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
      const dtypes = {
        pair: out.pair.dtype, msa: out.msa.dtype, single: out.single.dtype, smSingle: out.sm.single.dtype,
        lddtLogits: out.heads.lddtLogits.dtype, recycledPair: out.recycled[out.recycled.length - 1]!.zPrev.dtype, total: loss.total.dtype,
      };
      gradientOf(tape, loss.total);
      const grads = new Map<string, Float64Array | null>();
      const gradDtypes = new Set<string>();
      for (const [name, t] of params.tensors) {
        grads.set(name, t.grad ? Float64Array.from(t.grad.toArray()) : null);
        if (t.grad) gradDtypes.add(t.grad.dtype);
      }
      return { loss: { ...loss.breakdown }, grads, gradDtypes, liveAfterForward: { tensors: m.liveTensors, hostBytes: m.hostBytes }, ops, dtypes };
    });
  } finally {
    params.dispose();
  }
}
