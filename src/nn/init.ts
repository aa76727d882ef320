// Weight initialisers (all draw from the seeded generator).
import { globalRandom, type Random } from '../random.js';
import { Tensor, type Shape } from '../tensor.js';

/** A persistent leaf with U(−bound, bound) values, requiring grad. */
export function uniformParam(shape: Shape, bound: number, rng: Random = globalRandom): Tensor {
  const t = new Tensor(shape, { persistent: true, requiresGrad: true });
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = (rng.uniform() * 2 - 1) * bound;
  return t;
}

/** A persistent leaf filled with a constant, requiring grad. */
export function constantParam(shape: Shape, value: number): Tensor {
  const t = new Tensor(shape, { persistent: true, requiresGrad: true });
  t.data.fill(value);
  return t;
}
