// Sparse kernels (assembly/sparse.ts) against their plain-TypeScript references on awkward sizes:
// M, K ∈ {0, 1, 3, 5, 17, 33}, N across the panel splits (0 … 100: one to five panels, N mod 4 tails),
// densities {0, 0.05, 0.33, 1} with forced empty rows, overwrite (output pre-filled with NaN, so
// a kernel that reads it fails) and accumulate. The scalar build is checked on a subset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CSRMatrix, IntTensor, kernels, loadBuild, Random, Tensor, type KernelExports } from '../src/index.js';
import { AWKWARD, clone, maxRelDiff, outputTensor, randomCSR, randomIds, randomTensor, ref } from './helpers/heap.js';

const NS = [0, 1, 3, 4, 5, 17, 20, 24, 28, 31, 32, 33, 36, 67, 100];
const DENSITIES = [0, 0.05, 0.33, 1];
const TOL = 1e-5;

function check(name: string, got: Tensor, want: Tensor, where: string): void {
  const d = maxRelDiff(got.data, want.data);
  assert.ok(d < TOL, `${name} ${where}: max rel diff ${d}`);
}

test('spmm, spmm_t, spmm_t_csc and sddmm match the reference on awkward sizes and densities', () => {
  const rng = new Random(17);
  let cases = 0;
  for (const M of AWKWARD) for (const K of AWKWARD) for (const density of DENSITIES) {
    const W = randomCSR(M, K, density, rng);
    const t = W.transposedIndex();
    const [rp, ci, v] = [W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr];
    for (const N of NS) for (const acc of [0, 1]) {
      const where = `M=${M} K=${K} N=${N} density=${density} nnz=${W.nnz} acc=${acc}`;
      const X = randomTensor([K, N], rng), G = randomTensor([M, N], rng);

      const Y = outputTensor([M, N], acc, rng), Yref = clone(Y);
      kernels.spmm(Y.ptr, rp, ci, v, X.ptr, M, N, acc);
      ref.spmm(Yref.ptr, rp, ci, v, X.ptr, M, N, acc);
      check('spmm', Y, Yref, where);

      const Z = outputTensor([K, N], acc, rng), Zref = clone(Z), Zcsc = clone(Z);
      kernels.spmm_t(Z.ptr, rp, ci, v, G.ptr, M, K, N, acc);
      ref.spmm_t(Zref.ptr, rp, ci, v, G.ptr, M, K, N, acc);
      kernels.spmm_t_csc(Zcsc.ptr, t.colPtr.ptr, t.rowIdx.ptr, t.slotOf.ptr, v, G.ptr, K, N, acc);
      check('spmm_t', Z, Zref, where);
      check('spmm_t_csc', Zcsc, Zref, where);
      const ZcscRef = outputTensor([K, N], 0, rng);
      ref.spmm_t_csc(ZcscRef.ptr, t.colPtr.ptr, t.rowIdx.ptr, t.slotOf.ptr, v, G.ptr, K, N, 0);
      if (!acc) check('ref.spmm_t_csc vs ref.spmm_t', ZcscRef, Zref, where);

      const D = outputTensor([W.nnz], acc, rng), Dref = clone(D);
      kernels.sddmm(D.ptr, rp, ci, G.ptr, X.ptr, M, N, acc);
      ref.sddmm(Dref.ptr, rp, ci, G.ptr, X.ptr, M, N, acc);
      check('sddmm', D, Dref, where);

      for (const x of [X, G, Y, Yref, Z, Zref, Zcsc, ZcscRef, D, Dref]) x.dispose();
      cases++;
    }
    W.dispose();
  }
  assert.ok(cases > 1000);
});

// Large N (> 32) takes the row-blocked path with a packed operand panel (assembly/sparse.ts, PACK):
// several row blocks of ~32K nonzeros, a last block of a few rows, N mod 4 tails, a K so large that
// the packed panels get narrower (K = 5000) or packing is skipped (K = 17000), and a matrix whose
// last columns are empty (spmm/sddmm pack only the columns W reaches).
/**
 * Float64 references for the large-N cases, on copies of the arrays: the heap references (`ref`)
 * read every operand through the heap getters (≈ 50 ns per multiply-add), far too slow for
 * 10⁷–10⁸ multiply-adds. Same loops; checked against `ref` on a small case below.
 */
