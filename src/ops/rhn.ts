// One Recurrent Highway Network layer (Zilly et al. 2017) over a whole sequence, forward and full
// BPTT backward side by side, as the official Selfish-RNN `RecurrentHighway` with `--couple`:
//
//   x [T, B, I] (time-major), W [2H, I] + bW (block 0 only), R_l [2H, H] + bR_l for l < D,
//   s0 [B, H], hidden-dropout mask m [B, H] (one per sequence, shared by every step and depth)
//   per step t: s ← s_{t−1};  for l = 0 … D−1:
//       a = [l = 0] (W·x_t + bW) + R_l·(s ⊙ m) + bR_l;  h = tanh(a_H);  t = σ(a_T)   (H, T halves)
//       s ← h·t + s·(1 − t)                                     (coupled carry c = 1 − t)
//   y_t = s → y [T, B, H] (recorded on the tape), sT [B, H] (detached: carried across batches).
//
// Internals are feature-major like the LSTM's (src/ops/lstm.ts): the input projection W·X is one
// product over all T·B columns, each block of each step is one recurrent product R_l·(s ⊙ m) over
// B columns plus one fused kernel (assembly/rhn.ts), and the backward does the same in reverse;
// the weight gradients are then one product per matrix over all T·B columns.
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor, shapeString } from '../tensor.js';
import { addTransposed, checkArgShape, inputGrad } from './recurrent-common.js';
import { registerOp } from './registry.js';
import { weightOperator, type WeightLike } from './weight-operator.js';

registerOp('rhn', 'ops/rhn.ts');

export interface RhnWeights {
  /** Input matrix of block 0, [2H, I]: rows [0, H) the H half, [H, 2H) the T half. */
  w: WeightLike;
  bW: Tensor;
  /** Recurrent matrices, one per depth, each [2H, H]. */
  r: WeightLike[];
  bR: Tensor[];
}

export interface RhnResult {
  /** The state after the last block of every step, [T, B, H]. */
  output: Tensor;
  /** Final state [B, H], without autodiff history. */
  s: Tensor;
}

const checkShape = (t: Tensor, shape: number[], what: string) => checkArgShape('rhnLayer', t, shape, what);

/**
 * Runs one RHN layer over x [T, B, I] from state s0 (default zeros). `mask` [B, H] is the
 * variational hidden-dropout mask applied to the state entering every recurrent product (a
 * constant: {0, 1/(1−p)} in training; omit it for no dropout).
 */
