// One ON-LSTM layer (Shen et al. 2019, "Ordered Neurons") over a whole sequence, forward and full
// BPTT backward side by side, as the official `ONLSTMCell` (gate order and formulas in
// assembly/onlstm.ts):
//
//   x [T, B, I], ih [4H + 2C, I] + b_ih, hh [4H + 2C, H] + b_hh, chunk size H / C
//   g_t = ih·x_t + b_ih + hh·h_{t−1} + b_hh → master gates ci = 1 − cumax, cf = cumax over the C
//   chunks, standard gates o, g, i, f; c_t = F·c_{t−1} + I·g; h_t = o·tanh(c_t)
//   → y [T, B, H] (recorded on the tape), hT, cT [B, H] (detached: carried across batches).
//
// The same shape as the LSTM layer (src/ops/lstm.ts): feature-major internals, one input product
// over all T·B columns, per step one recurrent product over B columns plus one fused kernel, and
// in the backward one kernel and one hhᵀ product per step, then whole-sequence weight products.
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor, shapeString } from '../tensor.js';
import { addTransposed, biasGrads, checkArgShape, inputGrad, loadInitialState, recurrentWeightGrad } from './recurrent-common.js';
import { registerOp } from './registry.js';
import { weightOperator, type WeightLike } from './weight-operator.js';

registerOp('onlstm', 'ops/onlstm.ts');

export interface OnLstmWeights {
  /** Input-to-hidden weight [4H + 2C, I] (rows: master input, master forget, o, g, i, f). */
  ih: WeightLike;
  /** Hidden-to-hidden weight [4H + 2C, H]. */
  hh: WeightLike;
  bIh: Tensor;
  bHh: Tensor;
}

export type OnLstmState = {
  h: Tensor;
  c: Tensor;
};

export interface OnLstmResult {
  output: Tensor;
  h: Tensor;
  c: Tensor;
}

const checkShape = (t: Tensor, shape: number[], what: string) => checkArgShape('onlstmLayer', t, shape, what);

/** Number of gate rows of an ON-LSTM weight with H units in chunks of `chunkSize`. */
export function onlstmGateRows(H: number, chunkSize: number): number {
  return 4 * H + 2 * (H / chunkSize);
}

