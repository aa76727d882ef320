// Gradient-check cases for the sparse-weight ops (src/ops/sparse.ts), w.r.t. the nonzero values
// AND the dense inputs; the oracle is the dense product with the missing entries at zero.
// Run by test/gradcheck.test.ts (coverage table) and by test/sparse-ops.test.ts in both Wᵀ·G forms.
import { CSRMatrix, IntTensor, Random, linear, sparseEmbedding, sparseLinear, sparseMatmul, weightMatmul, type Tensor } from '../../src/index.js';
import type { GradCase } from '../helpers/gradcheck.js';

/** A topology (no values) of an M×K matrix: Bernoulli(density), row 1 forced empty when M > 2 and density < 1. */
export function topology(M: number, K: number, density: number, rng: Random): { rowPtr: number[]; colIdx: number[] } {
  const rowPtr = [0], colIdx: number[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < K; j++) if (density === 1 || (!(M > 2 && i === 1) && rng.uniform() < density)) colIdx.push(j);
    rowPtr.push(colIdx.length);
  }
  return { rowPtr, colIdx };
}

/** Dense f64 M×K matrix of a topology with the given values. */
export function densify(M: number, K: number, t: { rowPtr: number[]; colIdx: number[] }, v: Float64Array): Float64Array {
  const d = new Float64Array(M * K);
  for (let i = 0; i < M; i++) for (let s = t.rowPtr[i]!; s < t.rowPtr[i + 1]!; s++) d[i * K + t.colIdx[s]!] = v[s]!;
  return d;
}

/**
 * The matrix for a gradcheck run: it adopts gradcheck's input tensor as its values, and its index
 * arrays belong to gradcheck's tidy scope (persistent: false), so a case allocates nothing that
 * outlives it.
 */
function withValues(M: number, K: number, t: { rowPtr: number[]; colIdx: number[] }, values: Tensor): CSRMatrix {
  return CSRMatrix.fromParts([M, K], t.rowPtr, t.colIdx, values, { persistent: false });
}

/**
 * Gradient-check cases for the sparse ops, w.r.t. the values AND the dense inputs. Leak-free and
 * self-contained, in the GradCase format of test/helpers/gradcheck.ts, so they can join a
 * repository-wide coverage list as they are.
 */
export function sparseGradCases(): GradCase[] {
  const cases: GradCase[] = [];
  const rng = new Random(2);
  for (const [M, K, N, density] of [[5, 7, 3, 0.33], [3, 4, 5, 1], [6, 5, 1, 0.5], [4, 9, 6, 0.2]] as [number, number, number, number][]) {
    const t = topology(M, K, density, rng);
    const nnz = t.colIdx.length;
    cases.push({
      op: 'weightMatmul',
      label: `${M}×${K} (nnz ${nnz}) · [${K}, ${N}]`,
      shapes: [[nnz], [K, N]],
      run: ([v, X]) => sparseMatmul(withValues(M, K, t, v!), X!),
      oracle: ([v, X]) => {
        const W = densify(M, K, t, v!);
        const Y = new Float64Array(M * N);
        for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) Y[i * N + n] += W[i * K + k]! * X![k * N + n]!;
        return Y;
      },
    });
  }
  for (const [out, inF, N, density] of [[5, 7, 3, 0.33], [4, 3, 1, 1], [7, 6, 5, 0.5]] as [number, number, number, number][]) {
    const t = topology(out, inF, density, rng);
    const nnz = t.colIdx.length;
    for (const withBias of [false, true]) {
      cases.push({
        op: 'linear',
        label: `x [${N}, ${inF}] · W[${out}×${inF}, nnz ${nnz}]ᵀ${withBias ? ' + b' : ''}`,
        shapes: withBias ? [[nnz], [N, inF], [out]] : [[nnz], [N, inF]],
        run: ([v, x, b]) => sparseLinear(x!, withValues(out, inF, t, v!), b),
        oracle: ([v, x, b]) => {
          const W = densify(out, inF, t, v!);
          const y = new Float64Array(N * out);
          for (let n = 0; n < N; n++) {
            for (let o = 0; o < out; o++) {
              let s = b ? b[o]! : 0;
              for (let k = 0; k < inF; k++) s += x![n * inF + k]! * W[o * inF + k]!;
              y[n * out + o] = s;
            }
          }
          return y;
        },
      });
    }
  }
  // The same op with a dense weight (the dense implementation of the weight operator).
  for (const [out, inF, N] of [[5, 7, 3], [3, 2, 6]] as [number, number, number][]) {
    cases.push({
      op: 'linear',
      label: `dense x [${N}, ${inF}] · W[${out}×${inF}]ᵀ + b`,
      shapes: [[out, inF], [N, inF], [out]],
      run: ([W, x, b]) => linear(x!, W!, b),
      oracle: ([W, x, b]) => {
        const y = new Float64Array(N * out);
        for (let n = 0; n < N; n++) {
          for (let o = 0; o < out; o++) {
            let s = b![o]!;
            for (let k = 0; k < inF; k++) s += x![n * inF + k]! * W![o * inF + k]!;
            y[n * out + o] = s;
          }
        }
        return y;
      },
    });
    cases.push({
      op: 'weightMatmul',
      label: `dense W[${out}×${inF}] · X [${inF}, ${N}]`,
      shapes: [[out, inF], [inF, N]],
      run: ([W, X]) => weightMatmul(W!, X!),
      oracle: ([W, X]) => {
        const Y = new Float64Array(out * N);
        for (let i = 0; i < out; i++) for (let k = 0; k < inF; k++) for (let n = 0; n < N; n++) Y[i * N + n] += W![i * inF + k]! * X![k * N + n]!;
        return Y;
      },
    });
  }
  const V = 6, E = 5;
  const t = topology(V, E, 0.5, rng); // row 1 is empty
  const idList = [1, 3, 3, 0, 5, 3];
  cases.push({
    op: 'embedding',
    label: `table [${V}×${E}, nnz ${t.colIdx.length}], ids [2, 3] with repeats and an empty row`,
    shapes: [[t.colIdx.length]],
    run: ([v]) => sparseEmbedding(withValues(V, E, t, v!), new IntTensor(idList, [2, 3])),
    oracle: ([v]) => {
      const W = densify(V, E, t, v!);
      const out = new Float64Array(idList.length * E);
      idList.forEach((id, n) => out.set(W.subarray(id * E, (id + 1) * E), n * E));
      return out;
    },
  });
  return cases;
}

