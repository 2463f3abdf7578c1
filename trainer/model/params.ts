// Model parameters as core tensors, addressed by OpenFold state_dict name,
// and the two layers every module is made of (OpenFold primitives.Linear and
// LayerNorm; AlphaFold2 suppl. 1.11.4). A ParamView is a prefix into the
// store, so module code reads like the state_dict tree:
//   const row = p.sub('msa_att_row'); row.linear('mha.linear_q', x)
import { parameter, tensor, type DType, type DeviceName, type Tensor } from '../core/tensor.ts';
import { keep } from '../autograd/scope.ts';
import { layerNorm, linear, type MatmulPrecision } from '../autograd/nn.ts';
import { cast, castVia } from '../autograd/layout.ts';
import type { ParamSpec } from './param_tree.ts';

/** OpenFold's LayerNorm epsilon (primitives.LayerNorm and nn.LayerNorm default). */
export const LAYER_NORM_EPS = 1e-5;

export class ParamStore {
  readonly tensors: Map<string, Tensor>;
  /** Optional low-precision copies (bf16) of parameters, written by the optimizer. */
  private readonly shadows = new Map<string, Tensor>();
  constructor(tensors: Map<string, Tensor>) {
    this.tensors = tensors;
  }

  /**
   * Registers a bfloat16 copy of parameter `name` (same shape and device),
   * e.g. written by a fused optimizer step next to the fp32 master. The
   * store owns it from now on (a previous, different shadow is freed). Under
   * a bf16 trunk the model uses it instead of casting the master (castVia:
   * value = shadow, gradient into the master); the caller keeps it equal to
   * cast(master).
   */
  setShadow(name: string, shadow: Tensor): void {
    const master = this.get(name);
    if (shadow.dtype !== 'bfloat16') throw new Error(`setShadow('${name}'): the shadow must be bfloat16, got ${shadow}`);
    if (shadow.device !== master.device || shadow.shape.length !== master.shape.length || shadow.shape.some((d, i) => d !== master.shape[i])) {
      throw new Error(`setShadow('${name}'): shadow ${shadow} does not match ${master}`);
    }
    const old = this.shadows.get(name);
    if (old && old !== shadow) old.dispose();
    this.shadows.set(name, keep(shadow));
  }

  /** The bf16 shadow of parameter `name`, or null. */
  shadow(name: string): Tensor | null {
    return this.shadows.get(name) ?? null;
  }

  /** Frees and forgets the shadow of `name` (every shadow when omitted). */
  clearShadow(name?: string): void {
    for (const [n, t] of this.shadows) {
      if (name !== undefined && n !== name) continue;
      t.dispose();
      this.shadows.delete(n);
    }
  }

  /**
   * Parameter `name` in compute dtype `dtype`: the master itself when the
   * dtypes match, else its shadow (bf16, when set) through castVia, else a
   * recorded cast of the master. Either way the gradient reaches the master
   * in its own dtype.
   */
  use(name: string, dtype: DType): Tensor {
    const master = this.get(name);
    if (master.dtype === dtype) return master;
    const shadow = dtype === 'bfloat16' ? this.shadows.get(name) : undefined;
    return shadow ? castVia(master, shadow) : cast(master, dtype);
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

  /** A view under prefix; with computeDtype, parameters come in that dtype (see use()). */
  view(prefix = '', computeDtype?: DType): ParamView {
    return new ParamView(this, prefix, computeDtype);
  }

  dispose(): void {
    this.clearShadow();
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}

export class ParamView {
  /** computeDtype: the dtype parameters are read in (default: as stored). */
  constructor(private readonly store: ParamStore, readonly prefix: string, readonly computeDtype?: DType) {}

  private full(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  t(name: string): Tensor {
    const full = this.full(name);
    return this.computeDtype === undefined ? this.store.get(full) : this.store.use(full, this.computeDtype);
  }

  /** The shape of parameter `name` (no cast). */
  shape(name: string): readonly number[] {
    return this.store.get(this.full(name)).shape;
  }

  has(name: string): boolean {
    return this.store.tensors.has(this.full(name));
  }

  sub(name: string): ParamView {
    return new ParamView(this.store, this.full(name), this.computeDtype);
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
