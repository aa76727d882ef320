// Row-wise softmax family over a rows×cols row-major f32 matrix. Pointers are byte offsets.
// Numerics: every row is shifted by its max before exp, so no overflow for any finite input;
// sums are accumulated in f32 per row (cols ≤ ~10^5 here, relative error ~1e-6).
// The SIMD build uses the vectorised exp of simd-math.ts (≤ 2 ulp).
import { add_scalar, axpy, scale } from './elementwise';
import { exp4 } from './simd-math';
import { partLo } from './scratch';

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

@inline function rowMax(x: usize, cols: i32): f32 {
  let m: f32 = -Infinity;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let v = f32x4.splat(-Infinity);
    // pmax: one x86 instruction (f32x4.max takes several for wasm's NaN and ±0 rules). It may drop
    // a NaN from the max, but the NaN then reaches the sum through exp, so the result is NaN as
    // before; for other inputs only a max of exactly ±0 could differ in its sign (not its value).
    for (; j + 4 <= cols; j += 4) v = f32x4.pmax(v, v128.load(x + (<usize>j << 2)));
    m = max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  }
  for (; j < cols; j++) m = max(m, load<f32>(x + (<usize>j << 2)));
  return m;
}

/** y[j] = exp(x[j] − m) (skipped when y = 0), returns Σ_j exp(x[j] − m). */
@inline function expShift(y: usize, x: usize, m: f32, cols: i32): f32 {
  let j = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    let acc = f32x4.splat(0);
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const e = exp4(f32x4.sub(v128.load(x + o), mv));
      if (y) v128.store(y + o, e);
      acc = f32x4.add(acc, e);
    }
    s = hsum(acc);
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    const e = Mathf.exp(load<f32>(x + o) - m);
    if (y) store<f32>(y + o, e);
    s += e;
  }
  return s;
}

/** log Σ_j exp(x[j]) of one row, shifted by its max (finite for any finite row). */
@inline export function rowLse(x: usize, cols: i32): f32 {
  const m = rowMax(x, cols);
  return m + Mathf.log(expShift(0, x, m, cols));
}

/** out = softmax(x) per row. */
export function softmax_rows(out: usize, x: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb, yr = out + <usize>r * rb;
    const s = expShift(yr, xr, rowMax(xr, cols), cols);
    scale(yr, yr, 1 / s, cols);
  }
}

/** out = log_softmax(x) per row. */
export function log_softmax_rows(out: usize, x: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb, yr = out + <usize>r * rb;
    add_scalar(yr, xr, -rowLse(xr, cols), cols);
  }
}

/** gx += gy - softmax · Σ_j gy, with y = log_softmax(x) saved by the forward. */
export function log_softmax_backward(gx: usize, gy: usize, y: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * rb;
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) s += load<f32>(gy + off + (<usize>j << 2));
    for (let j = 0; j < cols; j++) {
      const o = off + (<usize>j << 2);
      store<f32>(gx + o, load<f32>(gx + o) + load<f32>(gy + o) - Mathf.exp(load<f32>(y + o)) * s);
    }
  }
}

/**
 * Fused softmax + cross-entropy. probs = softmax(logits) (saved for the backward);
 * losses[r] = -log softmax(logits)[r, targets[r]] computed as lse - x_t (no log of a rounded
 * probability). targets is an i32 array. Returns Σ_r losses[r] in f64.
 */
export function softmax_xent(probs: usize, losses: usize, logits: usize, targets: usize, rows: i32, cols: i32): f64 {
  const rb = <usize>cols << 2;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = logits + <usize>r * rb, pr = probs + <usize>r * rb;
    const m = rowMax(xr, cols);
    const s = expShift(pr, xr, m, cols);
    scale(pr, pr, 1 / s, cols);
    const t = load<i32>(targets + (<usize>r << 2));
    const loss = m + Mathf.log(s) - load<f32>(xr + (<usize>t << 2));
    store<f32>(losses + (<usize>r << 2), loss);
    total += <f64>loss;
  }
  return total;
}

/** gx += scale · (probs - onehot(targets)) — the fused backward of softmax_xent. */
export function softmax_xent_backward(gx: usize, probs: usize, targets: usize, rows: i32, cols: i32, scale: f32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * rb;
    axpy(gx + off, probs + off, scale, cols);
    const t = load<i32>(targets + (<usize>r << 2));
    const o = off + (<usize>t << 2);
    store<f32>(gx + o, load<f32>(gx + o) - scale);
  }
}

/** gx += y ⊙ (gy − Σ_j gy·y), with y = softmax(x) saved by the forward. */
export function softmax_backward(gx: usize, gy: usize, y: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * rb;
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) { const o = off + (<usize>j << 2); s += load<f32>(gy + o) * load<f32>(y + o); }
    for (let j = 0; j < cols; j++) {
      const o = off + (<usize>j << 2);
      store<f32>(gx + o, load<f32>(gx + o) + load<f32>(y + o) * (load<f32>(gy + o) - s));
    }
  }
}

// ---- Thread shares: a range of rows each (the caller sums the per-row losses in row order) ----

export function softmax_xent_part(probs: usize, losses: usize, logits: usize, targets: usize, rows: i32, cols: i32, part: i32, parts: i32): void {
  const lo = partLo(rows, part, parts), hi = partLo(rows, part + 1, parts), rb = <usize>cols << 2;
  if (hi > lo) softmax_xent(probs + <usize>lo * rb, losses + (<usize>lo << 2), logits + <usize>lo * rb, targets + (<usize>lo << 2), hi - lo, cols);
}

export function softmax_xent_backward_part(gx: usize, probs: usize, targets: usize, rows: i32, cols: i32, scale: f32, part: i32, parts: i32): void {
  const lo = partLo(rows, part, parts), hi = partLo(rows, part + 1, parts), rb = <usize>cols << 2;
  if (hi > lo) softmax_xent_backward(gx + <usize>lo * rb, probs + <usize>lo * rb, targets + (<usize>lo << 2), hi - lo, cols, scale);
}
