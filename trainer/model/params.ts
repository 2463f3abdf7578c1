// Model parameters as core tensors, addressed by OpenFold state_dict name,
// and the two layers every module is made of (OpenFold primitives.Linear and
// LayerNorm; AlphaFold2 suppl. 1.11.4). A ParamView is a prefix into the
// store, so module code reads like the state_dict tree:
//   const row = p.sub('msa_att_row'); row.linear('mha.linear_q', x)
import { parameter, tensor, type DType, type DeviceName, type Tensor } from '../core/tensor.ts';
import { keep } from '../autograd/scope.ts';
import { layerNorm, linear, type MatmulPrecision } from '../autograd/nn.ts';
import type { ParamSpec } from './param_tree.ts';

/** OpenFold's LayerNorm epsilon (primitives.LayerNorm and nn.LayerNorm default). */
export const LAYER_NORM_EPS = 1e-5;

export class ParamStore {
  readonly tensors: Map<string, Tensor>;
  constructor(tensors: Map<string, Tensor>) {
    this.tensors = tensors;
  }

  /**
   * Parameters from host values (e.g. a loaded safetensors state dict) in
   * spec order, marked as requiring gradients and owned by the store
   * (not tracked by any scope).
   */
  static fromValues(specs: readonly ParamSpec[], values: ReadonlyMap<string, ArrayLike<number>>, dtype: DType, device: DeviceName = 'cpu'): ParamStore {
    const out = new Map<string, Tensor>();
    for (const s of specs) {
      const v = values.get(s.name);
      if (!v) throw new Error(`ParamStore: no values for '${s.name}'`);
      out.set(s.name, keep(parameter(tensor(v, s.shape, { dtype, device }))));
    }
    return new ParamStore(out);
  }

  get(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`no parameter '${name}'`);
    return t;
  }

  view(prefix = ''): ParamView {
    return new ParamView(this, prefix);
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}

export class ParamView {
  constructor(private readonly store: ParamStore, readonly prefix: string) {}

  private full(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  t(name: string): Tensor {
    return this.store.get(this.full(name));
  }

  has(name: string): boolean {
    return this.store.tensors.has(this.full(name));
  }

  sub(name: string): ParamView {
    return new ParamView(this.store, this.full(name));
  }

  /** OpenFold Linear `name`: x W^T (+ b when the module has a bias). */
  linear(name: string, x: Tensor, precision: MatmulPrecision = 'fp32'): Tensor {
    const bias = this.has(`${name}.bias`) ? this.t(`${name}.bias`) : null;
    return linear(x, this.t(`${name}.weight`), bias, precision);
  }

  /** LayerNorm `name` over the last axis. */
  layerNorm(name: string, x: Tensor): Tensor {
    return layerNorm(x, this.t(`${name}.weight`), this.t(`${name}.bias`), LAYER_NORM_EPS);
  }
}
