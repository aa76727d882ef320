// Shape ops: reshape, 2-D transpose, permute, slice, split, concat and stack along an axis. All
// produce contiguous copies (tensors own their storage, so no view can outlive its base); their
// backwards route gradient blocks back with axpy (permute: a scatter-add through its offsets).
// split is derived: one slice per part.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor, shapeSize, shapeString, type Shape } from '../tensor.js';
import { expectAxis, expectTensor, expectTensors } from './args.js';
import { registerOp } from './registry.js';
import { takeOffsets } from './select.js';

for (const name of ['reshape', 'transpose', 'permute', 'slice', 'split', 'concat', 'stack']) registerOp(name, 'ops/shape.ts');

/** Same data, new shape (one dimension may be −1 and is inferred). */
export function reshape(a: Tensor, shape: Shape): Tensor {
  expectTensor(a, 'reshape', 'the input');
  if (!Array.isArray(shape)) throw new TypeError(`selfish-rnn: reshape: the shape must be an array of dimensions, got ${typeof shape}`);
  const s = [...shape];
  const inferred = s.indexOf(-1);
  if (inferred >= 0) {
    const rest = s.reduce((x, d, i) => (i === inferred ? x : x * d), 1);
    s[inferred] = rest === 0 ? 0 : a.size / rest;
  }
  if (!s.every((d) => Number.isInteger(d) && d >= 0) || shapeSize(s) !== a.size) {
    throw new RangeError(`selfish-rnn: cannot reshape ${shapeString(a.shape)} (${a.size} elements) to ${shapeString(shape)}`);
  }
  const out = new Tensor(s);
  out.copyFrom(a);
  return record(out, 'reshape', [a], (g, [ga]) => {
    if (ga) kernels.axpy(ga.ptr, g.ptr, 1, g.size);
  });
}

/** Transpose of a 2-D tensor. */
export function transpose(a: Tensor): Tensor {
  expectTensor(a, 'transpose', 'the input');
  if (a.rank !== 2) throw new RangeError(`selfish-rnn: transpose expects a 2-D tensor, got ${shapeString(a.shape)}`);
  const [r, c] = a.shape as [number, number];
  const out = new Tensor([c, r]);
  kernels.transpose(out.ptr, a.ptr, r, c);
  return record(out, 'transpose', [a], (g, [ga]) => {
    if (!ga) return;
    const t = new Tensor([r, c]);
    kernels.transpose(t.ptr, g.ptr, c, r);
    kernels.axpy(ga.ptr, t.ptr, 1, t.size);
    t.dispose();
  });
}

function axisOf(axis: number, rank: number, op: string, shape: Shape): number {
  return expectAxis(axis, rank, op, shape);
}

/** Row-major strides of a shape, in elements. */
function stridesOf(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = s; s *= shape[i]!; }
  return st;
}

/**
 * Dimensions reordered: out.shape[i] = a.shape[dims[i]] (NumPy's transpose(axes), PyTorch's
 * permute). permute(a, [1, 0]) is the 2-D transpose; [1, 0, 2] swaps time and batch of [T, B, H].
 */
export function permute(a: Tensor, dims: readonly number[]): Tensor {
  expectTensor(a, 'permute', 'the input');
  const rank = a.rank;
  const norm = Array.isArray(dims) ? dims.map((d) => (typeof d === 'number' && d < 0 ? d + rank : d)) : [];
  if (!Array.isArray(dims) || norm.length !== rank || [...norm].sort((x, y) => x - y).some((d, i) => d !== i)) {
    throw new RangeError(`selfish-rnn: permute: dims ${Array.isArray(dims) ? `[${dims.join(', ')}]` : String(dims)} is not a permutation of the ${rank} axes of ${shapeString(a.shape)}`);
  }
  const outShape = norm.map((d) => a.shape[d]!);
  const inStrides = stridesOf(a.shape);
  // Input offset of every output element, in output order (walked like an odometer).
  const offsets = new Int32Array(a.size);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < a.size; o++) {
    offsets[o] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      off += inStrides[norm[d]!]!;
      if (idx[d]! < outShape[d]!) break;
      off -= inStrides[norm[d]!]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return takeOffsets(a, offsets, outShape, 'permute');
}

/** Elements [start, end) along `axis`. */
export function slice(a: Tensor, axis: number, start: number, end: number): Tensor {
  expectTensor(a, 'slice', 'the input');
  const ax = axisOf(axis, a.rank, 'slice', a.shape);
  const n = a.shape[ax]!;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new RangeError(`selfish-rnn: slice [${start}, ${end}) out of range for axis ${ax} of ${shapeString(a.shape)}`);
  }
  const outer = a.shape.slice(0, ax).reduce((x, y) => x * y, 1);
  const inner = a.shape.slice(ax + 1).reduce((x, y) => x * y, 1);
  const len = end - start;
  const out = new Tensor(a.shape.map((d, i) => (i === ax ? len : d)));
  const f = heap.f32();
  const src = a.ptr >>> 2, dst = out.ptr >>> 2;
  for (let o = 0; o < outer; o++) {
    const from = src + (o * n + start) * inner;
    f.copyWithin(dst + o * len * inner, from, from + len * inner);
  }
  return record(out, 'slice', [a], (g, [ga]) => {
    if (!ga) return;
    for (let o = 0; o < outer; o++) {
      kernels.axpy(ga.ptr + (o * n + start) * inner * 4, g.ptr + o * len * inner * 4, 1, len * inner);
    }
  });
}

