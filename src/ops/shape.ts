// Shape ops: reshape, 2-D transpose, slice and concat along an axis. All produce contiguous
// copies (tensors own their storage, so no view can outlive its base); their backwards route
// gradient blocks back with axpy.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor, shapeSize, shapeString, type Shape } from '../tensor.js';
import { registerOp } from './registry.js';

for (const name of ['reshape', 'transpose', 'slice', 'concat']) registerOp(name, 'ops/shape.ts');

/** Same data, new shape (one dimension may be −1 and is inferred). */
export function reshape(a: Tensor, shape: Shape): Tensor {
  a.assertLive();
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
  a.assertLive();
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
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`selfish-rnn: ${op}: axis ${axis} out of range for shape ${shapeString(shape)}`);
  return a;
}

/** Elements [start, end) along `axis`. */
export function slice(a: Tensor, axis: number, start: number, end: number): Tensor {
  a.assertLive();
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
  if (xs.length === 0) throw new RangeError('selfish-rnn: concat needs at least one tensor');
  const first = xs[0]!;
  const ax = axisOf(axis, first.rank, 'concat', first.shape);
  for (const x of xs) {
    x.assertLive();
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
