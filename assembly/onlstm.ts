// Fused element-wise kernels of the ON-LSTM cell (Shen et al. 2019; src/ops/onlstm.ts): one time
// step forward and backward. The products (ih·x over the sequence, hh·h per step) go through the
// weight operator.
//
// Gate rows, in the official ONLSTMCell order, with C = H / chunk master chunks:
//   [0, C)          master input logits   → ci = 1 − cumsum(softmax(·))   (per chunk)
//   [C, 2C)         master forget logits  → cf = cumsum(softmax(·))
//   [2C, 2C+H)      o (sigmoid)      [2C+H, 2C+2H) g = cell (tanh)
//   [2C+2H, 2C+3H)  i (sigmoid)      [2C+3H, 2C+4H) f (sigmoid)
// Unit r belongs to chunk r / chunk. Per unit:
//   ω = cf·ci;  F = f·ω + (cf − ω);  I = i·ω + (ci − ω);  c = F·c_prev + I·g;  h = o·tanh(c)
// Layout is feature-major as in lstm.ts (rows of B columns, act rows `ld` floats apart). The
// forward keeps, in place of the logits, the activations of o, g, i, f and the master gates'
// softmax probabilities (not their cumulative sums: the backward needs the probabilities, and a
// running sum rebuilds cf and ci exactly as the forward did).
//
// SIMD: the f32x4 lanes run over 4 batch columns, as in lstm.ts, so the master gates' softmax and
// cumulative sums run down the rows with 4 columns at once; the B mod 4 tail columns use the
// scalar code (Mathf), as does the scalar build. Thread shares split the columns in groups of 4
// (a column's chunks depend on each other through the cumulative sums, its columns do not): every
// column is computed by the same code whatever the split, so results do not depend on threads.

import { exp4, sigmoid4 as sigmoidv, tanh4 as tanhv, one4 } from './simd-math';
import { partLo } from './scratch';

@inline function ld4(p: usize): v128 { return v128.load(p); }
@inline function st4(p: usize, v: v128): void { v128.store(p, v); }

@inline function sigmoid1(x: f32): f32 {
  if (x >= 0) return 1 / (1 + Mathf.exp(-x));
  const e = Mathf.exp(x);
  return e / (1 + e);
}

/** Softmax over C rows (stride rs bytes) of column o: reads a + q + bias, writes the probabilities to a. */
@inline function masterSoftmax(a: usize, q: usize, bias: usize, C: i32, rs: usize, qs: usize, o: usize): void {
  let m: f32 = -Infinity;
  for (let k = 0; k < C; k++) {
    const v = load<f32>(a + <usize>k * rs + o) + load<f32>(q + <usize>k * qs + o) + load<f32>(bias + (<usize>k << 2));
    store<f32>(a + <usize>k * rs + o, v);
    m = max(m, v);
  }
  let s: f32 = 0;
  for (let k = 0; k < C; k++) {
    const e = Mathf.exp(load<f32>(a + <usize>k * rs + o) - m);
    store<f32>(a + <usize>k * rs + o, e);
    s += e;
  }
  const inv: f32 = 1 / s;
  for (let k = 0; k < C; k++) store<f32>(a + <usize>k * rs + o, load<f32>(a + <usize>k * rs + o) * inv);
}

/** masterSoftmax for the 4 columns at byte offset o. */
@inline function masterSoftmax4(a: usize, q: usize, bias: usize, C: i32, rs: usize, qs: usize, o: usize): void {
  let m = f32x4.splat(-Infinity);
  for (let k = 0; k < C; k++) {
    const v = f32x4.add(f32x4.add(ld4(a + <usize>k * rs + o), ld4(q + <usize>k * qs + o)), f32x4.splat(load<f32>(bias + (<usize>k << 2))));
    st4(a + <usize>k * rs + o, v);
    m = f32x4.max(m, v);
  }
  let s = f32x4.splat(0);
  for (let k = 0; k < C; k++) {
    const e = exp4(f32x4.sub(ld4(a + <usize>k * rs + o), m));
    st4(a + <usize>k * rs + o, e);
    s = f32x4.add(s, e);
  }
  const inv = f32x4.div(one4(), s);
  for (let k = 0; k < C; k++) st4(a + <usize>k * rs + o, f32x4.mul(ld4(a + <usize>k * rs + o), inv));
}

