// Fused element-wise kernels of the Recurrent Highway Network layer (src/ops/rhn.ts): one highway
// block forward and backward, plus the masked copy used by the weight gradients. The products
// (W·x, R·(s⊙m) and their transposes) go through the weight operator, like the LSTM's.
//
// Layout is feature-major, as in lstm.ts: an "[R × B] block" is R rows of B contiguous floats,
// the f32x4 lanes run over the batch. A block whose rows are `ld` floats apart is one step's
// columns inside an [R × T·B] matrix. Per block l and step t the layer keeps an act block of
// 3H rows: h = tanh(a_H) in rows [0, H), t = σ(a_T) in [H, 2H), and the block's input state
// s_prev in [2H, 3H) (the backward needs h − s_prev). Rows [0, 2H) become d(pre-activation) in
// place in the backward, which is the [2H × T·B] operand of the weight gradient.
//
// Highway block (coupled carry c = 1 − t, as the official RHN with --couple):
//   a = pre + rec + bias;  h = tanh(a_H);  t = σ(a_T);  s = h·t + s_prev·(1 − t)

import { sigmoid4 as sigmoidv, tanh4 as tanhv, one4 } from './simd-math';
import { partLo } from './scratch';

@inline function ld4(p: usize): v128 { return v128.load(p); }
@inline function st4(p: usize, v: v128): void { v128.store(p, v); }

@inline function sigmoid1(x: f32): f32 {
  if (x >= 0) return 1 / (1 + Mathf.exp(-x));
  const e = Mathf.exp(x);
  return e / (1 + e);
}

/**
 * One highway block, forward, for H units and B batch columns.
 * act   [3H rows, stride ld] in: rows [0, 2H) hold W·x_t when hasPre = 1 (block 0), else ignored;
 *                            out: h, t, s_prev (see the file comment).
 * rec   [2H × B]             R·(s_prev ⊙ mask).
 * bias  [2H]                 the block's bias (block 0: W's bias + R's bias).
 * sPrev [H × B]              the block's input state.
 * mask  [H × B]              the hidden-dropout mask (ones when off).
 * sOut  [H × B] out          the new state; must not alias sPrev.
 * smOut [H × B] out          sOut ⊙ mask, the next block's product operand.
 * y     [H rows, stride ld]  out when writeY = 1: a copy of sOut (the layer output at this step).
 */
export function rhn_block_forward(
  act: usize, rec: usize, bias: usize, sPrev: usize, mask: usize, sOut: usize, smOut: usize, y: usize,
  hasPre: i32, writeY: i32, H: i32, B: i32, ld: i32,
): void {
  blockForwardRows(act, rec, bias, sPrev, mask, sOut, smOut, y, hasPre, writeY, H, B, ld, 0, H);
}

/** Thread share `part` of `parts` of rhn_block_forward: a range of the H units. */
export function rhn_block_forward_part(
  act: usize, rec: usize, bias: usize, sPrev: usize, mask: usize, sOut: usize, smOut: usize, y: usize,
  hasPre: i32, writeY: i32, H: i32, B: i32, ld: i32, part: i32, parts: i32,
): void {
  blockForwardRows(act, rec, bias, sPrev, mask, sOut, smOut, y, hasPre, writeY, H, B, ld, partLo(H, part, parts), partLo(H, part + 1, parts));
}

/** rhn_block_forward for units [r0, r1). */
function blockForwardRows(
  act: usize, rec: usize, bias: usize, sPrev: usize, mask: usize, sOut: usize, smOut: usize, y: usize,
  hasPre: i32, writeY: i32, H: i32, B: i32, ld: i32, r0: i32, r1: i32,
): void {
  const rowS = <usize>ld << 2, rowB = <usize>B << 2, gateS = <usize>H * rowS, gateB = <usize>H * rowB;
  for (let r = r0; r < r1; r++) {
    const aH = act + <usize>r * rowS, aT = aH + gateS, aS = aT + gateS;
    const qH = rec + <usize>r * rowB, qT = qH + gateB;
    const bH = load<f32>(bias + (<usize>r << 2)), bT = load<f32>(bias + ((<usize>(r + H)) << 2));
    const so = <usize>r * rowB, yo = y + <usize>r * rowS;
    let b = 0;
    if (ASC_FEATURE_SIMD) {
      const vbH = f32x4.splat(bH), vbT = f32x4.splat(bT), one = one4();
      for (; b + 4 <= B; b += 4) {
        const o = <usize>b << 2;
        let xH = f32x4.add(ld4(qH + o), vbH), xT = f32x4.add(ld4(qT + o), vbT);
        if (hasPre) { xH = f32x4.add(xH, ld4(aH + o)); xT = f32x4.add(xT, ld4(aT + o)); }
        const h = tanhv(xH), t = sigmoidv(xT), sp = ld4(sPrev + so + o);
        const s = f32x4.add(f32x4.mul(h, t), f32x4.mul(sp, f32x4.sub(one, t)));
        st4(aH + o, h); st4(aT + o, t); st4(aS + o, sp);
        st4(sOut + so + o, s); st4(smOut + so + o, f32x4.mul(s, ld4(mask + so + o)));
        if (writeY) st4(yo + o, s);
      }
    }
    for (; b < B; b++) {
      const o = <usize>b << 2;
      let xH = load<f32>(qH + o) + bH, xT = load<f32>(qT + o) + bT;
      if (hasPre) { xH += load<f32>(aH + o); xT += load<f32>(aT + o); }
      const h = Mathf.tanh(xH), t = sigmoid1(xT), sp = load<f32>(sPrev + so + o);
      const s = h * t + sp * (1 - t);
      store<f32>(aH + o, h); store<f32>(aT + o, t); store<f32>(aS + o, sp);
      store<f32>(sOut + so + o, s); store<f32>(smOut + so + o, s * load<f32>(mask + so + o));
      if (writeY) store<f32>(yo + o, s);
    }
  }
}

