// A debug-state folder loaded for the model: its config (from OpenFold's flat
// config), the parameters as core tensors, and access to the inputs (per
// recycling iteration) and reference outputs. Used by the golden tests and by
// a command that checks the model against any such folder.
import type { NumericTensor } from '../../features/tensor.ts';
import { debugGroup, readDebugState, type DebugState } from '../io/debug_state.ts';
import type { AlphaFoldConfig } from './config_types.ts';
import { configFromOpenFoldFlat } from './config_openfold.ts';
import { hostArray, recyclingSlice, type HostArray, type TensorPlacement } from './host_tensor.ts';
import { modelParamSpec } from './param_spec.ts';
import { ParamStore } from './params.ts';

export class GoldenState {
  constructor(readonly state: DebugState, readonly config: AlphaFoldConfig) {}

  static async read(dir: string): Promise<GoldenState> {
    const state = await readDebugState(dir);
    return new GoldenState(state, configFromOpenFoldFlat(state.flatConfig));
  }

  private tensorOf(group: 'input' | 'output' | 'loss' | 'grad' | 'param', name: string): NumericTensor {
    const t = debugGroup(this.state, group).get(name);
    if (!t) throw new Error(`${this.state.dir}: no ${group} '${name}'`);
    return t;
  }

  /** An input feature's slice for recycling iteration k. */
  input(name: string, k: number): HostArray {
    return recyclingSlice(this.tensorOf('input', name), k);
  }

  output(name: string): HostArray {
    return hostArray(this.tensorOf('output', name));
  }

  loss(name: string): number {
    return hostArray(this.tensorOf('loss', name)).data[0]!;
  }

  grad(name: string): HostArray {
    return hostArray(this.tensorOf('grad', name));
  }

  /** Number of forward iterations (size of the inputs' last axis). */
  get iterations(): number {
    const t = this.tensorOf('input', 'aatype');
    return t.shape[t.shape.length - 1]!;
  }

  /** The parameters as core tensors (requiring gradients). */
  params(place: TensorPlacement): ParamStore {
    const values = new Map<string, Float64Array>();
    for (const [name, t] of debugGroup(this.state, 'param')) values.set(name, hostArray(t).data);
    return ParamStore.fromValues(modelParamSpec(this.config), values, place.dtype, place.device);
  }
}
