// Gradient-check cases for the general-purpose ops (number operands, div, sqrt, abs, pow, max,
// where, stack, split, gather, permute, batched matmul, mseLoss), each against a float64 oracle
// written from the definition. Shapes are small and odd on purpose.
import {
  abs, add, div, gather, IntTensor, matmul, max, mseLoss, mul, permute, pow, split, sqrt, stack, sub, tensor, where,
} from '../../src/index.js';
import type { GradCase } from '../helpers/gradcheck.js';

const map = (x: Float64Array, f: (v: number) => number) => x.map(f);

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, p = 1; i >= 0; i--) { s[i] = p; p *= shape[i]!; }
  return s;
}

/** Coordinates of flat index o in `shape`. */
function coords(o: number, shape: number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) { c[i] = o % shape[i]!; o = Math.floor(o / shape[i]!); }
  return c;
}

const at = (c: number[], shape: number[]) => c.reduce((off, v, i) => off * shape[i]! + (shape[i] === 1 ? 0 : v), 0);

/** NumPy broadcasting of any number of operands (shapes padded on the left) through f. */
function bcast(xs: { v: Float64Array; s: number[] }[], f: (...v: number[]) => number): Float64Array {
  const n = Math.max(...xs.map((x) => x.s.length));
  const padded = xs.map((x) => [...Array(n - x.s.length).fill(1), ...x.s]);
  const out = padded[0]!.map((_, i) => Math.max(...padded.map((p) => p[i]!)));
  const total = out.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: total }, (_, o) => {
    const c = coords(o, out);
    return f(...xs.map((x, k) => x.v[at(c, padded[k]!)]!));
  });
}

function permute64(x: Float64Array, shape: number[], dims: number[]): Float64Array {
  const outShape = dims.map((d) => shape[d]!), st = strides(shape);
  return Float64Array.from({ length: x.length }, (_, o) => x[coords(o, outShape).reduce((off, c, i) => off + c * st[dims[i]!]!, 0)]!);
}

/** [B?, M, K]·[B?, K, N] with optional per-matrix transposes; a 2-D operand is shared. */
function bmm64(a: Float64Array, sa: number[], b: Float64Array, sb: number[], ta = false, tb = false): Float64Array {
  const B = Math.max(sa.length === 3 ? sa[0]! : 1, sb.length === 3 ? sb[0]! : 1);
  const [ar, ac] = sa.slice(-2) as [number, number], [br, bc] = sb.slice(-2) as [number, number];
  const M = ta ? ac : ar, K = ta ? ar : ac, N = tb ? br : bc;
  const out = new Float64Array(B * M * N);
  for (let z = 0; z < B; z++) {
    const A = sa.length === 3 ? a.subarray(z * ar * ac) : a, Bm = sb.length === 3 ? b.subarray(z * br * bc) : b;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (ta ? A[k * M + i]! : A[i * K + k]!) * (tb ? Bm[j * K + k]! : Bm[k * N + j]!);
      out[(z * M + i) * N + j] = s;
    }
  }
  return out;
}

/** Max along the middle of [outer, n, inner]. */
function max64(x: Float64Array, outer: number, n: number, inner: number): Float64Array {
  const out = new Float64Array(outer * inner).fill(-Infinity);
  for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) for (let i = 0; i < inner; i++) out[o * inner + i] = Math.max(out[o * inner + i]!, x[(o * n + k) * inner + i]!);
  return out;
}

const MASK = [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0];
const ROWMASK = [0, 1, 1];
const GATHER1 = [0, 3, 3, 1, 0, 2, 2, 2, 0]; // [3, 3] ids into axis 1 of [3, 4]
const GATHER0 = [2, 0, 1, 1, 0, 2, 2, 1]; // [2, 4] ids into axis 0 of [3, 4]

