// Dense GEMM kernels, row-major f32. All pointers are byte offsets into linear memory;
// no alignment is required (v128.load tolerates any address). Outputs must not alias inputs.
// `acc` = 0 overwrites C, 1 accumulates into C (gradient accumulation without a temporary).
//
// Micro-kernel: a 4-row × 8-column tile of C in 8 v128 accumulators, k innermost. Per k-step
// it loads 2 vectors of B and 4 splats of A and issues 8 mul + 8 add. Why this shape: V8
// (TurboFan, x64) has 15 allocatable XMM registers and issues all loads of a basic block before
// the block's arithmetic, so the accumulators plus one step's loads plus a temporary must fit
// in 15 (8 + 6 + 1). Wider tiles need 16+ (2×20 spilled accumulators in V8's disassembly).
// The k loop is unrolled 4 times with an exit test after every step: the test keeps each step
// in its own basic block (so the register budget holds), and the unrolling lets the A splats
// use immediate offsets. In A·B the last 12 columns go to two 2×12 tiles when N % 8 ≥ 4 (N = 20
// is one 4×8 + two 2×12): a 4×4 tile needs a splat per multiply-add and ran ~30% slower per flop
// (H = 200: 49 vs 33 GFLOP/s for the whole product).
// Measured on one core (AMD EPYC, Node 20): 4×8 tiles reach ~90% of simd_peak_probe with the
// operands in L2; see bench/RESULTS.md for the shapes of this project.
//
// Around the tiles, one cache-blocked loop nest serves all three products (gemm_blocked below):
// op(B) is packed into a static 256 KiB panel in K × column blocks, so that the language-model
// decoder shapes (K or N = vocabulary) no longer stream a strided B from DRAM per 4 rows of A.
import { fma4 } from './fma';
import { GEMM_ABLOCK_BYTES, GEMM_PANEL_BYTES, OFF_GEMM_ABLOCK, OFF_GEMM_PANEL, scratchBase, partLo } from './scratch';


/** Sets rows [0, M) × columns [0, N) of C (row stride ldc bytes) to zero. */
function zero_rows(c: usize, ldc: usize, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) memory.fill(c + <usize>i * ldc, 0, <usize>N << 2);
}

/** y[0..n) += s * x[0..n). */
@inline function axpy_row(y: usize, x: usize, s: f32, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const sv = f32x4.splat(s);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, fma4(v128.load(y + o), sv, v128.load(x + o)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(y + o, load<f32>(y + o) + s * load<f32>(x + o));
  }
}

/**
 * One row of C: c[0..N) (+)= Σ_k A(k) · B[k, 0..N), where A(k) is the f32 at a + k·aStep.
 * Used for the rows left over by the 4-row blocks and for every row in the scalar build.
 */
function gemm_row(c: usize, a: usize, aStep: usize, b: usize, ldb: usize, K: i32, N: i32, acc: i32): void {
  if (!acc) memory.fill(c, 0, <usize>N << 2);
  for (let k = 0; k < K; k++) axpy_row(c, b + <usize>k * ldb, load<f32>(a + <usize>k * aStep), N);
}

// ---------------------------------------------------------------------------------------------
// A·B tiles. A rows at a, a+lda, a+2·lda, a+3·lda (A(r, k) at + 4k); B(k, ·) at b + k·ldb.
// All require K ≥ 1.

/** C[4×8] (+)= A[4×K] · B[K×8]. */
function nn_tile_4x8(c: usize, ldc: usize, a: usize, lda: usize, b: usize, ldb: usize, K: i32, acc: i32): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  let pa0 = a, pa1 = a + lda, pa2 = pa1 + lda, pa3 = pa2 + lda, pb = b;
  let b0: v128, b1: v128, x0: v128, x1: v128, x2: v128, x3: v128;
  let n = K;
  while (true) {
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    x0 = v128.load32_splat(pa0); x1 = v128.load32_splat(pa1); x2 = v128.load32_splat(pa2); x3 = v128.load32_splat(pa3);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
    s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1); s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
    if (--n == 0) break;
    pb += ldb;
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    x0 = v128.load32_splat(pa0, 4); x1 = v128.load32_splat(pa1, 4); x2 = v128.load32_splat(pa2, 4); x3 = v128.load32_splat(pa3, 4);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
    s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1); s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
    if (--n == 0) break;
    pb += ldb;
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    x0 = v128.load32_splat(pa0, 8); x1 = v128.load32_splat(pa1, 8); x2 = v128.load32_splat(pa2, 8); x3 = v128.load32_splat(pa3, 8);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
    s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1); s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
    if (--n == 0) break;
    pb += ldb;
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    x0 = v128.load32_splat(pa0, 12); x1 = v128.load32_splat(pa1, 12); x2 = v128.load32_splat(pa2, 12); x3 = v128.load32_splat(pa3, 12);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
    s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1); s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
    if (--n == 0) break;
    pb += ldb; pa0 += 16; pa1 += 16; pa2 += 16; pa3 += 16;
  }
  store_4x8(c, ldc, acc, s00, s01, s10, s11, s20, s21, s30, s31);
}

