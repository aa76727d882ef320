// Mean squared error, torch.nn.functional.mse_loss: mean (or sum) over elements of (x − t)².
//   d/dx = 2(x − t)·g/N,  d/dt = −2(x − t)·g/N   (N = element count for 'mean', 1 for 'sum')
// Defined through the public defineOp, as a user's op would be. Plain loops, the sum in f64; the
// differences are saved for the backward.
import { heap } from '../backend/memory.js';
import { checkOptions } from '../config/options.js';
import { Tensor, shapeString } from '../tensor.js';
import { expectTensor } from './args.js';
import { defineOp } from './custom.js';

export interface MseLossOptions {
  /** 'mean' (default) or 'sum' over the elements. */
  reduction?: 'mean' | 'sum';
}

const mse = defineOp({
  name: 'mseLoss',
  file: 'ops/mse.ts',
  forward(ctx, x: Tensor, t: Tensor, factor: number) {
    const diff = new Tensor(x.shape);
    const out = new Tensor([]);
    const f = heap.f32(), px = x.ptr >>> 2, pt = t.ptr >>> 2, d = diff.ptr >>> 2;
    let total = 0;
    for (let k = 0; k < x.size; k++) {
      const v = f[px + k]! - f[pt + k]!;
      f[d + k] = v;
      total += v * v;
    }
    f[out.ptr >>> 2] = total * factor;
    ctx.save(diff);
    ctx.meta.factor = factor;
    return out;
  },
  backward(ctx, g) {
    const [diff] = ctx.saved as [Tensor];
    const c = 2 * g.item() * (ctx.meta.factor as number);
    const grad = (sign: number): Tensor => {
      const out = new Tensor(diff.shape);
      const f = heap.f32(), o = out.ptr >>> 2, d = diff.ptr >>> 2;
      for (let k = 0; k < diff.size; k++) f[o + k] = sign * c * f[d + k]!;
      return out;
    };
    return [ctx.needsGrad(0) ? grad(1) : null, ctx.needsGrad(1) ? grad(-1) : null];
  },
});

/** A scalar: the mean (or sum) of (input − target)² over elements; input and target have one shape. */
export function mseLoss(input: Tensor, target: Tensor, opts: MseLossOptions = {}): Tensor {
  expectTensor(input, 'mseLoss', 'the input');
  expectTensor(target, 'mseLoss', 'the target');
  checkOptions('mseLoss', opts, ['reduction']);
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw new RangeError(`selfish-rnn: mseLoss: reduction must be 'mean' or 'sum', got '${String(reduction)}'`);
  if (input.rank !== target.rank || input.shape.some((d, i) => d !== target.shape[i])) {
    throw new RangeError(`selfish-rnn: mseLoss: input ${shapeString(input.shape)} and target ${shapeString(target.shape)} must have the same shape`);
  }
  return mse(input, target, reduction === 'mean' ? (input.size === 0 ? NaN : 1 / input.size) : 1);
}
