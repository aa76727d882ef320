// The inference kernels (assembly/inference.ts) against their plain-TypeScript references on
// awkward sizes: gemv at M, K not multiples of 4/8/16; spmv and spmv_u16 at N = 1 … 4 (and the
// scalar fallback above), densities 1e-3 … 1 with empty rows, 16-bit indices up to column 65,535;
// the scalar build on a subset; and 1 vs 2 threads (every call split) giving the same bits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReference, CSRMatrix, kernels, loadBuild, Random, setThreads, type KernelExports } from '../src/index.js';
import { forceSplitForTests } from '../src/backend/threads.js';
import { bothWidths, clone, maxRelDiff, outputTensor, randomCSR, randomTensor, ref } from './helpers/heap.js';

const SIZES = [0, 1, 3, 5, 7, 9, 17, 31, 33, 65, 130];
const DENSITIES = [0, 1e-3, 0.05, 0.33, 1];
const TOL = 1e-5;

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

test('gemv matches the reference on awkward sizes', () => {
  const rng = new Random(5);
  let cases = 0;
  for (const M of SIZES) for (const K of SIZES) for (const acc of [0, 1]) {
    const A = randomTensor([M, K], rng), x = randomTensor([K], rng);
    const y = outputTensor([M], acc, rng), yRef = clone(y);
    kernels.gemv(y.ptr, A.ptr, x.ptr, M, K, acc);
    ref.gemv(yRef.ptr, A.ptr, x.ptr, M, K, acc);
    const d = maxRelDiff(y.data, yRef.data);
    assert.ok(d < TOL, `gemv M=${M} K=${K} acc=${acc}: max rel diff ${d}`);
    for (const t of [A, x, y, yRef]) t.dispose();
    cases++;
  }
  assert.ok(cases > 200);
});

test('gemv computes each row alone: a row gives the same bits in a 4-row group and alone', () => {
  const rng = new Random(6);
  for (const K of [3, 17, 130]) {
    const A = randomTensor([9, K], rng), x = randomTensor([K], rng), y = randomTensor([9], rng), one = randomTensor([1], rng);
    kernels.gemv(y.ptr, A.ptr, x.ptr, 9, K, 0);
    for (let r = 0; r < 9; r++) {
      kernels.gemv(one.ptr, A.ptr + r * K * 4, x.ptr, 1, K, 0);
      assert.ok(sameBits(one.data, y.data.subarray(r, r + 1)), `K=${K} row ${r}`);
    }
    for (const t of [A, x, y, one]) t.dispose();
  }
});

test('spmv and spmv_u16 match the reference (N = 1 … 7, densities 1e-3 … 1, empty rows) and give the same bits', () => {
  const rng = new Random(7);
  let cases = 0;
  for (const M of SIZES) for (const K of [1, 3, 17, 33, 130]) for (const density of DENSITIES) {
    const W = randomCSR(M, K, density, rng);
    const ci = bothWidths(W.colIdx), wide = ci.wide, narrow = ci.narrow;
    for (const N of [1, 2, 3, 4, 5, 7]) for (const acc of [0, 1]) {
      const where = `M=${M} K=${K} N=${N} density=${density} nnz=${W.nnz} acc=${acc}`;
      const X = randomTensor([K, N], rng);
      const Y = outputTensor([M, N], acc, rng), Y16 = clone(Y), Yref = clone(Y), Yref16 = clone(Y);
      kernels.spmv(Y.ptr, W.rowPtr.ptr, wide.ptr, W.values.ptr, X.ptr, M, N, acc);
      kernels.spmv_u16(Y16.ptr, W.rowPtr.ptr, narrow.ptr, W.values.ptr, X.ptr, M, N, acc);
      ref.spmv(Yref.ptr, W.rowPtr.ptr, wide.ptr, W.values.ptr, X.ptr, M, N, acc);
      ref.spmv_u16(Yref16.ptr, W.rowPtr.ptr, narrow.ptr, W.values.ptr, X.ptr, M, N, acc);
      assert.ok(maxRelDiff(Y.data, Yref.data) < TOL, `spmv ${where}: max rel diff ${maxRelDiff(Y.data, Yref.data)}`);
      assert.ok(sameBits(Y.data, Y16.data), `spmv_u16 differs from spmv: ${where}`);
      assert.ok(sameBits(Yref.data, Yref16.data), `ref.spmv_u16 differs from ref.spmv: ${where}`);
      for (const t of [X, Y, Y16, Yref, Yref16]) t.dispose();
      cases++;
    }
    W.dispose();
    ci.dispose();
  }
  assert.ok(cases > 2000);
});

test('16-bit column indices reach column 65,535; a matrix wider than 65,536 columns keeps 32 bits', () => {
  const rng = new Random(8);
  const K = 65536;
  const cols = [0, 1, 40000, 65534, 65535];
  const W = CSRMatrix.fromCoords([3, K], { row: [0, 0, 0, 2, 2], col: cols, value: [1, 2, 3, 4, 5] }, { requiresGrad: false });
  assert.is(W.colIdx.wide, false);
  assert.equal(Array.from(new Uint16Array(W.colIdx.data.buffer, W.colIdx.ptr, W.nnz)), cols);
  const wideCopy = bothWidths(W.colIdx).wide;
  const X = randomTensor([K, 1], rng), Y = outputTensor([3, 1], 0, rng), Yref = outputTensor([3, 1], 0, rng);
  kernels.spmv_u16(Y.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, X.ptr, 3, 1, 0);
  ref.spmv(Yref.ptr, W.rowPtr.ptr, wideCopy.ptr, W.values.ptr, X.ptr, 3, 1, 0);
  assert.ok(maxRelDiff(Y.data, Yref.data) < TOL);
  const wide = CSRMatrix.fromCoords([1, K + 1], { row: [0, 0], col: [3, K] }, { requiresGrad: false });
  assert.is(wide.colIdx.wide, true);
  assert.equal(Array.from(wide.colIdx.data), [3, K]);
  for (const t of [W, wide, wideCopy, X, Y, Yref]) t.dispose();
});

