// NumPy-style broadcasting helpers for the binary ops: the output shape, materialising an
// operand at the output shape, and reducing a gradient back to an operand's shape.
// Fast path: an operand whose shape is a suffix of the output's (a bias row, a [1,B,H] dropout
// mask over [T,B,H]) is handled with row kernels; anything else with a strided loop.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { Tensor, shapeString, type Shape } from '../tensor.js';

export function broadcastShape(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`selfish-rnn: ${op}: shapes ${shapeString(a)} and ${shapeString(b)} cannot be broadcast together`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** If `shape` (ignoring leading 1s) is a suffix of `out`, the number of times it repeats; else 0. */
function suffixRepeats(shape: Shape, out: Shape): number {
  let k = 0;
  while (k < shape.length && shape[k] === 1) k++;
  const core = shape.slice(k);
  if (core.length > out.length) return 0;
  for (let i = 0; i < core.length; i++) if (core[i] !== out[out.length - core.length + i]) return 0;
  return out.slice(0, out.length - core.length).reduce((x, y) => x * y, 1);
}

/** Element strides of `shape` aligned to `out`, with 0 on broadcast dimensions. */
function broadcastStrides(shape: Shape, out: Shape): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = out.length - shape.length + i;
    strides[j] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

/** Visits every output index, calling f(outIndex, inIndex). */
function forEachBroadcast(shape: Shape, out: Shape, f: (o: number, i: number) => void): void {
  const strides = broadcastStrides(shape, out);
  const idx = new Array<number>(out.length).fill(0);
  const total = out.reduce((x, y) => x * y, 1);
  let inOff = 0;
  for (let o = 0; o < total; o++) {
    f(o, inOff);
    for (let d = out.length - 1; d >= 0; d--) {
      idx[d]!++;
      inOff += strides[d]!;
      if (idx[d]! < out[d]!) break;
      inOff -= strides[d]! * out[d]!;
      idx[d] = 0;
    }
  }
}

/** `t` itself if it already has shape `out`, else a temporary copy broadcast to `out`. */
export function expandTo(t: Tensor, out: Shape): Tensor {
  if (t.shape.length === out.length && t.shape.every((d, i) => d === out[i])) return t;
  const e = new Tensor(out);
  const reps = suffixRepeats(t.shape, out);
  const f = heap.f32();
  if (reps > 0) {
    const src = t.ptr >>> 2;
    for (let r = 0; r < reps; r++) f.copyWithin((e.ptr >>> 2) + r * t.size, src, src + t.size);
  } else {
    const src = t.ptr >>> 2, dst = e.ptr >>> 2;
    forEachBroadcast(t.shape, out, (o, i) => {
      f[dst + o] = f[src + i]!;
    });
  }
  return e;
}

/** gradIn += g summed over the dimensions along which `gradIn`'s operand was broadcast. */
export function accumulateReduced(gradIn: Tensor, g: Tensor): void {
  if (gradIn.size === g.size) {
    kernels.axpy(gradIn.ptr, g.ptr, 1, g.size);
    return;
  }
  const reps = suffixRepeats(gradIn.shape, g.shape);
  if (reps > 0) {
    kernels.sum_rows_acc(gradIn.ptr, g.ptr, reps, gradIn.size);
    return;
  }
  const f = heap.f32();
  const src = g.ptr >>> 2, dst = gradIn.ptr >>> 2;
  forEachBroadcast(gradIn.shape, g.shape, (o, i) => {
    f[dst + i] = f[dst + i]! + f[src + o]!;
  });
}
