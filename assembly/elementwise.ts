// Element-wise kernels over contiguous f32 arrays of length n. Pointers are byte offsets.
// Outputs may alias inputs exactly (in-place), never partially.
// Backward kernels *accumulate* into the input gradient (gx += ...), as autodiff needs.
// tanh, sigmoid and exp use the vectorised approximations of simd-math.ts in the SIMD build
// (accuracy documented there) and Mathf in the scalar build.
import { partLo } from './scratch';
import { exp4, sigmoid4, tanh4, one4 } from './simd-math';

@inline function ld(p: usize): v128 { return v128.load(p); }
@inline function st(p: usize, v: v128): void { v128.store(p, v); }

/** out = a + b */
export function add(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, f32x4.add(ld(a + o), ld(b + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o)); }
}

/** out = a - b */
export function sub(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, f32x4.sub(ld(a + o), ld(b + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(a + o) - load<f32>(b + o)); }
}

/** out = a * b */
export function mul(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, f32x4.mul(ld(a + o), ld(b + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o)); }
}

/** out += a * b (product rule accumulation) */
export function mul_acc(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, f32x4.add(ld(out + o), f32x4.mul(ld(a + o), ld(b + o)))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(out + o) + load<f32>(a + o) * load<f32>(b + o)); }
}

/** out = s * a */
export function scale(out: usize, a: usize, s: f32, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) { const sv = f32x4.splat(s); for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, f32x4.mul(ld(a + o), sv)); } }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(a + o) * s); }
}

/** y += s * x */
export function axpy(y: usize, x: usize, s: f32, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) { const sv = f32x4.splat(s); for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(y + o, f32x4.add(ld(y + o), f32x4.mul(ld(x + o), sv))); } }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, load<f32>(y + o) + s * load<f32>(x + o)); }
}

/** out = v (n elements) */
export function fill(out: usize, v: f32, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) { const sv = f32x4.splat(v); for (; i + 4 <= n; i += 4) st(out + (<usize>i << 2), sv); }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), v);
}

/** out[r, c] = a[r, c] + b[c] for r < rows, c < cols (row-vector broadcast, e.g. a bias). */
export function add_row_bcast(out: usize, a: usize, b: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) add(out + <usize>r * rb, a + <usize>r * rb, b, cols);
}

/** out[c] += Σ_r g[r, c]  (gradient of a row-vector broadcast) */
export function sum_rows_acc(out: usize, g: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) axpy(out, g + <usize>r * rb, 1, cols);
}

/** Σ a[i], accumulated in f64 so long reductions stay accurate. */
export function sum(a: usize, n: i32): f64 {
  let s: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let v = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const x = ld(a + (<usize>i << 2));
      v = f64x2.add(v, f64x2.add(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1))));
    }
    s = f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
  }
  for (; i < n; i++) s += <f64>load<f32>(a + (<usize>i << 2));
  return s;
}

/** Σ a[i]², accumulated in f64 (each square is exact in f64), e.g. for gradient norms. */
export function sum_squares(a: usize, n: i32): f64 {
  let s: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let v = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const x = ld(a + (<usize>i << 2));
      const lo = f64x2.promote_low_f32x4(x), hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1));
      v = f64x2.add(v, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
    }
    s = f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
  }
  for (; i < n; i++) { const x = <f64>load<f32>(a + (<usize>i << 2)); s += x * x; }
  return s;
}

/** out = max(a, 0) */
export function relu(out: usize, a: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) { const z = f32x4.splat(0); for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, f32x4.max(ld(a + o), z)); } }
  for (; i < n; i++) { const o = <usize>i << 2; const x = load<f32>(a + o); store<f32>(out + o, x > 0 ? x : 0); }
}

/** gx += gy * (x > 0) */
export function relu_backward(gx: usize, gy: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(gx + o, f32x4.add(ld(gx + o), v128.and(ld(gy + o), f32x4.gt(ld(x + o), z)))); }
  }
  for (; i < n; i++) { const o = <usize>i << 2; if (load<f32>(x + o) > 0) store<f32>(gx + o, load<f32>(gx + o) + load<f32>(gy + o)); }
}

/** out = tanh(a) */
export function tanh(out: usize, a: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, tanh4(ld(a + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, Mathf.tanh(load<f32>(a + o))); }
}

