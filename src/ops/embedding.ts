// Embedding lookup: gathers rows of a V×E table (dense or CSR); the backward scatter-adds into
// those rows (for a CSR table, at its nonzeros only).
import { record } from '../autograd/engine.js';
import { IntTensor, Tensor } from '../tensor.js';
import { expectIds } from './args.js';
import { registerOp } from './registry.js';
import { weightOperator, type WeightLike } from './weight-operator.js';

registerOp('embedding', 'ops/embedding.ts');

/** Checks that every id is an integer in [0, n); names the first offender. */
export function checkIds(ids: IntTensor, n: number, what: string): void {
  expectIds(ids, what, 'the ids');
  const d = ids.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v < 0 || v >= n) throw new RangeError(`selfish-rnn: ${what}: id ${v} at position ${i} is outside [0, ${n})`);
  }
}

/** out[..., :] = weight[ids[...], :]; output shape is [...ids.shape, E]. */
export function embedding(weight: WeightLike, ids: IntTensor): Tensor {
  const W = weightOperator(weight);
  W.assertLive();
  const [V, E] = [W.rows, W.cols];
  checkIds(ids, V, 'embedding');
  const out = new Tensor([...ids.shape, E]);
  W.gatherRows(out.ptr, ids.ptr, ids.size);
  return record(out, 'embedding', [W.tensor], (g, [gw]) => {
    W.assertLive('embedding');
    if (gw) W.gatherRowsGrad(gw.ptr, g.ptr, ids.ptr, ids.size);
  });
}
