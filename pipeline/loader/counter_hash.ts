// Counter-based random numbers for the sampler: the value for (seed, stream,
// i, j) is a pure hash, so any position of the sample sequence can be
// recomputed without replaying the ones before it (exact resume, and every
// rank computes the same global stream without talking to the others).

/** 32-bit finaliser of MurmurHash3: a bijective avalanche mix. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function combine(h: number, value: number): number {
  // Values up to 2^53 are folded in as two 32-bit words.
  const low = value >>> 0;
  const high = Math.floor(value / 4294967296) >>> 0;
  h = mix32((h ^ low) + 0x9e3779b9);
  return mix32((h ^ high) + 0x7f4a7c15);
}

/** A 32-bit unsigned hash of non-negative integers. */
export function hash32(...values: number[]): number {
  let h = 0x2545f491;
  for (const v of values) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`hash32 takes non-negative integers, got ${v}`);
    h = combine(h, v);
  }
  return h;
}

/** A uniform float in [0, 1) with 53 random bits. */
export function uniform(...values: number[]): number {
  const high = hash32(...values, 0) >>> 5; // 27 bits
  const low = hash32(...values, 1) >>> 6; // 26 bits
  return (high * 67108864 + low) / 9007199254740992;
}