/**
 * C[4×4] (+)= A[4×K] · B[K×4]. Even and odd k go to two accumulator sets (s, t), summed at the
 * end, so that four add chains do not wait on the add latency; on the machine of bench/RESULTS.md
 * this made no measurable difference (the tile is bound by its one splat per multiply-add).
 */
function nn_tile_4x4(c: usize, ldc: usize, a: usize, lda: usize, b: usize, ldb: usize, K: i32, acc: i32): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
  let pa0 = a, pa1 = a + lda, pa2 = pa1 + lda, pa3 = pa2 + lda, pb = b;
  let b0: v128;
  let n = K;
  while (true) {
    b0 = v128.load(pb);
    s0 = fma4(s0, v128.load32_splat(pa0), b0); s1 = fma4(s1, v128.load32_splat(pa1), b0);
    s2 = fma4(s2, v128.load32_splat(pa2), b0); s3 = fma4(s3, v128.load32_splat(pa3), b0);
    if (--n == 0) break;
    pb += ldb;
    b0 = v128.load(pb);
    t0 = fma4(t0, v128.load32_splat(pa0, 4), b0); t1 = fma4(t1, v128.load32_splat(pa1, 4), b0);
    t2 = fma4(t2, v128.load32_splat(pa2, 4), b0); t3 = fma4(t3, v128.load32_splat(pa3, 4), b0);
    if (--n == 0) break;
    pb += ldb;
    b0 = v128.load(pb);
    s0 = fma4(s0, v128.load32_splat(pa0, 8), b0); s1 = fma4(s1, v128.load32_splat(pa1, 8), b0);
    s2 = fma4(s2, v128.load32_splat(pa2, 8), b0); s3 = fma4(s3, v128.load32_splat(pa3, 8), b0);
    if (--n == 0) break;
    pb += ldb;
    b0 = v128.load(pb);
    t0 = fma4(t0, v128.load32_splat(pa0, 12), b0); t1 = fma4(t1, v128.load32_splat(pa1, 12), b0);
    t2 = fma4(t2, v128.load32_splat(pa2, 12), b0); t3 = fma4(t3, v128.load32_splat(pa3, 12), b0);
    if (--n == 0) break;
    pb += ldb; pa0 += 16; pa1 += 16; pa2 += 16; pa3 += 16;
  }
  store_4x4(c, ldc, acc, f32x4.add(s0, t0), f32x4.add(s1, t1), f32x4.add(s2, t2), f32x4.add(s3, t3));
}

/**
 * C[2×12] (+)= A[2×K] · B[K×12]: two of these cover the last 12 columns of a 4-row block when
 * N % 8 ≥ 4 (N = 20: one 4×8 tile + two 2×12), instead of a 4×4 tile that needs a splat per
 * multiply-add and measured ~30% slower per flop.
 */
function nn_tile_2x12(c: usize, ldc: usize, a: usize, lda: usize, b: usize, ldb: usize, K: i32, acc: i32): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0);
  let pa0 = a, pa1 = a + lda, pb = b;
  let b0: v128, b1: v128, b2: v128, x0: v128, x1: v128;
  let n = K;
  while (true) {
    b0 = v128.load(pb); b1 = v128.load(pb, 16); b2 = v128.load(pb, 32);
    x0 = v128.load32_splat(pa0); x1 = v128.load32_splat(pa1);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s02 = fma4(s02, x0, b2);
    s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1); s12 = fma4(s12, x1, b2);
    if (--n == 0) break;
    pb += ldb;
    b0 = v128.load(pb); b1 = v128.load(pb, 16); b2 = v128.load(pb, 32);
    x0 = v128.load32_splat(pa0, 4); x1 = v128.load32_splat(pa1, 4);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s02 = fma4(s02, x0, b2);
    s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1); s12 = fma4(s12, x1, b2);
    if (--n == 0) break;
    pb += ldb;
    b0 = v128.load(pb); b1 = v128.load(pb, 16); b2 = v128.load(pb, 32);
    x0 = v128.load32_splat(pa0, 8); x1 = v128.load32_splat(pa1, 8);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s02 = fma4(s02, x0, b2);
    s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1); s12 = fma4(s12, x1, b2);
    if (--n == 0) break;
    pb += ldb;
    b0 = v128.load(pb); b1 = v128.load(pb, 16); b2 = v128.load(pb, 32);
    x0 = v128.load32_splat(pa0, 12); x1 = v128.load32_splat(pa1, 12);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s02 = fma4(s02, x0, b2);
    s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1); s12 = fma4(s12, x1, b2);
    if (--n == 0) break;
    pb += ldb; pa0 += 16; pa1 += 16;
  }
  store_2x12(c, ldc, acc, s00, s01, s02, s10, s11, s12);
}

// ---------------------------------------------------------------------------------------------
// Aᵀ·B tiles. A is stored K×M: A(r, k) at a + 4r + k·lda, so one row of the stored A gives the
// four splats at immediate offsets. B(k, ·) at b + k·ldb. All require K ≥ 1.

