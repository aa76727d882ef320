// Fused element-wise kernels of the LSTM layer (src/ops/lstm.ts): one forward and one backward
// per time step, plus the bias-gradient reduction. The matrix products are not here: they go
// through the weight's own kernels (dense GEMM, later CSR SpMM).
//
// Layout is feature-major: a "[R × B] block" is R rows of B contiguous floats (one per batch
// column), so the f32x4 lanes run over the batch, like the GEMM/SpMM N dimension. A block whose
// rows are `ld` floats apart is one time step's columns inside a [R × T·B] matrix (ld = T·B).
// Gate rows are in PyTorch order: i = rows [0, H), f = [H, 2H), g = [2H, 3H), o = [3H, 4H).
// Pointers are byte offsets; no alignment is required. Outputs may alias inputs only where a
// kernel says so, and then exactly.
//
// Activations: the SIMD build uses the vector sigmoid/tanh of simd-math.ts (the same functions
// as the element-wise kernels; accuracy documented there, ≈ 1–2 ulp), the scalar build and the
// B mod 4 tail columns Mathf. The backward needs no transcendental: it uses the saved activations.

import { sigmoid4 as sigmoidv, tanh4 as tanhv, one4 } from './simd-math';
import { partLo } from './scratch';

@inline function ld4(p: usize): v128 { return v128.load(p); }
@inline function st4(p: usize, v: v128): void { v128.store(p, v); }

// ---- activations ------------------------------------------------------------------------------

@inline function sigmoid1(x: f32): f32 {
  if (x >= 0) return 1 / (1 + Mathf.exp(-x));
  const e = Mathf.exp(x);
  return e / (1 + e);
}

// ---- one time step, forward ---------------------------------------------------------------------

/**
 * The element-wise part of one LSTM step (H hidden units, B batch columns):
 *   a = pre + rec + bias (per gate row);  i, f, o = σ(a_i, a_f, a_o);  g = tanh(a_g)
 *   c = f ⊙ cPrev + i ⊙ g;  tc = tanh(c);  h = o ⊙ tc
 * pre   [4H rows, stride ld]  in: W_ih·x_t (input projection); out: i, f, g, o (in place, saved
 *                             for the backward).
 * rec   [4H × B]              W_hh·h_{t-1}.
 * bias  [4H]                  b_ih + b_hh.
 * cPrev [H × B] in; c, tc, h [H × B] out. y [H rows, stride ld] out: a second copy of h, into
 * the layer's [H × T·B] output matrix. c must not alias cPrev; h may alias nothing but itself.
 */
function gatesForwardRows(
  pre: usize, rec: usize, bias: usize, cPrev: usize, c: usize, tc: usize, h: usize, y: usize,
  H: i32, B: i32, ld: i32, r0: i32, r1: i32,
): void {
  const rowS = <usize>ld << 2, rowB = <usize>B << 2, gateS = <usize>H * rowS, gateB = <usize>H * rowB;
  for (let r = r0; r < r1; r++) {
    const pI = pre + <usize>r * rowS, pF = pI + gateS, pG = pF + gateS, pO = pG + gateS;
    const qI = rec + <usize>r * rowB, qF = qI + gateB, qG = qF + gateB, qO = qG + gateB;
    const hb = <usize>r << 2;
    const bI = load<f32>(bias + hb), bF = load<f32>(bias + hb + (<usize>H << 2));
    const bG = load<f32>(bias + hb + (<usize>H << 3)), bO = load<f32>(bias + hb + <usize>H * 12);
    const so = <usize>r * rowB, yo = y + <usize>r * rowS;
    let b = 0;
    if (ASC_FEATURE_SIMD) {
      const vbI = f32x4.splat(bI), vbF = f32x4.splat(bF), vbG = f32x4.splat(bG), vbO = f32x4.splat(bO);
      for (; b + 4 <= B; b += 4) {
        const o = <usize>b << 2;
        const i = sigmoidv(f32x4.add(f32x4.add(ld4(pI + o), ld4(qI + o)), vbI));
        const f = sigmoidv(f32x4.add(f32x4.add(ld4(pF + o), ld4(qF + o)), vbF));
        const g = tanhv(f32x4.add(f32x4.add(ld4(pG + o), ld4(qG + o)), vbG));
        const og = sigmoidv(f32x4.add(f32x4.add(ld4(pO + o), ld4(qO + o)), vbO));
        const cv = f32x4.add(f32x4.mul(f, ld4(cPrev + so + o)), f32x4.mul(i, g));
        const t = tanhv(cv);
        const hv = f32x4.mul(og, t);
        st4(pI + o, i); st4(pF + o, f); st4(pG + o, g); st4(pO + o, og);
        st4(c + so + o, cv); st4(tc + so + o, t); st4(h + so + o, hv); st4(yo + o, hv);
      }
    }
    for (; b < B; b++) {
      const o = <usize>b << 2;
      const i = sigmoid1(load<f32>(pI + o) + load<f32>(qI + o) + bI);
      const f = sigmoid1(load<f32>(pF + o) + load<f32>(qF + o) + bF);
      const g = Mathf.tanh(load<f32>(pG + o) + load<f32>(qG + o) + bG);
      const og = sigmoid1(load<f32>(pO + o) + load<f32>(qO + o) + bO);
      const cv = f * load<f32>(cPrev + so + o) + i * g;
      const t = Mathf.tanh(cv);
      const hv = og * t;
      store<f32>(pI + o, i); store<f32>(pF + o, f); store<f32>(pG + o, g); store<f32>(pO + o, og);
      store<f32>(c + so + o, cv); store<f32>(tc + so + o, t); store<f32>(h + so + o, hv); store<f32>(yo + o, hv);
    }
  }
}

