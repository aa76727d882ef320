// Inverted dropout: keep each element with probability 1 − p and scale it by 1/(1 − p), so
// evaluation needs no rescaling. The mask comes from the seeded generator and is saved for
// the backward (which is the same multiplication).
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { globalRandom, type Random } from '../random.js';
import { checkOptions } from '../config/options.js';
import { Tensor } from '../tensor.js';
import { expectTensor } from './args.js';
import { registerOp } from './registry.js';

registerOp('dropout', 'ops/dropout.ts');

/** A {0, 1/(1−p)} mask of the given shape. */
export function dropoutMask(shape: readonly number[], p: number, rng: Random = globalRandom): Tensor {
  const m = new Tensor(shape);
  const d = m.data;
  const keep = 1 / (1 - p);
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform() >= p ? keep : 0;
  return m;
}

export interface DropoutOptions {
  /** Apply only in training mode (default true); in eval mode dropout is the identity. */
  training?: boolean;
  rng?: Random;
}

export function dropout(a: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  expectTensor(a, 'dropout', 'the input');
  checkOptions('dropout', opts, ['training', 'rng']);
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new RangeError(`selfish-rnn: dropout probability must be in [0, 1), got ${p}`);
  const training = opts.training ?? true;
  const mask = training && p > 0 ? dropoutMask(a.shape, p, opts.rng) : null;
  const out = new Tensor(a.shape);
  if (mask) kernels.mul(out.ptr, a.ptr, mask.ptr, a.size);
  else out.copyFrom(a);
  return record(out, 'dropout', [a], (g, [ga]) => {
    if (!ga) return;
    if (mask) kernels.mul_acc(ga.ptr, g.ptr, mask.ptr, g.size);
    else kernels.axpy(ga.ptr, g.ptr, 1, g.size);
  }, mask ? [mask] : []);
}
