// Matrix × vector kernels of the inference path (src/ops/step-weight.ts): one token per step, so
// every weight is read once per product and nothing is re-used from cache. These kernels are bound
// by the bytes they stream (weights, and for CSR the column indices); they do no packing.
//
//   gemv      y[M] (+)= A[M×K]·x[K]            A dense row-major
//   spmv      Y[M×N] (+)= W·X[K×N], 1 ≤ N ≤ 4   W CSR (rowPtr i32, colIdx i32, values f32)
//   spmv_u16  the same with 16-bit column indices (K ≤ 65,536): 6 bytes per nonzero instead of 8
//   stream_sum  Σ of n floats, the bandwidth probe of bench/generate.bench.ts
//
// X and Y are feature-major ([K × N], N contiguous), as in assembly/sparse.ts. Pointers are byte
// offsets; no alignment is required. Outputs must not alias inputs. `acc` = 0 overwrites, 1 adds.
//
// Bits: each output row is computed by the same instructions in the same order whatever rows are
// computed around it (gemv's 4-row groups sum each row exactly as the 1-row path: hsum4 lane j ==
// hsum(p_j)), so row shares (`_part`) give the single call's bits.
//
// N = 1 (spmv): wasm SIMD has no gather; 4 column indices are read as scalars and 4 elements of x
// inserted lane by lane, so one fma4 covers 4 nonzeros and two accumulators keep 8 in flight; a
// row's last 0–7 nonzeros go through two masked groups (see spmvRows1). This loop is bound by
// instructions, not bytes: the lane inserts and the per-row branches are what it spends time on.
// N = 2..4: one fma4 per nonzero on the N lanes of X's row (a 64-bit or 128-bit load), two
// accumulators alternating over the nonzeros.

import { idxAt, idxLoad, idxShift } from './csr-index';
import { fma4 } from './fma';
import { hsum, hsum4 } from './hsum';
import { partLo } from './scratch';

@inline function i32at(p: usize, k: i32): i32 { return load<i32>(p + (<usize>k << 2)); }
@inline function f32at(p: usize, k: i32): f32 { return load<f32>(p + (<usize>k << 2)); }

// ---- dense: y = A·x ----------------------------------------------------------------------------

/** Rows [r0, r1) of y (+)= A·x; the K mod 4 tail is added after the vector sum, in order. */
function gemvRows(y: usize, a: usize, x: usize, K: i32, acc: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>K << 2;
  const K8 = K & ~7, K4 = K & ~3;
  let r = r0;
  if (ASC_FEATURE_SIMD) {
    // Four rows at once: each x vector is loaded once for four rows, eight independent chains.
    for (; r + 4 <= r1; r += 4) {
      const p0 = a + <usize>r * rowBytes, p1 = p0 + rowBytes, p2 = p1 + rowBytes, p3 = p2 + rowBytes;
      let e0 = f32x4.splat(0), e1 = e0, e2 = e0, e3 = e0, o0 = e0, o1 = e0, o2 = e0, o3 = e0;
      let k = 0;
      for (; k < K8; k += 8) {
        const o = <usize>k << 2;
        const xe = v128.load(x + o), xo = v128.load(x + o, 16);
        e0 = fma4(e0, v128.load(p0 + o), xe); o0 = fma4(o0, v128.load(p0 + o, 16), xo);
        e1 = fma4(e1, v128.load(p1 + o), xe); o1 = fma4(o1, v128.load(p1 + o, 16), xo);
        e2 = fma4(e2, v128.load(p2 + o), xe); o2 = fma4(o2, v128.load(p2 + o, 16), xo);
        e3 = fma4(e3, v128.load(p3 + o), xe); o3 = fma4(o3, v128.load(p3 + o, 16), xo);
      }
      if (k < K4) {
        const o = <usize>k << 2;
        const xe = v128.load(x + o);
        e0 = fma4(e0, v128.load(p0 + o), xe);
        e1 = fma4(e1, v128.load(p1 + o), xe);
        e2 = fma4(e2, v128.load(p2 + o), xe);
        e3 = fma4(e3, v128.load(p3 + o), xe);
      }
      const s = hsum4(f32x4.add(e0, o0), f32x4.add(e1, o1), f32x4.add(e2, o2), f32x4.add(e3, o3));
      let s0 = f32x4.extract_lane(s, 0), s1 = f32x4.extract_lane(s, 1), s2 = f32x4.extract_lane(s, 2), s3 = f32x4.extract_lane(s, 3);
      for (let t = K4; t < K; t++) {
        const xv = f32at(x, t);
        s0 += f32at(p0, t) * xv; s1 += f32at(p1, t) * xv; s2 += f32at(p2, t) * xv; s3 += f32at(p3, t) * xv;
      }
      const yr = y + (<usize>r << 2);
      if (acc) { s0 += load<f32>(yr); s1 += load<f32>(yr, 4); s2 += load<f32>(yr, 8); s3 += load<f32>(yr, 12); }
      store<f32>(yr, s0); store<f32>(yr, s1, 4); store<f32>(yr, s2, 8); store<f32>(yr, s3, 12);
    }
  }
  for (; r < r1; r++) {
    const p = a + <usize>r * rowBytes;
    let s: f32 = 0;
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      let e = f32x4.splat(0), od = e;
      for (; k < K8; k += 8) {
        const o = <usize>k << 2;
        e = fma4(e, v128.load(p + o), v128.load(x + o));
        od = fma4(od, v128.load(p + o, 16), v128.load(x + o, 16));
      }
      if (k < K4) {
        const o = <usize>k << 2;
        e = fma4(e, v128.load(p + o), v128.load(x + o));
        k += 4;
      }
      s = hsum(f32x4.add(e, od));
    }
    for (; k < K; k++) s += f32at(p, k) * f32at(x, k);
    const yr = y + (<usize>r << 2);
    store<f32>(yr, acc ? load<f32>(yr) + s : s);
  }
}