/** C[4×8] (+)= Aᵀ[4×K] · B[K×8]. */
function tn_tile_4x8(c: usize, ldc: usize, a: usize, lda: usize, b: usize, ldb: usize, K: i32, acc: i32): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  let pa = a, pb = b;
  let b0: v128, b1: v128, x0: v128, x1: v128, x2: v128, x3: v128;
  let n = K;
  while (true) {
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    x0 = v128.load32_splat(pa); x1 = v128.load32_splat(pa, 4); x2 = v128.load32_splat(pa, 8); x3 = v128.load32_splat(pa, 12);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
    s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1); s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
    if (--n == 0) break;
    pa += lda; pb += ldb;
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    x0 = v128.load32_splat(pa); x1 = v128.load32_splat(pa, 4); x2 = v128.load32_splat(pa, 8); x3 = v128.load32_splat(pa, 12);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
    s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1); s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
    if (--n == 0) break;
    pa += lda; pb += ldb;
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    x0 = v128.load32_splat(pa); x1 = v128.load32_splat(pa, 4); x2 = v128.load32_splat(pa, 8); x3 = v128.load32_splat(pa, 12);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
    s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1); s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
    if (--n == 0) break;
    pa += lda; pb += ldb;
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    x0 = v128.load32_splat(pa); x1 = v128.load32_splat(pa, 4); x2 = v128.load32_splat(pa, 8); x3 = v128.load32_splat(pa, 12);
    s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1); s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
    s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1); s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
    if (--n == 0) break;
    pa += lda; pb += ldb;
  }
  store_4x8(c, ldc, acc, s00, s01, s10, s11, s20, s21, s30, s31);
}

/** C[4×4] (+)= Aᵀ[4×K] · B[K×4], with even and odd k in two accumulator sets as in nn_tile_4x4. */
function tn_tile_4x4(c: usize, ldc: usize, a: usize, lda: usize, b: usize, ldb: usize, K: i32, acc: i32): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
  let pa = a, pb = b;
  let b0: v128;
  let n = K;
  while (true) {
    b0 = v128.load(pb);
    s0 = fma4(s0, v128.load32_splat(pa), b0); s1 = fma4(s1, v128.load32_splat(pa, 4), b0);
    s2 = fma4(s2, v128.load32_splat(pa, 8), b0); s3 = fma4(s3, v128.load32_splat(pa, 12), b0);
    if (--n == 0) break;
    pa += lda; pb += ldb;
    b0 = v128.load(pb);
    t0 = fma4(t0, v128.load32_splat(pa), b0); t1 = fma4(t1, v128.load32_splat(pa, 4), b0);
    t2 = fma4(t2, v128.load32_splat(pa, 8), b0); t3 = fma4(t3, v128.load32_splat(pa, 12), b0);
    if (--n == 0) break;
    pa += lda; pb += ldb;
  }
  store_4x4(c, ldc, acc, f32x4.add(s0, t0), f32x4.add(s1, t1), f32x4.add(s2, t2), f32x4.add(s3, t3));
}

@inline function store_2x12(c: usize, ldc: usize, acc: i32, s00: v128, s01: v128, s02: v128, s10: v128, s11: v128, s12: v128): void {
  const c0 = c, c1 = c0 + ldc;
  if (acc) {
    s00 = f32x4.add(s00, v128.load(c0)); s01 = f32x4.add(s01, v128.load(c0, 16)); s02 = f32x4.add(s02, v128.load(c0, 32));
    s10 = f32x4.add(s10, v128.load(c1)); s11 = f32x4.add(s11, v128.load(c1, 16)); s12 = f32x4.add(s12, v128.load(c1, 32));
  }
  v128.store(c0, s00); v128.store(c0, s01, 16); v128.store(c0, s02, 32);
  v128.store(c1, s10); v128.store(c1, s11, 16); v128.store(c1, s12, 32);
}

@inline function store_4x8(c: usize, ldc: usize, acc: i32,
  s00: v128, s01: v128, s10: v128, s11: v128, s20: v128, s21: v128, s30: v128, s31: v128): void {
  const c0 = c, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (acc) {
    s00 = f32x4.add(s00, v128.load(c0)); s01 = f32x4.add(s01, v128.load(c0, 16));
    s10 = f32x4.add(s10, v128.load(c1)); s11 = f32x4.add(s11, v128.load(c1, 16));
    s20 = f32x4.add(s20, v128.load(c2)); s21 = f32x4.add(s21, v128.load(c2, 16));
    s30 = f32x4.add(s30, v128.load(c3)); s31 = f32x4.add(s31, v128.load(c3, 16));
  }
  v128.store(c0, s00); v128.store(c0, s01, 16); v128.store(c1, s10); v128.store(c1, s11, 16);
  v128.store(c2, s20); v128.store(c2, s21, 16); v128.store(c3, s30); v128.store(c3, s31, 16);
}

@inline function store_4x4(c: usize, ldc: usize, acc: i32, s0: v128, s1: v128, s2: v128, s3: v128): void {
  const c0 = c, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (acc) {
    s0 = f32x4.add(s0, v128.load(c0)); s1 = f32x4.add(s1, v128.load(c1));
    s2 = f32x4.add(s2, v128.load(c2)); s3 = f32x4.add(s3, v128.load(c3));
  }
  v128.store(c0, s0); v128.store(c1, s1); v128.store(c2, s2); v128.store(c3, s3);
}

