// Checking the model against a debug-state folder (model_tiny layout):
// forward (all iterations), losses and backward in float64 on the CPU, then
// the largest error per group against the folder's own outputs, losses and
// gradients, judged by the model_tiny README's tolerances:
//   outputs: max|a-b| <= 1e-10·max|b| + 1e-12 per tensor (MSA-shaped outputs
//     only on rows whose mask is 1), losses: |a-b| <= 1e-11·|b|,
//   gradients: max|a-b| <= 1e-9·max|b| + 1e-12 per tensor.
// The logic behind a `check-debug-state DIR` command.
import { Tape, gradientOf, recordOn, scope } from '../autograd/index.ts';
import { alphaFold } from './alphafold.ts';
import { alphaFoldLoss } from './alphafold_loss.ts';
import { compareArrays, withinTolerance, type Comparison } from './compare.ts';
import { GoldenState } from './golden_state.ts';
import { evalRuntime } from './runtime.ts';

export interface CheckEntry {
  group: 'output' | 'loss' | 'grad';
  name: string;
  comparison: Comparison;
  ok: boolean;
}

export interface CheckReport {
  entries: CheckEntry[];
  /** group -> the entry with the largest relative error */
  worst: Record<CheckEntry['group'], CheckEntry | null>;
  ok: boolean;
}

export async function checkDebugState(dir: string): Promise<CheckReport> {
  const golden = await GoldenState.read(dir);
  const place = { dtype: 'float64', device: 'cpu' } as const;
  const params = golden.params(place);
  const k = golden.iterations - 1;
  const f = (name: string, it: number) => golden.input(name, it);
  const entries: CheckEntry[] = [];
  const add = (group: CheckEntry['group'], name: string, ours: ArrayLike<number>, ref: ArrayLike<number>, rel: number, abs: number, rowMask?: (i: number) => boolean) => {
    const comparison = compareArrays(ours, ref, rowMask);
    entries.push({ group, name, comparison, ok: withinTolerance(comparison, rel, abs) });
  };
  try {
    scope(() => {
      const tape = new Tape();
      let out!: ReturnType<typeof alphaFold>;
      let loss!: ReturnType<typeof alphaFoldLoss>;
      recordOn(tape, () => {
        out = alphaFold(params, evalRuntime(place), golden.config, f, golden.iterations);
        loss = alphaFoldLoss(out, golden.config, f, k);
      });
      const msaMask = f('msa_mask', k).data;
      const cm = golden.config.globals.c_m;
      const outputs: [string, ArrayLike<number>, ((i: number) => boolean)?][] = [
        ['pair', out.pair.toArray()],
        ['single', out.single.toArray()],
        ['sm/single', out.sm.single.toArray()],
        ['final_atom_positions', out.finalAtomPositions.toArray()],
        ['final_affine_tensor', out.sm.layers[out.sm.layers.length - 1]!.frames.toArray()],
        ['distogram_logits', out.heads.distogramLogits.toArray()],
        ['lddt_logits', out.heads.lddtLogits.toArray()],
        ['plddt', out.heads.plddt.toArray()],
        ['experimentally_resolved_logits', out.heads.experimentallyResolvedLogits.toArray()],
        ['msa', out.msa.toArray(), (i) => msaMask[Math.floor(i / cm)] === 1],
        ['masked_msa_logits', out.heads.maskedMsaLogits.toArray(), (i) => msaMask[Math.floor(i / golden.config.model.heads.masked_msa.c_out)] === 1],
      ];
      for (const [name, ours, mask] of outputs) add('output', name, ours, golden.output(name).data, 1e-10, 1e-12, mask);
      for (const [name, value] of Object.entries(loss.breakdown)) {
        const ref = golden.loss(name);
        add('loss', name, [value], [ref], 1e-11, 0);
      }
      gradientOf(tape, loss.total);
      for (const [name, t] of params.tensors) {
        const ref = golden.grad(name).data;
        add('grad', name, t.grad ? t.grad.toArray() : new Float64Array(ref.length), ref, 1e-9, 1e-12);
      }
    });
  } finally {
    params.dispose();
  }
  const worst: CheckReport['worst'] = { output: null, loss: null, grad: null };
  for (const e of entries) {
    const w = worst[e.group];
    if (!w || e.comparison.relError > w.comparison.relError) worst[e.group] = e;
  }
  return { entries, worst, ok: entries.every((e) => e.ok) };
}