function fastRef(W: CSRMatrix, X: Float32Array, G: Float32Array, N: number) {
  const rp = W.rowPtr.data.slice(), ci = W.colIdx.data.slice(), v = W.values.toArray();
  const M = W.rows, K = W.cols;
  const y = new Float64Array(M * N), z = new Float64Array(K * N), d = new Float64Array(W.nnz);
  for (let i = 0; i < M; i++) {
    for (let t = rp[i]!; t < rp[i + 1]!; t++) {
      const j = ci[t]!, w = v[t]!;
      let s = 0;
      for (let n = 0; n < N; n++) {
        y[i * N + n] += w * X[j * N + n]!;
        z[j * N + n] += w * G[i * N + n]!;
        s += G[i * N + n]! * X[j * N + n]!;
      }
      d[t] = s;
    }
  }
  return { y, z, d };
}

/** got vs (acc ? before + want : want), |Δ| / (1 + |expected|) < 1e-4: sums of up to ~700 f32 products. */
function checkSums(name: string, got: Tensor, before: Float32Array, want: Float64Array, acc: number, where: string): void {
  const e = Float64Array.from(want, (x, k) => (acc ? before[k]! + x : x));
  const dd = maxRelDiff(got.data, e);
  assert.ok(dd < 1e-4, `${name} ${where}: max rel diff ${dd}`);
}

// Large N (> 32) takes the row-blocked path with a packed operand panel (assembly/sparse.ts, PACK):
// several row blocks of ~32K nonzeros (SpMMᵀ: transposed blocks), a last block of a few rows, N mod 4
// tails, a K so large that the packed panels get narrower (K = 5000) or the plain loops run
// (K = 17000), many rows of few nonzeros (row-capped blocks), density 1, and a
// matrix whose last columns are empty (spmm/sddmm pack only the columns W reaches; X is NaN there).
test('spmm, spmm_t and sddmm match a float64 reference at large N (row blocks, packed panels, tails)', () => {
  const rng = new Random(99);
  const cases: [number, number, number, number, number[], boolean?][] = [
    [2503, 300, 0.15, 701, [0, 1]],
    [2503, 300, 0.15, 700, [0]],
    [1201, 650, 0.1, 333, [1]],
    [40, 5000, 0.2, 37, [0, 1]],
    [5, 17000, 0.1, 37, [0]],
    [500, 90, 1, 36, [0]],
    [3000, 40, 0.05, 37, [0, 1]], // SpMMᵀ's transposed blocks capped by rows, not nonzeros
    [600, 400, 0.3, 101, [0], true],
    [17, 33, 0.33, 67, [0, 1]], // small enough for the heap reference too
  ];
  for (const [M, K, density, N, accs, halfColumns] of cases) {
    const dense = randomTensor([M, K], rng);
    const W = halfColumns
      ? CSRMatrix.fromDense(dense, (_v, _i, j) => j < K / 2 && rng.uniform() < density, { requiresGrad: false })
      : randomCSR(M, K, density, rng);
    dense.dispose();
    const [rp, ci, v] = [W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr];
    const X = randomTensor([K, N], rng), G = randomTensor([M, N], rng);
    if (halfColumns) X.data.fill(NaN, (K / 2) * N);
    const want = fastRef(W, X.toArray(), G.toArray(), N);
    for (const acc of accs) {
      const where = `M=${M} K=${K} N=${N} density=${density} nnz=${W.nnz} acc=${acc}`;
      const Y = outputTensor([M, N], acc, rng), Z = outputTensor([K, N], acc, rng), D = outputTensor([W.nnz], acc, rng);
      const [y0, z0, d0] = [Y.toArray(), Z.toArray(), D.toArray()];
      kernels.spmm(Y.ptr, rp, ci, v, X.ptr, M, N, acc);
      kernels.spmm_t(Z.ptr, rp, ci, v, G.ptr, M, K, N, acc);
      kernels.sddmm(D.ptr, rp, ci, G.ptr, X.ptr, M, N, acc);
      checkSums('spmm', Y, y0, want.y, acc, where);
      checkSums('spmm_t', Z, z0, want.z, acc, where);
      checkSums('sddmm', D, d0, want.d, acc, where);
      if (M * K < 1000) {
        // fastRef against the heap reference.
        const Yr = clone(Y), Zr = clone(Z), Dr = clone(D);
        Yr.data.set(y0); Zr.data.set(z0); Dr.data.set(d0);
        ref.spmm(Yr.ptr, rp, ci, v, X.ptr, M, N, acc);
        ref.spmm_t(Zr.ptr, rp, ci, v, G.ptr, M, K, N, acc);
        ref.sddmm(Dr.ptr, rp, ci, G.ptr, X.ptr, M, N, acc);
        checkSums('ref.spmm', Yr, y0, want.y, acc, where);
        checkSums('ref.spmm_t', Zr, z0, want.z, acc, where);
        checkSums('ref.sddmm', Dr, d0, want.d, acc, where);
        for (const x of [Yr, Zr, Dr]) x.dispose();
      }
      for (const x of [Y, Z, D]) x.dispose();
    }
    for (const x of [W, X, G]) x.dispose();
  }
});

