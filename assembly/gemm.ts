// Dense GEMM kernels, row-major f32. All pointers are byte offsets into linear memory;
// no alignment is required (v128.load tolerates any address). Outputs must not alias inputs.
// `acc` = 0 overwrites C, 1 accumulates into C (gradient accumulation without a temporary).
//
// Blocking: a 4-row x 8-column register tile (8 v128 accumulators, fits the 16 XMM registers
// V8 has on x64), k innermost. Rows of A for one tile stay in L1 while B streams from L2; for
// the recurrent shapes (N = batch = 20) this reads A exactly once.

@inline function ld(p: usize): v128 { return v128.load(p); }
@inline function st(p: usize, v: v128): void { v128.store(p, v); }
@inline function fma4(acc: v128, a: v128, b: v128): v128 { return f32x4.add(acc, f32x4.mul(a, b)); }

/** C[M×N] (+)= A[M×K] · B[K×N]. */
export function gemm_nn(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  if (M <= 0 || N <= 0) return;
  const rowB = <usize>N << 2, rowA = <usize>K << 2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= M; i += 4) {
      const a0 = a + <usize>i * rowA, a1 = a0 + rowA, a2 = a1 + rowA, a3 = a2 + rowA;
      const c0 = c + <usize>i * rowB, c1 = c0 + rowB, c2 = c1 + rowB, c3 = c2 + rowB;
      let j = 0;
      for (; j + 8 <= N; j += 8) {
        const jo = <usize>j << 2;
        let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
        let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
        let pb = b + jo;
        for (let k = 0; k < K; k++) {
          const ko = <usize>k << 2;
          const b0 = ld(pb), b1 = ld(pb + 16);
          const x0 = v128.load32_splat(a0 + ko), x1 = v128.load32_splat(a1 + ko);
          const x2 = v128.load32_splat(a2 + ko), x3 = v128.load32_splat(a3 + ko);
          s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1);
          s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
          s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1);
          s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
          pb += rowB;
        }
        if (acc) {
          s00 = f32x4.add(s00, ld(c0 + jo)); s01 = f32x4.add(s01, ld(c0 + jo + 16));
          s10 = f32x4.add(s10, ld(c1 + jo)); s11 = f32x4.add(s11, ld(c1 + jo + 16));
          s20 = f32x4.add(s20, ld(c2 + jo)); s21 = f32x4.add(s21, ld(c2 + jo + 16));
          s30 = f32x4.add(s30, ld(c3 + jo)); s31 = f32x4.add(s31, ld(c3 + jo + 16));
        }
        st(c0 + jo, s00); st(c0 + jo + 16, s01); st(c1 + jo, s10); st(c1 + jo + 16, s11);
        st(c2 + jo, s20); st(c2 + jo + 16, s21); st(c3 + jo, s30); st(c3 + jo + 16, s31);
      }
      for (; j + 4 <= N; j += 4) {
        const jo = <usize>j << 2;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let pb = b + jo;
        for (let k = 0; k < K; k++) {
          const ko = <usize>k << 2;
          const b0 = ld(pb);
          s0 = fma4(s0, v128.load32_splat(a0 + ko), b0);
          s1 = fma4(s1, v128.load32_splat(a1 + ko), b0);
          s2 = fma4(s2, v128.load32_splat(a2 + ko), b0);
          s3 = fma4(s3, v128.load32_splat(a3 + ko), b0);
          pb += rowB;
        }
        if (acc) {
          s0 = f32x4.add(s0, ld(c0 + jo)); s1 = f32x4.add(s1, ld(c1 + jo));
          s2 = f32x4.add(s2, ld(c2 + jo)); s3 = f32x4.add(s3, ld(c3 + jo));
        }
        st(c0 + jo, s0); st(c1 + jo, s1); st(c2 + jo, s2); st(c3 + jo, s3);
      }
      for (; j < N; j++) {
        const jo = <usize>j << 2;
        let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
        let pb = b + jo;
        for (let k = 0; k < K; k++) {
          const ko = <usize>k << 2;
          const bv = load<f32>(pb);
          s0 += load<f32>(a0 + ko) * bv; s1 += load<f32>(a1 + ko) * bv;
          s2 += load<f32>(a2 + ko) * bv; s3 += load<f32>(a3 + ko) * bv;
          pb += rowB;
        }
        if (acc) {
          s0 += load<f32>(c0 + jo); s1 += load<f32>(c1 + jo);
          s2 += load<f32>(c2 + jo); s3 += load<f32>(c3 + jo);
        }
        store<f32>(c0 + jo, s0); store<f32>(c1 + jo, s1); store<f32>(c2 + jo, s2); store<f32>(c3 + jo, s3);
      }
    }
  }
  // Remaining rows (all rows in the scalar build): one row at a time, axpy over rows of B.
  for (; i < M; i++) {
    const ai = a + <usize>i * rowA, ci = c + <usize>i * rowB;
    if (!acc) memory.fill(ci, 0, rowB);
    for (let k = 0; k < K; k++) {
      axpy_row(ci, b + <usize>k * rowB, load<f32>(ai + (<usize>k << 2)), N);
    }
  }
}

