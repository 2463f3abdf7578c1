// AlphaFold2 suppl. Algorithm 2 (Inference) with recycling (1.10, Alg. 30):
// OpenFold model.AlphaFold.iteration / forward. A flat driver: embedders,
// templates, extra-MSA stack, Evoformer, structure module, one iteration
// after the other; every iteration but the last runs without recording
// gradients, and the recycled tensors (first MSA row, pair, final atom
// positions) enter the next iteration as constants.
//
// Mixed precision (rt.trunkDtype 'bfloat16'; ScaleFold / OpenFold bf16
// training): the embedders, template stack, extra-MSA stack and Evoformer
// run in the trunk dtype (features and masks made in it, parameters cast on
// use or read from their ParamStore shadow); the Evoformer's MSA, pair and
// single outputs are cast to the master dtype (place.dtype) for the
// structure module, the heads and the losses. The recycled first MSA row and
// pair stay in the trunk dtype.
// DISCREPANCY (OpenFold bf16 autocast): autocast runs every Linear / matmul
// in bf16, the structure module's and heads' included, and leaves elementwise
// ops in the promoted dtype (fp32 feature masks times bf16 activations give
// fp32 intermediates); here the trunk is bf16 end to end (0/1 masks and
// features rounded to bf16, exact for masks and one-hots; mask-derived counts
// such as the outer product mean's norm, up to 1024 extra sequences, are
// rounded to bf16 where OpenFold keeps them fp32) and the structure
// module, heads and losses are fp32 (ScaleFold's choice). The fused
// attention op keeps its logits and softmax in fp32 where OpenFold's bf16
// path materialises them in bf16 (more accurate here, not bit-comparable).
// Like OpenFold's DropoutRowwise (a ones tensor of x's dtype through
// nn.Dropout), the dropout mask holds 1/(1-p) rounded to bf16.
import { tensor, type Tensor } from '../core/tensor.ts';
import { add, cast, concat, noGrad, reshape, scope, slice } from '../autograd/index.ts';
import { atom14ToAtom37 } from './all_atom.ts';
import type { AlphaFoldConfig } from './config_types.ts';
import { evoformerStack, extraMsaStack } from './evoformer_stack.ts';
import { extraMsaEmbedder, extraMsaFeatTensor } from './extra_msa_embedder.ts';
import { auxHeads, type HeadOutputs } from './heads.ts';
import { filledTensor, floatTensor, type HostArray } from './host_tensor.ts';
import { inputEmbedder } from './input_embedder.ts';
import type { ParamStore } from './params.ts';
import type { TensorPlacement } from './host_tensor.ts';
import { recyclingEmbedder } from './recycling_embedder.ts';
import { detach } from './rigid.ts';
import type { ModelRuntime } from './runtime.ts';
import { structureModule, type StructureModuleOutput } from './structure_module.ts';
import { templateEmbedder, type TemplateBatch } from './template_embedder.ts';

/** The batch: feature `name` of recycling iteration `k` (OpenFold keys). */
export type IterationFeatures = (name: string, k: number) => HostArray;

export interface AlphaFoldOutput {
  /** [S, N, C_m] MSA representation without template rows */ msa: Tensor;
  /** [N, N, C_z] */ pair: Tensor;
  /** [N, C_s] Evoformer single representation */ single: Tensor;
  sm: StructureModuleOutput;
  /** [N, 37, 3] */ finalAtomPositions: Tensor;
  heads: HeadOutputs;
  /**
   * What entered each iteration's recycling embedder (for checks). Only the
   * last entry's tensors are alive (tracked by the caller's scope); earlier
   * ones are freed inside alphaFold once the next pass has used them.
   */
  recycled: { m1Prev: Tensor; zPrev: Tensor; pseudoBetaPrev: HostArray }[];
}

const RESTYPE_GLY = 7;
const ATOM_CA = 1;
const ATOM_CB = 3;

/** OpenFold feats.pseudo_beta_fn: CB, or CA for glycine, from atom37 positions [N, 37, 3]. */
export function pseudoBeta(aatype: ArrayLike<number>, atom37: ArrayLike<number>): HostArray {
  const n = aatype.length;
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const atom = aatype[i] === RESTYPE_GLY ? ATOM_CA : ATOM_CB;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = atom37[(i * 37 + atom) * 3 + c]!;
  }
  return { shape: [n, 3], data: out };
}

function outerMask(seqMask: Float64Array, like: { dtype: Tensor['dtype']; device: Tensor['device'] }): Tensor {
  const n = seqMask.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = seqMask[i]! * seqMask[j]!;
  return tensor(out, [n, n], like);
}

interface IterationResult {
  /** master dtype */ msa: Tensor;
  /** master dtype */ pair: Tensor;
  /** master dtype */ single: Tensor;
  /** [N, C_m] first MSA row, trunk dtype (recycled) */ m1: Tensor;
  /** [N, N, C_z] trunk dtype (recycled) */ pairTrunk: Tensor;
  sm: StructureModuleOutput;
  finalAtomPositions: Tensor;
}