/**
 * Columns [0, N) of a 4-row block of C. A(r, k) is the f32 at a + r·aRow + k·aStep (one of the
 * two is 4 bytes); transA selects the Aᵀ·B tiles. Columns go to 4×8 tiles; for A·B with
 * N % 8 ≥ 4 the last 12 vector columns go to two 2×12 tiles (else to a 4×4 tile); the last
 * N % 4 columns are scalar.
 */
function rows4(c: usize, ldc: usize, a: usize, aRow: usize, aStep: usize, transA: bool,
  b: usize, ldb: usize, K: i32, N: i32, acc: i32): void {
  // Aᵀ·B keeps the 4×4 tile: every tile walks the K rows of the stored A again, and the third
  // walk of the 2×12 pair cost more than its fewer splats saved (measured ~40% slower).
  const wide = !transA && (N & 7) >= 4 && N >= 12;
  const end8 = wide ? (N & ~7) - 8 : N & ~7;
  let j = 0;
  for (; j < end8; j += 8) {
    const jo = <usize>j << 2;
    if (transA) tn_tile_4x8(c + jo, ldc, a, aStep, b + jo, ldb, K, acc);
    else nn_tile_4x8(c + jo, ldc, a, aRow, b + jo, ldb, K, acc);
  }
  if (wide) {
    const jo = <usize>j << 2;
    nn_tile_2x12(c + jo, ldc, a, aRow, b + jo, ldb, K, acc);
    nn_tile_2x12(c + 2 * ldc + jo, ldc, a + 2 * aRow, aRow, b + jo, ldb, K, acc);
    j += 12;
  } else if (j + 4 <= N) {
    const jo = <usize>j << 2;
    if (transA) tn_tile_4x4(c + jo, ldc, a, aStep, b + jo, ldb, K, acc);
    else nn_tile_4x4(c + jo, ldc, a, aRow, b + jo, ldb, K, acc);
    j += 4;
  }
  const a0 = a, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
  const c0 = c, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  for (; j < N; j++) {
    const jo = <usize>j << 2;
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    let pb = b + jo, ka: usize = 0;
    for (let k = 0; k < K; k++) {
      const bv = load<f32>(pb);
      s0 += load<f32>(a0 + ka) * bv; s1 += load<f32>(a1 + ka) * bv;
      s2 += load<f32>(a2 + ka) * bv; s3 += load<f32>(a3 + ka) * bv;
      pb += ldb; ka += aStep;
    }
    if (acc) {
      s0 += load<f32>(c0 + jo); s1 += load<f32>(c1 + jo);
      s2 += load<f32>(c2 + jo); s3 += load<f32>(c3 + jo);
    }
    store<f32>(c0 + jo, s0); store<f32>(c1 + jo, s1); store<f32>(c2 + jo, s2); store<f32>(c3 + jo, s3);
  }
}

// ---------------------------------------------------------------------------------------------
// Cache blocking (SIMD build). All three products run one blocked loop nest:
//
//   for each column block j0 (nc columns)        C[:, j0..] is touched by this block only
//     for each K block k0 (kc ≤ KC_MAX rows)     pack op(B)[k0.., j0..] into PANEL (≤ 256 KiB, L2)
//       for each row block i0 (mc rows)          A rows [i0, i0+mc) × [k0, k0+kc) stay in L2
//         for each column group of the panel     a kc×8 strip (8 KiB at kc = 256) stays in L1
//           for each 4-row block: the tiles above, then leftover rows one at a time
//
// The panel holds op(B) as column groups stored one after another, each kc × w row-major (w = 8,
// then one tail group of the last N % 8 columns, or of the last 12..15 for the 2×12 tiles), so a
// tile reads its B strip sequentially; before blocking, a decoder product (K or N = 10 000)
// streamed a strided B from L3/DRAM once per 4 rows of A (5–20 GFLOP/s). Packing also turns
// A·Bᵀ into A·B (the panel is op(B) = Bᵀ). For Aᵀ·B the A block is packed too, 4 columns of the
// stored A interleaved (kc × 4 floats per group of 4 rows), so the Aᵀ tiles read it sequentially
// instead of one stored row (a new page when M is large) per k-step. K blocks are balanced
// (K = 300 is two blocks of 150, not 256 + 44); the first one overwrites C when acc = 0 and
// every later one accumulates. gemm_tn with N ≤ 64 keeps its unpacked loop (see gemm_blocked).

/** Floats in the packed op(B) panel (256 KiB: stays in L2 next to the A block). */
const PANEL_FLOATS: i32 = GEMM_PANEL_BYTES >> 2;
/** Floats in the packed Aᵀ block of gemm_tn, and the A-block budget that sets mc (128 KiB). */
const ABLOCK_FLOATS: i32 = GEMM_ABLOCK_BYTES >> 2;
// The packed panel and A block live in this thread's scratch region (assembly/scratch.ts); the
// kernels read its base at entry (gemm_blocked, simd_peak_probe) into these two globals' users.
/** Longest K block: a kc×8 strip of the panel (8 KiB) plus a 4×kc strip of A fit in L1. */
const KC_MAX: i32 = 256;
/**
 * K chunk of gemm_tn with N ≤ 64 (A read in place): 32 stored rows of A (and of B, which then
 * stays in L1) measured fastest for 650×2600×20 and 1500×6000×20 (1.2–4× faster than unchunked).
 */
