// Row-wise softmax family over a rows×cols row-major f32 matrix. Pointers are byte offsets.
// Numerics: every row is shifted by its max before exp, so no overflow for any finite input;
// sums are accumulated in f32 per row (cols ≤ ~10^5 here, relative error ~1e-6).
import { axpy } from './elementwise';

@inline function rowMax(x: usize, cols: i32): f32 {
  let m: f32 = -Infinity;
  for (let j = 0; j < cols; j++) m = max(m, load<f32>(x + (<usize>j << 2)));
  return m;
}

/** out = softmax(x) per row. */
export function softmax_rows(out: usize, x: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb, yr = out + <usize>r * rb;
    const m = rowMax(xr, cols);
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) { const o = <usize>j << 2; const e = Mathf.exp(load<f32>(xr + o) - m); store<f32>(yr + o, e); s += e; }
    const inv: f32 = 1 / s;
    for (let j = 0; j < cols; j++) { const o = <usize>j << 2; store<f32>(yr + o, load<f32>(yr + o) * inv); }
  }
}

/** out = log_softmax(x) per row. */
export function log_softmax_rows(out: usize, x: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb, yr = out + <usize>r * rb;
    const m = rowMax(xr, cols);
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) s += Mathf.exp(load<f32>(xr + (<usize>j << 2)) - m);
    const lse = m + Mathf.log(s);
    for (let j = 0; j < cols; j++) { const o = <usize>j << 2; store<f32>(yr + o, load<f32>(xr + o) - lse); }
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
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) { const o = <usize>j << 2; const e = Mathf.exp(load<f32>(xr + o) - m); store<f32>(pr + o, e); s += e; }
    const inv: f32 = 1 / s;
    for (let j = 0; j < cols; j++) { const o = <usize>j << 2; store<f32>(pr + o, load<f32>(pr + o) * inv); }
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