/** Byte offsets of the gate blocks of a [4H + 2C rows] matrix whose rows are `stride` bytes apart. */
@inline function masterF(base: usize, C: i32, stride: usize): usize { return base + <usize>C * stride; }
@inline function gateBlock(base: usize, C: i32, H: i32, stride: usize, g: i32): usize { return base + <usize>(2 * C + g * H) * stride; }

/**
 * Columns [b0, b1) of one ON-LSTM step, forward (see onlstm_gates_forward). Full groups of 4
 * columns (counted from column 0) run in SIMD, the rest in scalar code.
 */
function forwardColumns(
  pre: usize, rec: usize, bias: usize, cPrev: usize, c: usize, tc: usize, h: usize, y: usize,
  H: i32, C: i32, B: i32, ld: i32, b0: i32, b1: i32,
): void {
  const rs = <usize>ld << 2, qs = <usize>B << 2;
  const chunk = H / C;
  const mI = pre, mF = masterF(pre, C, rs);
  const gO = gateBlock(pre, C, H, rs, 0), gG = gateBlock(pre, C, H, rs, 1), gI = gateBlock(pre, C, H, rs, 2), gF = gateBlock(pre, C, H, rs, 3);
  const qI = rec, qF = masterF(rec, C, qs);
  const qO = gateBlock(rec, C, H, qs, 0), qG = gateBlock(rec, C, H, qs, 1), qIi = gateBlock(rec, C, H, qs, 2), qFf = gateBlock(rec, C, H, qs, 3);
  const bO = bias + (<usize>(2 * C) << 2), bG = bO + (<usize>H << 2), bI = bG + (<usize>H << 2), bF = bI + (<usize>H << 2);
  let b = b0;
  if (ASC_FEATURE_SIMD) {
    const one = one4();
    for (; b + 4 <= b1; b += 4) {
      const o = <usize>b << 2;
      masterSoftmax4(mI, qI, bias, C, rs, qs, o);
      masterSoftmax4(mF, qF, bias + (<usize>C << 2), C, rs, qs, o);
      let cumI = f32x4.splat(0), cumF = f32x4.splat(0);
      for (let k = 0; k < C; k++) {
        cumI = f32x4.add(cumI, ld4(mI + <usize>k * rs + o));
        cumF = f32x4.add(cumF, ld4(mF + <usize>k * rs + o));
        const ci = f32x4.sub(one, cumI), cf = cumF, om = f32x4.mul(cf, ci);
        const cfm = f32x4.sub(cf, om), cim = f32x4.sub(ci, om);
        for (let j = 0; j < chunk; j++) {
          const r = k * chunk + j;
          const ro = <usize>r * rs + o, qo = <usize>r * qs + o, bo = <usize>r << 2;
          const og = sigmoidv(f32x4.add(f32x4.add(ld4(gO + ro), ld4(qO + qo)), f32x4.splat(load<f32>(bO + bo))));
          const g = tanhv(f32x4.add(f32x4.add(ld4(gG + ro), ld4(qG + qo)), f32x4.splat(load<f32>(bG + bo))));
          const i = sigmoidv(f32x4.add(f32x4.add(ld4(gI + ro), ld4(qIi + qo)), f32x4.splat(load<f32>(bI + bo))));
          const f = sigmoidv(f32x4.add(f32x4.add(ld4(gF + ro), ld4(qFf + qo)), f32x4.splat(load<f32>(bF + bo))));
          const F = f32x4.add(f32x4.mul(f, om), cfm), I = f32x4.add(f32x4.mul(i, om), cim);
          const cv = f32x4.add(f32x4.mul(F, ld4(cPrev + qo)), f32x4.mul(I, g));
          const t = tanhv(cv), hv = f32x4.mul(og, t);
          st4(gO + ro, og); st4(gG + ro, g); st4(gI + ro, i); st4(gF + ro, f);
          st4(c + qo, cv); st4(tc + qo, t); st4(h + qo, hv); st4(y + ro, hv);
        }
      }
    }
  }
  for (; b < b1; b++) {
    const o = <usize>b << 2;
    masterSoftmax(mI, qI, bias, C, rs, qs, o);
    masterSoftmax(mF, qF, bias + (<usize>C << 2), C, rs, qs, o);
    let cumI: f32 = 0, cumF: f32 = 0;
    for (let k = 0; k < C; k++) {
      cumI += load<f32>(mI + <usize>k * rs + o);
      cumF += load<f32>(mF + <usize>k * rs + o);
      const ci: f32 = 1 - cumI, cf = cumF, om = cf * ci;
      for (let j = 0; j < chunk; j++) {
        const r = k * chunk + j;
        const ro = <usize>r * rs + o, qo = <usize>r * qs + o, bo = <usize>r << 2;
        const og = sigmoid1(load<f32>(gO + ro) + load<f32>(qO + qo) + load<f32>(bO + bo));
        const g = Mathf.tanh(load<f32>(gG + ro) + load<f32>(qG + qo) + load<f32>(bG + bo));
        const i = sigmoid1(load<f32>(gI + ro) + load<f32>(qIi + qo) + load<f32>(bI + bo));
        const f = sigmoid1(load<f32>(gF + ro) + load<f32>(qFf + qo) + load<f32>(bF + bo));
        const F = f * om + (cf - om), I = i * om + (ci - om);
        const cv = F * load<f32>(cPrev + qo) + I * g;
        const t = Mathf.tanh(cv), hv = og * t;
        store<f32>(gO + ro, og); store<f32>(gG + ro, g); store<f32>(gI + ro, i); store<f32>(gF + ro, f);
        store<f32>(c + qo, cv); store<f32>(tc + qo, t); store<f32>(h + qo, hv); store<f32>(y + ro, hv);
      }
    }
  }
}

