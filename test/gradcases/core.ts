// Gradient-check cases for the core ops (src/ops/*). Each case pairs the op on the tape with an
// independent float64 oracle. Shapes are small and odd on purpose.
import {
  add, concat, crossEntropy, dropout, embedding, exp, IntTensor, log, logSoftmax, matmul, mean, mul, Random,
  mixtureNLL, relu, reshape, scale, sigmoid, slice, softmax, sub, sum, tanh, transpose,
} from '../../src/index.js';
import type { GradCase } from '../helpers/gradcheck.js';

const map = (x: Float64Array, f: (v: number) => number) => x.map(f);

/** Broadcast binary oracle: shapes padded from the right, NumPy rules. */
function bcast(a: Float64Array, sa: number[], b: Float64Array, sb: number[], f: (x: number, y: number) => number): Float64Array {
  const n = Math.max(sa.length, sb.length);
  const pa = [...Array(n - sa.length).fill(1), ...sa], pb = [...Array(n - sb.length).fill(1), ...sb];
  const so = pa.map((d, i) => Math.max(d, pb[i]!));
  const total = so.reduce((x, y) => x * y, 1);
  const out = new Float64Array(total);
  const idx = (shape: number[], coords: number[]) => coords.reduce((off, c, i) => off * shape[i]! + (shape[i] === 1 ? 0 : c), 0);
  for (let o = 0; o < total; o++) {
    const coords: number[] = [];
    let r = o;
    for (let i = n - 1; i >= 0; i--) { coords[i] = r % so[i]!; r = Math.floor(r / so[i]!); }
    out[o] = f(a[idx(pa, coords)]!, b[idx(pb, coords)]!);
  }
  return out;
}

function matmul64(a: Float64Array, b: Float64Array, M: number, K: number, N: number, ta = false, tb = false): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (ta ? a[k * M + i]! : a[i * K + k]!) * (tb ? b[j * K + k]! : b[k * N + j]!);
    out[i * N + j] = s;
  }
  return out;
}

function rows64(x: Float64Array, cols: number, f: (row: Float64Array) => Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r * cols < x.length; r++) out.set(f(x.subarray(r * cols, (r + 1) * cols)), r * cols);
  return out;
}

const lse = (row: Float64Array) => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};

/** Reduce [outer, n, inner] along the middle axis. */
function reduceAxis(x: Float64Array, outer: number, n: number, inner: number, factor: number): Float64Array {
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) for (let i = 0; i < inner; i++) out[o * inner + i] += x[(o * n + k) * inner + i]! * factor;
  return out;
}

const IDS = [4, 0, 6, 4, 2, 4, 1];
const MOS_T = [2, 0, 4];

/** MoS NLL oracle straight from the definition: −mean_n log Σ_k π_nk softmax(l_nk)[t_n]. */
function mos64(logits: Float64Array, logPrior: Float64Array, N: number, K: number, V: number, targets: number[]): Float64Array {
  let s = 0;
  for (let n = 0; n < N; n++) {
    let p = 0;
    for (let k = 0; k < K; k++) {
      const row = logits.subarray((n * K + k) * V, (n * K + k + 1) * V);
      p += Math.exp(logPrior[n * K + k]!) * Math.exp(row[targets[n]!]! - lse(row));
    }
    s -= Math.log(p);
  }
  return Float64Array.of(s / N);
}
const TARGETS = [0, 5, 2, 2];

