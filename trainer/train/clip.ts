// Gradient clipping by global norm (AlphaFold2 supplementary 1.11.3: clip
// 0.1; PyTorch's clip_grad_norm_, which OpenFold uses through Lightning):
// scale = maxNorm / (norm + 1e-6), applied only when below 1.

/** The global L2 norm of all gradients (accumulated in float64). */
export function globalNorm(grads: readonly Float32Array[]): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return Math.sqrt(sum);
}

/** Clips in place; returns the norm before clipping and the scale applied. */
export function clipByGlobalNorm(grads: readonly Float32Array[], maxNorm: number): { norm: number; scale: number } {
  const norm = globalNorm(grads);
  const scale = maxNorm / (norm + 1e-6);
  if (scale >= 1) return { norm, scale: 1 };
  const s = Math.fround(scale);
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = Math.fround(g[i]! * s);
  return { norm, scale: s };
}