const TN_KC: i32 = 32;
/** gemm_tn packs A only above this N (see gemm_blocked). */
const TN_PACK_MIN_N: i32 = 64;

/**
 * Packs op(B)[0..kc) × [0..nb) into dst as column groups (8 wide up to end8, then one tail group
 * of nb − end8), each kc × w row-major. op(B)(k, j) is the f32 at b + k·bK + j·bJ: bJ = 4 for a
 * row-major B (copy rows), bK = 4 for A·Bᵀ (transpose 4×4 blocks with shuffles).
 */
function pack_b(dst: usize, b: usize, bK: usize, bJ: usize, kc: i32, nb: i32, end8: i32): void {
  let d = dst;
  for (let j = 0; j < nb;) {
    const w = j < end8 ? 8 : nb - j, dRow = <usize>w << 2;
    const src = b + <usize>j * bJ;
    if (bJ == 4) {
      for (let k = 0; k < kc; k++) {
        const s = src + <usize>k * bK, o = d + <usize>k * dRow;
        let jj = 0;
        for (; jj + 4 <= w; jj += 4) v128.store(o + (<usize>jj << 2), v128.load(s + (<usize>jj << 2)));
        for (; jj < w; jj++) store<f32>(o + (<usize>jj << 2), load<f32>(s + (<usize>jj << 2)));
      }
    } else {
      let jj = 0;
      for (; jj + 4 <= w; jj += 4) {
        const s0 = src + <usize>jj * bJ, s1 = s0 + bJ, s2 = s1 + bJ, s3 = s2 + bJ;
        let o = d + (<usize>jj << 2), k = 0;
        for (; k + 4 <= kc; k += 4) {
          const ko = <usize>k << 2;
          const r0 = v128.load(s0 + ko), r1 = v128.load(s1 + ko), r2 = v128.load(s2 + ko), r3 = v128.load(s3 + ko);
          const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          v128.store(o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5)); o += dRow;
          v128.store(o, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7)); o += dRow;
          v128.store(o, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5)); o += dRow;
          v128.store(o, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7)); o += dRow;
        }
        for (; k < kc; k++) {
          const ko = <usize>k << 2;
          store<f32>(o, load<f32>(s0 + ko)); store<f32>(o, load<f32>(s1 + ko), 4);
          store<f32>(o, load<f32>(s2 + ko), 8); store<f32>(o, load<f32>(s3 + ko), 12);
          o += dRow;
        }
      }
      for (; jj < w; jj++) {
        const s = src + <usize>jj * bJ;
        let o = d + (<usize>jj << 2);
        for (let k = 0; k < kc; k++) { store<f32>(o, load<f32>(s + (<usize>k << 2))); o += dRow; }
      }
    }
    d += <usize>kc * dRow;
    j += w;
  }
}

/**
 * Packs rows [0, m4) (m4 a multiple of 4) × k [0, kc) of Aᵀ, A stored K×M with row stride lda
 * starting at a, into dst: group g (rows 4g..4g+3) is kc × 4 floats at dst + g·kc·16.
 * Reads the stored A row by row (sequential), writes 16 bytes per group.
 */
function pack_at(dst: usize, a: usize, lda: usize, m4: i32, kc: i32): void {
  const gStride = <usize>kc << 4;
  for (let k = 0; k < kc; k++) {
    const s = a + <usize>k * lda;
    let d = dst + (<usize>k << 4);
    for (let r = 0; r < m4; r += 4) { v128.store(d, v128.load(s + (<usize>r << 2))); d += gStride; }
  }
}

/**
 * The 4-row blocks [0, m4) of one column group (w columns, packed kc × w at panel) of the current
 * A block; C at c (column of the group, first row of the block). For Aᵀ·B, A is the packed block.
 */
@inline function rows_of_group(c: usize, ldc: usize, a: usize, aRow: usize, aStep: usize, transA: bool,
  kc: i32, panel: usize, w: i32, m4: i32, acc: i32, ablock: usize): void {
  const ldp = <usize>w << 2;
  for (let r = 0; r < m4; r += 4) {
    const cr = c + <usize>r * ldc;
    // 8-wide groups call the tile directly: with short K (K = batch = 20) the call overhead of
    // rows4 per tile measured ~20% of the product.
    if (transA) {
      const ar = ablock + <usize>r * (<usize>kc << 2);
      if (w == 8) tn_tile_4x8(cr, ldc, ar, 16, panel, 32, kc, acc);
      else rows4(cr, ldc, ar, 4, 16, true, panel, ldp, kc, w, acc);
    } else {
      const ar = a + <usize>r * aRow;
      if (w == 8) nn_tile_4x8(cr, ldc, ar, aRow, panel, 32, kc, acc);
      else rows4(cr, ldc, ar, aRow, aStep, false, panel, ldp, kc, w, acc);
    }
  }
}

