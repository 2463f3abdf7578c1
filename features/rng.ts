// A small, fast, seedable pseudo-random generator with derived streams.
// Generator: xoshiro128** (Blackman & Vigna), 32-bit state words, seeded by
// SplitMix32-style mixing of a key. A key is the user's seed plus a path of
// labels; `derive(label)` gives an independent stream whose output depends only
// on (seed, path), never on how many numbers were drawn before, so the same
// seed gives the same outputs in any thread, process or order of work.

function mix32(x: number): number {
  // murmur3 fmix32 finaliser
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function hashLabel(label: number | string): number {
  if (typeof label === 'number') {
    if (!Number.isSafeInteger(label)) throw new RangeError(`rng label must be a safe integer, got ${label}`);
    return mix32((label >>> 0) ^ mix32(Math.floor(label / 2 ** 32) + 0x9e3779b9));
  }
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return mix32(h >>> 0);
}

export type RngLabel = number | string;

export class Rng {
  /** The stream's key: a running hash of the seed and the labels of its path. */
  readonly key: number;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(key: number) {
    this.key = key >>> 0;
    let z = this.key;
    const next = () => {
      z = (z + 0x9e3779b9) >>> 0;
      return mix32(z);
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator for a non-negative integer seed (up to 2^53). */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    return new Rng(hashLabel(seed));
  }

  /** An independent stream named by `labels` under this one (does not advance this stream). */
  derive(...labels: RngLabel[]): Rng {
    let k = this.key;
    for (const label of labels) k = mix32((k ^ hashLabel(label)) + 0x6a09e667);
    return new Rng(k);
  }

  /** Uniform uint32. */
  uint32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    n2 ^= t;
    n3 = rotl(n3, 11);
    this.s0 = n0 | 0; this.s1 = n1 | 0; this.s2 = n2 | 0; this.s3 = n3 | 0;
    return r;
  }

  /** Uniform float in [0, 1) with 32 random bits. */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32, without modulo bias. */
  int(n: number): number {
    if (!(n > 0 && n <= 4294967296 && Number.isInteger(n))) throw new RangeError(`int(n) needs an integer 0 < n <= 2^32, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.uint32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  intInclusive(lo: number, hi: number): number {
    if (hi < lo) throw new RangeError(`intInclusive(${lo}, ${hi}): empty range`);
    return lo + this.int(hi - lo + 1);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
