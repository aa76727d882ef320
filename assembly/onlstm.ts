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
// running sum rebuilds cf and ci exactly as the forward did). Scalar code: the element-wise part
// is O(H·B) per step against the O(G·H·B) recurrent product, and the master gates' cumulative
// sums run down the rows, across the SIMD lanes' natural direction.

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
  const rs = <usize>ld << 2, qs = <usize>B << 2;
  const chunk = H / C;
  const mI = pre, mF = pre + <usize>C * rs, gO = pre + <usize>(2 * C) * rs;
  const gG = gO + <usize>H * rs, gI = gG + <usize>H * rs, gF = gI + <usize>H * rs;
  const qI = rec, qF = rec + <usize>C * qs, qO = rec + <usize>(2 * C) * qs;
  const qG = qO + <usize>H * qs, qIi = qG + <usize>H * qs, qFf = qIi + <usize>H * qs;
  const bO = bias + (<usize>(2 * C) << 2), bG = bO + (<usize>H << 2), bI = bG + (<usize>H << 2), bF = bI + (<usize>H << 2);
  for (let b = 0; b < B; b++) {
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
        const so = <usize>r * qs + o;
        const cv = F * load<f32>(cPrev + so) + I * g;
        const t = Mathf.tanh(cv), hv = og * t;
        store<f32>(gO + ro, og); store<f32>(gG + ro, g); store<f32>(gI + ro, i); store<f32>(gF + ro, f);
        store<f32>(c + so, cv); store<f32>(tc + so, t); store<f32>(h + so, hv); store<f32>(y + <usize>r * rs + o, hv);
      }
    }
  }
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
  const rs = <usize>ld << 2, qs = <usize>B << 2;
  const chunk = H / C;
  const mI = dpre, mF = dpre + <usize>C * rs, gO = dpre + <usize>(2 * C) * rs;
  const gG = gO + <usize>H * rs, gI = gG + <usize>H * rs, gF = gI + <usize>H * rs;
  const eI = dgate, eF = dgate + <usize>C * qs, eO = dgate + <usize>(2 * C) * qs;
  const eG = eO + <usize>H * qs, eIi = eG + <usize>H * qs, eFf = eIi + <usize>H * qs;
  for (let b = 0; b < B; b++) {
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