/**
 * C[M×N] (+)= op(A) · op(B), SIMD build, with M, N, K ≥ 1. A(i, k) at a + i·aRow + k·aStep
 * (op(A) = A: aRow = lda, aStep = 4; op(A) = Aᵀ: aRow = 4, aStep = lda; transA selects the Aᵀ
 * tiles and packing); op(B)(k, j) at b + k·bK + j·bJ; C row stride ldc.
 */
function gemm_blocked(c: usize, ldc: usize, a: usize, aRow: usize, aStep: usize, transA: bool,
  b: usize, bK: usize, bJ: usize, M: i32, K: i32, N: i32, acc: i32): void {
  // Aᵀ·B with few columns (the recurrent dX = Wᵀ·G, N = batch) uses each element of A only N
  // times: packing A would double its memory traffic. It reads the stored A in place instead, in
  // K blocks of TN_KC rows with the 4-row blocks outermost, so that a 4-row strip (TN_KC pages
  // when M is large: TLB misses, we believe) stays hot for every column group.
  if (transA && N <= TN_PACK_MIN_N) {
    // Nor is B (K × N, N ≤ 64: a K block of it is a few KiB) packed: the loop of the kernel
    // before blocking, which measured 5–7% faster here than the packed-panel loop.
    for (let k0 = 0; k0 < K; k0 += TN_KC) {
      const kc = min(TN_KC, K - k0), kAcc = k0 == 0 ? acc : 1;
      const ak = a + <usize>k0 * aStep, bk = b + <usize>k0 * bK;
      let i = 0;
      for (; i + 4 <= M; i += 4) rows4(c + <usize>i * ldc, ldc, ak + <usize>i * aRow, aRow, aStep, true, bk, bK, kc, N, kAcc);
      for (; i < M; i++) gemm_row(c + <usize>i * ldc, ak + <usize>i * aRow, aStep, bk, bK, kc, N, kAcc);
    }
    return;
  }
  const nk = (K + KC_MAX - 1) / KC_MAX;
  const kcMax = (K + nk - 1) / nk;
  // Column blocks of balanced width (a multiple of 8) that fit the panel.
  const ncLimit = (PANEL_FLOATS / kcMax) & ~7;
  const nj = (N + ncLimit - 1) / ncLimit;
  const nc = min(N, ((N + nj - 1) / nj + 7) & ~7);
  const mc = max(4, (ABLOCK_FLOATS / kcMax) & ~3);
  const PANEL = scratchBase + OFF_GEMM_PANEL, ABLOCK = scratchBase + OFF_GEMM_ABLOCK;
  for (let j0 = 0; j0 < N; j0 += nc) {
    const nb = min(nc, N - j0);
    // Column groups as in rows4: 8-wide strips, then the tail (two 2×12 tiles for A·B when
    // nb % 8 ≥ 4, else a 4×4 tile and scalar columns).
    const wide = !transA && (nb & 7) >= 4 && nb >= 12;
    const end8 = wide ? (nb & ~7) - 8 : nb & ~7;
    const cj0 = c + (<usize>j0 << 2);
    for (let k0 = 0; k0 < K; k0 += kcMax) {
      const kc = min(kcMax, K - k0), kAcc = k0 == 0 ? acc : 1;
      pack_b(PANEL, b + <usize>k0 * bK + <usize>j0 * bJ, bK, bJ, kc, nb, end8);
      const ak = a + <usize>k0 * aStep;
      for (let i0 = 0; i0 < M; i0 += mc) {
        const mb = min(mc, M - i0), m4 = mb & ~3;
        const ai = ak + <usize>i0 * aRow, ci = cj0 + <usize>i0 * ldc;
        if (transA) pack_at(ABLOCK, ai, aStep, m4, kc);
        let panel = PANEL;
        for (let j = 0; j < nb;) {
          const w = j < end8 ? 8 : nb - j;
          rows_of_group(ci + (<usize>j << 2), ldc, ai, aRow, aStep, transA, kc, panel, w, m4, kAcc, ABLOCK);
          panel += <usize>kc * (<usize>w << 2);
          j += w;
        }
        panel = PANEL;
        for (let j = 0; j < nb;) {
          const w = j < end8 ? 8 : nb - j, ldp = <usize>w << 2, cg = ci + (<usize>j << 2);
          for (let r = m4; r < mb; r++) gemm_row(cg + <usize>r * ldc, ai + <usize>r * aRow, aStep, panel, ldp, kc, w, kAcc);
          panel += <usize>kc * ldp;
          j += w;
        }
      }
    }
  }
}

/** Scalar build: C[M×N] (+)= op(A) · B[K×N], one row of C at a time (A(i, k) as in gemm_blocked). */
function gemm_rows(c: usize, ldc: usize, a: usize, aRow: usize, aStep: usize,
  b: usize, ldb: usize, M: i32, K: i32, N: i32, acc: i32): void {
  for (let i = 0; i < M; i++) gemm_row(c + <usize>i * ldc, a + <usize>i * aRow, aStep, b, ldb, K, N, acc);
}