/** Joins tensors along `axis`; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  expectTensors(xs, 'concat');
  const first = xs[0]!;
  const ax = axisOf(axis, first.rank, 'concat', first.shape);
  for (const x of xs) {
    if (x.rank !== first.rank || x.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new RangeError(`selfish-rnn: concat along axis ${ax}: shape ${shapeString(x.shape)} does not match ${shapeString(first.shape)}`);
    }
  }
  const outer = first.shape.slice(0, ax).reduce((x, y) => x * y, 1);
  const inner = first.shape.slice(ax + 1).reduce((x, y) => x * y, 1);
  const total = xs.reduce((s, x) => s + x.shape[ax]!, 0);
  const out = new Tensor(first.shape.map((d, i) => (i === ax ? total : d)));
  const f = heap.f32();
  const dst = out.ptr >>> 2;
  let off = 0;
  for (const x of xs) {
    const len = x.shape[ax]!;
    const src = x.ptr >>> 2;
    for (let o = 0; o < outer; o++) f.copyWithin(dst + (o * total + off) * inner, src + o * len * inner, src + (o + 1) * len * inner);
    off += len;
  }
  return record(out, 'concat', xs, (g, gIns) => {
    let at = 0;
    xs.forEach((x, k) => {
      const len = x.shape[ax]!;
      const gx = gIns[k];
      if (gx) for (let o = 0; o < outer; o++) kernels.axpy(gx.ptr + o * len * inner * 4, g.ptr + (o * total + at) * inner * 4, 1, len * inner);
      at += len;
    });
  });
}

/**
 * Parts of `a` along `axis`: `sizes` lists their lengths (they must add up to the axis), or a
 * number gives parts of that length (the last one shorter if it does not divide), as PyTorch's split.
 */
export function split(a: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  expectTensor(a, 'split', 'the input');
  const ax = axisOf(axis, a.rank, 'split', a.shape);
  const n = a.shape[ax]!;
  let lengths: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0) throw new RangeError(`selfish-rnn: split: the part length must be a positive integer, got ${sizes}`);
    lengths = Array.from({ length: Math.ceil(n / sizes) }, (_, k) => Math.min(sizes, n - k * sizes));
  } else if (Array.isArray(sizes) && sizes.every((d) => Number.isInteger(d) && d >= 0)) {
    lengths = [...sizes];
    const total = lengths.reduce((x, y) => x + y, 0);
    if (total !== n) throw new RangeError(`selfish-rnn: split: sizes [${lengths.join(', ')}] add up to ${total}, but axis ${ax} of ${shapeString(a.shape)} has ${n}`);
  } else {
    throw new TypeError(`selfish-rnn: split: sizes must be a positive integer or an array of non-negative integers, got ${String(sizes)}`);
  }
  let at = 0;
  return lengths.map((len) => slice(a, ax, at, (at += len)));
}

/** Joins tensors of one shape along a new axis (0 ≤ axis ≤ rank): k tensors of [A, B] stacked at 1 give [A, k, B]. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  expectTensors(xs, 'stack');
  const first = xs[0]!;
  const ax = expectAxis(axis, first.rank + 1, 'stack', first.shape);
  for (const x of xs) {
    if (x.rank !== first.rank || x.shape.some((d, i) => d !== first.shape[i])) {
      throw new RangeError(`selfish-rnn: stack: shape ${shapeString(x.shape)} does not match ${shapeString(first.shape)}`);
    }
  }
  const outer = first.shape.slice(0, ax).reduce((x, y) => x * y, 1);
  const inner = first.shape.slice(ax).reduce((x, y) => x * y, 1);
  const k = xs.length;
  const out = new Tensor([...first.shape.slice(0, ax), k, ...first.shape.slice(ax)]);
  const f = heap.f32();
  const dst = out.ptr >>> 2;
  xs.forEach((x, j) => {
    const src = x.ptr >>> 2;
    for (let o = 0; o < outer; o++) f.copyWithin(dst + (o * k + j) * inner, src + o * inner, src + (o + 1) * inner);
  });
  return record(out, 'stack', xs, (g, gIns) => {
    xs.forEach((_, j) => {
      const gx = gIns[j];
      if (gx) for (let o = 0; o < outer; o++) kernels.axpy(gx.ptr + o * inner * 4, g.ptr + (o * k + j) * inner * 4, 1, inner);
    });
  });
}