/** y[0..n) += s * x[0..n). */
@inline function axpy_row(y: usize, x: usize, s: f32, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const sv = f32x4.splat(s);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      st(y + o, fma4(ld(y + o), sv, ld(x + o)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(y + o, load<f32>(y + o) + s * load<f32>(x + o));
  }
}

/** C[M×N] (+)= Aᵀ · B with A stored K×M and B stored K×N. */
export function gemm_tn(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  if (M <= 0 || N <= 0) return;
  const rowB = <usize>N << 2, rowA = <usize>M << 2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= M; i += 4) {
      const io = <usize>i << 2;
      const c0 = c + <usize>i * rowB, c1 = c0 + rowB, c2 = c1 + rowB, c3 = c2 + rowB;
      let j = 0;
      for (; j + 8 <= N; j += 8) {
        const jo = <usize>j << 2;
        let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
        let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
        let pb = b + jo, pa = a + io;
        for (let k = 0; k < K; k++) {
          const b0 = ld(pb), b1 = ld(pb + 16);
          const x0 = v128.load32_splat(pa), x1 = v128.load32_splat(pa + 4);
          const x2 = v128.load32_splat(pa + 8), x3 = v128.load32_splat(pa + 12);
          s00 = fma4(s00, x0, b0); s01 = fma4(s01, x0, b1);
          s10 = fma4(s10, x1, b0); s11 = fma4(s11, x1, b1);
          s20 = fma4(s20, x2, b0); s21 = fma4(s21, x2, b1);
          s30 = fma4(s30, x3, b0); s31 = fma4(s31, x3, b1);
          pb += rowB; pa += rowA;
        }
        if (acc) {
          s00 = f32x4.add(s00, ld(c0 + jo)); s01 = f32x4.add(s01, ld(c0 + jo + 16));
          s10 = f32x4.add(s10, ld(c1 + jo)); s11 = f32x4.add(s11, ld(c1 + jo + 16));
          s20 = f32x4.add(s20, ld(c2 + jo)); s21 = f32x4.add(s21, ld(c2 + jo + 16));
          s30 = f32x4.add(s30, ld(c3 + jo)); s31 = f32x4.add(s31, ld(c3 + jo + 16));
        }
        st(c0 + jo, s00); st(c0 + jo + 16, s01); st(c1 + jo, s10); st(c1 + jo + 16, s11);
        st(c2 + jo, s20); st(c2 + jo + 16, s21); st(c3 + jo, s30); st(c3 + jo + 16, s31);
      }
      for (; j + 4 <= N; j += 4) {
        const jo = <usize>j << 2;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let pb = b + jo, pa = a + io;
        for (let k = 0; k < K; k++) {
          const b0 = ld(pb);
          s0 = fma4(s0, v128.load32_splat(pa), b0);
          s1 = fma4(s1, v128.load32_splat(pa + 4), b0);
          s2 = fma4(s2, v128.load32_splat(pa + 8), b0);
          s3 = fma4(s3, v128.load32_splat(pa + 12), b0);
          pb += rowB; pa += rowA;
        }
        if (acc) {
          s0 = f32x4.add(s0, ld(c0 + jo)); s1 = f32x4.add(s1, ld(c1 + jo));
          s2 = f32x4.add(s2, ld(c2 + jo)); s3 = f32x4.add(s3, ld(c3 + jo));
        }
        st(c0 + jo, s0); st(c1 + jo, s1); st(c2 + jo, s2); st(c3 + jo, s3);
      }
      for (; j < N; j++) {
        const jo = <usize>j << 2;
        let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
        let pb = b + jo, pa = a + io;
        for (let k = 0; k < K; k++) {
          const bv = load<f32>(pb);
          s0 += load<f32>(pa) * bv; s1 += load<f32>(pa + 4) * bv;
          s2 += load<f32>(pa + 8) * bv; s3 += load<f32>(pa + 12) * bv;
          pb += rowB; pa += rowA;
        }
        if (acc) {
          s0 += load<f32>(c0 + jo); s1 += load<f32>(c1 + jo);
          s2 += load<f32>(c2 + jo); s3 += load<f32>(c3 + jo);
        }
        store<f32>(c0 + jo, s0); store<f32>(c1 + jo, s1); store<f32>(c2 + jo, s2); store<f32>(c3 + jo, s3);
      }
    }
  }
  for (; i < M; i++) {
    const ci = c + <usize>i * rowB;
    if (!acc) memory.fill(ci, 0, rowB);
    for (let k = 0; k < K; k++) {
      axpy_row(ci, b + <usize>k * rowB, load<f32>(a + <usize>k * rowA + (<usize>i << 2)), N);
    }
  }
}

