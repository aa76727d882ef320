// GEMM kernels against the plain-TypeScript reference on awkward sizes, overwrite and accumulate.
// The SIMD kernels have several code paths chosen by size: 4×8, 2×12 (A·B with N % 8 ≥ 4) and
// 4×4 tiles plus scalar columns, leftover rows, k loops unrolled 4 times (every K mod 4 exits at
// a different point), and the cache blocking around them: balanced K blocks (≤ 256 rows; chunks of
// 32 for gemm_tn with N ≤ 64), column blocks of the packed op(B) panel (256 KiB), row blocks of A (mc
// rows, packed for gemm_tn when N > 64). The sizes below reach each of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReference, kernels, loadBuild, Random } from '../src/index.js';
import type { KernelExports } from '../src/index.js';
import { AWKWARD, clone, maxRelDiff, randomTensor, ref } from './helpers/heap.js';

const VARIANTS = ['gemm_nn', 'gemm_tn', 'gemm_nt'] as const;
type Variant = (typeof VARIANTS)[number];

/** Runs kernel and reference on the same random inputs; returns the max relative difference. */
function compare(variant: Variant, M: number, K: number, N: number, acc: number, rng: Random): number {
  const aShape = variant === 'gemm_tn' ? [K, M] : [M, K];
  const bShape = variant === 'gemm_nt' ? [N, K] : [K, N];
  const a = randomTensor(aShape, rng), b = randomTensor(bShape, rng);
  const c = randomTensor([M, N], rng), cRef = clone(c);
  kernels[variant](c.ptr, a.ptr, b.ptr, M, K, N, acc);
  ref[variant](cRef.ptr, a.ptr, b.ptr, M, K, N, acc);
  const d = maxRelDiff(c.data, cRef.data);
  for (const t of [a, b, c, cRef]) t.dispose();
  return d;
}

function check(variant: Variant, M: number, K: number, N: number, acc: number, rng: Random, tol = 1e-5): void {
  const d = compare(variant, M, K, N, acc, rng);
  assert.ok(d < tol, `${variant} M=${M} K=${K} N=${N} acc=${acc}: max rel diff ${d}`);
}

for (const variant of VARIANTS) {
  test(`${variant} matches the reference on awkward sizes`, () => {
    const rng = new Random(7);
    for (const M of AWKWARD) for (const K of AWKWARD) for (const N of [0, 1, 3, 5, 17, 20, 33]) {
      for (const acc of [0, 1]) check(variant, M, K, N, acc, rng);
    }
  });

  test(`${variant} covers every tile, row and k-unroll remainder (sizes 1..12)`, () => {
    const rng = new Random(11);
    // M mod 4, N mod 8 (8-tile, 4-tile, scalar columns) and K mod 4 (unroll exit) all vary.
    for (const M of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12]) for (const K of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      for (const N of [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16]) check(variant, M, K, N, (M + K + N) & 1, rng);
    }
  });

  test(`${variant} matches the reference on sizes up to 40 and larger odd shapes`, () => {
    const rng = new Random(13);
    for (let s = 0; s <= 40; s++) {
      // Three sweeps that pair each size with unrelated ones, so no dimension stays aligned.
      check(variant, s, (s * 7) % 41, (s * 13) % 41, s & 1, rng);
      check(variant, (s * 11) % 41, s, (s * 3) % 41, (s + 1) & 1, rng);
      check(variant, (s * 5) % 41, (s * 17) % 41, s, s & 1, rng);
    }
    for (const [M, K, N] of [[65, 37, 129], [129, 65, 37], [37, 129, 65], [64, 64, 64], [4, 650, 20], [80, 200, 20]]) {
      for (const acc of [0, 1]) check(variant, M!, K!, N!, acc, rng);
    }
  });

  test(`${variant} handles long K (K chunks, packed panels) correctly`, () => {
    const rng = new Random(17);
    // K = 1100 makes the packed Bᵀ panel of gemm_nt 56 columns wide: N = 70 and 125 leave partial
    // panels, with 8-, 4- and scalar-column tails; gemm_tn runs 35 K chunks with a partial last one.
    for (const [M, K, N] of [[9, 1100, 70], [6, 1100, 125], [5, 2049, 37]]) {
      for (const acc of [0, 1]) check(variant, M!, K!, N!, acc, rng, 1e-4);
    }
  });
}