/** gx += gy * (1 - y²), y = tanh(x) */
export function tanh_backward(gx: usize, gy: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = one4();
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; const yv = ld(y + o); st(gx + o, f32x4.add(ld(gx + o), f32x4.mul(ld(gy + o), f32x4.sub(one, f32x4.mul(yv, yv))))); }
  }
  for (; i < n; i++) { const o = <usize>i << 2; const yv = load<f32>(y + o); store<f32>(gx + o, load<f32>(gx + o) + load<f32>(gy + o) * (1 - yv * yv)); }
}

/** out = 1 / (1 + exp(-a)), without overflow for large |a|. */
export function sigmoid(out: usize, a: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, sigmoid4(ld(a + o))); }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(a + o);
    let y: f32;
    if (x >= 0) y = 1 / (1 + Mathf.exp(-x));
    else { const e = Mathf.exp(x); y = e / (1 + e); }
    store<f32>(out + o, y);
  }
}

/** gx += gy * y * (1 - y), y = sigmoid(x) */
export function sigmoid_backward(gx: usize, gy: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = one4();
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; const yv = ld(y + o); st(gx + o, f32x4.add(ld(gx + o), f32x4.mul(ld(gy + o), f32x4.mul(yv, f32x4.sub(one, yv))))); }
  }
  for (; i < n; i++) { const o = <usize>i << 2; const yv = load<f32>(y + o); store<f32>(gx + o, load<f32>(gx + o) + load<f32>(gy + o) * yv * (1 - yv)); }
}

/** out = exp(a) */
export function exp(out: usize, a: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, exp4(ld(a + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, Mathf.exp(load<f32>(a + o))); }
}

/** out = log(a) */
export function log(out: usize, a: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, Mathf.log(load<f32>(a + o))); }
}

/** gx += gy / x  (backward of log) */
export function div_acc(gx: usize, gy: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(gx + o, f32x4.add(ld(gx + o), f32x4.div(ld(gy + o), ld(x + o)))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(gx + o, load<f32>(gx + o) + load<f32>(gy + o) / load<f32>(x + o)); }
}

/** out[j, i] = a[i, j]: a is rows×cols, out is cols×rows. Blocked 8×8 for cache reuse. */
export function transpose(out: usize, a: usize, rows: i32, cols: i32): void {
  transposeRows(out, a, rows, cols, 0, rows);
}

/** Rows [r0, r1) of a (columns [r0, r1) of out) of transpose; r0 a multiple of 8. */
function transposeRows(out: usize, a: usize, rows: i32, cols: i32, r0: i32, r1: i32): void {
  for (let i0 = r0; i0 < r1; i0 += 8) {
    const i1 = min(i0 + 8, r1);
    for (let j0 = 0; j0 < cols; j0 += 8) {
      const j1 = min(j0 + 8, cols);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          store<f32>(out + ((<usize>j * rows + i) << 2), load<f32>(a + ((<usize>i * cols + j) << 2)));
        }
      }
    }
  }
}

// ---- Thread shares (element-wise: any split gives the same bits; shares are whole vectors) ----

@inline function vecLo(n: i32, part: i32, parts: i32): i32 {
  return part >= parts ? n : min(n, partLo((n + 3) >> 2, part, parts) << 2);
}

export function transpose_part(out: usize, a: usize, rows: i32, cols: i32, part: i32, parts: i32): void {
  const blocks = (rows + 7) >> 3;
  transposeRows(out, a, rows, cols, min(rows, partLo(blocks, part, parts) << 3), min(rows, partLo(blocks, part + 1, parts) << 3));
}

export function axpy_part(y: usize, x: usize, s: f32, n: i32, part: i32, parts: i32): void {
  const lo = vecLo(n, part, parts), hi = vecLo(n, part + 1, parts);
  if (hi > lo) axpy(y + (<usize>lo << 2), x + (<usize>lo << 2), s, hi - lo);
}

export function fill_part(out: usize, v: f32, n: i32, part: i32, parts: i32): void {
  const lo = vecLo(n, part, parts), hi = vecLo(n, part + 1, parts);
  if (hi > lo) fill(out + (<usize>lo << 2), v, hi - lo);
}

export function scale_part(out: usize, a: usize, s: f32, n: i32, part: i32, parts: i32): void {
  const lo = vecLo(n, part, parts), hi = vecLo(n, part + 1, parts);
  if (hi > lo) scale(out + (<usize>lo << 2), a + (<usize>lo << 2), s, hi - lo);
}

/** out = a + s */
export function add_scalar(out: usize, a: usize, s: f32, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) { const sv = f32x4.splat(s); for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; st(out + o, f32x4.add(ld(a + o), sv)); } }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(a + o) + s); }
}