// ---- one time step, backward --------------------------------------------------------------------

/**
 * Inverts lstm_gates_forward for one step, from the saved activations:
 *   dh  = dy + dhRec                     (from the output, and from step t+1 through W_hh)
 *   dcT = dc + dh ⊙ o ⊙ (1 − tc²)        (dc: from step t+1 through the cell)
 *   do = dh ⊙ tc ⊙ o(1−o);  di = dcT ⊙ g ⊙ i(1−i);  dg = dcT ⊙ i ⊙ (1−g²);  df = dcT ⊙ cPrev ⊙ f(1−f)
 *   dc ← dcT ⊙ f                         (in place: becomes dL/dc_{t-1})
 * acts  [4H rows, stride ld]  i, f, g, o saved by the forward.
 * dpre  [4H rows, stride ld]  out: dL/d(pre-activation); may alias acts exactly (in place).
 * dgate [4H × B]              out: the same values, contiguous, for the recurrent product W_hhᵀ·dpre.
 * dc    [H × B]               in/out, see above.
 * dy    [H rows, stride ld]   dL/dh_t from the layer output. dhRec, cPrev, tc [H × B].
 */
function gatesBackwardRows(
  dpre: usize, dgate: usize, dc: usize, dy: usize, dhRec: usize, acts: usize, cPrev: usize, tc: usize,
  H: i32, B: i32, ld: i32, r0: i32, r1: i32,
): void {
  const rowS = <usize>ld << 2, rowB = <usize>B << 2, gateS = <usize>H * rowS, gateB = <usize>H * rowB;
  for (let r = r0; r < r1; r++) {
    const aI = acts + <usize>r * rowS, aF = aI + gateS, aG = aF + gateS, aO = aG + gateS;
    const dI = dpre + <usize>r * rowS, dF = dI + gateS, dG = dF + gateS, dO = dG + gateS;
    const eI = dgate + <usize>r * rowB, eF = eI + gateB, eG = eF + gateB, eO = eG + gateB;
    const so = <usize>r * rowB, yo = dy + <usize>r * rowS;
    let b = 0;
    if (ASC_FEATURE_SIMD) {
      const one = one4();
      for (; b + 4 <= B; b += 4) {
        const o = <usize>b << 2;
        const i = ld4(aI + o), f = ld4(aF + o), g = ld4(aG + o), og = ld4(aO + o);
        const t = ld4(tc + so + o);
        const dh = f32x4.add(ld4(yo + o), ld4(dhRec + so + o));
        const dcT = f32x4.add(ld4(dc + so + o), f32x4.mul(f32x4.mul(dh, og), f32x4.sub(one, f32x4.mul(t, t))));
        const vdo = f32x4.mul(f32x4.mul(dh, t), f32x4.mul(og, f32x4.sub(one, og)));
        const vdi = f32x4.mul(f32x4.mul(dcT, g), f32x4.mul(i, f32x4.sub(one, i)));
        const vdg = f32x4.mul(f32x4.mul(dcT, i), f32x4.sub(one, f32x4.mul(g, g)));
        const vdf = f32x4.mul(f32x4.mul(dcT, ld4(cPrev + so + o)), f32x4.mul(f, f32x4.sub(one, f)));
        st4(dc + so + o, f32x4.mul(dcT, f));
        st4(dI + o, vdi); st4(dF + o, vdf); st4(dG + o, vdg); st4(dO + o, vdo);
        st4(eI + o, vdi); st4(eF + o, vdf); st4(eG + o, vdg); st4(eO + o, vdo);
      }
    }
    for (; b < B; b++) {
      const o = <usize>b << 2;
      const i = load<f32>(aI + o), f = load<f32>(aF + o), g = load<f32>(aG + o), og = load<f32>(aO + o);
      const t = load<f32>(tc + so + o);
      const dh = load<f32>(yo + o) + load<f32>(dhRec + so + o);
      const dcT = load<f32>(dc + so + o) + dh * og * (1 - t * t);
      const vdo = dh * t * (og * (1 - og));
      const vdi = dcT * g * (i * (1 - i));
      const vdg = dcT * i * (1 - g * g);
      const vdf = dcT * load<f32>(cPrev + so + o) * (f * (1 - f));
      store<f32>(dc + so + o, dcT * f);
      store<f32>(dI + o, vdi); store<f32>(dF + o, vdf); store<f32>(dG + o, vdg); store<f32>(dO + o, vdo);
      store<f32>(eI + o, vdi); store<f32>(eF + o, vdf); store<f32>(eG + o, vdg); store<f32>(eO + o, vdo);
    }
  }
}

