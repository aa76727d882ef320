// Pieces shared by the fused recurrent layers (lstm.ts, onlstm.ts, rhn.ts): shape checks and the
// whole-sequence backward steps that do not depend on the cell. Their feature-major layout is the
// one described in lstm.ts.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { Tensor, shapeString } from '../tensor.js';
import type { WeightOperator } from './weight-operator.js';

/** Throws a RangeError naming the op and the argument unless t is live and has exactly `shape`. */
export function checkArgShape(op: string, t: Tensor, shape: number[], what: string): void {
  t.assertLive();
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`selfish-rnn: ${op}: ${what} must have shape ${shapeString(shape)}, got ${shapeString(t.shape)}`);
  }
}

/** Transposes the [rows × cols] matrix at `src` and adds it into the [cols × rows] tensor `dst`. */
export function addTransposed(dst: Tensor, src: number, rows: number, cols: number): void {
  const t = new Tensor([cols, rows], { persistent: true });
  kernels.transpose(t.ptr, src, rows, cols);
  kernels.axpy(dst.ptr, t.ptr, 1, t.size);
  t.dispose();
}

/**
 * grad += dPre·H_prevᵀ for a hidden-to-hidden weight, where H_prev [H × T·B] holds h_{t−1} in
 * column block t: the outputs yf [H × T·B] shifted right by one step, h0f [H × B] first.
 */
export function recurrentWeightGrad(w: WeightOperator, grad: Tensor, dPre: number, yf: Tensor, h0f: Tensor, H: number, B: number, T: number): void {
  const N = T * B;
  const hPrev = new Tensor([H, N], { persistent: true });
  const f = heap.f32();
  for (let r = 0; r < H; r++) {
    const dst = (hPrev.ptr >>> 2) + r * N;
    f.copyWithin(dst, (h0f.ptr >>> 2) + r * B, (h0f.ptr >>> 2) + (r + 1) * B);
    if (T > 1) f.copyWithin(dst + B, (yf.ptr >>> 2) + r * N, (yf.ptr >>> 2) + r * N + N - B);
  }
  w.backwardWeight(grad.ptr, dPre, hPrev.ptr, N);
  hPrev.dispose();
}

/** gx [T, B, I] += (Wᵀ·dPre)ᵀ for the input weight of a layer (dPre [rows × T·B]). */
export function inputGrad(w: WeightOperator, gx: Tensor, dPre: number, I: number, N: number): void {
  const dxf = new Tensor([I, N], { persistent: true });
  w.beginBackward?.();
  w.backwardInput(dxf.ptr, dPre, N, 0);
  w.endBackward?.();
  addTransposed(gx, dxf.ptr, I, N);
  dxf.dispose();
}

/** Adds Σ over the T·B columns of dPre [G × N] into each given bias gradient (b_ih and b_hh alike). */
export function biasGrads(grads: readonly (Tensor | null | undefined)[], dPre: number, G: number, N: number): void {
  const live = grads.filter((g): g is Tensor => !!g);
  if (live.length === 0) return;
  const db = new Tensor([G], { persistent: true });
  kernels.fill(db.ptr, 0, G);
  kernels.lstm_bias_backward(db.ptr, dPre, G, N);
  for (const g of live) kernels.axpy(g.ptr, db.ptr, 1, G);
  db.dispose();
}

/**
 * Loads a layer's carried state (token-major h, c [B, H]) feature-major into h0f [H, B] and the
 * first cell slot at `c0`, or zeros without a state.
 */
export function loadInitialState(state: { h: Tensor; c: Tensor } | undefined, h0f: Tensor, c0: number, B: number, H: number): void {
  if (state) {
    kernels.transpose(h0f.ptr, state.h.ptr, B, H);
    kernels.transpose(c0, state.c.ptr, B, H);
  } else {
    kernels.fill(h0f.ptr, 0, H * B);
    kernels.fill(c0, 0, H * B);
  }
}
