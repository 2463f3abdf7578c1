// Typed access to the native op table (src/ops_table.cpp): runOp wraps the
// output handles as tracked Tensors. The differentiable functions built on
// it live in trainer/autograd/.
import { native, type NativeAttrs } from './binding.ts';
import { Tensor } from './tensor.ts';

export function runOp(op: string, inputs: readonly (Tensor | null | undefined)[], attrs: NativeAttrs = {}): (Tensor | null)[] {
  const handles = native.run(
    op,
    inputs.map((t) => (t ? t.handle : null)),
    attrs,
  );
  return handles.map((h) => (h === null ? null : new Tensor(h)));
}

/** runOp for ops whose outputs are all present. */
export function runOpAll(op: string, inputs: readonly (Tensor | null | undefined)[], attrs: NativeAttrs = {}): Tensor[] {
  return runOp(op, inputs, attrs).map((t) => {
    if (t === null) throw new Error(`${op}: the native op returned no tensor where one was expected`);
    return t;
  });
}

export function opNames(): string[] {
  return native.opNames();
}