// ---- exported entry points and thread shares (a range of the H hidden units each) ----

export function lstm_gates_forward(
  pre: usize, rec: usize, bias: usize, cPrev: usize, c: usize, tc: usize, h: usize, y: usize,
  H: i32, B: i32, ld: i32,
): void {
  gatesForwardRows(pre, rec, bias, cPrev, c, tc, h, y, H, B, ld, 0, H);
}

export function lstm_gates_forward_part(
  pre: usize, rec: usize, bias: usize, cPrev: usize, c: usize, tc: usize, h: usize, y: usize,
  H: i32, B: i32, ld: i32, part: i32, parts: i32,
): void {
  gatesForwardRows(pre, rec, bias, cPrev, c, tc, h, y, H, B, ld, partLo(H, part, parts), partLo(H, part + 1, parts));
}

export function lstm_gates_backward(
  dpre: usize, dgate: usize, dc: usize, dy: usize, dhRec: usize, acts: usize, cPrev: usize, tc: usize,
  H: i32, B: i32, ld: i32,
): void {
  gatesBackwardRows(dpre, dgate, dc, dy, dhRec, acts, cPrev, tc, H, B, ld, 0, H);
}

export function lstm_gates_backward_part(
  dpre: usize, dgate: usize, dc: usize, dy: usize, dhRec: usize, acts: usize, cPrev: usize, tc: usize,
  H: i32, B: i32, ld: i32, part: i32, parts: i32,
): void {
  gatesBackwardRows(dpre, dgate, dc, dy, dhRec, acts, cPrev, tc, H, B, ld, partLo(H, part, parts), partLo(H, part + 1, parts));
}

/** db[r] += Σ_j dpre[r, j] for a [rows × cols] matrix: the bias gradient over all T·B columns. */
export function lstm_bias_backward(db: usize, dpre: usize, rows: i32, cols: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const p = dpre + <usize>r * rb;
    let s: f32 = 0;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      let v0 = f32x4.splat(0), v1 = f32x4.splat(0);
      for (; j + 8 <= cols; j += 8) { const o = <usize>j << 2; v0 = f32x4.add(v0, ld4(p + o)); v1 = f32x4.add(v1, ld4(p + o + 16)); }
      for (; j + 4 <= cols; j += 4) v0 = f32x4.add(v0, ld4(p + (<usize>j << 2)));
      v0 = f32x4.add(v0, v1);
      s = f32x4.extract_lane(v0, 0) + f32x4.extract_lane(v0, 1) + f32x4.extract_lane(v0, 2) + f32x4.extract_lane(v0, 3);
    }
    for (; j < cols; j++) s += load<f32>(p + (<usize>j << 2));
    const o = <usize>r << 2;
    store<f32>(db + o, load<f32>(db + o) + s);
  }
}
