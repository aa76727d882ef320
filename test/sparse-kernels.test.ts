// Sparse kernels (assembly/sparse.ts) against their plain-TypeScript references on awkward sizes:
// M, K ∈ {0, 1, 3, 5, 17, 33}, N across the panel splits and SMALL_N (0 … 100: one to five panels,
// N mod 4 tails, 31/32/33), densities {0, 0.05, 0.33, 1} with forced empty rows, overwrite (output
// pre-filled with NaN, so a kernel that reads it fails) and accumulate. Every kernel runs with i32
// and with u16 index arrays (`spmm` / `spmm_u16`, …): the two give the same bits. Also 65,536
// columns (the widest u16 matrix) and 65,537 (i32), and the scalar build on a subset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CSRMatrix, CsrOperator, IntTensor, kernels, loadBuild, Random, setSparseTransposeForm, Tensor, type KernelExports } from '../src/index.js';
import { AWKWARD, bothWidths, clone, maxRelDiff, outputTensor, randomCSR, randomIds, randomTensor, ref } from './helpers/heap.js';

const NS = [0, 1, 3, 4, 5, 17, 20, 24, 28, 31, 32, 33, 36, 67, 100];
const DENSITIES = [0, 0.05, 0.33, 1];
const TOL = 1e-5;

function check(name: string, got: Tensor, want: Tensor, where: string): void {
  const d = maxRelDiff(got.data, want.data);
  assert.ok(d < TOL, `${name} ${where}: max rel diff ${d}`);
}

/** Bit equality (NaN-safe through the integer view). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The u16 kernel's output has the bits of the i32 kernel's. */
function checkSameBits(name: string, u16: Tensor, i32: Tensor, where: string): void {
  assert.ok(sameBits(u16.data, i32.data), `${name}_u16 differs from ${name} (i32): ${where}`);
}