/** Runs one ON-LSTM layer over x [T, B, I] from state (default zeros). H must be a multiple of chunkSize. */
export function onlstmLayer(x: Tensor, weights: OnLstmWeights, chunkSize: number, state?: OnLstmState): OnLstmResult {
  x.assertLive();
  if (x.rank !== 3) throw new RangeError(`selfish-rnn: onlstmLayer: x must be [T, B, I], got ${shapeString(x.shape)}`);
  const [T, B, I] = x.shape as [number, number, number];
  const ih = weightOperator(weights.ih), hh = weightOperator(weights.hh);
  const H = hh.cols, G = hh.rows;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || H % chunkSize !== 0) {
    throw new RangeError(`selfish-rnn: onlstmLayer: the hidden size ${H} must be a multiple of the chunk size, got chunk size ${chunkSize}`);
  }
  const C = H / chunkSize;
  if (G !== 4 * H + 2 * C) throw new RangeError(`selfish-rnn: onlstmLayer: hh must be [4H + 2·H/chunk, H] = [${4 * H + 2 * C}, ${H}], got [${G}, ${H}]`);
  if (ih.rows !== G || ih.cols !== I) {
    throw new RangeError(`selfish-rnn: onlstmLayer: ih must be [${G}, ${I}] for x ${shapeString(x.shape)}, got [${ih.rows}, ${ih.cols}]`);
  }
  checkShape(weights.bIh, [G], 'b_ih');
  checkShape(weights.bHh, [G], 'b_hh');
  if (state) {
    checkShape(state.h, [B, H], 'state.h');
    checkShape(state.c, [B, H], 'state.c');
  }
  const N = T * B, HB = H * B;
  const step = (t: number) => t * B * 4;
  const slot = (t: number) => t * HB * 4;

  // Saved for the backward (owned by the tape from `record` on).
  const xf = new Tensor([I, N]);
  const acts = new Tensor([G, N]); //       ih·X, then master probabilities and gate activations
  const yf = new Tensor([H, N]);
  const cells = new Tensor([T + 1, H, B]); // c_{-1} = c0, c_0, …, c_{T-1}
  const tanhC = new Tensor([T, H, B]);
  const h0f = new Tensor([H, B]);
  // Temporaries.
  const bias = new Tensor([G]);
  const rec = new Tensor([G, B]);
  const hState = new Tensor([H, B]);

  kernels.transpose(xf.ptr, x.ptr, N, I);
  if (N > 0) ih.forward(acts.ptr, xf.ptr, N, 0);
  kernels.add(bias.ptr, weights.bIh.ptr, weights.bHh.ptr, G);
  loadInitialState(state, h0f, cells.ptr, B, H);
  hState.copyFrom(h0f);
  for (let t = 0; t < T; t++) {
    hh.forward(rec.ptr, hState.ptr, B, 0);
    kernels.onlstm_gates_forward(
      acts.ptr + step(t), rec.ptr, bias.ptr, cells.ptr + slot(t), cells.ptr + slot(t + 1), tanhC.ptr + slot(t),
      hState.ptr, yf.ptr + step(t), H, C, B, N,
    );
  }
  const output = new Tensor([T, B, H]);
  kernels.transpose(output.ptr, yf.ptr, H, N);
  const hT = new Tensor([B, H]);
  kernels.transpose(hT.ptr, hState.ptr, H, B);
  const cT = new Tensor([B, H]);
  kernels.transpose(cT.ptr, cells.ptr + slot(T), H, B);
  for (const t of [bias, rec, hState]) t.dispose();

  const inputs = [x, ih.tensor, hh.tensor, weights.bIh, weights.bHh];
  if (state) inputs.push(state.h, state.c);
  record(output, 'onlstm', inputs, (gy, gIn) => {
    if (N === 0) return;
    ih.assertLive('onlstm');
    hh.assertLive('onlstm');
    const [gx, gIh, gHh, gbIh, gbHh] = gIn;
    const gh0 = gIn[5] ?? null, gc0 = gIn[6] ?? null;
    const dyf = new Tensor([H, N], { persistent: true });
    kernels.transpose(dyf.ptr, gy.ptr, N, H);
    const dgate = new Tensor([G, B], { persistent: true });
    const dc = new Tensor([H, B], { persistent: true });
    const dhRec = new Tensor([H, B], { persistent: true });
    kernels.fill(dc.ptr, 0, HB);
    kernels.fill(dhRec.ptr, 0, HB);
    const recurrentProducts = gh0 ? T : T - 1;
    if (recurrentProducts > 0) hh.beginBackward?.();
    for (let t = T - 1; t >= 0; t--) {
      kernels.onlstm_gates_backward(
        acts.ptr + step(t), dgate.ptr, dc.ptr, dyf.ptr + step(t), dhRec.ptr, cells.ptr + slot(t), tanhC.ptr + slot(t), H, C, B, N,
      );
      if (t > 0 || gh0) hh.backwardInput(dhRec.ptr, dgate.ptr, B, 0);
    }
    if (recurrentProducts > 0) hh.endBackward?.();
    if (gh0) addTransposed(gh0, dhRec.ptr, H, B);
    if (gc0) addTransposed(gc0, dc.ptr, H, B);
    for (const t of [dyf, dgate, dc, dhRec]) t.dispose();

    if (gIh) ih.backwardWeight(gIh.ptr, acts.ptr, xf.ptr, N);
    if (gHh) recurrentWeightGrad(hh, gHh, acts.ptr, yf, h0f, H, B, T);
    if (gx) inputGrad(ih, gx, acts.ptr, I, N);
    biasGrads([gbIh, gbHh], acts.ptr, G, N);
  }, [xf, acts, yf, cells, tanhC, h0f]);
  return { output, h: hT, c: cT };
}
