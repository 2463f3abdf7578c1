// Typed access to the native op table (src/ops_table.cpp): runOp wraps the
// output handles as tracked Tensors. The differentiable functions built on
// it live in trainer/autograd/.
//
// Host cost per call matters (tens of thousands of calls per model pass):
// op names resolve once to table ids, and run() writes its outputs' dtype,
// device and shape into a bound buffer, so wrapping them needs no further
// native call (test/bench/op_dispatch.bench.ts measures the path).
import { native, type NativeAttrs, type NativeHandle } from './binding.ts';
import { Tensor, tensorFromDescription } from './tensor.ts';

const DESCRIBE_CAPACITY = 1024;
const described = new Float64Array(DESCRIBE_CAPACITY);
const canDescribe = typeof native.bindDescribeBuffer === 'function';
if (canDescribe) native.bindDescribeBuffer(described);

/** Binds runOp's description buffer again (after a test bound another one). */
export function rebindDescribeBuffer(): void {
  if (canDescribe) native.bindDescribeBuffer(described);
}

const opIds = new Map<string, number | string>();
const EMPTY_ATTRS: NativeAttrs = {};

/** The table id of op (cached); an unknown name is passed on as the name, so run() raises its own error. */
function opKey(op: string): number | string {
  let id = opIds.get(op);
  if (id === undefined) {
    try {
      id = typeof native.opId === 'function' ? native.opId(op) : op;
    } catch {
      return op;
    }
    opIds.set(op, id);
  }
  return id;
}

function wrapOutputs(handles: (NativeHandle | null)[]): (Tensor | null)[] {
  const n = handles.length;
  const out = new Array<Tensor | null>(n);
  if (canDescribe && described[0] === n) {
    let p = 1;
    for (let i = 0; i < n; i++) {
      const h = handles[i];
      if (described[p] === -1 || h === null) {
        out[i] = null;
        p++;
        continue;
      }
      const dtype = described[p];
      const device = described[p + 1];
      const rank = described[p + 2];
      const shape = new Array<number>(rank);
      for (let k = 0; k < rank; k++) shape[k] = described[p + 3 + k];
      p += 3 + rank;
      out[i] = tensorFromDescription(h, dtype, device, shape);
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const h = handles[i];
    out[i] = h === null ? null : new Tensor(h);
  }
  return out;
}

// This thread's op pacer (trainer/eval/op_pacer.ts): called after each op
// dispatch. Module state is per thread (a worker loads its own copy), so only
// the thread that sets one (the evaluation worker) is paced; elsewhere the
// hot path pays one null check.
let opPacer: (() => void) | null = null;

/** Sets (or, with null, removes) the function called after every op this thread dispatches. */
export function setOpPacer(fn: (() => void) | null): void {
  opPacer = fn;
}

export function runOp(op: string, inputs: readonly (Tensor | null | undefined)[], attrs: NativeAttrs = EMPTY_ATTRS): (Tensor | null)[] {
  const n = inputs.length;
  const handles = new Array<NativeHandle | null>(n);
  for (let i = 0; i < n; i++) {
    const t = inputs[i];
    handles[i] = t ? t.handle : null;
  }
  if (canDescribe) described[0] = -1;
  const out = wrapOutputs(native.run(opKey(op), handles, attrs));
  if (opPacer !== null) opPacer();
  return out;
}

/** runOp for ops whose outputs are all present. */
export function runOpAll(op: string, inputs: readonly (Tensor | null | undefined)[], attrs: NativeAttrs = EMPTY_ATTRS): Tensor[] {
  const out = runOp(op, inputs, attrs);
  for (const t of out) {
    if (t === null) throw new Error(`${op}: the native op returned no tensor where one was expected`);
  }
  return out as Tensor[];
}

export function opNames(): string[] {
  return native.opNames();
}
