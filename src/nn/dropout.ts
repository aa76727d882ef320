// The dropout variants of AWD-LSTM (Merity et al. 2018), as functions of the module's mode:
//  - lockedDropout: one mask per sequence, shared over time (variational dropout);
//  - embeddedDropout: drops whole words (rows of the embedding matrix), rescaling by 1/(1−p);
//  - dropConnect: DropConnect on a weight (AWD's WeightDrop), a fresh mask at every forward;
//    weightDrop: the same as a recurrent weight's transform, with the moments of its factor.
// All masks come from the seeded generator and are constants for the tape (no gradient).
import type { AbsentFactor } from '../ops/dense-grad-norm.js';
import { dropoutMask } from '../ops/dropout.js';
import { mul } from '../ops/index.js';
import { globalRandom, type Random } from '../random.js';
import { IntTensor, Tensor, shapeString } from '../tensor.js';

function checkP(p: number, what: string): void {
  if (!(p >= 0 && p < 1)) throw new RangeError(`selfish-rnn: ${what} probability must be in [0, 1), got ${p}`);
}

/** x: [T, B, H]; one {0, 1/(1−p)} mask of shape [1, B, H] for all T steps. */
export function lockedDropout(x: Tensor, p: number, training: boolean, rng: Random = globalRandom): Tensor {
  checkP(p, 'locked dropout');
  if (!training || p === 0) return x;
  if (x.rank !== 3) throw new RangeError(`selfish-rnn: lockedDropout expects [T, B, H], got ${shapeString(x.shape)}`);
  const mask = dropoutMask([1, x.shape[1]!, x.shape[2]!], p, rng);
  return mul(x, mask);
}

/**
 * Word-level dropout on an embedding lookup: each word type of the vocabulary (size V) is kept
 * with probability 1−p for this batch and scaled by 1/(1−p). Equivalent to AWD's
 * `embedded_dropout` (which masks rows of the weight), but applied to the looked-up rows
 * (out[n] = W[ids[n]]·m[ids[n]]), so it costs O(tokens·E) instead of O(V·E) and works the same
 * for dense and sparse tables. `lookup` is the embedding op (dense or sparse).
 */
export function embeddedDropout(lookup: () => Tensor, ids: IntTensor, vocabSize: number, p: number, training: boolean, rng: Random = globalRandom): Tensor {
  checkP(p, 'embedding dropout');
  const emb = lookup();
  if (!training || p === 0) return emb;
  const keep = 1 / (1 - p);
  const wordMask = new Float32Array(vocabSize);
  for (let v = 0; v < vocabSize; v++) wordMask[v] = rng.uniform() >= p ? keep : 0;
  const perToken = new Tensor([...ids.shape, 1]);
  const d = perToken.data, idv = ids.data;
  for (let i = 0; i < idv.length; i++) d[i] = wordMask[idv[i]!]!;
  return mul(emb, perToken);
}

/**
 * DropConnect on a weight tensor (dense values, or the nonzero values of a sparse weight):
 * training: w ⊙ m with m ∈ {0, 1/(1−p)} (AWD-LSTM / MoS `WeightDrop`, i.e. F.dropout on the raw
 * weight); evaluation: w unchanged, which matches the reference in expectation. With
 * `evalScale: true`, training uses an unscaled {0,1} mask and evaluation multiplies by (1−p)
 * instead (ON-LSTM's LinearDropConnect convention).
 */
export function dropConnect(w: Tensor, p: number, training: boolean, opts: { evalScale?: boolean; rng?: Random } = {}): Tensor {
  return weightDrop(w, p, training, opts).values;
}

/**
 * A weight's values after DropConnect, and the moments of the factor m they were multiplied by,
 * for the positions of a sparse weight that store nothing (and so had no m drawn): the dense
 * gradient there is m·(G·Xᵀ) in the official masked code (src/ops/dense-grad-norm.ts).
 */
export interface DroppedValues {
  values: Tensor;
  absentFactor: AbsentFactor;
}

/**
 * The moments of DropConnect's factor: scaled ({0, 1/(1−p)}, training) E[m] = 1, E[m²] = 1/(1−p);
 * unscaled ({0, 1}, training) E[m] = E[m²] = 1 − p; evaluation: the constant 1, or 1 − p with
 * `evalScale`.
 */
export function dropConnectFactor(p: number, training: boolean, evalScale = false): AbsentFactor {
  checkP(p, 'weight drop');
  if (p === 0) return { mean: 1, meanSquare: 1 };
  if (!training) return evalScale ? { mean: 1 - p, meanSquare: (1 - p) ** 2 } : { mean: 1, meanSquare: 1 };
  return evalScale ? { mean: 1 - p, meanSquare: 1 - p } : { mean: 1, meanSquare: 1 / (1 - p) };
}

/** dropConnect as a recurrent weight's transform (`asRecurrent`): the values and the factor's moments. */
export function weightDrop(w: Tensor, p: number, training: boolean, opts: { evalScale?: boolean; rng?: Random } = {}): DroppedValues {
  return { values: dropConnectValues(w, p, training, opts), absentFactor: dropConnectFactor(p, training, opts.evalScale) };
}

function dropConnectValues(w: Tensor, p: number, training: boolean, opts: { evalScale?: boolean; rng?: Random }): Tensor {
  checkP(p, 'weight drop');
  if (p === 0) return w;
  const rng = opts.rng ?? globalRandom;
  if (opts.evalScale) {
    const m = new Tensor(w.shape);
    const d = m.data;
    if (training) for (let i = 0; i < d.length; i++) d[i] = rng.uniform() >= p ? 1 : 0;
    else d.fill(1 - p);
    return mul(w, m);
  }
  if (!training) return w;
  return mul(w, dropoutMask(w.shape, p, rng));
}