export function rhnLayer(x: Tensor, weights: RhnWeights, s0?: Tensor, mask?: Tensor): RhnResult {
  x.assertLive();
  if (x.rank !== 3) throw new RangeError(`selfish-rnn: rhnLayer: x must be [T, B, I], got ${shapeString(x.shape)}`);
  const [T, B, I] = x.shape as [number, number, number];
  const W = weightOperator(weights.w);
  const R = weights.r.map((w) => weightOperator(w));
  const D = R.length;
  if (D === 0) throw new RangeError('selfish-rnn: rhnLayer: the recurrence depth (number of R matrices) must be at least 1');
  if (weights.bR.length !== D) throw new RangeError(`selfish-rnn: rhnLayer: ${weights.bR.length} recurrent biases for ${D} recurrent matrices`);
  const H = R[0]!.cols, G = 2 * H;
  R.forEach((r, l) => {
    if (r.rows !== G || r.cols !== H) throw new RangeError(`selfish-rnn: rhnLayer: R_${l} must be [2H, H] = [${G}, ${H}], got [${r.rows}, ${r.cols}]`);
  });
  if (W.rows !== G || W.cols !== I) {
    throw new RangeError(`selfish-rnn: rhnLayer: W must be [2H, I] = [${G}, ${I}] for x ${shapeString(x.shape)} and H = ${H}, got [${W.rows}, ${W.cols}]`);
  }
  checkShape(weights.bW, [G], 'bW');
  weights.bR.forEach((b, l) => checkShape(b, [G], `bR_${l}`));
  if (s0) checkShape(s0, [B, H], 's0');
  if (mask) checkShape(mask, [B, H], 'mask');
  const N = T * B, HB = H * B;
  const col = (t: number) => t * B * 4; // byte offset of step t's columns in an [R × T·B] matrix
  const actBytes = 3 * H * N * 4; //        one block's saved act matrix [3H × T·B]

  // Saved for the backward (owned by the tape from `record` on).
  const xf = new Tensor([I, N]);
  const acts = new Tensor([D, 3 * H, N]); // per block: h, t, s_prev rows; dPre in place later
  const maskF = new Tensor([H, B]);
  // Temporaries.
  const bias0 = new Tensor([G]);
  const rec = new Tensor([G, B]);
  const yf = new Tensor([H, N]);
  let cur = new Tensor([H, B]);
  let next = new Tensor([H, B]);
  const sm = new Tensor([H, B]);

  kernels.transpose(xf.ptr, x.ptr, N, I);
  if (N > 0) W.forward(acts.ptr, xf.ptr, N, 0); // block 0's rows [0, 2H) = W·X
  kernels.add(bias0.ptr, weights.bW.ptr, weights.bR[0]!.ptr, G);
  if (s0) kernels.transpose(cur.ptr, s0.ptr, B, H);
  else kernels.fill(cur.ptr, 0, HB);
  if (mask) kernels.transpose(maskF.ptr, mask.ptr, B, H);
  else kernels.fill(maskF.ptr, 1, HB);
  kernels.mul(sm.ptr, cur.ptr, maskF.ptr, HB);
  for (let t = 0; t < T; t++) {
    for (let l = 0; l < D; l++) {
      R[l]!.forward(rec.ptr, sm.ptr, B, 0);
      kernels.rhn_block_forward(
        acts.ptr + l * actBytes + col(t), rec.ptr, l === 0 ? bias0.ptr : weights.bR[l]!.ptr, cur.ptr, maskF.ptr, next.ptr, sm.ptr,
        yf.ptr + col(t), l === 0 ? 1 : 0, l === D - 1 ? 1 : 0, H, B, N,
      );
      [cur, next] = [next, cur];
    }
  }
  const output = new Tensor([T, B, H]);
  kernels.transpose(output.ptr, yf.ptr, H, N);
  const sT = new Tensor([B, H]);
  kernels.transpose(sT.ptr, cur.ptr, H, B);
  for (const t of [bias0, rec, yf, cur, next, sm]) t.dispose();

  const inputs = [x, W.tensor, weights.bW, ...R.map((r) => r.tensor), ...weights.bR];
  if (s0) inputs.push(s0);
  record(output, 'rhn', inputs, (gy, gIn) => {
    if (N === 0) return; // no step ran: every gradient is zero
    W.assertLive('rhn');
    R.forEach((r) => r.assertLive('rhn'));
    const [gx, gW, gbW] = gIn;
    const gR = gIn.slice(3, 3 + D), gbR = gIn.slice(3 + D, 3 + 2 * D);
    const gs0 = s0 ? gIn[3 + 2 * D] ?? null : null;
    const dyf = new Tensor([H, N], { persistent: true });
    kernels.transpose(dyf.ptr, gy.ptr, N, H);
    const dgate = new Tensor([G, B], { persistent: true });
    const ds = new Tensor([H, B], { persistent: true }); //  dL/d(state) flowing back through the blocks
    const dsm = new Tensor([H, B], { persistent: true }); // dL/d(state ⊙ mask) from a recurrent product
    kernels.fill(ds.ptr, 0, HB);
    for (const r of R) r.beginBackward?.();
    for (let t = T - 1; t >= 0; t--) {
      for (let l = D - 1; l >= 0; l--) {
        kernels.rhn_block_backward(acts.ptr + l * actBytes + col(t), dgate.ptr, ds.ptr, dyf.ptr + col(t), l === D - 1 ? 1 : 0, H, B, N);
        if (t > 0 || l > 0 || gs0) {
          R[l]!.backwardInput(dsm.ptr, dgate.ptr, B, 0);
          kernels.mul_acc(ds.ptr, dsm.ptr, maskF.ptr, HB);
        }
      }
    }
    for (const r of R) r.endBackward?.();
    if (gs0) addTransposed(gs0, ds.ptr, H, B);
    for (const t of [dyf, dgate, ds, dsm]) t.dispose();

    // Whole-sequence products over all T·B columns: rows [0, 2H) of each act block are dPre.
    const smAll = new Tensor([H, N], { persistent: true });
    for (let l = 0; l < D; l++) {
      const dPre = acts.ptr + l * actBytes;
      const g = gR[l], gb = gbR[l];
      if (g) {
        kernels.rhn_mask_columns(smAll.ptr, dPre + 2 * H * N * 4, N, maskF.ptr, H, B, T);
        R[l]!.backwardWeight(g.ptr, dPre, smAll.ptr, N);
      }
      if (gb) kernels.lstm_bias_backward(gb.ptr, dPre, G, N);
    }
    smAll.dispose();
    if (gW) W.backwardWeight(gW.ptr, acts.ptr, xf.ptr, N);
    if (gbW) kernels.lstm_bias_backward(gbW.ptr, acts.ptr, G, N);
    if (gx) inputGrad(W, gx, acts.ptr, I, N);
  }, [xf, acts, maskF]);
  return { output, s: sT };
}
