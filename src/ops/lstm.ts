// One fused LSTM layer over a whole sequence, forward and full BPTT backward side by side
// (single layer, PyTorch semantics and gate order i, f, g, o; stacking is the model's job).
//
//   x [T, B, I] (time-major), W_ih [4H, I], W_hh [4H, H], b_ih, b_hh [4H], h0, c0 [B, H]
//   a_t = W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh;  i, f, o = σ(a);  g = tanh(a)
//   c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t);  y_t = h_t
//   → y [T, B, H] (recorded on the tape), hT, cT [B, H] (detached: carried across batches).
//
// Internals are feature-major, the layout of the weight products (./weight-operator.ts):
// X [I × T·B], pre-activations [4H × T·B] and Y [H × T·B] with column t·B + b, per-step state
// [H × B]. x and y are transposed once at the boundary. So the input projection is ONE product
// over all T·B columns, each step adds one recurrent product over B columns and one fused gate
// kernel (assembly/lstm.ts), and the backward does the same in reverse: one gate-backward kernel
// and one W_hhᵀ product per step, then dW_ih, dW_hh, dX and the bias gradient as single
// products/reductions over all T·B columns.
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor, shapeString } from '../tensor.js';
import { addTransposed, biasGrads, checkArgShape, inputGrad, loadInitialState, recurrentWeightGrad } from './recurrent-common.js';
import { registerOp } from './registry.js';
import { weightOperator, type WeightLike } from './weight-operator.js';

registerOp('lstm', 'ops/lstm.ts');

export interface LstmWeights {
  /** Input-to-hidden weight [4H, I]: dense, CSR, or a weight operator (./weight-operator.ts). */
  wIh: WeightLike;
  /** Hidden-to-hidden weight [4H, H]. */
  wHh: WeightLike;
  bIh: Tensor;
  bHh: Tensor;
}

export type LstmState = {
  h: Tensor;
  c: Tensor;
};

export interface LstmResult {
  /** All hidden states, [T, B, H]. */
  output: Tensor;
  /** Final hidden state [B, H], without autodiff history. */
  h: Tensor;
  /** Final cell state [B, H], without autodiff history. */
  c: Tensor;
}

const checkShape = (t: Tensor, shape: number[], what: string) => checkArgShape('lstmLayer', t, shape, what);

