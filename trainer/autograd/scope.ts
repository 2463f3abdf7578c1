// Explicit tensor lifetimes: scope(fn) disposes every tensor created while
// fn runs, except the tensors it returns (found in a returned tensor, array
// or plain object), which move to the enclosing scope, and those passed to
// keep(). Synchronous functions only (like tf.tidy).
import type { Tensor } from '../core/tensor.ts';

const scopes: Set<Tensor>[] = [];

export function trackTensor(t: Tensor): void {
  if (scopes.length > 0) scopes[scopes.length - 1].add(t);
}

/** Takes t out of every open scope: the caller now owns it. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (typeof (value as { handle?: unknown }).handle === 'object' && (value as { shape?: unknown }).shape !== undefined) {
    out.add(value as Tensor);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

export function scope<T>(fn: () => T): T {
  const mine = new Set<Tensor>();
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of mine) t.dispose();
    throw e;
  }
  scopes.pop();
  const returned = new Set<Tensor>();
  collect(result, returned, new Set());
  for (const t of mine) {
    if (returned.has(t)) {
      if (scopes.length > 0) scopes[scopes.length - 1].add(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

export function scopeDepth(): number {
  return scopes.length;
}