test('spmm, spmm_t, spmm_t_csc and sddmm (i32 and u16) match the reference on awkward sizes and densities', () => {
  const rng = new Random(17);
  let cases = 0;
  for (const M of AWKWARD) for (const K of AWKWARD) for (const density of DENSITIES) {
    const W = randomCSR(M, K, density, rng);
    const t = W.transposedIndex();
    const c = bothWidths(W.colIdx), r = bothWidths(t.rowIdx);
    const [rp, ci, ci16, v] = [W.rowPtr.ptr, c.wide.ptr, c.narrow.ptr, W.values.ptr];
    const [cp, ri, ri16, so] = [t.colPtr.ptr, r.wide.ptr, r.narrow.ptr, t.slotOf.ptr];
    for (const N of NS) for (const acc of [0, 1]) {
      const where = `M=${M} K=${K} N=${N} density=${density} nnz=${W.nnz} acc=${acc}`;
      const X = randomTensor([K, N], rng), G = randomTensor([M, N], rng);

      const Y = outputTensor([M, N], acc, rng), Yref = clone(Y), Y16 = clone(Y), Yref16 = clone(Y);
      kernels.spmm(Y.ptr, rp, ci, v, X.ptr, M, N, acc);
      kernels.spmm_u16(Y16.ptr, rp, ci16, v, X.ptr, M, N, acc);
      ref.spmm(Yref.ptr, rp, ci, v, X.ptr, M, N, acc);
      ref.spmm_u16(Yref16.ptr, rp, ci16, v, X.ptr, M, N, acc);
      check('spmm', Y, Yref, where);
      checkSameBits('spmm', Y16, Y, where);
      checkSameBits('ref.spmm', Yref16, Yref, where);

      const Z = outputTensor([K, N], acc, rng), Zref = clone(Z), Zcsc = clone(Z), Z16 = clone(Z), Zcsc16 = clone(Z), Zref16 = clone(Z);
      kernels.spmm_t(Z.ptr, rp, ci, v, G.ptr, M, K, N, acc);
      kernels.spmm_t_u16(Z16.ptr, rp, ci16, v, G.ptr, M, K, N, acc);
      ref.spmm_t(Zref.ptr, rp, ci, v, G.ptr, M, K, N, acc);
      ref.spmm_t_u16(Zref16.ptr, rp, ci16, v, G.ptr, M, K, N, acc);
      kernels.spmm_t_csc(Zcsc.ptr, cp, ri, so, v, G.ptr, K, N, acc);
      kernels.spmm_t_csc_u16(Zcsc16.ptr, cp, ri16, so, v, G.ptr, K, N, acc);
      check('spmm_t', Z, Zref, where);
      check('spmm_t_csc', Zcsc, Zref, where);
      checkSameBits('spmm_t', Z16, Z, where);
      checkSameBits('spmm_t_csc', Zcsc16, Zcsc, where);
      checkSameBits('ref.spmm_t', Zref16, Zref, where);
      const ZcscRef = outputTensor([K, N], 0, rng), ZcscRef16 = outputTensor([K, N], 0, rng);
      ref.spmm_t_csc(ZcscRef.ptr, cp, ri, so, v, G.ptr, K, N, 0);
      ref.spmm_t_csc_u16(ZcscRef16.ptr, cp, ri16, so, v, G.ptr, K, N, 0);
      checkSameBits('ref.spmm_t_csc', ZcscRef16, ZcscRef, where);
      if (!acc) check('ref.spmm_t_csc vs ref.spmm_t', ZcscRef, Zref, where);

      const D = outputTensor([W.nnz], acc, rng), Dref = clone(D), D16 = clone(D), Dref16 = clone(D);
      kernels.sddmm(D.ptr, rp, ci, G.ptr, X.ptr, M, N, acc);
      kernels.sddmm_u16(D16.ptr, rp, ci16, G.ptr, X.ptr, M, N, acc);
      ref.sddmm(Dref.ptr, rp, ci, G.ptr, X.ptr, M, N, acc);
      ref.sddmm_u16(Dref16.ptr, rp, ci16, G.ptr, X.ptr, M, N, acc);
      check('sddmm', D, Dref, where);
      checkSameBits('sddmm', D16, D, where);
      checkSameBits('ref.sddmm', Dref16, Dref, where);

      for (const x of [X, G, Y, Yref, Y16, Yref16, Z, Zref, Zcsc, Z16, Zcsc16, Zref16, ZcscRef, ZcscRef16, D, Dref, D16, Dref16]) x.dispose();
      cases++;
    }
    for (const x of [W, c, r]) x.dispose();
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
    const c = bothWidths(W.colIdx);
    const [rp, ci, ci16, v] = [W.rowPtr.ptr, c.wide.ptr, c.narrow.ptr, W.values.ptr];
    const X = randomTensor([K, N], rng), G = randomTensor([M, N], rng);
    if (halfColumns) X.data.fill(NaN, (K / 2) * N);
    const want = fastRef(W, X.toArray(), G.toArray(), N);
    for (const acc of accs) {
      const where = `M=${M} K=${K} N=${N} density=${density} nnz=${W.nnz} acc=${acc}`;
      const Y = outputTensor([M, N], acc, rng), Z = outputTensor([K, N], acc, rng), D = outputTensor([W.nnz], acc, rng);
      const Y16 = clone(Y), Z16 = clone(Z), D16 = clone(D);
      const [y0, z0, d0] = [Y.toArray(), Z.toArray(), D.toArray()];
      kernels.spmm(Y.ptr, rp, ci, v, X.ptr, M, N, acc);
      kernels.spmm_t(Z.ptr, rp, ci, v, G.ptr, M, K, N, acc);
      kernels.sddmm(D.ptr, rp, ci, G.ptr, X.ptr, M, N, acc);
      kernels.spmm_u16(Y16.ptr, rp, ci16, v, X.ptr, M, N, acc);
      kernels.spmm_t_u16(Z16.ptr, rp, ci16, v, G.ptr, M, K, N, acc);
      kernels.sddmm_u16(D16.ptr, rp, ci16, G.ptr, X.ptr, M, N, acc);
      checkSums('spmm', Y, y0, want.y, acc, where);
      checkSums('spmm_t', Z, z0, want.z, acc, where);
      checkSums('sddmm', D, d0, want.d, acc, where);
      checkSameBits('spmm', Y16, Y, where);
      checkSameBits('spmm_t', Z16, Z, where);
      checkSameBits('sddmm', D16, D, where);
      for (const x of [Y16, Z16, D16]) x.dispose();
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
    for (const x of [W, c, X, G]) x.dispose();
  }
});

// At large N, SpMM walks K in column blocks whose packed rows fit in L1 (assembly/sparse.ts,
// L1_PACK_BYTES): a row's sums go through Y between blocks. That must not change a bit: each
// output is still Y (or 0) plus the products in slot order, each product and sum rounded to f32,
// which a plain Math.fround loop reproduces exactly (the SIMD build multiplies, then adds).
test('spmm at large N, over several column blocks, equals slot-order f32 sums bit for bit', () => {
  const rng = new Random(5);
  for (const [M, K, density, N] of [[300, 1150, 0.45, 333], [97, 650, 0.33, 37], [41, 5000, 0.2, 70], [60, 2000, 1, 40]] as [number, number, number, number][]) {
    const W = randomCSR(M, K, density, rng);
    const c = bothWidths(W.colIdx);
    const X = randomTensor([K, N], rng);
    const rp = W.rowPtr.data.slice(), ci = W.colIdx.data.slice(), v = W.values.toArray(), x = X.toArray();
    for (const acc of [0, 1]) {
      const Y = outputTensor([M, N], acc, rng), Y16 = clone(Y);
      const want = Float32Array.from(Y.data, (y) => (acc ? y : 0));
      for (let i = 0; i < M; i++) {
        for (let n = 0; n < N; n++) {
          let s = want[i * N + n]!;
          for (let t = rp[i]!; t < rp[i + 1]!; t++) s = Math.fround(s + Math.fround(v[t]! * x[ci[t]! * N + n]!));
          want[i * N + n] = s;
        }
      }
      kernels.spmm(Y.ptr, W.rowPtr.ptr, c.wide.ptr, W.values.ptr, X.ptr, M, N, acc);
      kernels.spmm_u16(Y16.ptr, W.rowPtr.ptr, c.narrow.ptr, W.values.ptr, X.ptr, M, N, acc);
      const where = `M=${M} K=${K} N=${N} density=${density} acc=${acc}`;
      assert.ok(sameBits(Y.data, want), `spmm ${where}: not the slot-order f32 sums`);
      assert.ok(sameBits(Y16.data, want), `spmm_u16 ${where}: not the slot-order f32 sums`);
      Y.dispose(); Y16.dispose();
    }
    for (const t of [W, c, X]) t.dispose();
  }
});

test('kernels with density 1 agree with the dense GEMMs on the same matrix', () => {
  const rng = new Random(4);
  for (const [M, K, N] of [[5, 7, 20], [33, 17, 3], [8, 40, 67]] as [number, number, number][]) {
    const W = randomCSR(M, K, 1, rng);
    assert.is(W.colIdx.wide, false, 'a small matrix stores u16 column indices');
    const Wd = W.toDense();
    const X = randomTensor([K, N], rng), G = randomTensor([M, N], rng);
    const Y = new Tensor([M, N]), Yd = new Tensor([M, N]);
    kernels.spmm_u16(Y.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, X.ptr, M, N, 0);
    kernels.gemm_nn(Yd.ptr, Wd.ptr, X.ptr, M, K, N, 0);
    check('spmm vs gemm_nn', Y, Yd, `${M}×${K}·${N}`);
    const Z = new Tensor([K, N]), Zd = new Tensor([K, N]);
    kernels.spmm_t_u16(Z.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, G.ptr, M, K, N, 0);
    kernels.gemm_tn(Zd.ptr, Wd.ptr, G.ptr, K, M, N, 0);
    check('spmm_t vs gemm_tn', Z, Zd, `${M}×${K}·${N}`);
    const D = new Tensor([M * K]), Dd = new Tensor([M, K]);
    kernels.sddmm_u16(D.ptr, W.rowPtr.ptr, W.colIdx.ptr, G.ptr, X.ptr, M, N, 0);
    kernels.gemm_nt(Dd.ptr, G.ptr, X.ptr, M, N, K, 0); // full: every slot (i, j) is at i·K + j
    check('sddmm vs gemm_nt', D, Dd, `${M}×${K}·${N}`);
    for (const x of [W, Wd, X, G, Y, Yd, Z, Zd, D, Dd]) x.dispose();
  }
});

test('csr_gather_rows and csr_gather_rows_grad (i32 and u16) match the reference (repeated ids, empty rows, empty table)', () => {
  const rng = new Random(23);
  for (const V of [1, 3, 17]) for (const E of AWKWARD) for (const density of DENSITIES) for (const count of [0, 1, 5, 33]) {
    const W = randomCSR(V, E, density, rng);
    const c = bothWidths(W.colIdx), [ci, ci16] = [c.wide.ptr, c.narrow.ptr];
    const ids = randomIds(count, V, rng);
    const where = `V=${V} E=${E} density=${density} count=${count}`;
    const out = outputTensor([count, E], 0, rng), outRef = clone(out), out16 = clone(out), outRef16 = clone(out);
    kernels.csr_gather_rows(out.ptr, W.rowPtr.ptr, ci, W.values.ptr, ids.ptr, count, E);
    kernels.csr_gather_rows_u16(out16.ptr, W.rowPtr.ptr, ci16, W.values.ptr, ids.ptr, count, E);
    ref.csr_gather_rows(outRef.ptr, W.rowPtr.ptr, ci, W.values.ptr, ids.ptr, count, E);
    ref.csr_gather_rows_u16(outRef16.ptr, W.rowPtr.ptr, ci16, W.values.ptr, ids.ptr, count, E);
    check('csr_gather_rows', out, outRef, where);
    checkSameBits('csr_gather_rows', out16, out, where);
    checkSameBits('ref.csr_gather_rows', outRef16, outRef, where);
    const g = randomTensor([count, E], rng);
    const gv = randomTensor([W.nnz], rng), gvRef = clone(gv), gv16 = clone(gv), gvRef16 = clone(gv);
    kernels.csr_gather_rows_grad(gv.ptr, W.rowPtr.ptr, ci, g.ptr, ids.ptr, count, E);
    kernels.csr_gather_rows_grad_u16(gv16.ptr, W.rowPtr.ptr, ci16, g.ptr, ids.ptr, count, E);
    ref.csr_gather_rows_grad(gvRef.ptr, W.rowPtr.ptr, ci, g.ptr, ids.ptr, count, E);
    ref.csr_gather_rows_grad_u16(gvRef16.ptr, W.rowPtr.ptr, ci16, g.ptr, ids.ptr, count, E);
    check('csr_gather_rows_grad', gv, gvRef, where);
    checkSameBits('csr_gather_rows_grad', gv16, gv, where);
    checkSameBits('ref.csr_gather_rows_grad', gvRef16, gvRef, where);
    for (const x of [W, c, ids, out, outRef, out16, outRef16, g, gv, gvRef, gv16, gvRef16]) x.dispose();
  }
});

// ---- the widest u16 matrices, and the narrowest i32 ones ----

/**
 * Every product of a CsrOperator on W (which picks the kernels of W's index width), against the
 * reference on i32 copies of the indices; `wide` is the width W must have chosen.
 */
function checkOperator(W: CSRMatrix, wide: { cols: boolean; rows: boolean }, rng: Random): void {
  const { rows: M, cols: K } = W;
  assert.is(W.colIdx.wide, wide.cols, `[${M} × ${K}]: column indices ${wide.cols ? 'i32' : 'u16'}`);
  assert.is(W.transposedIndex().rowIdx.wide, wide.rows, `[${M} × ${K}]: transposed row indices ${wide.rows ? 'i32' : 'u16'}`);
  const op = new CsrOperator(W);
  const ci = W.colIdx.toInt32Array();
  const rp = new IntTensor(W.rowPtr.data, [M + 1], { persistent: true }), ci32 = new IntTensor(ci, [ci.length], { persistent: true });
  for (const N of [1, 5, 20, 33, 37]) {
    const where = `[${M} × ${K}] nnz=${W.nnz} N=${N}`;
    const X = randomTensor([K, N], rng), G = randomTensor([M, N], rng);
    const Y = outputTensor([M, N], 0, rng), Yref = outputTensor([M, N], 0, rng);
    op.forward(Y.ptr, X.ptr, N, 0);
    ref.spmm(Yref.ptr, rp.ptr, ci32.ptr, W.values.ptr, X.ptr, M, N, 0);
    check('forward', Y, Yref, where);
    const Zref = outputTensor([K, N], 0, rng);
    ref.spmm_t(Zref.ptr, rp.ptr, ci32.ptr, W.values.ptr, G.ptr, M, K, N, 0);
    for (const form of ['scatter', 'gather'] as const) {
      const prev = setSparseTransposeForm(form);
      const Z = outputTensor([K, N], 0, rng);
      op.backwardInput(Z.ptr, G.ptr, N, 0);
      setSparseTransposeForm(prev);
      check(`backwardInput (${form})`, Z, Zref, where);
      Z.dispose();
    }
    const D = randomTensor([W.nnz], rng), Dref = clone(D);
    op.backwardWeight(D.ptr, G.ptr, X.ptr, N);
    ref.sddmm(Dref.ptr, rp.ptr, ci32.ptr, G.ptr, X.ptr, M, N, 1);
    check('backwardWeight', D, Dref, where);
    for (const x of [X, G, Y, Yref, Zref, D, Dref]) x.dispose();
  }
  // The embedding lookup: rows of W (their nonzeros reach the last column).
  const count = 4, ids = randomIds(count, M, rng);
  const out = outputTensor([count, K], 0, rng), outRef = outputTensor([count, K], 0, rng);
  op.gatherRows(out.ptr, ids.ptr, count);
  ref.csr_gather_rows(outRef.ptr, rp.ptr, ci32.ptr, W.values.ptr, ids.ptr, count, K);
  check('gatherRows', out, outRef, `[${M} × ${K}]`);
  const g = randomTensor([count, K], rng), gv = randomTensor([W.nnz], rng), gvRef = clone(gv);
  op.gatherRowsGrad(gv.ptr, g.ptr, ids.ptr, count);
  ref.csr_gather_rows_grad(gvRef.ptr, rp.ptr, ci32.ptr, g.ptr, ids.ptr, count, K);
  check('gatherRowsGrad', gv, gvRef, `[${M} × ${K}]`);
  for (const x of [rp, ci32, ids, out, outRef, g, gv, gvRef]) x.dispose();
}

test('65,536 columns (or rows) keep 16-bit indices up to index 65,535; 65,537 keep 32 bits; every product agrees with the reference', () => {
  const rng = new Random(41);
  const L = 65536;
  // Columns 0, 1, 65,534 and 65,535 in use, row 1 empty; the mirror image for the rows.
  const coords = { row: [0, 0, 0, 2, 2, 3, 4, 4], col: [0, 1, 65534, 3, 65535, 40000, 0, 65535], value: [1, -2, 3, 0.5, 4, -1, 2, 7] };
  for (const [extent, wide] of [[L, false], [L + 1, true]] as const) {
    const last = extent - 1;
    const cols = coords.col.map((c) => (c === 65535 ? last : c));
    const W = CSRMatrix.fromCoords([5, extent], { row: coords.row, col: cols, value: coords.value }, { requiresGrad: false });
    assert.equal(Array.from(W.colIdx.data), cols, `column indices stored as given (${extent} columns)`);
    checkOperator(W, { cols: wide, rows: false }, rng);
    const Wt = CSRMatrix.fromCoords([extent, 5], { row: cols, col: coords.row, value: coords.value }, { requiresGrad: false });
    checkOperator(Wt, { cols: false, rows: wide }, rng);
    W.dispose();
    Wt.dispose();
  }
});

// ---- the scalar build, in its own memory ----

/** Copies arrays into another instance's memory (bump allocation above its heap base) and calls a kernel. */
function callIn(k: KernelExports, name: keyof KernelExports, args: (Float32Array | Int32Array | Uint16Array | number)[]): (Float32Array | Int32Array | Uint16Array | number)[] {
  let top = Math.ceil(k.heap_base() / 16) * 16;
  const need = top + args.reduce<number>((s, a) => s + (typeof a === 'number' ? 0 : a.byteLength + 32), 0);
  if (need > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const ptrs = args.map((a) => {
    if (typeof a === 'number') return a;
    const p = top;
    new Uint8Array(k.memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    top += Math.ceil(a.byteLength / 16) * 16 + 16;
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
    const c = bothWidths(W.colIdx);
    const rp = W.rowPtr.data.slice(), ci = W.colIdx.toInt32Array(), ci16 = Uint16Array.from(ci), v = W.values.toArray();
    const t = W.transposedIndex();
    const cp = t.colPtr.data.slice(), ri = t.rowIdx.toInt32Array(), ri16 = Uint16Array.from(ri), so = t.slotOf.data.slice();
    for (const N of [1, 3, 20, 33]) {
      const X = randomTensor([K, N], rng), G = randomTensor([M, N], rng);
      const where = `scalar build M=${M} K=${K} N=${N} density=${density}`;
      const Yref = new Tensor([M, N]), Zref = new Tensor([K, N]), Dref = new Tensor([W.nnz]);
      ref.spmm(Yref.ptr, W.rowPtr.ptr, c.wide.ptr, W.values.ptr, X.ptr, M, N, 0);
      ref.spmm_t(Zref.ptr, W.rowPtr.ptr, c.wide.ptr, W.values.ptr, G.ptr, M, K, N, 0);
      ref.sddmm(Dref.ptr, W.rowPtr.ptr, c.wide.ptr, G.ptr, X.ptr, M, N, 0);
      const nan = (n: number) => new Float32Array(n).fill(NaN);
      const f32 = (a: unknown) => a as Float32Array;
      for (const [u, idx, rIdx] of [['', ci, ri], ['_u16', ci16, ri16]] as const) {
        const w = `${where} (${u === '' ? 'i32' : 'u16'} indices)`;
        const y = f32(callIn(scalar, `spmm${u}`, [nan(M * N), rp, idx, v, X.toArray(), M, N, 0])[0]);
        const z = f32(callIn(scalar, `spmm_t${u}`, [nan(K * N), rp, idx, v, G.toArray(), M, K, N, 0])[0]);
        const zc = f32(callIn(scalar, `spmm_t_csc${u}`, [nan(K * N), cp, rIdx, so, v, G.toArray(), K, N, 0])[0]);
        const d = f32(callIn(scalar, `sddmm${u}`, [nan(W.nnz), rp, idx, G.toArray(), X.toArray(), M, N, 0])[0]);
        assert.ok(maxRelDiff(y, Yref.data) < TOL, `spmm ${w}`);
        assert.ok(maxRelDiff(z, Zref.data) < TOL, `spmm_t ${w}`);
        assert.ok(maxRelDiff(zc, Zref.data) < TOL, `spmm_t_csc ${w}`);
        assert.ok(maxRelDiff(d, Dref.data) < TOL, `sddmm ${w}`);
        if (u === '') continue;
        // u16 against i32 in the scalar build: the same bits.
        const y32 = f32(callIn(scalar, 'spmm', [nan(M * N), rp, ci, v, X.toArray(), M, N, 0])[0]);
        const z32 = f32(callIn(scalar, 'spmm_t', [nan(K * N), rp, ci, v, G.toArray(), M, K, N, 0])[0]);
        const zc32 = f32(callIn(scalar, 'spmm_t_csc', [nan(K * N), cp, ri, so, v, G.toArray(), K, N, 0])[0]);
        const d32 = f32(callIn(scalar, 'sddmm', [nan(W.nnz), rp, ci, G.toArray(), X.toArray(), M, N, 0])[0]);
        for (const [name, a, b] of [['spmm', y, y32], ['spmm_t', z, z32], ['spmm_t_csc', zc, zc32], ['sddmm', d, d32]] as const) {
          assert.ok(sameBits(a, b), `${name}_u16 differs from ${name} in the scalar build: ${where}`);
        }
      }
      for (const x of [X, G, Yref, Zref, Dref]) x.dispose();
    }
    const ids = new IntTensor([M - 1, 0, M - 1], [3], { persistent: true });
    const outRef = new Tensor([3, K]);
    ref.csr_gather_rows(outRef.ptr, W.rowPtr.ptr, c.wide.ptr, W.values.ptr, ids.ptr, 3, K);
    for (const [u, idx] of [['', ci], ['_u16', ci16]] as const) {
      const out = callIn(scalar, `csr_gather_rows${u}`, [new Float32Array(3 * K).fill(NaN), rp, idx, v, ids.data.slice(), 3, K])[0] as Float32Array;
      assert.ok(maxRelDiff(out, outRef.data) < TOL, `csr_gather_rows${u} (scalar build)`);
      const g = Float32Array.from({ length: 3 * K }, () => rng.uniform() - 0.5), gv0 = Float32Array.from({ length: W.nnz }, () => rng.uniform());
      const gvRef = new Tensor([W.nnz]);
      gvRef.data.set(gv0);
      const gT = new Tensor([3, K]);
      gT.data.set(g);
      ref.csr_gather_rows_grad(gvRef.ptr, W.rowPtr.ptr, c.wide.ptr, gT.ptr, ids.ptr, 3, K);
      const gv = callIn(scalar, `csr_gather_rows_grad${u}`, [gv0, rp, idx, g, ids.data.slice(), 3, K])[0] as Float32Array;
      assert.ok(maxRelDiff(gv, gvRef.data) < TOL, `csr_gather_rows_grad${u} (scalar build)`);
      gvRef.dispose();
      gT.dispose();
    }
    for (const x of [W, c, ids, outRef]) x.dispose();
  }
});

test.run();