/**
 * Columns [b0, b1) of one ON-LSTM step, backward (see onlstm_gates_backward); groups of 4 columns
 * in SIMD as forwardColumns.
 */
function backwardColumns(
  dpre: usize, dgate: usize, dc: usize, dy: usize, dhRec: usize, cPrev: usize, tc: usize,
  H: i32, C: i32, B: i32, ld: i32, b0: i32, b1: i32,
): void {
  const rs = <usize>ld << 2, qs = <usize>B << 2;
  const chunk = H / C;
  const mI = dpre, mF = masterF(dpre, C, rs);
  const gO = gateBlock(dpre, C, H, rs, 0), gG = gateBlock(dpre, C, H, rs, 1), gI = gateBlock(dpre, C, H, rs, 2), gF = gateBlock(dpre, C, H, rs, 3);
  const eI = dgate, eF = masterF(dgate, C, qs);
  const eO = gateBlock(dgate, C, H, qs, 0), eG = gateBlock(dgate, C, H, qs, 1), eIi = gateBlock(dgate, C, H, qs, 2), eFf = gateBlock(dgate, C, H, qs, 3);
  let b = b0;
  if (ASC_FEATURE_SIMD) {
    const one = one4();
    for (; b + 4 <= b1; b += 4) {
      const o = <usize>b << 2;
      let cumI = f32x4.splat(0), cumF = f32x4.splat(0);
      for (let k = 0; k < C; k++) {
        cumI = f32x4.add(cumI, ld4(mI + <usize>k * rs + o));
        cumF = f32x4.add(cumF, ld4(mF + <usize>k * rs + o));
        const ci = f32x4.sub(one, cumI), cf = cumF, om = f32x4.mul(cf, ci);
        const cfm = f32x4.sub(cf, om), cim = f32x4.sub(ci, om);
        let dcf = f32x4.splat(0), dci = f32x4.splat(0);
        for (let j = 0; j < chunk; j++) {
          const r = k * chunk + j;
          const ro = <usize>r * rs + o, so = <usize>r * qs + o;
          const og = ld4(gO + ro), g = ld4(gG + ro), i = ld4(gI + ro), f = ld4(gF + ro);
          const t = ld4(tc + so);
          const dh = f32x4.add(ld4(dy + ro), ld4(dhRec + so));
          const dcT = f32x4.add(ld4(dc + so), f32x4.mul(f32x4.mul(dh, og), f32x4.sub(one, f32x4.mul(t, t))));
          const F = f32x4.add(f32x4.mul(f, om), cfm), I = f32x4.add(f32x4.mul(i, om), cim);
          const dF = f32x4.mul(dcT, ld4(cPrev + so)), dI = f32x4.mul(dcT, g);
          const dom = f32x4.add(f32x4.mul(dF, f32x4.sub(f, one)), f32x4.mul(dI, f32x4.sub(i, one)));
          dcf = f32x4.add(dcf, f32x4.add(dF, f32x4.mul(dom, ci)));
          dci = f32x4.add(dci, f32x4.add(dI, f32x4.mul(dom, cf)));
          const vdo = f32x4.mul(f32x4.mul(dh, t), f32x4.mul(og, f32x4.sub(one, og)));
          const vdg = f32x4.mul(f32x4.mul(dcT, I), f32x4.sub(one, f32x4.mul(g, g)));
          const vdi = f32x4.mul(f32x4.mul(dI, om), f32x4.mul(i, f32x4.sub(one, i)));
          const vdf = f32x4.mul(f32x4.mul(dF, om), f32x4.mul(f, f32x4.sub(one, f)));
          st4(dc + so, f32x4.mul(dcT, F));
          st4(gO + ro, vdo); st4(gG + ro, vdg); st4(gI + ro, vdi); st4(gF + ro, vdf);
          st4(eO + so, vdo); st4(eG + so, vdg); st4(eIi + so, vdi); st4(eFf + so, vdf);
        }
        st4(eI + <usize>k * qs + o, dci);
        st4(eF + <usize>k * qs + o, dcf);
      }
      let revI = f32x4.splat(0), revF = f32x4.splat(0), dotI = f32x4.splat(0), dotF = f32x4.splat(0);
      for (let k = C - 1; k >= 0; k--) {
        revI = f32x4.sub(revI, ld4(eI + <usize>k * qs + o));
        revF = f32x4.add(revF, ld4(eF + <usize>k * qs + o));
        st4(eI + <usize>k * qs + o, revI);
        st4(eF + <usize>k * qs + o, revF);
        dotI = f32x4.add(dotI, f32x4.mul(ld4(mI + <usize>k * rs + o), revI));
        dotF = f32x4.add(dotF, f32x4.mul(ld4(mF + <usize>k * rs + o), revF));
      }
      for (let k = 0; k < C; k++) {
        const qo = <usize>k * qs + o, ro = <usize>k * rs + o;
        const aI = f32x4.mul(ld4(mI + ro), f32x4.sub(ld4(eI + qo), dotI));
        const aF = f32x4.mul(ld4(mF + ro), f32x4.sub(ld4(eF + qo), dotF));
        st4(mI + ro, aI); st4(eI + qo, aI);
        st4(mF + ro, aF); st4(eF + qo, aF);
      }
    }
  }
  for (; b < b1; b++) {
    const o = <usize>b << 2;
    // Units, chunk by chunk: per-chunk sums of dL/dcf and dL/dci go to dgate's master rows.
    let cumI: f32 = 0, cumF: f32 = 0;
    for (let k = 0; k < C; k++) {
      cumI += load<f32>(mI + <usize>k * rs + o);
      cumF += load<f32>(mF + <usize>k * rs + o);
      const ci: f32 = 1 - cumI, cf = cumF, om = cf * ci;
      let dcf: f32 = 0, dci: f32 = 0;
      for (let j = 0; j < chunk; j++) {
        const r = k * chunk + j;
        const ro = <usize>r * rs + o, so = <usize>r * qs + o;
        const og = load<f32>(gO + ro), g = load<f32>(gG + ro), i = load<f32>(gI + ro), f = load<f32>(gF + ro);
        const t = load<f32>(tc + so);
        const dh = load<f32>(dy + ro) + load<f32>(dhRec + so);
        const dcT = load<f32>(dc + so) + dh * og * (1 - t * t);
        const F = f * om + (cf - om), I = i * om + (ci - om);
        const dF = dcT * load<f32>(cPrev + so), dI = dcT * g;
        const dom = dF * (f - 1) + dI * (i - 1);
        dcf += dF + dom * ci;
        dci += dI + dom * cf;
        const vdo = dh * t * (og * (1 - og));
        const vdg = dcT * I * (1 - g * g);
        const vdi = dI * om * (i * (1 - i));
        const vdf = dF * om * (f * (1 - f));
        store<f32>(dc + so, dcT * F);
        store<f32>(gO + ro, vdo); store<f32>(gG + ro, vdg); store<f32>(gI + ro, vdi); store<f32>(gF + ro, vdf);
        store<f32>(eO + so, vdo); store<f32>(eG + so, vdg); store<f32>(eIi + so, vdi); store<f32>(eFf + so, vdf);
      }
      store<f32>(eI + <usize>k * qs + o, dci);
      store<f32>(eF + <usize>k * qs + o, dcf);
    }
    // Masters: cf = cumsum(p) ⇒ dp_j = Σ_{k ≥ j} dcf_k; ci = 1 − cumsum(q) ⇒ dq_j = −Σ_{k ≥ j} dci_k;
    // then the softmax backward da = p ⊙ (dp − Σ p·dp).
    let revI: f32 = 0, revF: f32 = 0, dotI: f32 = 0, dotF: f32 = 0;
    for (let k = C - 1; k >= 0; k--) {
      revI -= load<f32>(eI + <usize>k * qs + o);
      revF += load<f32>(eF + <usize>k * qs + o);
      store<f32>(eI + <usize>k * qs + o, revI);
      store<f32>(eF + <usize>k * qs + o, revF);
      dotI += load<f32>(mI + <usize>k * rs + o) * revI;
      dotF += load<f32>(mF + <usize>k * rs + o) * revF;
    }
    for (let k = 0; k < C; k++) {
      const qo = <usize>k * qs + o, ro = <usize>k * rs + o;
      const aI = load<f32>(mI + ro) * (load<f32>(eI + qo) - dotI);
      const aF = load<f32>(mF + ro) * (load<f32>(eF + qo) - dotF);
      store<f32>(mI + ro, aI); store<f32>(eI + qo, aI);
      store<f32>(mF + ro, aF); store<f32>(eF + qo, aF);
    }
  }
}

