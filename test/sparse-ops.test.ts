// Sparse ops: finite-difference gradient checks (w.r.t. the values AND the dense input), equality
// with the dense ops on W.toDense() in value and gradient, error messages, memory hygiene.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  add, CSRMatrix, embedding, IntTensor, matmul, memoryStats, mul, parameter, Random, setSparseTransposeForm,
  sparseEmbedding, sparseLinear, sparseMatmul, sum, tensor, Tensor, tidy,
} from '../src/index.js';
import { checkedOps, gradcheck } from './helpers/gradcheck.js';
import { densify, sparseGradCases, topology } from './gradcases/sparse.js';
import { maxRelDiff, randomTensor } from './helpers/heap.js';

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
  for (const op of ['weightMatmul', 'linear', 'embedding']) assert.ok(checkedOps().has(op), op);
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
  assert.throws(() => sparseMatmul(W, X), /weightMatmul: W is \[4, 6\] so X must be \[6, N\], got \[5, 3\]/);
  assert.throws(() => sparseLinear(X, W), /linear: W is \[4, 6\] \(out × in\) so x must be \[N, 6\], got \[5, 3\]/);
  const x = parameter(tensor(new Float32Array(12), [2, 6]));
  assert.throws(() => sparseLinear(x, W, tensor([1, 2, 3])), /linear: bias must be \[4\], got \[3\]/);
  const ids = new IntTensor([0, 4], [2], { persistent: true });
  assert.throws(() => sparseEmbedding(W, ids), /embedding: id 4 at position 1 is outside \[0, 4\)/);
  assert.throws(() => setSparseTransposeForm('csc' as never), /must be 'scatter' or 'gather', got 'csc'/);
  tidy(() => {
    const y = sparseLinear(x, W);
    W.dispose();
    assert.throws(() => sum(y).backward(), /input 0 'w_hh' \[\d+\] of 'linear' was disposed after the forward/);
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