test('every gemm runs the cache-blocked paths correctly (K, column and row blocks, packed Aᵀ)', () => {
  const rng = new Random(31);
  // [M, K, N] and what each reaches (KC_MAX = 256, panel 2^16 floats, A block 2^15 floats):
  const shapes = [
    [161, 1030, 77], // 5 K blocks of 206 (acc = 0 only on the first); mc = 156 < M, leftover row
    // of the second row block; gemm_tn packs A (N > 64); N % 8 = 5: 2×12 tail for A·B
    [9, 300, 530], // 2 K blocks of 150; 2 column blocks (272 + 258: 2 scalar columns in the last)
    [7, 1100, 262], // 5 K blocks of 220, 1 column block of 262 with a 6-wide tail
    [5, 40, 1700], // 1 K block; 2 column blocks (856 + 844: a 12-wide tail for A·B)
    [3, 513, 65], // K = 2·256 + 1: 3 K blocks of 171; gemm_tn packs A but M < 4 (rows one at a time)
    [130, 257, 9], // gemm_tn without packing (N ≤ 64): 8 K chunks of 32 + 1; M = 130: two leftover rows
  ];
  for (const variant of VARIANTS) for (const [M, K, N] of shapes) {
    for (const acc of [0, 1]) check(variant, M!, K!, N!, acc, rng, 1e-4);
  }
});

test('gemm_nt packs K in chunks when K exceeds one panel (K > 4096)', () => {
  const rng = new Random(19);
  for (const [M, K, N] of [[5, 4100, 9], [3, 8200, 6], [6, 4096, 18]]) {
    for (const acc of [0, 1]) check('gemm_nt', M!, K!, N!, acc, rng, 1e-4);
  }
});

test('gemm with K = 0 writes zeros (acc = 0) or leaves C unchanged (acc = 1)', () => {
  const rng = new Random(23);
  for (const variant of VARIANTS) for (const [M, N] of [[5, 7], [8, 20], [1, 1]]) {
    for (const acc of [0, 1]) check(variant, M!, 0, N!, acc, rng);
  }
});

test('the scalar build matches the reference too', async () => {
  const scalar: KernelExports = await loadBuild('scalar');
  const mem = scalar.memory;
  const sref = createReference({
    get f() {
      return new Float32Array(mem.buffer);
    },
    get i() {
      return new Int32Array(mem.buffer);
    },
  });
  const rng = new Random(29);
  for (const variant of VARIANTS) {
    for (const [M, K, N] of [[5, 3, 7], [4, 9, 20], [17, 33, 5], [1, 1, 1], [3, 0, 2]]) {
      for (const acc of [0, 1]) {
        const aLen = M! * K!, bLen = K! * N!, cLen = M! * N!;
        const base = Math.ceil(scalar.heap_base() / 16) * 16;
        const a = base, b = a + 4 * aLen, c = b + 4 * bLen, cRef = c + 4 * cLen, end = cRef + 4 * cLen;
        if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end - mem.buffer.byteLength) / 65536));
        const f = new Float32Array(mem.buffer);
        for (let i = a / 4; i < cRef / 4; i++) f[i] = rng.uniform() * 2 - 1;
        f.copyWithin(cRef / 4, c / 4, c / 4 + cLen);
        scalar[variant](c, a, b, M!, K!, N!, acc);
        sref[variant](cRef, a, b, M!, K!, N!, acc);
        const d = maxRelDiff(f.subarray(c / 4, c / 4 + cLen), f.subarray(cRef / 4, cRef / 4 + cLen));
        assert.ok(d < 1e-5, `scalar ${variant} M=${M} K=${K} N=${N} acc=${acc}: max rel diff ${d}`);
      }
    }
  }
});

// The probe's FLOP count (iters · chains · 8) is only honest if the loop really adds `chains`
// products per iteration: its result is the sum of all accumulators, iters · Σ x_i·x_j.
const PROBE_PAIRS: Record<number, [number, number][]> = {
  6: [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]],
  8: [[0, 1], [0, 2], [0, 3], [0, 4], [1, 2], [1, 3], [1, 4], [2, 3]],
  12: [[0, 1], [0, 2], [0, 3], [0, 4], [1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4], [0, 0], [1, 1]],
  16: [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [1, 2], [1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5], [3, 4], [3, 5], [4, 5], [0, 0]],
};

test('simd_peak_probe adds chains products per iteration', () => {
  const probe = kernels.simd_peak_probe as (iters: number, seed: number, chains: number) => number;
  const iters = 1000, seed = 0.5;
  const x = (i: number) => seed + i * 0.125;
  for (const chains of [6, 8, 12, 16]) {
    const expected = iters * PROBE_PAIRS[chains]!.reduce((s, [i, j]) => s + x(i) * x(j), 0);
    const got = probe(iters, seed, chains);
    assert.ok(Math.abs(got - expected) <= 1e-4 * expected, `chains=${chains}: got ${got}, expected ${expected}`);
  }
  // Any other chain count runs the 8-chain loop.
  const eight = iters * PROBE_PAIRS[8]!.reduce((s, [i, j]) => s + x(i) * x(j), 0);
  assert.ok(Math.abs(probe(iters, seed, 0) - eight) <= 1e-4 * eight);
});

test.run();
