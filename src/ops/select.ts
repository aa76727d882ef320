// Selection: where (element-wise choice by a mask) and gather (PyTorch's torch.gather: pick along
// an axis by integer ids). Plain loops over the wasm memory. The mask and the ids are copied into
// JavaScript arrays for the backward, so the caller may free them once the forward has run.
//
//   y = where(c, a, b):       da += g·[c ≠ 0],  db += g·[c = 0]   (each reduced over broadcast dims)
//   y = gather(a, axis, ids): da[.., ids[..], ..] += g             (a scatter-add)
import { heap } from '../backend/memory.js';
import { record } from '../autograd/engine.js';
import { IntTensor, Tensor, shapeString } from '../tensor.js';
import { expectAxis, expectIds, expectOperand, expectTensor } from './args.js';
import { accumulateReduced, broadcastShape, expandTo } from './broadcast.js';
import { registerOp } from './registry.js';

registerOp('where', 'ops/select.ts');
registerOp('gather', 'ops/select.ts');

/**
 * a where `condition` is nonzero, else b, broadcasting all three (a or b may be numbers). The
 * condition is a mask (any float tensor; nonzero = true) and receives no gradient.
 */
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  expectTensor(condition, 'where', 'the condition');
  const x = expectOperand(a, 'where', 'a'), y = expectOperand(b, 'where', 'b');
  let shape = [...condition.shape];
  for (const t of [x, y]) if (t instanceof Tensor) shape = broadcastShape(shape, t.shape, 'where');
  const n = shape.reduce((p, d) => p * d, 1);
  const ec = expandTo(condition, shape);
  const mask = new Uint8Array(n);
  let f = heap.f32();
  for (let k = 0, c = ec.ptr >>> 2; k < n; k++) mask[k] = f[c + k] !== 0 ? 1 : 0;
  if (ec !== condition) ec.dispose();
  const ex = x instanceof Tensor ? expandTo(x, shape) : x;
  const ey = y instanceof Tensor ? expandTo(y, shape) : y;
  const out = new Tensor(shape);
  f = heap.f32();
  const o = out.ptr >>> 2;
  const px = ex instanceof Tensor ? ex.ptr >>> 2 : -1, py = ey instanceof Tensor ? ey.ptr >>> 2 : -1;
  for (let k = 0; k < n; k++) {
    if (mask[k]) f[o + k] = px < 0 ? (ex as number) : f[px + k]!;
    else f[o + k] = py < 0 ? (ey as number) : f[py + k]!;
  }
  if (ex instanceof Tensor && ex !== x) ex.dispose();
  if (ey instanceof Tensor && ey !== y) ey.dispose();
  const inputs = [x, y].filter((t): t is Tensor => t instanceof Tensor);
  return record(out, 'where', inputs, (g, gIns) => {
    let at = 0;
    for (const [operand, take] of [[x, 1], [y, 0]] as const) {
      if (!(operand instanceof Tensor)) continue;
      const gt = gIns[at++];
      if (!gt) continue;
      const t = new Tensor(g.shape);
      const h = heap.f32(), tt = t.ptr >>> 2, gg = g.ptr >>> 2;
      for (let k = 0; k < n; k++) h[tt + k] = mask[k] === take ? h[gg + k]! : 0;
      accumulateReduced(gt, t);
      t.dispose();
    }
  });
}

/**
 * torch.gather: out[i][j][k] = a[ids[i][j][k]][j][k] for axis 0 (likewise for other axes). `ids`
 * has a's rank, any size ≤ a's on the other axes, and gives the output's shape; every id must be
 * in [0, a.shape[axis]).
 */
export function gather(a: Tensor, axis: number, ids: IntTensor): Tensor {
  expectTensor(a, 'gather', 'the input');
  const ax = expectAxis(axis, a.rank, 'gather', a.shape);
  expectIds(ids, 'gather', 'ids');
  if (ids.shape.length !== a.rank || ids.shape.some((d, i) => i !== ax && d > a.shape[i]!)) {
    throw new RangeError(`selfish-rnn: gather: ids ${shapeString(ids.shape)} must have the rank of the input ${shapeString(a.shape)} and no larger size on any axis but ${ax}`);
  }
  const n = a.shape[ax]!;
  const id = ids.data.slice();
  for (let k = 0; k < id.length; k++) {
    if (!(id[k]! >= 0 && id[k]! < n)) throw new RangeError(`selfish-rnn: gather: id ${id[k]} at position ${k} is outside [0, ${n}) (axis ${ax} of ${shapeString(a.shape)})`);
  }
  // Input offset of every output element: the output's coordinates, with the id on `axis`.
  const rank = a.rank;
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) { inStrides[i] = s; s *= a.shape[i]!; }
  const offsets = new Int32Array(id.length);
  const coord = new Array<number>(rank).fill(0);
  for (let o = 0; o < id.length; o++) {
    let off = 0;
    for (let i = 0; i < rank; i++) off += (i === ax ? id[o]! : coord[i]!) * inStrides[i]!;
    offsets[o] = off;
    for (let i = rank - 1; i >= 0; i--) {
      if (++coord[i]! < ids.shape[i]!) break;
      coord[i] = 0;
    }
  }
  return takeOffsets(a, offsets, ids.shape, 'gather');
}

/**
 * out[o] = a[offsets[o]] (flat element offsets into a) with the given shape, recorded as `op`;
 * the backward scatter-adds g into a's gradient at the same offsets. What gather and permute are.
 */
export function takeOffsets(a: Tensor, offsets: Int32Array, shape: readonly number[], op: string): Tensor {
  const out = new Tensor(shape);
  const f = heap.f32(), src = a.ptr >>> 2, dst = out.ptr >>> 2;
  for (let o = 0; o < offsets.length; o++) f[dst + o] = f[src + offsets[o]!]!;
  return record(out, op, [a], (g, [ga]) => {
    if (!ga) return;
    const h = heap.f32(), gg = g.ptr >>> 2, d = ga.ptr >>> 2;
    for (let o = 0; o < offsets.length; o++) h[d + offsets[o]!] = h[d + offsets[o]!]! + h[gg + o]!;
  });
}