test('kernels with density 1 agree with the dense GEMMs on the same matrix', () => {
  const rng = new Random(4);
  for (const [M, K, N] of [[5, 7, 20], [33, 17, 3], [8, 40, 67]] as [number, number, number][]) {
    const W = randomCSR(M, K, 1, rng);
    const Wd = W.toDense();
    const X = randomTensor([K, N], rng), G = randomTensor([M, N], rng);
    const Y = new Tensor([M, N]), Yd = new Tensor([M, N]);
    kernels.spmm(Y.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, X.ptr, M, N, 0);
    kernels.gemm_nn(Yd.ptr, Wd.ptr, X.ptr, M, K, N, 0);
    check('spmm vs gemm_nn', Y, Yd, `${M}×${K}·${N}`);
    const Z = new Tensor([K, N]), Zd = new Tensor([K, N]);
    kernels.spmm_t(Z.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, G.ptr, M, K, N, 0);
    kernels.gemm_tn(Zd.ptr, Wd.ptr, G.ptr, K, M, N, 0);
    check('spmm_t vs gemm_tn', Z, Zd, `${M}×${K}·${N}`);
    const D = new Tensor([M * K]), Dd = new Tensor([M, K]);
    kernels.sddmm(D.ptr, W.rowPtr.ptr, W.colIdx.ptr, G.ptr, X.ptr, M, N, 0);
    kernels.gemm_nt(Dd.ptr, G.ptr, X.ptr, M, N, K, 0); // full: every slot (i, j) is at i·K + j
    check('sddmm vs gemm_nt', D, Dd, `${M}×${K}·${N}`);
    for (const x of [W, Wd, X, G, Y, Yd, Z, Zd, D, Dd]) x.dispose();
  }
});

test('csr_gather_rows and csr_gather_rows_grad match the reference (repeated ids, empty rows, empty table)', () => {
  const rng = new Random(23);
  for (const V of [1, 3, 17]) for (const E of AWKWARD) for (const density of DENSITIES) for (const count of [0, 1, 5, 33]) {
    const W = randomCSR(V, E, density, rng);
    const ids = randomIds(count, V, rng);
    const where = `V=${V} E=${E} density=${density} count=${count}`;
    const out = outputTensor([count, E], 0, rng), outRef = clone(out);
    kernels.csr_gather_rows(out.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, ids.ptr, count, E);
    ref.csr_gather_rows(outRef.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, ids.ptr, count, E);
    check('csr_gather_rows', out, outRef, where);
    const g = randomTensor([count, E], rng);
    const gv = randomTensor([W.nnz], rng), gvRef = clone(gv);
    kernels.csr_gather_rows_grad(gv.ptr, W.rowPtr.ptr, W.colIdx.ptr, g.ptr, ids.ptr, count, E);
    ref.csr_gather_rows_grad(gvRef.ptr, W.rowPtr.ptr, W.colIdx.ptr, g.ptr, ids.ptr, count, E);
    check('csr_gather_rows_grad', gv, gvRef, where);
    for (const x of [W, ids, out, outRef, g, gv, gvRef]) x.dispose();
  }
});

