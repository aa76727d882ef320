// The one seeded pseudo-random generator. Everything random in the library (initialisation,
// dropout masks, sampling, sparse topology) draws from a `Random`, by default `globalRandom`.
// Algorithm: xoshiro128** (Blackman & Vigna), 128-bit state, seeded through splitmix32.
// Its state is four 32-bit words, so it is saved in checkpoints and restored bit-exactly.

export class Random {
  private s = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Re-seeds the generator; the same seed always gives the same sequence. */
  seed(seed: number): void {
    if (!Number.isFinite(seed)) throw new TypeError(`selfish-rnn: seed must be a finite number, got ${seed}`);
    let x = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    const hi = Math.floor(Math.trunc(seed) / 2 ** 32) >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9 + (i === 1 ? hi : 0)) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
    this.spareNormal = null;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
    const r = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s[2] = s2 ^ s0;
    s[3] = s3 ^ s1;
    s[1] = s1 ^ s[2]!;
    s[0] = s0 ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11);
    return r;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n >= 1) || n > 4294967296 || !Number.isInteger(n)) throw new RangeError(`selfish-rnn: Random.int needs an integer n in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Serialisable state (for checkpoints). */
  getState(): { s: number[]; spareNormal: number | null } {
    return { s: Array.from(this.s), spareNormal: this.spareNormal };
  }

  /** Restores a state from `getState()`. */
  setState(state: { s: number[]; spareNormal: number | null }): void {
    if (!Array.isArray(state?.s) || state.s.length !== 4) throw new TypeError('selfish-rnn: invalid Random state');
    this.s.set(state.s.map((x) => x >>> 0));
    this.spareNormal = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The default generator used when no `rng` is passed. Re-seed it with `manualSeed`. */
export const globalRandom = new Random(0);

/** Seeds the default generator (like `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  globalRandom.seed(seed);
}