/**
 * One highway block, backward, from the saved act block:
 *   ds += dy (when hasDy = 1: the layer output's gradient at this step, last block only)
 *   dh = ds·t;  dt = ds·(h − s_prev);  dH = dh·(1 − h²);  dT = dt·t(1 − t);  ds ← ds·(1 − t)
 * act   [3H rows, stride ld]  in: h, t, s_prev; out: rows [0, 2H) = dH, dT (in place).
 * dgate [2H × B] out          the same dH, dT, contiguous, for the product Rᵀ·dgate.
 * ds    [H × B] in/out        dL/d(block output) in; the carry path's dL/d(s_prev) out (the
 *                             caller adds (Rᵀ·dgate) ⊙ mask for the recurrent path).
 * dy    [H rows, stride ld]   read when hasDy = 1.
 */
export function rhn_block_backward(act: usize, dgate: usize, ds: usize, dy: usize, hasDy: i32, H: i32, B: i32, ld: i32): void {
  blockBackwardRows(act, dgate, ds, dy, hasDy, H, B, ld, 0, H);
}

/** Thread share `part` of `parts` of rhn_block_backward: a range of the H units. */
export function rhn_block_backward_part(act: usize, dgate: usize, ds: usize, dy: usize, hasDy: i32, H: i32, B: i32, ld: i32, part: i32, parts: i32): void {
  blockBackwardRows(act, dgate, ds, dy, hasDy, H, B, ld, partLo(H, part, parts), partLo(H, part + 1, parts));
}

/** rhn_block_backward for units [r0, r1). */
function blockBackwardRows(act: usize, dgate: usize, ds: usize, dy: usize, hasDy: i32, H: i32, B: i32, ld: i32, r0: i32, r1: i32): void {
  const rowS = <usize>ld << 2, rowB = <usize>B << 2, gateS = <usize>H * rowS, gateB = <usize>H * rowB;
  for (let r = r0; r < r1; r++) {
    const aH = act + <usize>r * rowS, aT = aH + gateS, aS = aT + gateS;
    const eH = dgate + <usize>r * rowB, eT = eH + gateB;
    const so = <usize>r * rowB, yo = dy + <usize>r * rowS;
    let b = 0;
    if (ASC_FEATURE_SIMD) {
      const one = one4();
      for (; b + 4 <= B; b += 4) {
        const o = <usize>b << 2;
        let d = ld4(ds + so + o);
        if (hasDy) d = f32x4.add(d, ld4(yo + o));
        const h = ld4(aH + o), t = ld4(aT + o), sp = ld4(aS + o);
        const dH = f32x4.mul(f32x4.mul(d, t), f32x4.sub(one, f32x4.mul(h, h)));
        const dT = f32x4.mul(f32x4.mul(d, f32x4.sub(h, sp)), f32x4.mul(t, f32x4.sub(one, t)));
        st4(aH + o, dH); st4(aT + o, dT); st4(eH + o, dH); st4(eT + o, dT);
        st4(ds + so + o, f32x4.mul(d, f32x4.sub(one, t)));
      }
    }
    for (; b < B; b++) {
      const o = <usize>b << 2;
      let d = load<f32>(ds + so + o);
      if (hasDy) d += load<f32>(yo + o);
      const h = load<f32>(aH + o), t = load<f32>(aT + o), sp = load<f32>(aS + o);
      const dH = d * t * (1 - h * h);
      const dT = d * (h - sp) * (t * (1 - t));
      store<f32>(aH + o, dH); store<f32>(aT + o, dT); store<f32>(eH + o, dH); store<f32>(eT + o, dT);
      store<f32>(ds + so + o, d * (1 - t));
    }
  }
}

/**
 * out[r, t·B + b] = s[r, t·B + b] · mask[r, b] for an [H × T·B] matrix s whose rows are `ld`
 * floats apart (ld ≥ T·B) and an [H × B] mask: the masked states of every step, the operand of
 * a recurrent weight's gradient. out is [H × T·B] contiguous.
 */
export function rhn_mask_columns(out: usize, s: usize, ld: i32, mask: usize, H: i32, B: i32, T: i32): void {
  const N = T * B;
  for (let r = 0; r < H; r++) {
    const src = s + ((<usize>r * ld) << 2), dst = out + ((<usize>r * N) << 2), m = mask + ((<usize>r * B) << 2);
    for (let t = 0; t < T; t++) {
      const so = <usize>(t * B) << 2;
      let b = 0;
      if (ASC_FEATURE_SIMD) for (; b + 4 <= B; b += 4) { const o = <usize>b << 2; st4(dst + so + o, f32x4.mul(ld4(src + so + o), ld4(m + o))); }
      for (; b < B; b++) { const o = <usize>b << 2; store<f32>(dst + so + o, load<f32>(src + so + o) * load<f32>(m + o)); }
    }
  }
}