/** C[M×N] (+)= A[M×K] · B[K×N]. */
export function gemm_nn(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  if (M <= 0 || N <= 0) return;
  const rowA = <usize>K << 2, rowB = <usize>N << 2;
  if (K <= 0) {
    if (!acc) zero_rows(c, rowB, M, N);
    return;
  }
  if (ASC_FEATURE_SIMD) gemm_blocked(c, rowB, a, rowA, 4, false, b, rowB, 4, M, K, N, acc);
  else gemm_rows(c, rowB, a, rowA, 4, b, rowB, M, K, N, acc);
}

/** C[M×N] (+)= Aᵀ · B with A stored K×M and B stored K×N. */
export function gemm_tn(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  if (M <= 0 || N <= 0) return;
  const rowA = <usize>M << 2, rowB = <usize>N << 2;
  if (K <= 0) {
    if (!acc) zero_rows(c, rowB, M, N);
    return;
  }
  if (ASC_FEATURE_SIMD) gemm_blocked(c, rowB, a, 4, rowA, true, b, rowB, 4, M, K, N, acc);
  else gemm_rows(c, rowB, a, 4, rowA, b, rowB, M, K, N, acc);
}

/**
 * C[M×N] (+)= A · Bᵀ with A stored M×K and B stored N×K. The SIMD build packs Bᵀ into the panel
 * and runs the A·B tiles: a dot-product kernel along K would need a horizontal sum per output,
 * which costs as much as the dot product itself for the short K (= batch) of weight gradients.
 */
export function gemm_nt(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  if (M <= 0 || N <= 0) return;
  const rowA = <usize>K << 2, rowC = <usize>N << 2;
  if (K <= 0) {
    if (!acc) zero_rows(c, rowC, M, N);
    return;
  }
  if (ASC_FEATURE_SIMD) {
    gemm_blocked(c, rowC, a, rowA, 4, false, b, 4, rowA, M, K, N, acc);
    return;
  }
  for (let i = 0; i < M; i++) {
    const ai = a + <usize>i * rowA, ci = c + <usize>i * rowC;
    for (let j = 0; j < N; j++) {
      const bj = b + <usize>j * rowA, jo = <usize>j << 2;
      let s: f32 = 0;
      for (let k = 0; k < K; k++) s += load<f32>(ai + (<usize>k << 2)) * load<f32>(bj + (<usize>k << 2));
      if (acc) s += load<f32>(ci + jo);
      store<f32>(ci + jo, s);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Thread shares (the worker pool, src/backend/pool.ts, calls one of these per thread with the
// same arguments and part = 0 .. parts−1). Each share is a range of rows of C whose start is a
// multiple of 4, so every row of C goes through the same tile (or the same leftover-row loop) in
// the same K order as in the single call: C is bit-identical for any number of parts.

/** Rows [lo, hi) of C for `part` of `parts`: 4-row blocks split as evenly as possible. */
@inline function shareLo(M: i32, part: i32, parts: i32): i32 {
  return min(M, partLo((M + 3) >> 2, part, parts) << 2);
}

/** `part`'s share of gemm_nn (rows of C and A). */
export function gemm_nn_part(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  const lo = shareLo(M, part, parts), hi = shareLo(M, part + 1, parts);
  if (hi > lo) gemm_nn(c + <usize>lo * (<usize>N << 2), a + <usize>lo * (<usize>K << 2), b, hi - lo, K, N, acc);
}

/** `part`'s share of gemm_nt (rows of C and A). */
export function gemm_nt_part(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  const lo = shareLo(M, part, parts), hi = shareLo(M, part + 1, parts);
  if (hi > lo) gemm_nt(c + <usize>lo * (<usize>N << 2), a + <usize>lo * (<usize>K << 2), b, hi - lo, K, N, acc);
}

/** `part`'s share of gemm_tn (rows of C = columns of the stored K×M A, whose row stride stays M). */
export function gemm_tn_part(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  const lo = shareLo(M, part, parts), hi = shareLo(M, part + 1, parts);
  if (hi <= lo || N <= 0) return;
  const rowA = <usize>M << 2, rowB = <usize>N << 2, c0 = c + <usize>lo * rowB, a0 = a + (<usize>lo << 2);
  if (K <= 0) {
    if (!acc) zero_rows(c0, rowB, hi - lo, N);
    return;
  }
  if (ASC_FEATURE_SIMD) gemm_blocked(c0, rowB, a0, 4, rowA, true, b, rowB, 4, hi - lo, K, N, acc);
  else gemm_rows(c0, rowB, a0, 4, rowA, b, rowB, hi - lo, K, N, acc);
}

// ---------------------------------------------------------------------------------------------

/**
 * Register-only multiply-add loop that measures this engine's f32x4 mul+add peak, for the
 * benchmark. `chains` independent accumulators (6, 8, 12 or 16; any other value runs 8) each add
 * one product per iteration; the products are of distinct pairs of loop-invariant vectors: the
 * pattern of the GEMM tile without its loads. Two traps shaped it: the invariants are read back
 * from memory once before the loop, because V8 otherwise recomputes a splat inside the loop; and
 * chains of the form s = s·m + d (mul then add on one register) are latency-bound and measured
 * 20–25% below what the GEMM tile itself reaches. From 8 chains on V8's register allocator
 * spills (8 measured ~45% below 6 here), so the benchmark runs every chain count and keeps the
 * best: the peak is what the engine can issue, whatever chain count gets it there.
 * FLOPs = iters · chains · 4 lanes · 2.
 */
export function simd_peak_probe(iters: i32, seed: f32, chains: i32): f32 {
  if (!ASC_FEATURE_SIMD) {
    let r: f32 = seed;
    for (let n = 0; n < iters; n++) r = r * 0.999999 + 1e-7;
    return r;
  }
  // The GEMM scratch panel doubles as the probe's: 6 vectors at its start.
  const PANEL = scratchBase + OFF_GEMM_PANEL;
  for (let i = 0; i < 6; i++) v128.store(PANEL + (<usize>i << 4), f32x4.splat(seed + <f32>i * 0.125));
  if (chains == 6) return probe6(iters, PANEL);
  if (chains == 12) return probe12(iters, PANEL);
  if (chains == 16) return probe16(iters, PANEL);
  return probe8(iters, PANEL);
}

@inline function lane0(v: v128): f32 { return f32x4.extract_lane(v, 0); }

function probe6(iters: i32, inv: usize): f32 {
  const x0 = v128.load(inv), x1 = v128.load(inv, 16), x2 = v128.load(inv, 32), x3 = v128.load(inv, 48);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0);
  for (let n = 0; n < iters; n++) {
    s0 = fma4(s0, x0, x1); s1 = fma4(s1, x0, x2); s2 = fma4(s2, x0, x3);
    s3 = fma4(s3, x1, x2); s4 = fma4(s4, x1, x3); s5 = fma4(s5, x2, x3);
  }
  return lane0(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(s4, s5)));
}

function probe8(iters: i32, inv: usize): f32 {
  const x0 = v128.load(inv), x1 = v128.load(inv, 16), x2 = v128.load(inv, 32);
  const x3 = v128.load(inv, 48), x4 = v128.load(inv, 64);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  for (let n = 0; n < iters; n++) {
    s0 = fma4(s0, x0, x1); s1 = fma4(s1, x0, x2); s2 = fma4(s2, x0, x3); s3 = fma4(s3, x0, x4);
    s4 = fma4(s4, x1, x2); s5 = fma4(s5, x1, x3); s6 = fma4(s6, x1, x4); s7 = fma4(s7, x2, x3);
  }
  return lane0(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7))));
}

