// Products with a weight, dense or CSR alike, through the weight operator (./weight-operator.ts):
//
//   y = x·Wᵀ + b   (x [N, in], W [out, in], PyTorch's Linear):  dW += gᵀ·x at W's entries,
//                  dx += g·W,  db += Σ_n g[n, :]
//   Y = W·X        (X [K, N] feature-major, as the kernels):     dW += G·Xᵀ at W's entries,
//                  dX += Wᵀ·G
//
// A CSR weight's gradient lands in its values' gradient, aligned to the slots; a dense weight
// gradient is never formed for it. The topology is captured by the backward: do not dispose a
// CSRMatrix between a forward that used it and the backward (the backward checks). A `rebuild`
// leaves the old matrix intact, so rebuilding mid-step is safe; the gradient goes to the old values.
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor, shapeString } from '../tensor.js';
import { registerOp } from './registry.js';
import { weightOperator, type WeightLike } from './weight-operator.js';

registerOp('linear', 'ops/linear.ts');
registerOp('weightMatmul', 'ops/linear.ts');

/** y [N, out] = x [N, in]·Wᵀ (+ bias [out]) for a dense or CSR [out × in] weight. */
export function linear(x: Tensor, w: WeightLike, bias?: Tensor | null): Tensor {
  const W = weightOperator(w);
  W.assertLive();
  x.assertLive();
  const [out, inF] = [W.rows, W.cols];
  if (x.rank !== 2 || x.shape[1] !== inF) {
    throw new RangeError(`selfish-rnn: linear: W is [${out}, ${inF}] (out × in) so x must be [N, ${inF}], got ${shapeString(x.shape)}`);
  }
  const b = bias ?? undefined;
  if (b !== undefined) {
    b.assertLive();
    if (b.rank !== 1 || b.shape[0] !== out) throw new RangeError(`selfish-rnn: linear: bias must be [${out}], got ${shapeString(b.shape)}`);
  }
  const N = x.shape[0]!;
  const y = new Tensor([N, out]);
  W.forwardRows(y.ptr, x.ptr, N, 0);
  if (b !== undefined) kernels.add_row_bcast(y.ptr, y.ptr, b.ptr, N, out);
  const inputs = b !== undefined ? [W.tensor, x, b] : [W.tensor, x];
  return record(y, 'linear', inputs, (g, [gW, gx, gb]) => {
    W.assertLive('linear');
    if (gW) W.backwardWeightRows(gW.ptr, g.ptr, x.ptr, N);
    if (gx) W.backwardInputRows(gx.ptr, g.ptr, N, 1);
    if (gb) kernels.sum_rows_acc(gb.ptr, g.ptr, N, out);
  });
}

/** Y [M, N] = W·X for a dense or CSR [M × K] weight and X a dense [K, N] tensor (feature-major). */
export function weightMatmul(w: WeightLike, X: Tensor): Tensor {
  const W = weightOperator(w);
  W.assertLive();
  X.assertLive();
  if (X.rank !== 2 || X.shape[0] !== W.cols) {
    throw new RangeError(`selfish-rnn: weightMatmul: W is [${W.rows}, ${W.cols}] so X must be [${W.cols}, N], got ${shapeString(X.shape)}`);
  }
  const N = X.shape[1]!;
  const Y = new Tensor([W.rows, N]);
  W.forward(Y.ptr, X.ptr, N, 0);
  return record(Y, 'weightMatmul', [W.tensor, X], (g, [gW, gX]) => {
    W.assertLive('weightMatmul');
    if (gW) W.backwardWeight(gW.ptr, g.ptr, X.ptr, N);
    if (gX) W.backwardInput(gX.ptr, g.ptr, N, 1);
  });
}