/** dot(x[0..n), y[0..n)). */
@inline function dot(x: usize, y: usize, n: i32): f32 {
  let k = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let v0 = f32x4.splat(0), v1 = f32x4.splat(0);
    for (; k + 8 <= n; k += 8) {
      const o = <usize>k << 2;
      v0 = fma4(v0, ld(x + o), ld(y + o));
      v1 = fma4(v1, ld(x + o + 16), ld(y + o + 16));
    }
    for (; k + 4 <= n; k += 4) {
      const o = <usize>k << 2;
      v0 = fma4(v0, ld(x + o), ld(y + o));
    }
    v0 = f32x4.add(v0, v1);
    s = f32x4.extract_lane(v0, 0) + f32x4.extract_lane(v0, 1) + f32x4.extract_lane(v0, 2) + f32x4.extract_lane(v0, 3);
  }
  for (; k < n; k++) {
    const o = <usize>k << 2;
    s += load<f32>(x + o) * load<f32>(y + o);
  }
  return s;
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** C[M×N] (+)= A · Bᵀ with A stored M×K and B stored N×K (dot products along K). */
export function gemm_nt(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  if (M <= 0 || N <= 0) return;
  const rowA = <usize>K << 2, rowC = <usize>N << 2;
  const K4 = K & ~3;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // 2×4 tile: 8 accumulators, 6 loads per 8 multiply-adds.
    for (; i + 2 <= M; i += 2) {
      const a0 = a + <usize>i * rowA, a1 = a0 + rowA;
      const c0 = c + <usize>i * rowC, c1 = c0 + rowC;
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        const b0 = b + <usize>j * rowA, b1 = b0 + rowA, b2 = b1 + rowA, b3 = b2 + rowA;
        let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
        let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
        for (let k = 0; k < K4; k += 4) {
          const o = <usize>k << 2;
          const x0 = ld(a0 + o), x1 = ld(a1 + o);
          const y0 = ld(b0 + o), y1 = ld(b1 + o), y2 = ld(b2 + o), y3 = ld(b3 + o);
          s00 = fma4(s00, x0, y0); s01 = fma4(s01, x0, y1); s02 = fma4(s02, x0, y2); s03 = fma4(s03, x0, y3);
          s10 = fma4(s10, x1, y0); s11 = fma4(s11, x1, y1); s12 = fma4(s12, x1, y2); s13 = fma4(s13, x1, y3);
        }
        let r00 = hsum(s00), r01 = hsum(s01), r02 = hsum(s02), r03 = hsum(s03);
        let r10 = hsum(s10), r11 = hsum(s11), r12 = hsum(s12), r13 = hsum(s13);
        for (let k = K4; k < K; k++) {
          const o = <usize>k << 2;
          const x0 = load<f32>(a0 + o), x1 = load<f32>(a1 + o);
          const y0 = load<f32>(b0 + o), y1 = load<f32>(b1 + o), y2 = load<f32>(b2 + o), y3 = load<f32>(b3 + o);
          r00 += x0 * y0; r01 += x0 * y1; r02 += x0 * y2; r03 += x0 * y3;
          r10 += x1 * y0; r11 += x1 * y1; r12 += x1 * y2; r13 += x1 * y3;
        }
        const jo = <usize>j << 2;
        if (acc) {
          r00 += load<f32>(c0 + jo); r01 += load<f32>(c0 + jo + 4); r02 += load<f32>(c0 + jo + 8); r03 += load<f32>(c0 + jo + 12);
          r10 += load<f32>(c1 + jo); r11 += load<f32>(c1 + jo + 4); r12 += load<f32>(c1 + jo + 8); r13 += load<f32>(c1 + jo + 12);
        }
        store<f32>(c0 + jo, r00); store<f32>(c0 + jo + 4, r01); store<f32>(c0 + jo + 8, r02); store<f32>(c0 + jo + 12, r03);
        store<f32>(c1 + jo, r10); store<f32>(c1 + jo + 4, r11); store<f32>(c1 + jo + 8, r12); store<f32>(c1 + jo + 12, r13);
      }
      for (; j < N; j++) {
        const bj = b + <usize>j * rowA, jo = <usize>j << 2;
        let r0 = dot(a0, bj, K), r1 = dot(a1, bj, K);
        if (acc) { r0 += load<f32>(c0 + jo); r1 += load<f32>(c1 + jo); }
        store<f32>(c0 + jo, r0); store<f32>(c1 + jo, r1);
      }
    }
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * rowA, ci = c + <usize>i * rowC;
    for (let j = 0; j < N; j++) {
      const jo = <usize>j << 2;
      let r = dot(ai, b + <usize>j * rowA, K);
      if (acc) r += load<f32>(ci + jo);
      store<f32>(ci + jo, r);
    }
  }
}

