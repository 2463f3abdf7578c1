// A tiny module tree for describing parameters the way PyTorch registers
// them, so that flattening gives OpenFold's state_dict names in state_dict
// order: inside a module its own parameters come first (in registration
// order), then its submodules (in registration order), recursively.
//
// The initialisation kinds are OpenFold's (openfold/model/primitives.py,
// `Linear(init=...)`), which follow AlphaFold2 suppl. 1.11.4:
//   lecun_normal   'default': truncated normal, std 1/sqrt(fan_in)
//   he_normal      'relu':    truncated normal, std sqrt(2/fan_in)
//   glorot_uniform 'glorot':  uniform, fan-average
//   normal         'normal':  normal, std 1/sqrt(fan_in) (pair-bias projections)
//   zeros          'final' weights and every plain bias, LayerNorm biases
//   ones           'gating' biases, LayerNorm weights
//   softplus_inverse_one  IPA head weights: softplus(w) = 1 at start
// ('gating' weights are zeros as well.)

export type ParamInit =
  | 'lecun_normal'
  | 'he_normal'
  | 'glorot_uniform'
  | 'normal'
  | 'zeros'
  | 'ones'
  | 'softplus_inverse_one';

export interface ParamSpec {
  /** OpenFold state_dict name, e.g. `evoformer.blocks.0.msa_att_row.mha.linear_q.weight`. */
  name: string;
  shape: number[];
  init: ParamInit;
  /** Fan-in used by the scaled inits (last dim of a weight; 0 where unused). */
  fanIn: number;
}

/** OpenFold's Linear init names. */
export type LinearInit = 'default' | 'relu' | 'glorot' | 'gating' | 'normal' | 'final';

const WEIGHT_INIT: Record<LinearInit, ParamInit> = {
  default: 'lecun_normal',
  relu: 'he_normal',
  glorot: 'glorot_uniform',
  gating: 'zeros',
  normal: 'normal',
  final: 'zeros',
};

export class ModuleSpec {
  private readonly params: { name: string; shape: number[]; init: ParamInit; fanIn: number }[] = [];
  private readonly children: { name: string; module: ModuleSpec }[] = [];

  /** A parameter owned directly by this module. */
  param(name: string, shape: number[], init: ParamInit, fanIn = 0): this {
    this.params.push({ name, shape: [...shape], init, fanIn });
    return this;
  }

  /** A submodule, registered in call order; `build` fills it. */
  child(name: string, build: (m: ModuleSpec) => void): this {
    const module = new ModuleSpec();
    build(module);
    this.children.push({ name, module });
    return this;
  }

  /** OpenFold `Linear(c_in, c_out, bias, init)`: weight [c_out, c_in], bias [c_out]. */
  linear(name: string, cIn: number, cOut: number, init: LinearInit = 'default', bias = true): this {
    return this.child(name, (m) => {
      m.param('weight', [cOut, cIn], WEIGHT_INIT[init], cIn);
      if (bias) m.param('bias', [cOut], init === 'gating' ? 'ones' : 'zeros');
    });
  }

  /** LayerNorm over the last dim: weight (ones), bias (zeros), both [c]. */
  layerNorm(name: string, c: number): this {
    return this.child(name, (m) => {
      m.param('weight', [c], 'ones');
      m.param('bias', [c], 'zeros');
    });
  }

  /** Flattens to state_dict order with dotted names. */
  flatten(prefix = ''): ParamSpec[] {
    const out: ParamSpec[] = [];
    for (const p of this.params) out.push({ name: prefix + p.name, shape: p.shape, init: p.init, fanIn: p.fanIn });
    for (const c of this.children) out.push(...c.module.flatten(`${prefix}${c.name}.`));
    return out;
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
