// Reductions over everything or along one axis: sum, mean, max (its gradient goes to the first
// maximal element, as PyTorch's max(dim) picks one index) and argmax (integer ids, no gradient).
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { IntTensor, Tensor, shapeString } from '../tensor.js';
import { expectAxis, expectTensor } from './args.js';
import { registerOp } from './registry.js';

registerOp('sum', 'ops/reduce.ts');
registerOp('mean', 'ops/reduce.ts');
registerOp('max', 'ops/reduce.ts');
registerOp('argmax', 'ops/reduce.ts', false);

function normAxis(axis: number, rank: number, op: string, shape: readonly number[]): number {
  return expectAxis(axis, rank, op, shape);
}

/** Σ over all elements (a scalar of shape []), or along `axis` (that dimension removed, or kept as 1). */
export function sum(a: Tensor, axis?: number, keepDims = false): Tensor {
  return reduce('sum', a, axis, keepDims, 1);
}

/** Mean over all elements, or along `axis`. */
export function mean(a: Tensor, axis?: number, keepDims = false): Tensor {
  expectTensor(a, 'mean', 'the input');
  const n = axis === undefined ? a.size : a.shape[normAxis(axis, a.rank, 'mean', a.shape)]!;
  return reduce('mean', a, axis, keepDims, n === 0 ? NaN : 1 / n);
}

function reduce(op: string, a: Tensor, axis: number | undefined, keepDims: boolean, factor: number): Tensor {
  expectTensor(a, op, 'the input');
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

/** [outer, n, inner] around `axis` (everything as one row of n when axis is undefined), and the output shape. */
function around(a: Tensor, axis: number | undefined, keepDims: boolean, op: string): { outer: number; n: number; inner: number; shape: number[] } {
  if (axis === undefined) return { outer: 1, n: a.size, inner: 1, shape: keepDims ? a.shape.map(() => 1) : [] };
  const ax = normAxis(axis, a.rank, op, a.shape);
  return {
    outer: a.shape.slice(0, ax).reduce((x, y) => x * y, 1),
    n: a.shape[ax]!,
    inner: a.shape.slice(ax + 1).reduce((x, y) => x * y, 1),
    shape: keepDims ? a.shape.map((d, i) => (i === ax ? 1 : d)) : a.shape.filter((_, i) => i !== ax),
  };
}

/** Index along the reduced axis of the first maximum of every output position (a NaN counts as the maximum). */
function argmaxIndices(a: Tensor, outer: number, n: number, inner: number, op: string): Int32Array {
  if (n === 0) throw new RangeError(`selfish-rnn: ${op} over an empty axis of ${shapeString(a.shape)} is undefined`);
  const f = heap.f32(), base = a.ptr >>> 2;
  const idx = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = f[base + o * n * inner + i]!, at = 0;
      for (let k = 1; k < n && best === best; k++) {
        const v = f[base + (o * n + k) * inner + i]!;
        if (v > best || v !== v) { best = v; at = k; }
      }
      idx[o * inner + i] = at;
    }
  }
  return idx;
}

/** Maximum over all elements, or along `axis`; the gradient flows to the first maximal element. */
export function max(a: Tensor, axis?: number, keepDims = false): Tensor {
  expectTensor(a, 'max', 'the input');
  const { outer, n, inner, shape } = around(a, axis, keepDims, 'max');
  const idx = argmaxIndices(a, outer, n, inner, 'max');
  const out = new Tensor(shape);
  const f = heap.f32(), src = a.ptr >>> 2, dst = out.ptr >>> 2;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f[dst + o * inner + i] = f[src + (o * n + idx[o * inner + i]!) * inner + i]!;
  return record(out, 'max', [a], (g, [ga]) => {
    if (!ga) return;
    const h = heap.f32(), gg = g.ptr >>> 2, d = ga.ptr >>> 2;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = d + (o * n + idx[o * inner + i]!) * inner + i;
        h[at] = h[at]! + h[gg + o * inner + i]!;
      }
    }
  });
}

/** Index of the first maximum over all elements (flat index, shape []) or along `axis`. Not differentiable. */
export function argmax(a: Tensor, axis?: number, keepDims = false): IntTensor {
  expectTensor(a, 'argmax', 'the input');
  const { outer, n, inner, shape } = around(a, axis, keepDims, 'argmax');
  return new IntTensor(argmaxIndices(a, outer, n, inner, 'argmax'), shape);
}