/** First column of thread share `part`: shares are whole groups of 4 columns, the tail goes to the last. */
@inline function shareStart(B: i32, part: i32, parts: i32): i32 {
  return part >= parts ? B : partLo(B >> 2, part, parts) << 2;
}

/**
 * One ON-LSTM step, forward (H units in C = H / chunk chunks, B batch columns).
 * pre   [4H + 2C rows, stride ld] in: ih·x_t (with ih's bias not included); out: probabilities /
 *                                 activations (see the file comment), saved for the backward.
 * rec   [4H + 2C × B]             hh·h_{t−1}.
 * bias  [4H + 2C]                 ih's bias + hh's bias.
 * cPrev [H × B] in; c, tc, h [H × B] out (tc = tanh(c)); y [H rows, stride ld] out, a copy of h.
 */
export function onlstm_gates_forward(
  pre: usize, rec: usize, bias: usize, cPrev: usize, c: usize, tc: usize, h: usize, y: usize,
  H: i32, C: i32, B: i32, ld: i32,
): void {
  if (C <= 0) return; // H = 0: nothing to compute
  forwardColumns(pre, rec, bias, cPrev, c, tc, h, y, H, C, B, ld, 0, B);
}

/** Thread share `part` of `parts` of onlstm_gates_forward: a range of whole 4-column groups. */
export function onlstm_gates_forward_part(
  pre: usize, rec: usize, bias: usize, cPrev: usize, c: usize, tc: usize, h: usize, y: usize,
  H: i32, C: i32, B: i32, ld: i32, part: i32, parts: i32,
): void {
  if (C <= 0) return;
  forwardColumns(pre, rec, bias, cPrev, c, tc, h, y, H, C, B, ld, shareStart(B, part, parts), shareStart(B, part + 1, parts));
}