test('stream_sum matches the reference', () => {
  const rng = new Random(9);
  for (const n of [0, 1, 5, 31, 32, 33, 100, 1000]) {
    const a = randomTensor([n], rng);
    const got = kernels.stream_sum(a.ptr, n), want = ref.stream_sum(a.ptr, n);
    assert.ok(Math.abs(got - want) <= 1e-5 * (1 + n), `n=${n}: ${got} vs ${want}`);
    a.dispose();
  }
});

test('the scalar build matches the reference (gemv, spmv, spmv_u16)', async () => {
  const scalar: KernelExports = await loadBuild('scalar');
  const mem = scalar.memory;
  const sref = createReference({ get f() { return new Float32Array(mem.buffer); }, get i() { return new Int32Array(mem.buffer); } });
  const rng = new Random(10);
  let at = Math.ceil(scalar.heap_base() / 16) * 16;
  const put = (arr: Float32Array | Int32Array | Uint16Array): number => {
    const p = at;
    at += Math.ceil(arr.byteLength / 16) * 16 + 16;
    if (at > mem.buffer.byteLength) mem.grow(Math.ceil((at - mem.buffer.byteLength) / 65536));
    new (arr.constructor as Float32ArrayConstructor)(mem.buffer, p, arr.length).set(arr as Float32Array);
    return p;
  };
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
  const read = (p: number, n: number) => new Float32Array(mem.buffer, p, n).slice();
  for (const [M, K] of [[5, 3], [9, 17], [33, 7], [1, 1]] as const) {
    for (const acc of [0, 1]) {
      const a = put(rand(M * K)), x = put(rand(K)), y0 = rand(M), y = put(y0), yr = put(y0);
      scalar.gemv(y, a, x, M, K, acc);
      sref.gemv(yr, a, x, M, K, acc);
      assert.ok(maxRelDiff(read(y, M), read(yr, M)) < TOL, `scalar gemv ${M}×${K}`);
      const W = randomCSR(M, K, 0.4, rng);
      const rp = put(W.rowPtr.data), ci = put(W.colIdx.toInt32Array()), v = put(W.values.data);
      const ci16 = put(Uint16Array.from(W.colIdx.data));
      for (const N of [1, 2, 3, 4]) {
        const X = put(rand(K * N)), Y0 = rand(M * N), Y = put(Y0), Y16 = put(Y0), Yr = put(Y0);
        scalar.spmv(Y, rp, ci, v, X, M, N, acc);
        scalar.spmv_u16(Y16, rp, ci16, v, X, M, N, acc);
        sref.spmv(Yr, rp, ci, v, X, M, N, acc);
        assert.ok(maxRelDiff(read(Y, M * N), read(Yr, M * N)) < TOL, `scalar spmv ${M}×${K} N=${N}`);
        assert.ok(maxRelDiff(read(Y16, M * N), read(Yr, M * N)) < TOL, `scalar spmv_u16 ${M}×${K} N=${N}`);
      }
      W.dispose();
    }
  }
});

test('1 and 2 threads (every call split into row shares) give the same bits', async () => {
  const rng = new Random(11);
  const run = () => {
    const outs: Float32Array[] = [];
    const r = new Random(12);
    for (const [M, K, density] of [[1, 5, 0.5], [17, 33, 1e-3], [130, 65, 0.33], [701, 650, 0.33], [2600, 650, 1]] as const) {
      const W = randomCSR(M, K, density, r), A = randomTensor([M, K], r), ci = bothWidths(W.colIdx);
      for (const N of [1, 2, 3, 4]) {
        const X = randomTensor([K, N], r), Y = randomTensor([M, N], r), Y16 = clone(Y);
        kernels.spmv(Y.ptr, W.rowPtr.ptr, ci.wide.ptr, W.values.ptr, X.ptr, M, N, 1);
        kernels.spmv_u16(Y16.ptr, W.rowPtr.ptr, ci.narrow.ptr, W.values.ptr, X.ptr, M, N, 0);
        outs.push(Y.toArray(), Y16.toArray());
        for (const t of [X, Y, Y16]) t.dispose();
      }
      const x = randomTensor([K], r), y = randomTensor([M], r);
      kernels.gemv(y.ptr, A.ptr, x.ptr, M, K, 1);
      outs.push(y.toArray());
      for (const t of [W, A, x, y, ci]) t.dispose();
    }
    return outs;
  };
  assert.is(await setThreads(1), 1);
  const one = run();
  assert.is(await setThreads(2), 2);
  const prev = forceSplitForTests(true);
  try {
    const two = run();
    one.forEach((a, i) => assert.ok(sameBits(a, two[i]!), `output ${i}`));
  } finally {
    forceSplitForTests(prev);
    await setThreads(1);
  }
  void rng;
});

test.run();