function iteration(
  params: ParamStore, rt: ModelRuntime, c: AlphaFoldConfig, f: IterationFeatures, k: number,
  prev: { m1Prev: Tensor; zPrev: Tensor; pseudoBetaPrev: HostArray },
): IterationResult {
  const trunk = trunkRuntime(rt);
  const place = trunk.place;
  const p = params.view('', rt.trunkDtype);
  const toMaster = (x: Tensor) => (x.dtype === rt.place.dtype ? x : cast(x, rt.place.dtype));
  const seqMask = f('seq_mask', k).data;
  const pairMask = outerMask(seqMask, place);
  // Alg. 2 lines 1-5: input embedding
  let { m, z } = inputEmbedder(p.sub('input_embedder'), floatTensor(f('target_feat', k), place), f('residue_index', k),
    floatTensor(f('msa_feat', k), place), c.model.input_embedder.relpos_k, place);
  const [nSeq, n, cm] = m.shape as [number, number, number];
  // Alg. 32: recycling
  const rec = recyclingEmbedder(p.sub('recycling_embedder'), c.model.recycling_embedder, prev.m1Prev, prev.zPrev, prev.pseudoBetaPrev, place);
  const row0 = add(slice(m, [0, 0, 0], [1, n, cm]), reshape(rec.m, [1, n, cm]));
  m = nSeq > 1 ? concat([row0, slice(m, [1, 0, 0], [nSeq - 1, n, cm])], 0) : row0;
  z = add(z, rec.z);
  let msaMask = f('msa_mask', k);
  // Alg. 2 lines 7-13: templates
  if (c.model.template.enabled) {
    const keys = ['template_aatype', 'template_pseudo_beta', 'template_pseudo_beta_mask', 'template_all_atom_mask', 'template_mask',
      'template_torsion_angles_sin_cos', 'template_alt_torsion_angles_sin_cos', 'template_torsion_angles_mask'] as const;
    const tb = Object.fromEntries(keys.map((key) => [key, f(key, k)])) as unknown as TemplateBatch;
    const t = templateEmbedder(p.sub('template_embedder'), trunk, c, tb, z, pairMask);
    z = add(z, t.pair);
    if (t.single && t.singleMask) {
      m = concat([m, t.single], 0);
      msaMask = { shape: [nSeq + t.singleMask.shape[0]!, n], data: new Float64Array([...msaMask.data, ...t.singleMask.data]) };
    }
  }
  // Alg. 2 lines 14-15 / Alg. 18: extra MSA
  if (c.model.extra_msa.enabled) {
    const feat = extraMsaFeatTensor(f('extra_msa', k), f('extra_has_deletion', k), f('extra_deletion_value', k), place);
    const e = extraMsaEmbedder(p.sub('extra_msa_embedder'), feat, place);
    z = extraMsaStack(p.sub('extra_msa_stack'), trunk, c, { m: e, z, msaMask: floatTensor(f('extra_msa_mask', k), place), pairMask });
  }
  // Alg. 2 lines 16-17: Evoformer
  const evo = evoformerStack(p.sub('evoformer'), trunk, c, { m, z, msaMask: floatTensor(msaMask, place), pairMask });
  // the structure module and everything after it in the master dtype
  const single = toMaster(evo.s);
  const pair = toMaster(evo.z);
  const aatype = f('aatype', k).data;
  const sm = structureModule(params.view('structure_module'), rt, c.model.structure_module, single, pair, aatype, seqMask);
  const last = sm.layers[sm.layers.length - 1]!;
  const finalAtomPositions = atom14ToAtom37(last.positions, f('residx_atom37_to_atom14', k).data, f('atom37_atom_exists', k).data);
  return {
    msa: toMaster(slice(evo.m, [0, 0, 0], [nSeq, n, cm])),
    pair,
    single,
    m1: reshape(slice(evo.m, [0, 0, 0], [1, n, cm]), [n, cm]),
    pairTrunk: evo.z,
    sm,
    finalAtomPositions,
  };
}

/** The runtime of the trunk: place.dtype replaced by the trunk dtype under mixed precision. */
export function trunkRuntime(rt: ModelRuntime): ModelRuntime {
  if (rt.trunkDtype === undefined || rt.trunkDtype === rt.place.dtype) return rt;
  const place: TensorPlacement = { dtype: rt.trunkDtype, device: rt.place.device };
  return { ...rt, place, nextSeed: () => rt.nextSeed() };
}

/** Runs `iterations` forward passes (OpenFold no_recycling_iters + 1); gradients flow through the last only. */
export function alphaFold(params: ParamStore, rt: ModelRuntime, c: AlphaFoldConfig, f: IterationFeatures, iterations: number): AlphaFoldOutput {
  const n = f('aatype', 0).data.length;
  const cm = c.globals.c_m;
  const cz = c.globals.c_z;
  const trunkPlace = trunkRuntime(rt).place;
  // tracked by the caller's scope; each is freed as soon as the pass reading it is done
  let prev = {
    m1Prev: filledTensor([n, cm], 0, trunkPlace),
    zPrev: filledTensor([n, n, cz], 0, trunkPlace),
    pseudoBetaPrev: { shape: [n, 3], data: new Float64Array(n * 3) } as HostArray,
  };
  const recycled = [prev];
  for (let k = 0; k < iterations - 1; k++) {
    // earlier iterations: no tape, everything but the recycled tensors freed
    const input = prev;
    const next = noGrad(() => scope(() => {
      const r = iteration(params, rt, c, f, k, input);
      return {
        m1Prev: detach(r.m1),
        zPrev: detach(r.pairTrunk),
        pseudoBetaPrev: pseudoBeta(f('aatype', k).data, r.finalAtomPositions.toArray()),
      };
    }));
    input.m1Prev.dispose();
    input.zPrev.dispose();
    prev = next;
    recycled.push(prev);
  }
  const r = iteration(params, rt, c, f, iterations - 1, prev);
  const heads = auxHeads(params.view('aux_heads'), r.sm.single, r.single, r.pair, r.msa);
  return { msa: r.msa, pair: r.pair, single: r.single, sm: r.sm, finalAtomPositions: r.finalAtomPositions, heads, recycled };
}
