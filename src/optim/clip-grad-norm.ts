// Global-norm gradient clipping with the semantics of torch.nn.utils.clip_grad_norm_ (L2 norm):
//   total = sqrt(Σ_params ‖grad‖²);  coef = maxNorm / (total + 1e-6);  if coef < 1: grad ← coef·grad
// (coef < 1 ⟺ total > maxNorm − 1e-6.) Parameters without a gradient are skipped. The sum of
// squares is accumulated in f64 (kernels.sum_squares), so the norm is at least as accurate as
// PyTorch's f32 one. A NaN or infinite norm is returned as it is and the gradients are left
// untouched, for the caller to report (PyTorch 1.x would zero every gradient on an infinite norm).
// Selfish-RNN clips the dense gradient including masked positions (clip 0.25). With CSR values only
// the stored weights have gradients; `extraSquares` adds the squared gradient of the absent
// positions (measured during the backward by src/ops/dense-grad-norm.ts), so the norm and the
// clip coefficient are the official ones while only existing gradients are scaled.
//
// Every listed parameter must be live: a list taken before its tensors were disposed would
// otherwise clip only the survivors and return a wrong norm.
import { kernels } from '../backend/wasm.js';
import { Tensor, shapeString } from '../tensor.js';

/** Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, extraSquares = 0): number {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new RangeError(`selfish-rnn: clipGradNorm: maxNorm must be ≥ 0, got ${String(maxNorm)}`);
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`selfish-rnn: clipGradNorm expects an iterable of parameter Tensors (e.g. model.parameters()), got ${params === null ? 'null' : typeof params}`);
  }
  const grads = new Set<Tensor>(); // a tensor listed twice (tied weights) counts once
  let k = 0;
  for (const p of params) {
    if (!(p instanceof Tensor)) throw new TypeError(`selfish-rnn: clipGradNorm: parameter ${k} is not a Tensor (got ${typeof p})`);
    if (p.isDisposed) {
      throw new Error(`selfish-rnn: clipGradNorm: parameter ${k}${p.name ? ` '${p.name}'` : ''} ${shapeString(p.shape)} was disposed; pass the model's current parameters (model.parameters())`);
    }
    if (p.grad !== null && !p.grad.isDisposed) grads.add(p.grad);
    k++;
  }
  if (!(extraSquares >= 0) && !Number.isNaN(extraSquares)) throw new RangeError(`selfish-rnn: clipGradNorm: extraSquares must be ≥ 0, got ${extraSquares}`);
  let squares = extraSquares;
  for (const g of grads) squares += kernels.sum_squares(g.ptr, g.size);
  const total = Math.sqrt(squares);
  if (!Number.isFinite(total)) return total;
  const coef = clipCoefficient(total, maxNorm);
  if (coef < 1) for (const g of grads) kernels.scale(g.ptr, g.ptr, coef, g.size);
  return total;
}

/** The factor clipGradNorm scales every gradient by, given the norm it returned: min(1, maxNorm/(total + 1e-6)). */
export function clipCoefficient(total: number, maxNorm: number): number {
  const coef = maxNorm / (total + 1e-6);
  return coef < 1 ? coef : 1;
}
