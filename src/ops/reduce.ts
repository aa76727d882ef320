// Reductions: sum and mean, over everything or along one axis.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor, shapeString } from '../tensor.js';
import { registerOp } from './registry.js';

registerOp('sum', 'ops/reduce.ts');
registerOp('mean', 'ops/reduce.ts');

function normAxis(axis: number, rank: number, op: string, shape: readonly number[]): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new RangeError(`selfish-rnn: ${op}: axis ${axis} out of range for shape ${shapeString(shape)}`);
  }
  return a;
}

/** Σ over all elements (a scalar of shape []), or along `axis` (that dimension removed, or kept as 1). */
export function sum(a: Tensor, axis?: number, keepDims = false): Tensor {
  return reduce('sum', a, axis, keepDims, 1);
}

/** Mean over all elements, or along `axis`. */
export function mean(a: Tensor, axis?: number, keepDims = false): Tensor {
  const n = axis === undefined ? a.size : a.shape[normAxis(axis, a.rank, 'mean', a.shape)]!;
  return reduce('mean', a, axis, keepDims, n === 0 ? NaN : 1 / n);
}

function reduce(op: string, a: Tensor, axis: number | undefined, keepDims: boolean, factor: number): Tensor {
  a.assertLive();
  if (axis === undefined) {
    const out = new Tensor(keepDims ? a.shape.map(() => 1) : []);
    heap.f32()[out.ptr >>> 2] = kernels.sum(a.ptr, a.size) * factor;
    return record(out, op, [a], (g, [ga]) => {
      if (ga) kernels.add_scalar(ga.ptr, ga.ptr, heap.f32()[g.ptr >>> 2]! * factor, ga.size);
    });
  }
  const ax = normAxis(axis, a.rank, op, a.shape);
  const outer = a.shape.slice(0, ax).reduce((x, y) => x * y, 1);
  const n = a.shape[ax]!;
  const inner = a.shape.slice(ax + 1).reduce((x, y) => x * y, 1);
  const shape = keepDims ? a.shape.map((d, i) => (i === ax ? 1 : d)) : a.shape.filter((_, i) => i !== ax);
  const out = new Tensor(shape);
  kernels.fill(out.ptr, 0, out.size);
  for (let o = 0; o < outer; o++) kernels.sum_rows_acc(out.ptr + o * inner * 4, a.ptr + o * n * inner * 4, n, inner);
  if (factor !== 1) kernels.scale(out.ptr, out.ptr, factor, out.size);
  return record(out, op, [a], (g, [ga]) => {
    if (!ga) return;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) kernels.axpy(ga.ptr + (o * n + k) * inner * 4, g.ptr + o * inner * 4, factor, inner);
    }
  });
}