function probe12(iters: i32, inv: usize): f32 {
  const x0 = v128.load(inv), x1 = v128.load(inv, 16), x2 = v128.load(inv, 32);
  const x3 = v128.load(inv, 48), x4 = v128.load(inv, 64);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  let s8 = f32x4.splat(0), s9 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  for (let n = 0; n < iters; n++) {
    s0 = fma4(s0, x0, x1); s1 = fma4(s1, x0, x2); s2 = fma4(s2, x0, x3); s3 = fma4(s3, x0, x4);
    s4 = fma4(s4, x1, x2); s5 = fma4(s5, x1, x3); s6 = fma4(s6, x1, x4); s7 = fma4(s7, x2, x3);
    s8 = fma4(s8, x2, x4); s9 = fma4(s9, x3, x4); s10 = fma4(s10, x0, x0); s11 = fma4(s11, x1, x1);
  }
  const t = f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7)));
  return lane0(f32x4.add(t, f32x4.add(f32x4.add(s8, s9), f32x4.add(s10, s11))));
}

function probe16(iters: i32, inv: usize): f32 {
  const x0 = v128.load(inv), x1 = v128.load(inv, 16), x2 = v128.load(inv, 32);
  const x3 = v128.load(inv, 48), x4 = v128.load(inv, 64), x5 = v128.load(inv, 80);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  let s8 = f32x4.splat(0), s9 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s12 = f32x4.splat(0), s13 = f32x4.splat(0), s14 = f32x4.splat(0), s15 = f32x4.splat(0);
  for (let n = 0; n < iters; n++) {
    s0 = fma4(s0, x0, x1); s1 = fma4(s1, x0, x2); s2 = fma4(s2, x0, x3); s3 = fma4(s3, x0, x4);
    s4 = fma4(s4, x0, x5); s5 = fma4(s5, x1, x2); s6 = fma4(s6, x1, x3); s7 = fma4(s7, x1, x4);
    s8 = fma4(s8, x1, x5); s9 = fma4(s9, x2, x3); s10 = fma4(s10, x2, x4); s11 = fma4(s11, x2, x5);
    s12 = fma4(s12, x3, x4); s13 = fma4(s13, x3, x5); s14 = fma4(s14, x4, x5); s15 = fma4(s15, x0, x0);
  }
  const t = f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7)));
  const u = f32x4.add(f32x4.add(f32x4.add(s8, s9), f32x4.add(s10, s11)), f32x4.add(f32x4.add(s12, s13), f32x4.add(s14, s15)));
  return lane0(f32x4.add(t, u));
}
