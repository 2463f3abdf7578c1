// Tensors on the TS side: a native handle plus its dtype, device and shape.
// Lifetimes are explicit: dispose() frees at once; tensors made inside a
// scope (trainer/autograd/scope.ts) are disposed when it ends unless kept or
// returned. Gradient bookkeeping (requiresGrad, grad) is read by the tape.
import { native, type NativeHandle } from './binding.ts';
import { trackTensor } from '../autograd/scope.ts';

export type DType = 'float32' | 'float64' | 'bfloat16' | 'int32';
export type DeviceName = 'cpu' | 'cuda';

export const DTYPE_CODES: Record<DType, number> = { float32: 0, float64: 1, bfloat16: 2, int32: 3 };
const DTYPES: DType[] = ['float32', 'float64', 'bfloat16', 'int32'];
export const DEVICE_CODES: Record<DeviceName, number> = { cpu: 0, cuda: 1 };
const DEVICES: DeviceName[] = ['cpu', 'cuda'];

export class Tensor {
  readonly handle: NativeHandle;
  readonly dtype: DType;
  readonly device: DeviceName;
  readonly shape: readonly number[];
  /** Set on parameters (leaves) and on outputs of recorded ops that depend on one. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after backward(); owned by this tensor. */
  grad: Tensor | null = null;

  /**
   * Wraps a fresh native handle; registers it with the innermost scope.
   * Without a shape, dtype, device and shape are read from the core
   * (describe); runOp passes those run() already reported.
   */
  constructor(handle: NativeHandle, track = true, dtypeCode = 0, deviceCode = 0, shape?: readonly number[]) {
    this.handle = handle;
    if (shape === undefined) {
      const d = native.describe(handle);
      dtypeCode = d[0];
      deviceCode = d[1];
      shape = d.slice(2);
    }
    this.dtype = DTYPES[dtypeCode];
    this.device = DEVICES[deviceCode];
    this.shape = shape;
    if (track) trackTensor(this);
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get rank(): number {
    return this.shape.length;
  }
  /** Row-major strides, in elements (every tensor of the core is contiguous). */
  get strides(): number[] {
    const s = new Array<number>(this.shape.length);
    let acc = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= this.shape[i];
    }
    return s;
  }
  get disposed(): boolean {
    return native.isDisposed(this.handle);
  }

  /** Host copy of the values (bfloat16 comes back widened to float32). */
  toArray(): Float32Array | Float64Array | Int32Array {
    const raw = native.toTypedArray(this.handle);
    if (raw instanceof Uint16Array) {
      const out = new Float32Array(raw.length);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < raw.length; i++) bits[i] = raw[i] << 16;
      return out;
    }
    return raw;
  }
  toNumbers(): number[] {
    return Array.from(this.toArray());
  }
  /** A view with another shape sharing the storage (-1 infers one axis). */
  reshape(shape: readonly number[]): Tensor {
    const h = native.reshape(this.handle, shape);
    // The native reshape validated the element count; a shape of plain
    // non-negative integers (no -1 to infer) is the result's shape.
    for (const d of shape) if (!Number.isInteger(d) || d < 0) return new Tensor(h);
    return new Tensor(h, true, DTYPE_CODES[this.dtype], DEVICE_CODES[this.device], shape.slice());
  }
  /** A second handle to the same storage, owned by the caller and not tracked by scopes. */
  alias(): Tensor {
    return new Tensor(native.reshape(this.handle, this.shape), false, DTYPE_CODES[this.dtype], DEVICE_CODES[this.device], this.shape);
  }
  to(device: DeviceName): Tensor {
    return new Tensor(native.toDevice(this.handle, DEVICE_CODES[device]));
  }
  dispose(): void {
    native.dispose(this.handle);
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }
  toString(): string {
    return `Tensor(${this.dtype}[${this.shape.join(',')}]@${this.device})`;
  }
}

/** A tracked Tensor for a handle whose dtype, device and shape are already known (runOp). */
export function tensorFromDescription(handle: NativeHandle, dtypeCode: number, deviceCode: number, shape: readonly number[]): Tensor {
  return new Tensor(handle, true, dtypeCode, deviceCode, shape);
}

export interface TensorOptions {
  dtype?: DType;
  device?: DeviceName;
}

function bf16Bits(values: ArrayLike<number>): Uint16Array {
  const f = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) f[i] = values[i];
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) out[i] = (x >>> 16) | 0x40;
    else out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

/** A tensor from host values (copied), float32 on the CPU unless told. */
export function tensor(values: ArrayLike<number>, shape: readonly number[], options: TensorOptions = {}): Tensor {
  const dtype = options.dtype ?? 'float32';
  const device = options.device ?? 'cpu';
  let data: Float32Array | Float64Array | Int32Array | Uint16Array;
  if (dtype === 'float32') data = values instanceof Float32Array ? values : Float32Array.from(values);
  else if (dtype === 'float64') data = values instanceof Float64Array ? values : Float64Array.from(values);
  else if (dtype === 'int32') data = values instanceof Int32Array ? values : Int32Array.from(values);
  else data = bf16Bits(values);
  return new Tensor(native.fromTypedArray(data, shape, DTYPE_CODES[dtype], DEVICE_CODES[device]));
}

export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(new Float64Array(n).fill(value), shape, options);
}
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Marks a leaf tensor as a parameter: the tape accumulates its gradient. */
export function parameter(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

export function memoryStats() {
  return native.memoryStats();
}
export function cudaInfo() {
  return native.cudaInfo();
}
