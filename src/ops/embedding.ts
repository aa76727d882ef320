// Embedding lookup: gathers rows of a V×E table; the backward scatter-adds into those rows.
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { IntTensor, Tensor, shapeString } from '../tensor.js';
import { registerOp } from './registry.js';

registerOp('embedding', 'ops/embedding.ts');

/** Checks that every id is an integer in [0, n); names the first offender. */
export function checkIds(ids: IntTensor, n: number, what: string): void {
  const d = ids.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v < 0 || v >= n) throw new RangeError(`selfish-rnn: ${what}: id ${v} at position ${i} is outside [0, ${n})`);
  }
}

/** out[..., :] = weight[ids[...], :]; output shape is [...ids.shape, E]. */
export function embedding(weight: Tensor, ids: IntTensor): Tensor {
  weight.assertLive();
  if (weight.rank !== 2) throw new RangeError(`selfish-rnn: embedding weight must be 2-D [V, E], got ${shapeString(weight.shape)}`);
  const [V, E] = weight.shape as [number, number];
  checkIds(ids, V, 'embedding');
  const out = new Tensor([...ids.shape, E]);
  kernels.gather_rows(out.ptr, weight.ptr, ids.ptr, ids.size, E);
  return record(out, 'embedding', [weight], (g, [gw]) => {
    if (gw) kernels.scatter_add_rows(gw.ptr, g.ptr, ids.ptr, ids.size, E);
  });
}