export const coreCases: GradCase[] = [
  { op: 'add', label: 'same shape [3,5]', shapes: [[3, 5], [3, 5]], run: ([a, b]) => add(a!, b!), oracle: ([a, b]) => bcast(a!, [3, 5], b!, [3, 5], (x, y) => x + y) },
  { op: 'add', label: 'bias [3,5] + [5]', shapes: [[3, 5], [5]], run: ([a, b]) => add(a!, b!), oracle: ([a, b]) => bcast(a!, [3, 5], b!, [5], (x, y) => x + y) },
  { op: 'add', label: 'general [2,3,4] + [1,3,1]', shapes: [[2, 3, 4], [1, 3, 1]], run: ([a, b]) => add(a!, b!), oracle: ([a, b]) => bcast(a!, [2, 3, 4], b!, [1, 3, 1], (x, y) => x + y) },
  { op: 'sub', label: 'same shape [5,3]', shapes: [[5, 3], [5, 3]], run: ([a, b]) => sub(a!, b!), oracle: ([a, b]) => bcast(a!, [5, 3], b!, [5, 3], (x, y) => x - y) },
  { op: 'sub', label: 'outer [4,1] − [1,3]', shapes: [[4, 1], [1, 3]], run: ([a, b]) => sub(a!, b!), oracle: ([a, b]) => bcast(a!, [4, 1], b!, [1, 3], (x, y) => x - y) },
  { op: 'mul', label: 'same shape [7]', shapes: [[7], [7]], run: ([a, b]) => mul(a!, b!), oracle: ([a, b]) => bcast(a!, [7], b!, [7], (x, y) => x * y) },
  { op: 'mul', label: 'locked mask [3,2,5] ⊙ [1,2,5]', shapes: [[3, 2, 5], [1, 2, 5]], run: ([a, b]) => mul(a!, b!), oracle: ([a, b]) => bcast(a!, [3, 2, 5], b!, [1, 2, 5], (x, y) => x * y) },
  { op: 'mul', label: 'general [3,1] ⊙ [1,4]', shapes: [[3, 1], [1, 4]], run: ([a, b]) => mul(a!, b!), oracle: ([a, b]) => bcast(a!, [3, 1], b!, [1, 4], (x, y) => x * y) },
  { op: 'mul', label: 'square x ⊙ x', shapes: [[5]], run: ([a]) => mul(a!, a!), oracle: ([a]) => map(a!, (v) => v * v) },
  { op: 'scale', label: '[3,3] × −2.5', shapes: [[3, 3]], run: ([a]) => scale(a!, -2.5), oracle: ([a]) => map(a!, (v) => -2.5 * v) },
  { op: 'tanh', label: '[5,3]', shapes: [[5, 3]], range: [-3, 3], run: ([a]) => tanh(a!), oracle: ([a]) => map(a!, Math.tanh) },
  { op: 'sigmoid', label: '[17]', shapes: [[17]], range: [-5, 5], run: ([a]) => sigmoid(a!), oracle: ([a]) => map(a!, (v) => 1 / (1 + Math.exp(-v))) },
  { op: 'relu', label: '[3,5]', shapes: [[3, 5]], run: ([a]) => relu(a!), oracle: ([a]) => map(a!, (v) => Math.max(0, v)) },
  { op: 'exp', label: '[5]', shapes: [[5]], range: [-2, 2], run: ([a]) => exp(a!), oracle: ([a]) => map(a!, Math.exp) },
  { op: 'log', label: '[5]', shapes: [[5]], range: [0.2, 3], run: ([a]) => log(a!), oracle: ([a]) => map(a!, Math.log) },
  { op: 'sum', label: 'all of [3,5]', shapes: [[3, 5]], run: ([a]) => sum(a!), oracle: ([a]) => Float64Array.of(a!.reduce((s, v) => s + v, 0)) },
  { op: 'sum', label: 'axis 1 of [2,3,5]', shapes: [[2, 3, 5]], run: ([a]) => sum(a!, 1), oracle: ([a]) => reduceAxis(a!, 2, 3, 5, 1) },
  { op: 'mean', label: 'all of [7]', shapes: [[7]], run: ([a]) => mean(a!), oracle: ([a]) => Float64Array.of(a!.reduce((s, v) => s + v, 0) / 7) },
  { op: 'mean', label: 'axis 0 keepDims of [3,5]', shapes: [[3, 5]], run: ([a]) => mean(a!, 0, true), oracle: ([a]) => reduceAxis(a!, 1, 3, 5, 1 / 3) },
  { op: 'matmul', label: '[5,7]·[7,3]', shapes: [[5, 7], [7, 3]], run: ([a, b]) => matmul(a!, b!), oracle: ([a, b]) => matmul64(a!, b!, 5, 7, 3) },
  { op: 'matmul', label: '[3,5]·[9,5]ᵀ (transB)', shapes: [[3, 5], [9, 5]], run: ([a, b]) => matmul(a!, b!, { transB: true }), oracle: ([a, b]) => matmul64(a!, b!, 3, 5, 9, false, true) },
  { op: 'matmul', label: '[5,3]ᵀ·[5,6] (transA)', shapes: [[5, 3], [5, 6]], run: ([a, b]) => matmul(a!, b!, { transA: true }), oracle: ([a, b]) => matmul64(a!, b!, 3, 5, 6, true, false) },
  { op: 'reshape', label: '[2,3,5] → [5,-1]', shapes: [[2, 3, 5]], run: ([a]) => reshape(a!, [5, -1]), oracle: ([a]) => a!.slice() },
  { op: 'transpose', label: '[3,5]', shapes: [[3, 5]], run: ([a]) => transpose(a!), oracle: ([a]) => Float64Array.from({ length: 15 }, (_, k) => a![(k % 3) * 5 + Math.floor(k / 3)]!) },
  {
    op: 'slice', label: 'axis 1 [1,4) of [2,5,3]', shapes: [[2, 5, 3]], run: ([a]) => slice(a!, 1, 1, 4),
    oracle: ([a]) => Float64Array.from([...a!.subarray(3, 12), ...a!.subarray(18, 27)]),
  },
  {
    op: 'concat', label: 'axis 1 of [2,3] and [2,1]', shapes: [[2, 3], [2, 1]], run: ([a, b]) => concat([a!, b!], 1),
    oracle: ([a, b]) => Float64Array.from([...a!.subarray(0, 3), b![0]!, ...a!.subarray(3, 6), b![1]!]),
  },
  { op: 'concat', label: 'axis 0 of three', shapes: [[1, 3], [2, 3], [1, 3]], run: (xs) => concat(xs, 0), oracle: (xs) => Float64Array.from(xs.flatMap((x) => [...x])) },
  {
    op: 'embedding', label: '[7,3] table, repeated ids', shapes: [[7, 3]], run: ([w]) => embedding(w!, new IntTensor(IDS)),
    oracle: ([w]) => Float64Array.from(IDS.flatMap((i) => [...w!.subarray(i * 3, i * 3 + 3)])),
  },
  {
    op: 'dropout', label: 'p=0.4 on [5,4], seeded', shapes: [[5, 4]], run: ([a]) => dropout(a!, 0.4, { rng: new Random(42) }),
    oracle: ([a]) => {
      const rng = new Random(42);
      return map(a!, (v) => (rng.uniform() >= 0.4 ? v / 0.6 : 0));
    },
  },
  { op: 'softmax', label: '[3,5]', shapes: [[3, 5]], range: [-3, 3], run: ([a]) => softmax(a!), oracle: ([a]) => rows64(a!, 5, (r) => { const l = lse(r); return r.map((v) => Math.exp(v - l)); }) },
  { op: 'logSoftmax', label: '[3,5]', shapes: [[3, 5]], range: [-3, 3], run: ([a]) => logSoftmax(a!), oracle: ([a]) => rows64(a!, 5, (r) => { const l = lse(r); return r.map((v) => v - l); }) },
  {
    op: 'crossEntropy', label: '[4,6] mean over tokens', shapes: [[4, 6]], range: [-3, 3], run: ([a]) => crossEntropy(a!, new IntTensor(TARGETS)),
    oracle: ([a]) => {
      let s = 0;
      for (let r = 0; r < 4; r++) { const row = a!.subarray(r * 6, r * 6 + 6); s += lse(row) - row[TARGETS[r]!]!; }
      return Float64Array.of(s / 4);
    },
  },
  {
    op: 'mixtureNLL', label: 'N=3, K=2, V=5', shapes: [[3, 2, 5], [3, 2]], range: [-2, 2],
    run: ([l, p]) => mixtureNLL(l!, p!, new IntTensor(MOS_T)),
    oracle: ([l, p]) => mos64(l!, p!, 3, 2, 5, MOS_T),
  },
  {
    op: 'mixtureNLL', label: 'prior through logSoftmax, N=2, K=3, V=7', shapes: [[2, 3, 7], [2, 3]], range: [-2, 2],
    run: ([l, p]) => mixtureNLL(l!, logSoftmax(p!), new IntTensor([6, 1])),
    oracle: ([l, p]) => {
      const lp = rows64(p!, 3, (r) => { const m = lse(r); return r.map((v) => v - m); });
      return mos64(l!, lp, 2, 3, 7, [6, 1]);
    },
  },
];
