// The parallel kernels' cases (shared by test/threads.test.ts and test/relaxed-simd.test.ts, which
// runs them on the relaxed-SIMD build): every thread share split (1, 2, 3 and 4 threads, real
// workers) gives the bits of the single-thread call, and that call matches the plain-TypeScript
// reference, on the awkward sizes 0, 1, 3, 17, 33 and 701. Also: the dispatchers (setThreads)
// return what the single calls return, and a trap inside a worker surfaces in the caller.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCellReference, CSRMatrix, IntTensor, kernels, onlstmGateRows, Random, setThreads, getThreads, threadsSupported, Tensor } from '../../src/index.js';
import { heap } from '../../src/backend/memory.js';
import { rawKernels } from '../../src/backend/wasm.js';
import { runShared } from '../../src/backend/pool.js';
import type { ParallelKernel } from '../../src/backend/pool-protocol.js';
import { bothWidths, maxRelDiff, randomTensor, ref } from './heap.js';


/** Registers the tests on uvu's default suite; `label` names the build in the test titles. */
export function registerParallelKernelTests(label: string): void {
  const SIZES = [0, 1, 3, 17, 33, 701];
  const SMALL = [0, 1, 3, 17, 33];

  interface Case {
    kernel: ParallelKernel;
    args: number[];
    /** Buffers the kernel writes (restored before every run). */
    outputs: Tensor[];
    /** Relative tolerance against the reference. */
    tol: number;
    what: string;
  }

  const rng = new Random(2026);
  const cases: Case[] = [];
  const rnd = (shape: number[], lo = -1, hi = 1) => randomTensor(shape.map((d) => Math.max(d, 0)), rng, lo, hi);
  const ids = (n: number, max: number) => new IntTensor(Array.from({ length: n }, () => rng.int(Math.max(1, max))), [n], { persistent: true });

  function sparse(M: number, K: number, density: number): CSRMatrix {
    const dense = rnd([M, K]);
    const W = CSRMatrix.fromDense(dense, (_v, i) => i % 5 !== 2 && rng.uniform() < density, { requiresGrad: false });
    dense.dispose();
    return W;
  }

  // GEMM: every triple of the small sizes, and 701 in each position.
  const gemmShapes: [number, number, number][] = [];
  for (const M of SMALL) for (const K of SMALL) for (const N of SMALL) gemmShapes.push([M, K, N]);
  gemmShapes.push([701, 17, 33], [33, 701, 17], [17, 33, 701], [701, 3, 701], [701, 33, 1]);
  for (const [M, K, N] of gemmShapes) {
    for (const kernel of ['gemm_nn', 'gemm_tn', 'gemm_nt'] as const) {
      const acc = rng.int(2);
      const a = kernel === 'gemm_tn' ? rnd([K, M]) : rnd([M, K]);
      const b = kernel === 'gemm_nt' ? rnd([N, K]) : rnd([K, N]);
      const c = rnd([M, N]);
      cases.push({ kernel, args: [c.ptr, a.ptr, b.ptr, M, K, N, acc], outputs: [c], tol: 1e-5, what: `${M}×${K}×${N} acc=${acc}` });
    }
  }

  // Sparse: W (M×K) with empty rows, every N; each kernel with i32 and with u16 index arrays.
  // 40×1200 at N = 33 packs a 77 KB panel: SpMM and SDDMM walk it in column blocks.
  const sparseShapes: [number, number, number][] = [[0, 5, 0.3], [1, 3, 0.5], [3, 17, 0.33], [17, 33, 0.33], [33, 1, 0.5], [701, 33, 0.33], [33, 701, 0.33], [701, 701, 0.03], [40, 1200, 0.3]];
  for (const [M, K, density] of sparseShapes) {
    const W = sparse(M, K, density);
    const T = W.transposedIndex();
    const ci = bothWidths(W.colIdx), ri = bothWidths(T.rowIdx);
    for (const N of SIZES) {
      if (M * K * density * N > 5e6) continue; // the reference's time, not the kernels'
      for (const wide of [true, false]) {
        const acc = rng.int(2);
        const x = rnd([K, N]), g = rnd([M, N]), y = rnd([M, N]), yt = rnd([K, N]), yc = rnd([K, N]), dv = rnd([W.nnz]);
        const [rp, c, r, v] = [W.rowPtr.ptr, (wide ? ci.wide : ci.narrow).ptr, (wide ? ri.wide : ri.narrow).ptr, W.values.ptr];
        const what = `${M}×${K} nnz=${W.nnz} N=${N} acc=${acc}`;
        const u = wide ? '' : '_u16';
        cases.push({ kernel: `spmm${u}`, args: [y.ptr, rp, c, v, x.ptr, M, N, acc], outputs: [y], tol: 1e-5, what });
        cases.push({ kernel: `spmm_t${u}`, args: [yt.ptr, rp, c, v, g.ptr, M, K, N, acc], outputs: [yt], tol: 1e-5, what });
        cases.push({ kernel: `spmm_t_csc${u}`, args: [yc.ptr, T.colPtr.ptr, r, T.slotOf.ptr, v, g.ptr, K, N, acc], outputs: [yc], tol: 1e-5, what });
        cases.push({ kernel: `sddmm${u}`, args: [dv.ptr, rp, c, g.ptr, x.ptr, M, N, acc], outputs: [dv], tol: 1e-5, what });
      }
    }
  }

  // One token per step: gemv (M×K dense) and spmv / spmv_u16 (N ≤ 4), row shares.
  for (const [M, K] of [[1, 3], [3, 17], [17, 33], [33, 701], [701, 33], [701, 701]] as const) {
    const a = rnd([M, K]), x = rnd([K]), y = rnd([M]);
    cases.push({ kernel: 'gemv', args: [y.ptr, a.ptr, x.ptr, M, K, rng.int(2)], outputs: [y], tol: 1e-5, what: `${M}×${K}` });
  }
  for (const [M, K, density] of sparseShapes) {
    const W = sparse(M, K, density);
    const both = bothWidths(W.colIdx), ci16 = both.narrow;
    for (const N of [1, 2, 3, 4]) {
      const acc = rng.int(2);
      const x = rnd([K, N]), y = rnd([M, N]), y16 = rnd([M, N]);
      const [rp, ci, v] = [W.rowPtr.ptr, both.wide.ptr, W.values.ptr];
      const what = `${M}×${K} nnz=${W.nnz} N=${N} acc=${acc}`;
      cases.push({ kernel: 'spmv', args: [y.ptr, rp, ci, v, x.ptr, M, N, acc], outputs: [y], tol: 1e-5, what });
      cases.push({ kernel: 'spmv_u16', args: [y16.ptr, rp, ci16.ptr, v, x.ptr, M, N, acc], outputs: [y16], tol: 1e-5, what });
    }
  }

  // LSTM gates: H hidden units, batch B, rows ld = B + 3 apart in the sequence matrices.
  for (const H of SIZES) {
    for (const B of [1, 3, 20]) {
      const ld = B + 3;
      const pre = rnd([4 * H, ld], -3, 3), rec = rnd([4 * H, B]), bias = rnd([4 * H]), cPrev = rnd([H, B]);
      const c = rnd([H, B]), tc = rnd([H, B]), h = rnd([H, B]), y = rnd([H, ld]);
      cases.push({ kernel: 'lstm_gates_forward', args: [pre.ptr, rec.ptr, bias.ptr, cPrev.ptr, c.ptr, tc.ptr, h.ptr, y.ptr, H, B, ld], outputs: [pre, c, tc, h, y], tol: 1e-5, what: `H=${H} B=${B}` });
      const dpre = rnd([4 * H, ld]), dgate = rnd([4 * H, B]), dc = rnd([H, B]), dy = rnd([H, ld]), dhRec = rnd([H, B]);
      const acts = rnd([4 * H, ld], 0, 1), tcb = rnd([H, B]);
      cases.push({ kernel: 'lstm_gates_backward', args: [dpre.ptr, dgate.ptr, dc.ptr, dy.ptr, dhRec.ptr, acts.ptr, cPrev.ptr, tcb.ptr, H, B, ld], outputs: [dpre, dgate, dc], tol: 1e-5, what: `H=${H} B=${B}` });
    }
  }

  // RHN highway blocks (thread shares of the H units).
  for (const H of SIZES) {
    for (const B of [1, 3, 20]) {
      const ld = B + 3;
      for (const hasPre of [0, 1]) {
        const act = rnd([3 * H, ld], -2, 2), rec = rnd([2 * H, B]), bias = rnd([2 * H]), sPrev = rnd([H, B]), mask = rnd([H, B], 0, 2);
        const sOut = rnd([H, B]), smOut = rnd([H, B]), y = rnd([H, ld]);
        cases.push({ kernel: 'rhn_block_forward', args: [act.ptr, rec.ptr, bias.ptr, sPrev.ptr, mask.ptr, sOut.ptr, smOut.ptr, y.ptr, hasPre, 1, H, B, ld], outputs: [act, sOut, smOut, y], tol: 1e-5, what: `H=${H} B=${B} hasPre=${hasPre}` });
      }
      const act = rnd([3 * H, ld], 0.01, 0.99), dgate = rnd([2 * H, B]), ds = rnd([H, B]), dy = rnd([H, ld]);
      cases.push({ kernel: 'rhn_block_backward', args: [act.ptr, dgate.ptr, ds.ptr, dy.ptr, 1, H, B, ld], outputs: [act, dgate, ds], tol: 1e-5, what: `H=${H} B=${B}` });
    }
  }

  // ON-LSTM cells (thread shares of whole 4-column groups): H units in chunks, batch B.
  for (const [H, chunk] of [[0, 1], [3, 3], [20, 5], [700, 10]] as const) {
    for (const B of [1, 3, 9, 20]) {
      const C = H / chunk, G = onlstmGateRows(H, chunk), ld = B + 3;
      const pre = rnd([G, ld], -3, 3), rec = rnd([G, B]), bias = rnd([G]), cPrev = rnd([H, B], -2, 2);
      const c = rnd([H, B]), tc = rnd([H, B]), h = rnd([H, B]), y = rnd([H, ld]);
      cases.push({ kernel: 'onlstm_gates_forward', args: [pre.ptr, rec.ptr, bias.ptr, cPrev.ptr, c.ptr, tc.ptr, h.ptr, y.ptr, H, C, B, ld], outputs: [pre, c, tc, h, y], tol: 1e-5, what: `H=${H} chunk=${chunk} B=${B}` });
      // Saved values in their ranges: master rows are probabilities (each column sums to 1).
      const acts = rnd([G, ld], 0.01, 0.99);
      for (let j = 0; j < ld; j++) {
        for (const off of [0, C]) {
          let sum = 0;
          for (let k = 0; k < C; k++) sum += acts.data[(off + k) * ld + j]!;
          for (let k = 0; k < C; k++) acts.data[(off + k) * ld + j] = acts.data[(off + k) * ld + j]! / sum;
        }
      }
      const dgate = rnd([G, B]), dc = rnd([H, B]), dy = rnd([H, ld]), dhRec = rnd([H, B]), tcb = rnd([H, B], -0.99, 0.99);
      cases.push({ kernel: 'onlstm_gates_backward', args: [acts.ptr, dgate.ptr, dc.ptr, dy.ptr, dhRec.ptr, cPrev.ptr, tcb.ptr, H, C, B, ld], outputs: [acts, dgate, dc], tol: 1e-4, what: `H=${H} chunk=${chunk} B=${B}` });
    }
  }

  // Row-wise heads: softmax cross-entropy over cols classes, MoS with K experts over V words.
  for (const rows of SIZES) {
    for (const cols of [1, 3, 33, 701]) {
      const logits = rnd([rows, cols], -4, 4), t = ids(rows, cols), probs = rnd([rows, cols]), losses = rnd([rows]), gx = rnd([rows, cols]);
      cases.push({ kernel: 'softmax_xent', args: [probs.ptr, losses.ptr, logits.ptr, t.ptr, rows, cols], outputs: [probs, losses], tol: 1e-5, what: `${rows}×${cols}` });
      cases.push({ kernel: 'softmax_xent_backward', args: [gx.ptr, probs.ptr, t.ptr, rows, cols, 0.37], outputs: [gx], tol: 1e-5, what: `${rows}×${cols}` });
    }
    for (const [K, V] of [[1, 3], [3, 17], [2, 701]] as const) {
      const N = rows;
      const logits = rnd([N * K, V], -4, 4), logprior = rnd([N, K], -2, 0), t = ids(N, V);
      const loss = rnd([N]), post = rnd([N * K]), lse = rnd([N * K]), glogits = rnd([N * K, V]), glogprior = rnd([N, K]);
      cases.push({ kernel: 'mos_nll', args: [loss.ptr, post.ptr, lse.ptr, logits.ptr, logprior.ptr, t.ptr, N, K, V], outputs: [loss, post, lse], tol: 1e-4, what: `N=${N} K=${K} V=${V}` });
      const pPost = rnd([N * K], 0, 1), pLse = rnd([N * K], 1, 3);
      cases.push({ kernel: 'mos_nll_backward', args: [glogits.ptr, glogprior.ptr, logits.ptr, pLse.ptr, pPost.ptr, t.ptr, N, K, V, 0.5], outputs: [glogits, glogprior], tol: 1e-5, what: `N=${N} K=${K} V=${V}` });
    }
  }

  // Feature-major MoS: logitsT [V, C] (C = N·K columns), bias [V]; lse by columns, the backward by rows.
  for (const C of SIZES) {
    for (const V of [1, 3, 17, 701]) {
      if (V * C > 5e5) continue; // the reference's time
      const logitsT = rnd([V, C], -4, 4), bias = rnd([V], -1, 1), lse = rnd([C]), sum = rnd([C]), probs = rnd([V, C]);
      cases.push({ kernel: 'mos_fm_lse', args: [lse.ptr, sum.ptr, logitsT.ptr, bias.ptr, V, C, probs.ptr], outputs: [lse, sum, probs], tol: 1e-5, what: `V=${V} C=${C}` });
      const coef = rnd([C], 0, 1), e = rnd([V, C], 0, 1), glP = rnd([V, C]), gbP = rnd([V]);
      cases.push({ kernel: 'mos_fm_backward_probs', args: [glP.ptr, gbP.ptr, e.ptr, coef.ptr, V, C], outputs: [glP, gbP], tol: 1e-5, what: `V=${V} C=${C}` });
      const glT = rnd([V, C]), gbias = rnd([V]), pPost = rnd([C], 0, 1), pLse = rnd([C], 2, 6);
      cases.push({ kernel: 'mos_fm_backward', args: [glT.ptr, gbias.ptr, logitsT.ptr, bias.ptr, pLse.ptr, pPost.ptr, V, C, 0.37], outputs: [glT, gbias], tol: 1e-5, what: `V=${V} C=${C}` });
    }
  }

  // Embedding gradient: rows of g scattered into a table, repeated ids accumulating.
  for (const count of SIZES) {
    for (const [V, E] of [[1, 3], [5, 17], [40, 33], [7, 701]] as const) {
      const g = rnd([count, E]), table = rnd([V, E]), t = ids(count, V);
      cases.push({ kernel: 'scatter_add_rows', args: [table.ptr, g.ptr, t.ptr, count, E], outputs: [table], tol: 1e-6, what: `count=${count} ${V}×${E}` });
    }
  }

  // Element-wise and transpose.
  for (const n of SIZES) {
    const x = rnd([n]), y = rnd([n]), o = rnd([n]);
    cases.push({ kernel: 'axpy', args: [y.ptr, x.ptr, -0.3, n], outputs: [y], tol: 1e-6, what: `n=${n}` });
    cases.push({ kernel: 'scale', args: [o.ptr, x.ptr, 1.7, n], outputs: [o], tol: 1e-6, what: `n=${n}` });
    const f = rnd([n]);
    cases.push({ kernel: 'fill', args: [f.ptr, -2.5, n], outputs: [f], tol: 0, what: `n=${n}` });
    for (const cols of [1, 17, 33]) {
      const a = rnd([n, cols]), out = rnd([cols, n]);
      cases.push({ kernel: 'transpose', args: [out.ptr, a.ptr, n, cols], outputs: [out], tol: 0, what: `${n}×${cols}` });
    }
  }

  const snapshot = (c: Case) => c.outputs.map((t) => Float32Array.from(t.data));
  const restore = (c: Case, s: Float32Array[]) => c.outputs.forEach((t, i) => t.data.set(s[i]!));
  const results = (c: Case) => c.outputs.map((t) => Float32Array.from(t.data));
  const call = (fns: unknown, c: Case) => (fns as Record<string, (...a: number[]) => number | void>)[c.kernel]!(...c.args);

  /** For each case: its initial outputs, the single call's results, and what the single call returned. */
  const initial = cases.map(snapshot);
  const single: Float32Array[][] = [];
  const singleReturn: (number | void)[] = [];

  // The references of the plain kernels and of the recurrent cells (RHN, ON-LSTM).
  const cellRef = createCellReference({ get f() { return heap.f32(); }, get i() { return heap.i32(); } });
  const reference = { ...ref, ...cellRef };

  test(`${label}: the single-thread calls match the TypeScript reference`, () => {
    cases.forEach((c, k) => {
      restore(c, initial[k]!);
      call(reference, c);
      const want = results(c);
      restore(c, initial[k]!);
      singleReturn[k] = call(rawKernels, c);
      single[k] = results(c);
      single[k]!.forEach((got, i) => {
        const d = maxRelDiff(got, want[i]!);
        assert.ok(d <= c.tol, `${c.kernel} ${c.what} output ${i}: max rel diff ${d} against the reference`);
      });
    });
    assert.ok(cases.length > 700, `${cases.length} cases`);
  });

  /** Bit equality (NaN-safe through the integer view). */
  function sameBits(a: Float32Array, b: Float32Array): boolean {
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }

  test('the scatter and gather forms of Wᵀ·G give the same bits (the layers switch form with threads)', () => {
    let compared = 0;
    for (const [M, K, density] of sparseShapes) {
      const W = sparse(M, K, density);
      const T = W.transposedIndex();
      for (const N of SIZES) {
        if (M * K * density * N > 5e6) continue;
        for (const acc of [0, 1]) {
          const g = rnd([M, N]), y1 = rnd([K, N]), y2 = new Tensor([K, N], { persistent: true });
          y2.data.set(y1.data);
          (W.colIdx.wide ? rawKernels.spmm_t : rawKernels.spmm_t_u16)(y1.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, g.ptr, M, K, N, acc);
          (T.rowIdx.wide ? rawKernels.spmm_t_csc : rawKernels.spmm_t_csc_u16)(y2.ptr, T.colPtr.ptr, T.rowIdx.ptr, T.slotOf.ptr, W.values.ptr, g.ptr, K, N, acc);
          assert.ok(sameBits(y1.data, y2.data), `${M}×${K} N=${N} acc=${acc}`);
          compared++;
          for (const t of [g, y1, y2]) t.dispose();
        }
      }
      W.dispose();
    }
    assert.ok(compared > 50);
  });

  test('threaded build available here (Node ≥ 20)', () => {
    assert.ok(threadsSupported);
  });

  for (const threads of [1, 2, 3, 4]) {
    test(`${label}: every share split on ${threads} thread(s) gives the single call's bits`, async () => {
      assert.is(await setThreads(threads), threads);
      assert.is(getThreads(), threads);
      cases.forEach((c, k) => {
        restore(c, initial[k]!);
        runShared(c.kernel, c.args);
        results(c).forEach((got, i) => assert.ok(sameBits(got, single[k]![i]!), `${c.kernel} ${c.what} on ${threads} threads: output ${i} differs from the single call`));
      });
    });
  }

  test('the dispatchers (large calls split, small ones not) return the single calls\' results', async () => {
    await setThreads(3);
    cases.forEach((c, k) => {
      restore(c, initial[k]!);
      const r = call(kernels, c);
      if (singleReturn[k] !== undefined) assert.is(r, singleReturn[k], `${c.kernel} ${c.what}: returned ${String(r)}, single call ${String(singleReturn[k])}`);
      results(c).forEach((got, i) => assert.ok(sameBits(got, single[k]![i]!), `${c.kernel} ${c.what} dispatched: output ${i} differs`));
    });
  });

  test('a trap inside a worker reaches the caller as an error, and the pool keeps working', async () => {
    await setThreads(2);
    // Share 0 (rows 0..255, ~10 ms of work) is in bounds, share 1 lies past the end of memory. Shares
    // are claimed: under load the caller may run share 1 itself, so retry until a worker did.
    const M = 512, K = 512, N = 128;
    const a = new Tensor([M, K]), b = new Tensor([K, N]);
    let byWorker = '';
    for (let attempt = 0; attempt < 50 && byWorker === ''; attempt++) {
      const c = rawKernels.memory.buffer.byteLength - (M / 2) * N * 4;
      try {
        runShared('gemm_nn', [c, a.ptr, b.ptr, M, K, N, 0]);
        assert.unreachable('the out-of-bounds share must throw');
      } catch (e) {
        const m = (e as Error).message;
        assert.match(m, /^selfish-rnn: gemm_nn share 1 of 2 failed on (worker thread 1|the calling thread): .*out of bounds/i);
        if (/worker thread 1/.test(m)) byWorker = m;
      }
    }
    assert.ok(byWorker !== '', 'a worker ran the failing share at least once in 50 attempts');
    const ok = cases.findIndex((x) => x.kernel === 'gemm_nn' && x.args[3] === 701);
    restore(cases[ok]!, initial[ok]!);
    runShared('gemm_nn', cases[ok]!.args);
    assert.ok(sameBits(results(cases[ok]!)[0]!, single[ok]![0]!));
    a.dispose();
    b.dispose();
  });

  test('setThreads validates its argument and can go back to one thread', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 1e6]) {
      let threw = false;
      try { await setThreads(bad); } catch (e) { threw = e instanceof RangeError && /thread count/.test((e as Error).message); }
      assert.ok(threw, `setThreads(${bad}) must reject with a RangeError`);
    }
    assert.is(await setThreads(1), 1);
    assert.is(kernels.gemm_nn, rawKernels.gemm_nn);
  });
}