/** y[M] (+)= A[M×K]·x[K], A row-major: the dense product of one token. */
export function gemv(y: usize, a: usize, x: usize, M: i32, K: i32, acc: i32): void {
  if (M > 0) gemvRows(y, a, x, K, acc, 0, M);
}

/** `part`'s share of gemv: a range of rows. */
export function gemv_part(y: usize, a: usize, x: usize, M: i32, K: i32, acc: i32, part: i32, parts: i32): void {
  if (M <= 0) return;
  const lo = partLo(M, part, parts), hi = partLo(M, part + 1, parts);
  if (hi > lo) gemvRows(y, a, x, K, acc, lo, hi);
}

// ---- CSR: Y = W·X, N ≤ 4 ------------------------------------------------------------------------

/**
 * x[c_t], x[c_t+1], x[c_t+2], x[c_t+3] as one vector, c = the column indices from slot t. The
 * indices are read with scalar loads, not as one vector taken apart lane by lane: extract_lane and
 * replace_lane both compete for the CPU's one shuffle port, and the lane extracts were what bound
 * this loop (25% fewer cycles per nonzero this way on the zaremba-medium matrices; same bits).
 */
@inline function gather4(wide: bool, x: usize, p: usize): v128 {
  // p points at the first index; constant offsets go in the load instructions.
  let v = v128.load32_zero(x + (idxLoad(wide, p) << 2));
  v = f32x4.replace_lane(v, 1, load<f32>(x + ((wide ? <usize>load<i32>(p, 4) : <usize>load<u16>(p, 2)) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(x + ((wide ? <usize>load<i32>(p, 8) : <usize>load<u16>(p, 4)) << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(x + ((wide ? <usize>load<i32>(p, 12) : <usize>load<u16>(p, 6)) << 2)));
}

/** Lane k all ones when k < r (r may be ≤ 0 or ≥ 4). */
@inline function lanesBelow(r: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(r));
}

/**
 * Rows [r0, r1) of y[M] (+)= W·x (N = 1). `nnz` = rowPtr[M], the whole matrix's nonzeros.
 * A row's last 0–7 nonzeros are done as two masked groups of 4, not by a branch on their count:
 * row lengths vary at random, and those branches mispredicted about once a row (the SpMV ran 15%
 * faster on matrices whose rows lengths happened to be regular). The masked groups read up to 7
 * slots past the row, which belong to the next rows (valid column indices, products masked to 0);
 * where those slots would run past the matrix's last nonzero the plain tail is used instead. The
 * choice depends only on the slot, never on the row range, so thread shares keep the single
 * call's bits.
 */
@inline function spmvRows1(wide: bool, y: usize, rowPtr: usize, idx: usize, values: usize, x: usize, acc: i32, r0: i32, r1: i32, nnz: i32): void {
  for (let i = r0; i < r1; i++) {
    const e = i32at(rowPtr, i + 1);
    let t = i32at(rowPtr, i);
    let s: f32 = 0;
    if (ASC_FEATURE_SIMD) {
      let a0 = f32x4.splat(0), a1 = a0;
      for (; t + 8 <= e; t += 8) {
        const pv = values + (<usize>t << 2), pi = idx + (<usize>t << idxShift(wide));
        a0 = fma4(a0, v128.load(pv), gather4(wide, x, pi));
        a1 = fma4(a1, v128.load(pv, 16), gather4(wide, x, pi + (<usize>4 << idxShift(wide))));
      }
      if (t + 8 <= nnz) {
        const r = e - t, pv = values + (<usize>t << 2), pi = idx + (<usize>t << idxShift(wide));
        a0 = f32x4.add(a0, v128.and(f32x4.mul(v128.load(pv), gather4(wide, x, pi)), lanesBelow(r)));
        a1 = f32x4.add(a1, v128.and(f32x4.mul(v128.load(pv, 16), gather4(wide, x, pi + (<usize>4 << idxShift(wide)))), lanesBelow(r - 4)));
        t = e;
      } else if (t + 4 <= e) {
        a0 = fma4(a0, v128.load(values + (<usize>t << 2)), gather4(wide, x, idx + (<usize>t << idxShift(wide))));
        t += 4;
      }
      s = hsum(f32x4.add(a0, a1));
    }
    for (; t < e; t++) s += f32at(values, t) * f32at(x, idxAt(wide, idx, t));
    const yr = y + (<usize>i << 2);
    store<f32>(yr, acc ? load<f32>(yr) + s : s);
  }
}

/** X's row j (N = nc ≤ 4 floats) in the low lanes of a vector, zeros above. */
@inline function rowLanes(nc: i32, p: usize): v128 {
  if (nc == 4) return v128.load(p);
  if (nc == 2) return v128.load64_zero(p);
  if (nc == 3) return f32x4.replace_lane(v128.load64_zero(p), 2, load<f32>(p, 8));
  return v128.load32_zero(p);
}

/** Rows [r0, r1) of Y[M×nc] (+)= W·X for 2 ≤ nc ≤ 4 (SIMD builds). */
@inline function spmvRowsN(nc: i32, wide: bool, y: usize, rowPtr: usize, idx: usize, values: usize, x: usize, acc: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>nc << 2;
  for (let i = r0; i < r1; i++) {
    const e = i32at(rowPtr, i + 1);
    let t = i32at(rowPtr, i);
    let a0 = f32x4.splat(0), a1 = a0;
    for (; t + 2 <= e; t += 2) {
      a0 = fma4(a0, v128.load32_splat(values + (<usize>t << 2)), rowLanes(nc, x + <usize>idxAt(wide, idx, t) * rowBytes));
      a1 = fma4(a1, v128.load32_splat(values + (<usize>t << 2), 4), rowLanes(nc, x + <usize>idxAt(wide, idx, t + 1) * rowBytes));
    }
    if (t < e) a0 = fma4(a0, v128.load32_splat(values + (<usize>t << 2)), rowLanes(nc, x + <usize>idxAt(wide, idx, t) * rowBytes));
    let s = f32x4.add(a0, a1);
    const yr = y + <usize>i * rowBytes;
    if (acc) s = f32x4.add(rowLanes(nc, yr), s);
    store<f32>(yr, f32x4.extract_lane(s, 0));
    store<f32>(yr, f32x4.extract_lane(s, 1), 4);
    if (nc > 2) store<f32>(yr, f32x4.extract_lane(s, 2), 8);
    if (nc > 3) store<f32>(yr, f32x4.extract_lane(s, 3), 12);
  }
}

/** Rows [r0, r1) of Y[M×N] (+)= W·X, any N, scalar (the scalar build; N > 4 anywhere). */
@inline function spmvRowsScalar(wide: bool, y: usize, rowPtr: usize, idx: usize, values: usize, x: usize, N: i32, acc: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>N << 2;
  for (let i = r0; i < r1; i++) {
    const yi = y + <usize>i * rowBytes;
    if (!acc) for (let c = 0; c < N; c++) store<f32>(yi + (<usize>c << 2), 0);
    const e = i32at(rowPtr, i + 1);
    for (let t = i32at(rowPtr, i); t < e; t++) {
      const w = f32at(values, t), xr = x + <usize>idxAt(wide, idx, t) * rowBytes;
      for (let c = 0; c < N; c++) {
        const o = <usize>c << 2;
        store<f32>(yi + o, load<f32>(yi + o) + w * load<f32>(xr + o));
      }
    }
  }
}

@inline function spmvRows(wide: bool, y: usize, rowPtr: usize, idx: usize, values: usize, x: usize, N: i32, acc: i32, r0: i32, r1: i32, nnz: i32): void {
  if (r1 <= r0 || N <= 0) return;
  if (N == 1) spmvRows1(wide, y, rowPtr, idx, values, x, acc, r0, r1, nnz);
  else if (ASC_FEATURE_SIMD && N == 2) spmvRowsN(2, wide, y, rowPtr, idx, values, x, acc, r0, r1);
  else if (ASC_FEATURE_SIMD && N == 3) spmvRowsN(3, wide, y, rowPtr, idx, values, x, acc, r0, r1);
  else if (ASC_FEATURE_SIMD && N == 4) spmvRowsN(4, wide, y, rowPtr, idx, values, x, acc, r0, r1);
  else spmvRowsScalar(wide, y, rowPtr, idx, values, x, N, acc, r0, r1);
}

/** First row of `part`'s share: contiguous shares of about nnz/parts nonzeros each. */
function rowShare(rowPtr: usize, M: i32, part: i32, parts: i32): i32 {
  if (part <= 0) return 0;
  if (part >= parts) return M;
  const base = i32at(rowPtr, 0);
  const target = base + partLo(i32at(rowPtr, M) - base, part, parts);
  let lo = 0, hi = M;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (i32at(rowPtr, mid) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * SpMV: Y[M×N] (+)= W·X for a CSR W (32-bit column indices) and a few columns (N ≤ 4: one token
 * per batch row; larger N is correct but scalar: use spmm there).
 */
export function spmv(y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, N: i32, acc: i32): void {
  spmvRows(true, y, rowPtr, colIdx, values, x, N, acc, 0, M, i32at(rowPtr, M));
}

/** spmv with 16-bit column indices (u16, 2 bytes per nonzero; every column < 65,536). */
export function spmv_u16(y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, N: i32, acc: i32): void {
  spmvRows(false, y, rowPtr, colIdx, values, x, N, acc, 0, M, i32at(rowPtr, M));
}

/** `part`'s share of spmv: a range of rows of W and Y (about nnz/parts nonzeros). */
export function spmv_part(y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (M <= 0) return;
  spmvRows(true, y, rowPtr, colIdx, values, x, N, acc, rowShare(rowPtr, M, part, parts), rowShare(rowPtr, M, part + 1, parts), i32at(rowPtr, M));
}

/** `part`'s share of spmv_u16. */
export function spmv_u16_part(y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (M <= 0) return;
  spmvRows(false, y, rowPtr, colIdx, values, x, N, acc, rowShare(rowPtr, M, part, parts), rowShare(rowPtr, M, part + 1, parts), i32at(rowPtr, M));
}

// ---- bandwidth probe -----------------------------------------------------------------------------

/** Σ a[0 .. n) in f32 with eight vector accumulators (order: lane sums, then the n mod 32 tail): reads memory as fast as it streams. */
export function stream_sum(a: usize, n: i32): f32 {
  let i = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let v0 = f32x4.splat(0), v1 = v0, v2 = v0, v3 = v0, v4 = v0, v5 = v0, v6 = v0, v7 = v0;
    for (; i + 32 <= n; i += 32) {
      const p = a + (<usize>i << 2);
      v0 = f32x4.add(v0, v128.load(p)); v1 = f32x4.add(v1, v128.load(p, 16));
      v2 = f32x4.add(v2, v128.load(p, 32)); v3 = f32x4.add(v3, v128.load(p, 48));
      v4 = f32x4.add(v4, v128.load(p, 64)); v5 = f32x4.add(v5, v128.load(p, 80));
      v6 = f32x4.add(v6, v128.load(p, 96)); v7 = f32x4.add(v7, v128.load(p, 112));
    }
    s = hsum(f32x4.add(f32x4.add(f32x4.add(v0, v1), f32x4.add(v2, v3)), f32x4.add(f32x4.add(v4, v5), f32x4.add(v6, v7))));
  }
  for (; i < n; i++) s += f32at(a, i);
  return s;
}