/** Runs one LSTM layer over x [T, B, I] from state (default zeros). */
export function lstmLayer(x: Tensor, weights: LstmWeights, state?: LstmState): LstmResult {
  x.assertLive();
  if (x.rank !== 3) throw new RangeError(`selfish-rnn: lstmLayer: x must be [T, B, I], got ${shapeString(x.shape)}`);
  const [T, B, I] = x.shape as [number, number, number];
  const wIh = weightOperator(weights.wIh), wHh = weightOperator(weights.wHh);
  const G = wHh.rows, H = wHh.cols;
  if (G !== 4 * H) throw new RangeError(`selfish-rnn: lstmLayer: W_hh must be [4H, H], got [${G}, ${H}]`);
  if (wIh.rows !== G || wIh.cols !== I) {
    throw new RangeError(`selfish-rnn: lstmLayer: W_ih must be [4H, I] = [${G}, ${I}] for x ${shapeString(x.shape)} and H = ${H}, got [${wIh.rows}, ${wIh.cols}]`);
  }
  checkShape(weights.bIh, [G], 'b_ih');
  checkShape(weights.bHh, [G], 'b_hh');
  if (state) {
    checkShape(state.h, [B, H], 'state.h');
    checkShape(state.c, [B, H], 'state.c');
  }
  const N = T * B, HB = H * B;
  const step = (t: number) => t * B * 4; // byte offset of step t's columns in a [R × T·B] matrix
  const slot = (t: number) => t * HB * 4; // byte offset of step t's block in a [T, H, B] array

  // Saved for the backward: owned by the tape from `record` on.
  const xf = new Tensor([I, N]); //         X, feature-major
  const acts = new Tensor([G, N]); //       W_ih·X, then gate activations i, f, g, o in place
  const yf = new Tensor([H, N]); //         h_t for every step, feature-major
  const cells = new Tensor([T + 1, H, B]); // c_{-1} = c0, c_0, …, c_{T-1}
  const tanhC = new Tensor([T, H, B]);
  const h0f = new Tensor([H, B]);
  // Temporaries.
  const bias = new Tensor([G]);
  const rec = new Tensor([G, B]);
  const hState = new Tensor([H, B]);

  kernels.transpose(xf.ptr, x.ptr, N, I);
  wIh.forward(acts.ptr, xf.ptr, N, 0);
  kernels.add(bias.ptr, weights.bIh.ptr, weights.bHh.ptr, G);
  loadInitialState(state, h0f, cells.ptr, B, H);
  hState.copyFrom(h0f);
  for (let t = 0; t < T; t++) {
    wHh.forward(rec.ptr, hState.ptr, B, 0);
    kernels.lstm_gates_forward(
      acts.ptr + step(t), rec.ptr, bias.ptr, cells.ptr + slot(t), cells.ptr + slot(t + 1), tanhC.ptr + slot(t),
      hState.ptr, yf.ptr + step(t), H, B, N,
    );
  }

  const output = new Tensor([T, B, H]);
  kernels.transpose(output.ptr, yf.ptr, H, N);
  const hT = new Tensor([B, H]);
  kernels.transpose(hT.ptr, hState.ptr, H, B);
  const cT = new Tensor([B, H]);
  kernels.transpose(cT.ptr, cells.ptr + slot(T), H, B);
  for (const t of [bias, rec, hState]) t.dispose();

  const saved = [xf, acts, yf, cells, tanhC, h0f];
  const inputs = [x, wIh.tensor, wHh.tensor, weights.bIh, weights.bHh];
  if (state) inputs.push(state.h, state.c);

  record(output, 'lstm', inputs, (gy, gIn) => {
    if (N === 0) return; // no step ran: every gradient is zero
    const [gx, gWih, gWhh, gbIh, gbHh] = gIn;
    const gh0 = gIn[5] ?? null, gc0 = gIn[6] ?? null;
    const dyf = new Tensor([H, N]);
    kernels.transpose(dyf.ptr, gy.ptr, N, H);
    const dgate = new Tensor([G, B]); // this step's d(pre-activation), contiguous for W_hhᵀ
    const dc = new Tensor([H, B]); //    dL/dc_t flowing back through the cell
    const dhRec = new Tensor([H, B]); // dL/dh_t flowing back through W_hh
    kernels.fill(dc.ptr, 0, HB);
    kernels.fill(dhRec.ptr, 0, HB);
    // BPTT. `acts` becomes dPre in place: step t's activations are dead once its backward ran.
    const dPre = acts;
    const recurrentProducts = gh0 ? T : T - 1;
    if (recurrentProducts > 0) wHh.beginBackward?.();
    for (let t = T - 1; t >= 0; t--) {
      kernels.lstm_gates_backward(
        dPre.ptr + step(t), dgate.ptr, dc.ptr, dyf.ptr + step(t), dhRec.ptr, acts.ptr + step(t),
        cells.ptr + slot(t), tanhC.ptr + slot(t), H, B, N,
      );
      if (t > 0 || gh0) wHh.backwardInput(dhRec.ptr, dgate.ptr, B, 0);
    }
    if (recurrentProducts > 0) wHh.endBackward?.();
    if (gh0) addTransposed(gh0, dhRec.ptr, H, B);
    if (gc0) addTransposed(gc0, dc.ptr, H, B);
    for (const t of [dyf, dgate, dc, dhRec]) t.dispose();

    // Whole-sequence products over all T·B columns.
    if (gWih) wIh.backwardWeight(gWih.ptr, dPre.ptr, xf.ptr, N);
    if (gWhh) recurrentWeightGrad(wHh, gWhh, dPre.ptr, yf, h0f, H, B, T);
    if (gx) inputGrad(wIh, gx, dPre.ptr, I, N);
    biasGrads([gbIh, gbHh], dPre.ptr, G, N);
  }, saved);
  return { output, h: hT, c: cT };
}