// ---- the scalar build, in its own memory ----

/** Copies arrays into another instance's memory (bump allocation above its heap base) and calls a kernel. */
function callIn(k: KernelExports, name: keyof KernelExports, args: (Float32Array | Int32Array | number)[]): (Float32Array | Int32Array | number)[] {
  let top = Math.ceil(k.heap_base() / 16) * 16;
  const need = top + args.reduce<number>((s, a) => s + (typeof a === 'number' ? 0 : a.length * 4 + 16), 0);
  if (need > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const ptrs = args.map((a) => {
    if (typeof a === 'number') return a;
    const p = top;
    new Uint8Array(k.memory.buffer, p, a.length * 4).set(new Uint8Array(a.buffer, a.byteOffset, a.length * 4));
    top += Math.ceil((a.length * 4) / 16) * 16 + 16;
    return p;
  });
  (k[name] as (...xs: number[]) => void)(...ptrs);
  return args.map((a, i) => (typeof a === 'number' ? a : a instanceof Float32Array ? new Float32Array(k.memory.buffer, ptrs[i]!, a.length).slice() : a));
}

test('the scalar build computes the same sparse products', async () => {
  const scalar = await loadBuild('scalar');
  const rng = new Random(31);
  for (const [M, K, density] of [[5, 7, 0.33], [17, 33, 0.05], [3, 5, 1], [4, 6, 0]] as [number, number, number][]) {
    const W = randomCSR(M, K, density, rng);
    const rp = W.rowPtr.data.slice(), ci = W.colIdx.data.slice(), v = W.values.toArray();
    const t = W.transposedIndex();
    const cp = t.colPtr.data.slice(), ri = t.rowIdx.data.slice(), so = t.slotOf.data.slice();
    for (const N of [1, 3, 20, 33]) {
      const X = randomTensor([K, N], rng), G = randomTensor([M, N], rng);
      const where = `scalar build M=${M} K=${K} N=${N} density=${density}`;
      const Yref = new Tensor([M, N]), Zref = new Tensor([K, N]), Dref = new Tensor([W.nnz]);
      ref.spmm(Yref.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, X.ptr, M, N, 0);
      ref.spmm_t(Zref.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, G.ptr, M, K, N, 0);
      ref.sddmm(Dref.ptr, W.rowPtr.ptr, W.colIdx.ptr, G.ptr, X.ptr, M, N, 0);
      const nan = (n: number) => new Float32Array(n).fill(NaN);
      const y = callIn(scalar, 'spmm', [nan(M * N), rp, ci, v, X.toArray(), M, N, 0])[0] as Float32Array;
      const z = callIn(scalar, 'spmm_t', [nan(K * N), rp, ci, v, G.toArray(), M, K, N, 0])[0] as Float32Array;
      const zc = callIn(scalar, 'spmm_t_csc', [nan(K * N), cp, ri, so, v, G.toArray(), K, N, 0])[0] as Float32Array;
      const d = callIn(scalar, 'sddmm', [nan(W.nnz), rp, ci, G.toArray(), X.toArray(), M, N, 0])[0] as Float32Array;
      assert.ok(maxRelDiff(y, Yref.data) < TOL, `spmm ${where}`);
      assert.ok(maxRelDiff(z, Zref.data) < TOL, `spmm_t ${where}`);
      assert.ok(maxRelDiff(zc, Zref.data) < TOL, `spmm_t_csc ${where}`);
      assert.ok(maxRelDiff(d, Dref.data) < TOL, `sddmm ${where}`);
      for (const x of [X, G, Yref, Zref, Dref]) x.dispose();
    }
    const ids = new IntTensor([M - 1, 0, M - 1], [3], { persistent: true });
    const outRef = new Tensor([3, K]);
    ref.csr_gather_rows(outRef.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, ids.ptr, 3, K);
    const out = callIn(scalar, 'csr_gather_rows', [new Float32Array(3 * K).fill(NaN), rp, ci, v, ids.data.slice(), 3, K])[0] as Float32Array;
    assert.ok(maxRelDiff(out, outRef.data) < TOL, 'csr_gather_rows (scalar build)');
    for (const x of [W, ids, outRef]) x.dispose();
  }
});

test.run();