/**
 * Inverts onlstm_gates_forward for one step from the saved values.
 *   dh = dy + dhRec;  dcT = dc + dh·o·(1 − tc²);  dF = dcT·c_prev;  dI = dcT·g;  dω = dF(f − 1) + dI(i − 1)
 *   do = dh·tc;  dg = dcT·I;  di = dI·ω;  df = dF·ω;  dcf_k += dF + dω·ci;  dci_k += dI + dω·cf
 *   dc ← dcT·F;  then through the sigmoids / tanh, and through cumsum and softmax for the masters.
 * dpre  [4H + 2C rows, stride ld] out: d(pre-activation); must alias acts exactly (in place).
 * dgate [4H + 2C × B]             out: the same values, contiguous, for hhᵀ·dgate.
 * dc    [H × B]                   in/out. dy [H rows, stride ld], dhRec, cPrev, tc [H × B] in.
 */
export function onlstm_gates_backward(
  dpre: usize, dgate: usize, dc: usize, dy: usize, dhRec: usize, cPrev: usize, tc: usize,
  H: i32, C: i32, B: i32, ld: i32,
): void {
  if (C <= 0) return;
  backwardColumns(dpre, dgate, dc, dy, dhRec, cPrev, tc, H, C, B, ld, 0, B);
}

/** Thread share `part` of `parts` of onlstm_gates_backward: a range of whole 4-column groups. */
export function onlstm_gates_backward_part(
  dpre: usize, dgate: usize, dc: usize, dy: usize, dhRec: usize, cPrev: usize, tc: usize,
  H: i32, C: i32, B: i32, ld: i32, part: i32, parts: i32,
): void {
  if (C <= 0) return;
  backwardColumns(dpre, dgate, dc, dy, dhRec, cPrev, tc, H, C, B, ld, shareStart(B, part, parts), shareStart(B, part + 1, parts));
}