export const toolkitCases: GradCase[] = [
  { op: 'add', label: 'tensor + number', shapes: [[3, 4]], run: ([a]) => add(a!, 2.5), oracle: ([a]) => map(a!, (v) => v + 2.5) },
  { op: 'add', label: 'number + tensor', shapes: [[5]], run: ([a]) => add(-1, a!), oracle: ([a]) => map(a!, (v) => v - 1) },
  { op: 'sub', label: '1 − tensor', shapes: [[2, 3]], run: ([a]) => sub(1, a!), oracle: ([a]) => map(a!, (v) => 1 - v) },
  { op: 'sub', label: 'tensor − number', shapes: [[4]], run: ([a]) => sub(a!, 0.5), oracle: ([a]) => map(a!, (v) => v - 0.5) },
  { op: 'mul', label: 'tensor · number and number · tensor', shapes: [[3, 2]], run: ([a]) => mul(2, mul(a!, -3)), oracle: ([a]) => map(a!, (v) => -6 * v) },
  { op: 'div', label: 'same shape [3,4]', shapes: [[3, 4], [3, 4]], range: [0.5, 2], run: ([a, b]) => div(a!, b!), oracle: ([a, b]) => bcast([{ v: a!, s: [3, 4] }, { v: b!, s: [3, 4] }], (x, y) => x / y) },
  { op: 'div', label: 'broadcast [2,3,4] / [3,1]', shapes: [[2, 3, 4], [3, 1]], range: [0.5, 2], run: ([a, b]) => div(a!, b!), oracle: ([a, b]) => bcast([{ v: a!, s: [2, 3, 4] }, { v: b!, s: [3, 1] }], (x, y) => x / y) },
  { op: 'div', label: 'broadcast [4] / [3,4]', shapes: [[4], [3, 4]], range: [0.5, 2], run: ([a, b]) => div(a!, b!), oracle: ([a, b]) => bcast([{ v: a!, s: [4] }, { v: b!, s: [3, 4] }], (x, y) => x / y) },
  { op: 'div', label: 'tensor / number', shapes: [[5]], run: ([a]) => div(a!, 3), oracle: ([a]) => map(a!, (v) => v / 3) },
  { op: 'div', label: 'number / tensor', shapes: [[2, 3]], range: [0.5, 2], run: ([a]) => div(1.5, a!), oracle: ([a]) => map(a!, (v) => 1.5 / v) },
  { op: 'sqrt', label: '[3,4]', shapes: [[3, 4]], range: [0.2, 3], run: ([a]) => sqrt(a!), oracle: ([a]) => map(a!, Math.sqrt) },
  { op: 'abs', label: '[7]', shapes: [[7]], run: ([a]) => abs(a!), oracle: ([a]) => map(a!, Math.abs) },
  { op: 'pow', label: 'cube of [2,3]', shapes: [[2, 3]], run: ([a]) => pow(a!, 3), oracle: ([a]) => map(a!, (v) => v ** 3) },
  { op: 'pow', label: '^−1.5 of [5]', shapes: [[5]], range: [0.3, 2], run: ([a]) => pow(a!, -1.5), oracle: ([a]) => map(a!, (v) => v ** -1.5) },
  { op: 'max', label: 'all of [3,5]', shapes: [[3, 5]], run: ([a]) => max(a!), oracle: ([a]) => max64(a!, 1, 15, 1) },
  { op: 'max', label: 'axis 1 of [2,3,4]', shapes: [[2, 3, 4]], run: ([a]) => max(a!, 1), oracle: ([a]) => max64(a!, 2, 3, 4) },
  { op: 'max', label: 'axis −1 keepDims of [4,3]', shapes: [[4, 3]], run: ([a]) => max(a!, -1, true), oracle: ([a]) => max64(a!, 4, 3, 1) },
  {
    op: 'where', label: 'same shape [3,4]', shapes: [[3, 4], [3, 4]], run: ([a, b]) => where(tensor(MASK, [3, 4]), a!, b!),
    oracle: ([a, b]) => a!.map((v, i) => (MASK[i] ? v : b![i]!)),
  },
  {
    op: 'where', label: 'broadcast mask [3,1], a [3,4], b [4]', shapes: [[3, 4], [4]], run: ([a, b]) => where(tensor(ROWMASK, [3, 1]), a!, b!),
    oracle: ([a, b]) => bcast([{ v: Float64Array.from(ROWMASK), s: [3, 1] }, { v: a!, s: [3, 4] }, { v: b!, s: [4] }], (c, x, y) => (c ? x : y)),
  },
  { op: 'where', label: 'a number branch', shapes: [[3, 4]], run: ([a]) => where(tensor(MASK, [3, 4]), 0, a!), oracle: ([a]) => a!.map((v, i) => (MASK[i] ? 0 : v)) },
  { op: 'stack', label: 'three [2,3] at axis 0', shapes: [[2, 3], [2, 3], [2, 3]], run: (xs) => stack(xs, 0), oracle: (xs) => Float64Array.from(xs.flatMap((x) => [...x])) },
  {
    op: 'stack', label: 'two [2,3] at axis 2 (last)', shapes: [[2, 3], [2, 3]], run: (xs) => stack(xs, 2),
    oracle: ([a, b]) => Float64Array.from({ length: 12 }, (_, o) => (o % 2 === 0 ? a! : b!)[Math.floor(o / 2)]!),
  },
  {
    op: 'stack', label: 'two [2,3] at axis 1', shapes: [[2, 3], [2, 3]], run: (xs) => stack(xs, 1),
    oracle: ([a, b]) => Float64Array.from([...a!.subarray(0, 3), ...b!.subarray(0, 3), ...a!.subarray(3), ...b!.subarray(3)]),
  },
  { op: 'split', label: '[5,4] in parts of 2 along axis 0', shapes: [[5, 4]], run: ([a]) => split(a!, 2, 0), oracle: ([a]) => a!.slice() },
  {
    op: 'split', label: '[3,4] into [1,3] along axis 1', shapes: [[3, 4]], run: ([a]) => split(a!, [1, 3], 1),
    oracle: ([a]) => Float64Array.from([0, 4, 8, 1, 2, 3, 5, 6, 7, 9, 10, 11].map((i) => a![i]!)),
  },
  {
    op: 'gather', label: 'axis 1 of [3,4], repeated ids', shapes: [[3, 4]], run: ([a]) => gather(a!, 1, new IntTensor(GATHER1, [3, 3])),
    oracle: ([a]) => Float64Array.from(GATHER1, (id, o) => a![Math.floor(o / 3) * 4 + id]!),
  },
  {
    op: 'gather', label: 'axis 0 of [3,4]', shapes: [[3, 4]], run: ([a]) => gather(a!, 0, new IntTensor(GATHER0, [2, 4])),
    oracle: ([a]) => Float64Array.from(GATHER0, (id, o) => a![id * 4 + (o % 4)]!),
  },
  { op: 'permute', label: '[2,3,4] → [2,0,1]', shapes: [[2, 3, 4]], run: ([a]) => permute(a!, [2, 0, 1]), oracle: ([a]) => permute64(a!, [2, 3, 4], [2, 0, 1]) },
  { op: 'permute', label: '[3,5] → [1,0] (transpose)', shapes: [[3, 5]], run: ([a]) => permute(a!, [-1, 0]), oracle: ([a]) => permute64(a!, [3, 5], [1, 0]) },
  { op: 'matmul', label: 'batched [2,3,4]·[2,4,5]', shapes: [[2, 3, 4], [2, 4, 5]], run: ([a, b]) => matmul(a!, b!), oracle: ([a, b]) => bmm64(a!, [2, 3, 4], b!, [2, 4, 5]) },
  { op: 'matmul', label: 'batched [3,2,4]·[4,5] (shared b)', shapes: [[3, 2, 4], [4, 5]], run: ([a, b]) => matmul(a!, b!), oracle: ([a, b]) => bmm64(a!, [3, 2, 4], b!, [4, 5]) },
  { op: 'matmul', label: 'batched [3,4]·[2,4,5] (shared a)', shapes: [[3, 4], [2, 4, 5]], run: ([a, b]) => matmul(a!, b!), oracle: ([a, b]) => bmm64(a!, [3, 4], b!, [2, 4, 5]) },
  {
    op: 'matmul', label: 'batched [2,3,4]·[2,5,4]ᵀ (transB)', shapes: [[2, 3, 4], [2, 5, 4]], run: ([a, b]) => matmul(a!, b!, { transB: true }),
    oracle: ([a, b]) => bmm64(a!, [2, 3, 4], b!, [2, 5, 4], false, true),
  },
  {
    op: 'matmul', label: 'batched [2,4,3]ᵀ·[2,4,5] (transA)', shapes: [[2, 4, 3], [2, 4, 5]], run: ([a, b]) => matmul(a!, b!, { transA: true }),
    oracle: ([a, b]) => bmm64(a!, [2, 4, 3], b!, [2, 4, 5], true, false),
  },
  {
    op: 'mseLoss', label: 'mean over [3,4], both sides', shapes: [[3, 4], [3, 4]], run: ([a, b]) => mseLoss(a!, b!),
    oracle: ([a, b]) => Float64Array.of(a!.reduce((s, v, i) => s + (v - b![i]!) ** 2, 0) / 12),
  },
  {
    op: 'mseLoss', label: "sum over [5], constant target", shapes: [[5], [5]], constant: [1], run: ([a, b]) => mseLoss(a!, b!, { reduction: 'sum' }),
    oracle: ([a, b]) => Float64Array.of(a!.reduce((s, v, i) => s + (v - b![i]!) ** 2, 0)),
  },
];