/**
 * Register-only multiply-add loop used by the benchmark to measure this machine's SIMD peak:
 * 8 independent accumulator chains, no memory traffic. Returns a value so the loop is not removed.
 * FLOPs = iters * 8 chains * 4 lanes * 2.
 */
export function simd_peak_probe(iters: i32, seed: f32): f32 {
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(0.999999), d = f32x4.splat(1e-7);
    let s0 = f32x4.splat(seed), s1 = f32x4.splat(seed + 1), s2 = f32x4.splat(seed + 2), s3 = f32x4.splat(seed + 3);
    let s4 = f32x4.splat(seed + 4), s5 = f32x4.splat(seed + 5), s6 = f32x4.splat(seed + 6), s7 = f32x4.splat(seed + 7);
    for (let n = 0; n < iters; n++) {
      s0 = fma4(d, s0, m); s1 = fma4(d, s1, m); s2 = fma4(d, s2, m); s3 = fma4(d, s3, m);
      s4 = fma4(d, s4, m); s5 = fma4(d, s5, m); s6 = fma4(d, s6, m); s7 = fma4(d, s7, m);
    }
    return hsum(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7))));
  }
  let r: f32 = seed;
  for (let n = 0; n < iters; n++) r = r * 0.999999 + 1e-7;
  return r;
}
