// AWD-LSTM's activation regularisers on the last layer's output h [T, B, H]:
//   AR  = α · mean(h²)               on the *dropped* output (discourages large activations)
//   TAR = β · mean((h_t − h_{t−1})²) on the *raw* output (discourages fast changes over time)
import { mean, mul, scale, slice, sub } from '../ops/index.js';
import { Tensor, shapeString } from '../tensor.js';

export function activationRegularization(hDropped: Tensor, alpha: number): Tensor {
  return scale(mean(mul(hDropped, hDropped)), alpha);
}

export function temporalActivationRegularization(hRaw: Tensor, beta: number): Tensor {
  if (hRaw.rank !== 3 || hRaw.shape[0]! < 2) {
    throw new RangeError(`selfish-rnn: TAR needs [T ≥ 2, B, H], got ${shapeString(hRaw.shape)}`);
  }
  const T = hRaw.shape[0]!;
  const d = sub(slice(hRaw, 0, 1, T), slice(hRaw, 0, 0, T - 1));
  return scale(mean(mul(d, d)), beta);
}
