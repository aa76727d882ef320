// Named dropout masks for a model's forward pass. Every mask a model draws goes through here, by
// a name that says where it applies ('embedding', 'input', 'hidden.0', 'output', 'weight.1', …),
// so a test can fix the masks to the ones a reference implementation used (the float64 golden
// tests against PyTorch with dropout on) and the model still draws from its seeded generator
// otherwise. Values are {0, 1/(1−p)} (inverted dropout) or, unscaled, {0, 1} (ON-LSTM's
// DropConnect, which rescales at evaluation instead).
import { mul } from '../ops/index.js';
import { dropConnectFactor, type DroppedValues } from './dropout.js';
import { globalRandom, type Random } from '../random.js';
import { full, IntTensor, Tensor, shapeString, tensor } from '../tensor.js';

export class DropoutMasks {
  private readonly fixed = new Map<string, Float32Array>();

  constructor(private readonly rng: Random = globalRandom) {}

  /** Uses `values` for the mask `name` from now on, instead of drawing it (tests). */
  fix(name: string, values: ArrayLike<number>): void {
    this.fixed.set(name, Float32Array.from(values));
  }

  /** Forgets every fixed mask. */
  clear(): void {
    this.fixed.clear();
  }

  /**
   * The mask `name` with `size` entries: the fixed one if any (its size must match), else each
   * entry kept with probability 1 − p, as 1/(1 − p) when `scaled`, else as 1; dropped as 0.
   */
  draw(name: string, size: number, p: number, scaled = true): Float32Array {
    const f = this.fixed.get(name);
    if (f !== undefined) {
      if (f.length !== size) throw new RangeError(`selfish-rnn: fixed dropout mask '${name}' has ${f.length} entries, the model needs ${size}`);
      return f;
    }
    const keep = scaled ? 1 / (1 - p) : 1;
    const m = new Float32Array(size);
    for (let i = 0; i < size; i++) m[i] = this.rng.uniform() >= p ? keep : 0;
    return m;
  }
}

// ---- the AWD-style dropouts, drawing their masks by name ---------------------------------------

function checkP(p: number, what: string): void {
  if (!(p >= 0 && p < 1)) throw new RangeError(`selfish-rnn: ${what} probability must be in [0, 1), got ${p}`);
}

/** Locked (variational) dropout of x [T, B, H]: one [1, B, H] mask for every step. */
export function lockedDropoutNamed(x: Tensor, p: number, training: boolean, masks: DropoutMasks, name: string): Tensor {
  checkP(p, `dropout '${name}'`);
  if (!training || p === 0) return x;
  if (x.rank !== 3) throw new RangeError(`selfish-rnn: locked dropout expects [T, B, H], got ${shapeString(x.shape)}`);
  const [, B, H] = x.shape as [number, number, number];
  return mul(x, tensor(masks.draw(name, B * H, p), [1, B, H]));
}

/**
 * Word-level embedding dropout (AWD's `embedded_dropout`): a mask over the V words scales every
 * occurrence of a word alike; applied to the looked-up rows, so dense and CSR tables cost the same.
 */
export function embeddedDropoutNamed(emb: Tensor, ids: IntTensor, vocabSize: number, p: number, training: boolean, masks: DropoutMasks, name = 'embedding'): Tensor {
  checkP(p, 'embedding dropout');
  if (!training || p === 0) return emb;
  const wordMask = masks.draw(name, vocabSize, p);
  const perToken = new Tensor([...ids.shape, 1]);
  const d = perToken.data, idv = ids.data;
  for (let i = 0; i < idv.length; i++) d[i] = wordMask[idv[i]!]!;
  return mul(emb, perToken);
}

/**
 * DropConnect on a weight's values with ON-LSTM's `LinearDropConnect` convention: training
 * multiplies by an unscaled {0, 1} mask drawn per forward, evaluation by (1 − p).
 */
export function dropConnectNamed(values: Tensor, p: number, training: boolean, masks: DropoutMasks, name: string): Tensor {
  return weightDropNamed(values, p, training, masks, name).values;
}

/** dropConnectNamed as a recurrent weight's transform (`asRecurrent`): the values and the factor's moments (E[m] = E[m²] = 1 − p). */
export function weightDropNamed(values: Tensor, p: number, training: boolean, masks: DropoutMasks, name: string): DroppedValues {
  checkP(p, `weight drop '${name}'`);
  return { values: linearDropConnect(values, p, training, masks, name), absentFactor: dropConnectFactor(p, training, true) };
}

function linearDropConnect(values: Tensor, p: number, training: boolean, masks: DropoutMasks, name: string): Tensor {
  if (p === 0) return values;
  const m = training ? tensor(masks.draw(name, values.size, p, false), values.shape) : full(values.shape, 1 - p);
  return mul(values, m);
}
