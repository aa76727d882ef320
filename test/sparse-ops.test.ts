// Sparse ops: finite-difference gradient checks (w.r.t. the values AND the dense input), equality
// with the dense ops on W.toDense() in value and gradient, error messages, memory hygiene.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  add, CSRMatrix, embedding, IntTensor, matmul, memoryStats, mul, parameter, Random, setSparseTransposeForm,
  sparseEmbedding, sparseLinear, sparseMatmul, sum, tensor, Tensor, tidy,
} from '../src/index.js';
import { checkedOps, gradcheck, type GradCase } from './helpers/gradcheck.js';
import { maxRelDiff, randomTensor } from './helpers/heap.js';

/** A topology (no values) of an M×K matrix: Bernoulli(density), row 1 forced empty when M > 2 and density < 1. */
function topology(M: number, K: number, density: number, rng: Random): { rowPtr: number[]; colIdx: number[] } {
  const rowPtr = [0], colIdx: number[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < K; j++) if (density === 1 || (!(M > 2 && i === 1) && rng.uniform() < density)) colIdx.push(j);
    rowPtr.push(colIdx.length);
  }
  return { rowPtr, colIdx };
}

/** Dense f64 M×K matrix of a topology with the given values. */
function densify(M: number, K: number, t: { rowPtr: number[]; colIdx: number[] }, v: Float64Array): Float64Array {
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
      op: 'sparseMatmul',
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
        op: 'sparseLinear',
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
  const V = 6, E = 5;
  const t = topology(V, E, 0.5, rng); // row 1 is empty
  const idList = [1, 3, 3, 0, 5, 3];
  cases.push({
    op: 'sparseEmbedding',
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

for (const form of ['scatter', 'gather'] as const) {
  test(`gradient checks of the sparse ops (Wᵀ·G by ${form}) allocate nothing that outlives them`, () => {
    const prev = setSparseTransposeForm(form);
    const live = memoryStats().liveBytes;
    for (const c of sparseGradCases()) gradcheck({ ...c, label: `${c.label}, ${form}` });
    assert.is(memoryStats().liveBytes, live);
    setSparseTransposeForm(prev);
  });
}

test('every sparse op went through a gradient check', () => {
  for (const op of ['sparseMatmul', 'sparseLinear', 'sparseEmbedding']) assert.ok(checkedOps().has(op), op);
});

/**
 * Runs the sparse op and its dense counterpart (on W.toDense()), backpropagates the same random
 * projection Σ y ⊙ p through both, and compares outputs, dense-input gradients and W's gradient.
 */
function compareWithDense(
  label: string,
  W: CSRMatrix,
  sparseOp: () => Tensor,
  denseOp: (Wd: Tensor) => Tensor,
  dense: Tensor[],
): void {
  const Wd = parameter(W.toDense());
  W.values.grad?.dispose();
  W.values.grad = null;
  const ys = tidy(() => {
    const y = sparseOp();
    const proj = randomTensor([...y.shape], new Random(99));
    sum(mul(y, proj)).backward();
    const gradsSparse = dense.map((d) => d.grad!.toArray());
    for (const d of dense) d.zeroGrad();
    const yd = denseOp(Wd);
    sum(mul(yd, proj)).backward();
    const gradsDense = dense.map((d) => d.grad!.toArray());
    proj.dispose();
    return { y: y.toArray(), yd: yd.toArray(), gradsSparse, gradsDense };
  });
  assert.ok(maxRelDiff(ys.y, ys.yd) < 1e-5, `${label}: forward differs (${maxRelDiff(ys.y, ys.yd)})`);
  ys.gradsSparse.forEach((g, k) => assert.ok(maxRelDiff(g, ys.gradsDense[k]!) < 1e-5, `${label}: gradient of dense input ${k} differs`));
  // The values' gradient equals the dense weight gradient read at the nonzeros.
  const gD = Wd.grad!.toArray(), gV = W.values.grad!.toArray();
  const { row, col } = W.coords();
  const atNonzeros = Float32Array.from(gV, (_, s) => gD[row[s]! * W.cols + col[s]!]!);
  assert.ok(maxRelDiff(gV, atNonzeros) < 1e-5, `${label}: values.grad differs from the dense gradient at the nonzeros`);
  Wd.grad!.dispose();
  Wd.dispose();
  for (const d of dense) {
    d.grad?.dispose();
    d.grad = null;
  }
}

test('each sparse op equals its dense counterpart on toDense(), in value and gradient', () => {
  const rng = new Random(8);
  for (const density of [0.05, 0.33, 1]) {
    const W = CSRMatrix.random([13, 21], density, { rng });
    const X = parameter(randomTensor([21, 20], rng));
    compareWithDense(`sparseMatmul d=${density}`, W, () => sparseMatmul(W, X), (Wd) => matmul(Wd, X), [X]);
    const x = parameter(randomTensor([20, 21], rng)), b = parameter(randomTensor([13], rng));
    compareWithDense(`sparseLinear d=${density}`, W, () => sparseLinear(x, W, b), (Wd) => add(matmul(x, Wd, { transB: true }), b), [x, b]);
    const ids = new IntTensor([0, 12, 5, 5, 7], [5], { persistent: true });
    compareWithDense(`sparseEmbedding d=${density}`, W, () => sparseEmbedding(W, ids), (Wd) => embedding(Wd, ids), []);
    for (const t of [W, X, x, b, ids]) t.dispose();
  }
});

test('shape errors name the shapes; a disposed matrix is caught in forward and backward', () => {
  const W = CSRMatrix.random([4, 6], 0.5, { rng: new Random(1), name: 'w_hh' });
  const X = parameter(tensor(new Float32Array(15), [5, 3]));
  assert.throws(() => sparseMatmul(W, X), /sparseMatmul: W is \[4, 6\] so X must be \[6, N\], got \[5, 3\]/);
  assert.throws(() => sparseLinear(X, W), /sparseLinear: W is \[4, 6\] \(out × in\) so x must be \[N, 6\], got \[5, 3\]/);
  const x = parameter(tensor(new Float32Array(12), [2, 6]));
  assert.throws(() => sparseLinear(x, W, tensor([1, 2, 3])), /sparseLinear: bias must be \[4\], got \[3\]/);
  const ids = new IntTensor([0, 4], [2], { persistent: true });
  assert.throws(() => sparseEmbedding(W, ids), /sparseEmbedding: id 4 at position 1 is outside \[0, 4\)/);
  assert.throws(() => setSparseTransposeForm('csc' as never), /must be 'scatter' or 'gather', got 'csc'/);
  tidy(() => {
    const y = sparseLinear(x, W);
    W.dispose();
    assert.throws(() => sum(y).backward(), /sparseLinear: the CSRMatrix 'w_hh' was disposed between forward and backward/);
  });
  assert.throws(() => sparseMatmul(W, X), /CSRMatrix 'w_hh' \[4, 6\] used after dispose\(\)/);
  for (const t of [X, x, ids]) t.dispose();
});

test('a training step inside tidy leaves only the persistent gradients behind', () => {
  const rng = new Random(6);
  const W = CSRMatrix.random([30, 40], 0.2, { rng });
  const x = parameter(randomTensor([20, 40], rng));
  const step = () => tidy(() => sum(sparseLinear(x, W)).backward());
  step(); // first step allocates the persistent .grad buffers
  const live = memoryStats().liveBytes;
  step();
  step();
  assert.is(memoryStats().liveBytes, live);
  assert.equal(W.values.grad!.shape, [W.nnz]);
  W.dispose();
  x.grad?.dispose();
  x.dispose();
});

test.run();
