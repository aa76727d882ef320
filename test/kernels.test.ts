// Element-wise, reduction, softmax-family and gather kernels against the TypeScript reference,
// on awkward sizes (0, 1, 3, 5, 17, 33 and row/column combinations of them), in the build in use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernels, Random, simdSupported, type Tensor } from '../src/index.js';
import { AWKWARD, clone, maxRelDiff, randomIds, randomTensor, ref } from './helpers/heap.js';

type K = typeof kernels;
const TOL = 2e-6;

function check(name: string, outs: [Tensor, Tensor][], what: string, tol = TOL): void {
  for (const [got, want] of outs) {
    const d = maxRelDiff(got.data, want.data);
    assert.ok(d <= tol, `${name} ${what}: max rel diff ${d}`);
  }
}

test('the SIMD build is in use on this engine', () => {
  assert.ok(simdSupported, 'WebAssembly SIMD is expected in Node ≥ 20');
});

// out = f(a, b) element-wise
for (const name of ['add', 'sub', 'mul'] as const) {
  test(`${name} matches the reference`, () => {
    const rng = new Random(1);
    for (const n of AWKWARD) {
      const a = randomTensor([n], rng), b = randomTensor([n], rng), o1 = randomTensor([n], rng), o2 = clone(o1);
      kernels[name](o1.ptr, a.ptr, b.ptr, n);
      ref[name](o2.ptr, a.ptr, b.ptr, n);
      check(name, [[o1, o2]], `n=${n}`);
      // in place (out aliases a)
      const a2 = clone(a);
      kernels[name](a.ptr, a.ptr, b.ptr, n);
      ref[name](a2.ptr, a2.ptr, b.ptr, n);
      check(name, [[a, a2]], `in-place n=${n}`);
    }
  });
}

// gx += f(gy, v) style kernels, and out += a*b
for (const name of ['mul_acc', 'relu_backward', 'tanh_backward', 'sigmoid_backward', 'div_acc'] as const) {
  test(`${name} accumulates like the reference`, () => {
    const rng = new Random(2);
    for (const n of AWKWARD) {
      const gx = randomTensor([n], rng), gy = randomTensor([n], rng);
      const v = name === 'div_acc' ? randomTensor([n], rng, 0.5, 2) : randomTensor([n], rng);
      const gx2 = clone(gx);
      (kernels[name] as K['mul_acc'])(gx.ptr, gy.ptr, v.ptr, n);
      (ref[name] as K['mul_acc'])(gx2.ptr, gy.ptr, v.ptr, n);
      check(name, [[gx, gx2]], `n=${n}`);
    }
  });
}

for (const name of ['relu', 'tanh', 'sigmoid', 'exp', 'log'] as const) {
  test(`${name} matches the reference`, () => {
    const rng = new Random(3);
    for (const n of AWKWARD) {
      const a = name === 'log' ? randomTensor([n], rng, 0.01, 10) : randomTensor([n], rng, -6, 6);
      const o1 = randomTensor([n], rng), o2 = clone(o1);
      kernels[name](o1.ptr, a.ptr, n);
      ref[name](o2.ptr, a.ptr, n);
      check(name, [[o1, o2]], `n=${n}`, 3e-6);
    }
  });
}

test('sigmoid is finite and saturates for huge inputs', () => {
  const rng = new Random(0);
  const a = randomTensor([5], rng);
  a.data.set([-1e4, -100, 0, 100, 1e4]);
  const o = randomTensor([5], rng);
  kernels.sigmoid(o.ptr, a.ptr, 5);
  const want = [0, 1 / (1 + Math.exp(100)), 0.5, 1, 1];
  o.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-37 || Math.abs(v - want[i]!) <= 1e-7 * want[i]!, `sigmoid(${a.data[i]}) = ${v}`));
});

test('exp, tanh and sigmoid meet their documented accuracy over their range', () => {
  const n = 20001;
  const rng = new Random(12);
  const a = randomTensor([n], rng), o = randomTensor([n], rng);
  const x = a.data;
  for (let i = 0; i < n; i++) x[i] = Math.fround(-87 + (175.7 * i) / (n - 1));
  kernels.exp(o.ptr, a.ptr, n);
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(o.data[i]! - Math.exp(x[i]!)) / Math.exp(x[i]!));
  assert.ok(worst <= 3e-7, `exp max relative error ${worst}`);
  assert.ok(worst > 0, 'suspicious: exp matches to the last bit everywhere');
  for (let i = 0; i < n; i++) x[i] = Math.fround(-12 + (24 * i) / (n - 1));
  kernels.tanh(o.ptr, a.ptr, n);
  worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(o.data[i]! - Math.tanh(x[i]!)));
  assert.ok(worst <= 2e-7, `tanh max absolute error ${worst}`);
  kernels.sigmoid(o.ptr, a.ptr, n);
  worst = 0;
  for (let i = 0; i < n; i++) { const s = 1 / (1 + Math.exp(-x[i]!)); worst = Math.max(worst, Math.abs(o.data[i]! - s) / s); }
  assert.ok(worst <= 4e-7, `sigmoid max relative error ${worst}`);
  x.set([-Infinity, Infinity, NaN, -88, 89]);
  kernels.exp(o.ptr, a.ptr, 5);
  assert.equal(Array.from(o.data.subarray(0, 5)), [0, Infinity, NaN, 0, Infinity]);
});

// exp4 skips its range fix-ups when all 4 lanes are in range: a lane's result must not depend
// on whether a neighbour in its SIMD group is out of range (or NaN).
test('exp gives each lane the same bits whatever the other lanes of its SIMD group hold', () => {
  const rng = new Random(21);
  const inRange = Array.from({ length: 4 }, () => Math.fround(rng.uniform() * 40 - 20));
  const odd = [NaN, -Infinity, Infinity, -87.34, -88, 88.1, 88.5, 88.72, 89, 1e30];
  const a = randomTensor([4], rng), o = randomTensor([4], rng), alone = randomTensor([4], rng);
  a.data.set(inRange);
  kernels.exp(alone.ptr, a.ptr, 4);
  const want = (v: number) => (Number.isNaN(v) ? NaN : v < -87.3365478 ? 0 : v > 88.7228391 ? Infinity : null);
  for (const v of odd) {
    for (let lane = 0; lane < 4; lane++) {
      a.data.set(inRange);
      a.data[lane] = v;
      kernels.exp(o.ptr, a.ptr, 4);
      for (let k = 0; k < 4; k++) {
        if (k !== lane) assert.equal(o.data[k], alone.data[k], `exp lane ${k} beside ${v} in lane ${lane}`);
      }
      const limit = want(v), got = o.data[lane]!;
      if (limit !== null) assert.ok(Object.is(got, limit), `exp(${v}) = ${got}, want ${limit}`);
      else assert.ok(Math.abs(got - Math.exp(Math.fround(v))) <= 3e-7 * Math.exp(Math.fround(v)), `exp(${v}) = ${got}`);
    }
  }
});

test('scale, add_scalar, axpy, fill match the reference', () => {
  const rng = new Random(4);
  for (const n of AWKWARD) {
    const a = randomTensor([n], rng), o1 = randomTensor([n], rng), o2 = clone(o1);
    kernels.scale(o1.ptr, a.ptr, -1.75, n);
    ref.scale(o2.ptr, a.ptr, -1.75, n);
    check('scale', [[o1, o2]], `n=${n}`);
    kernels.add_scalar(o1.ptr, a.ptr, 0.3, n);
    ref.add_scalar(o2.ptr, a.ptr, 0.3, n);
    check('add_scalar', [[o1, o2]], `n=${n}`);
    kernels.axpy(o1.ptr, a.ptr, 2.5, n);
    ref.axpy(o2.ptr, a.ptr, 2.5, n);
    check('axpy', [[o1, o2]], `n=${n}`);
    kernels.fill(o1.ptr, 7.25, n);
    ref.fill(o2.ptr, 7.25, n);
    check('fill', [[o1, o2]], `n=${n}`);
  }
});

test('sum matches the reference (f64 accumulation)', () => {
  const rng = new Random(5);
  for (const n of [...AWKWARD, 100003]) {
    const a = randomTensor([n], rng);
    const got = kernels.sum(a.ptr, n), want = ref.sum(a.ptr, n);
    assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)) + 1e-9, `sum n=${n}: ${got} vs ${want}`);
  }
});

test('sum_squares matches the reference (f64 accumulation of exact squares)', () => {
  const rng = new Random(15);
  for (const n of [...AWKWARD, 100003]) {
    const a = randomTensor([n], rng, -3, 3);
    const got = kernels.sum_squares(a.ptr, n), want = ref.sum_squares(a.ptr, n);
    assert.ok(Math.abs(got - want) <= 1e-12 * want, `sum_squares n=${n}: ${got} vs ${want}`);
  }
  // squares that f32 would round (4097² needs 25 bits); every partial sum is exact in f64, so
  // the result is exact whatever the summation order
  const b = randomTensor([5], rng);
  b.data.set([4097, -4097, 3, 0.5, -16777215]);
  const exact = 2 * 4097 ** 2 + 9 + 0.25 + 16777215 ** 2;
  assert.is(kernels.sum_squares(b.ptr, 5), exact);
});

test('row kernels (add_row_bcast, sum_rows_acc, transpose) match the reference', () => {
  const rng = new Random(6);
  for (const rows of AWKWARD) for (const cols of AWKWARD) {
    const a = randomTensor([rows, cols], rng), b = randomTensor([cols], rng);
    const o1 = randomTensor([rows, cols], rng), o2 = clone(o1);
    kernels.add_row_bcast(o1.ptr, a.ptr, b.ptr, rows, cols);
    ref.add_row_bcast(o2.ptr, a.ptr, b.ptr, rows, cols);
    check('add_row_bcast', [[o1, o2]], `${rows}×${cols}`);
    const s1 = randomTensor([cols], rng), s2 = clone(s1);
    kernels.sum_rows_acc(s1.ptr, a.ptr, rows, cols);
    ref.sum_rows_acc(s2.ptr, a.ptr, rows, cols);
    check('sum_rows_acc', [[s1, s2]], `${rows}×${cols}`, 1e-5);
    const t1 = randomTensor([cols, rows], rng), t2 = clone(t1);
    kernels.transpose(t1.ptr, a.ptr, rows, cols);
    ref.transpose(t2.ptr, a.ptr, rows, cols);
    check('transpose', [[t1, t2]], `${rows}×${cols}`, 0);
  }
});

test('softmax family matches the reference', () => {
  const rng = new Random(8);
  for (const rows of AWKWARD) for (const cols of AWKWARD) {
    if (cols === 0 && rows > 0) continue; // a row of zero classes has no softmax
    const x = randomTensor([rows, cols], rng, -8, 8);
    const y1 = randomTensor([rows, cols], rng), y2 = clone(y1);
    kernels.softmax_rows(y1.ptr, x.ptr, rows, cols);
    ref.softmax_rows(y2.ptr, x.ptr, rows, cols);
    check('softmax_rows', [[y1, y2]], `${rows}×${cols}`, 1e-5);
    const l1 = randomTensor([rows, cols], rng), l2 = clone(l1);
    kernels.log_softmax_rows(l1.ptr, x.ptr, rows, cols);
    ref.log_softmax_rows(l2.ptr, x.ptr, rows, cols);
    check('log_softmax_rows', [[l1, l2]], `${rows}×${cols}`, 1e-5);
    const gy = randomTensor([rows, cols], rng);
    const g1 = randomTensor([rows, cols], rng), g2 = clone(g1);
    kernels.log_softmax_backward(g1.ptr, gy.ptr, l2.ptr, rows, cols);
    ref.log_softmax_backward(g2.ptr, gy.ptr, l2.ptr, rows, cols);
    check('log_softmax_backward', [[g1, g2]], `${rows}×${cols}`, 1e-5);
    kernels.softmax_backward(g1.ptr, gy.ptr, y2.ptr, rows, cols);
    ref.softmax_backward(g2.ptr, gy.ptr, y2.ptr, rows, cols);
    check('softmax_backward', [[g1, g2]], `${rows}×${cols}`, 1e-5);
    if (cols === 0) continue;
    const targets = randomIds(rows, cols, rng);
    const p1 = randomTensor([rows, cols], rng), p2 = clone(p1);
    const ls1 = randomTensor([rows], rng), ls2 = clone(ls1);
    const tot1 = kernels.softmax_xent(p1.ptr, ls1.ptr, x.ptr, targets.ptr, rows, cols);
    const tot2 = ref.softmax_xent(p2.ptr, ls2.ptr, x.ptr, targets.ptr, rows, cols);
    check('softmax_xent probs', [[p1, p2]], `${rows}×${cols}`, 1e-5);
    check('softmax_xent losses', [[ls1, ls2]], `${rows}×${cols}`, 1e-5);
    assert.ok(Math.abs(tot1 - tot2) <= 1e-5 * (1 + Math.abs(tot2)), `softmax_xent total ${tot1} vs ${tot2}`);
    const x1 = randomTensor([rows, cols], rng), x2 = clone(x1);
    kernels.softmax_xent_backward(x1.ptr, p2.ptr, targets.ptr, rows, cols, 0.37);
    ref.softmax_xent_backward(x2.ptr, p2.ptr, targets.ptr, rows, cols, 0.37);
    check('softmax_xent_backward', [[x1, x2]], `${rows}×${cols}`);
  }
});

test('softmax of extreme logits stays finite', () => {
  const rng = new Random(9);
  const x = randomTensor([2, 3], rng);
  x.data.set([1e30, 0, -1e30, 88, 89, 90]);
  const y = randomTensor([2, 3], rng);
  kernels.softmax_rows(y.ptr, x.ptr, 2, 3);
  for (const v of y.data) assert.ok(Number.isFinite(v), `non-finite softmax value ${v}`);
  assert.equal(y.data[0], 1);
});

test('gather_rows and scatter_add_rows match the reference (repeated ids accumulate)', () => {
  const rng = new Random(10);
  for (const V of [1, 3, 17]) for (const E of AWKWARD) for (const count of AWKWARD) {
    const table = randomTensor([V, E], rng);
    const ids = randomIds(count, V, rng);
    const o1 = randomTensor([count, E], rng), o2 = clone(o1);
    kernels.gather_rows(o1.ptr, table.ptr, ids.ptr, count, E);
    ref.gather_rows(o2.ptr, table.ptr, ids.ptr, count, E);
    check('gather_rows', [[o1, o2]], `V=${V} E=${E} n=${count}`, 0);
    const g = randomTensor([count, E], rng);
    const t1 = clone(table), t2 = clone(table);
    kernels.scatter_add_rows(t1.ptr, g.ptr, ids.ptr, count, E);
    ref.scatter_add_rows(t2.ptr, g.ptr, ids.ptr, count, E);
    check('scatter_add_rows', [[t1, t2]], `V=${V} E=${E} n=${count}`, 1e-6);
  }
});

test('mos_nll and mos_nll_backward match the reference', () => {
  const rng = new Random(13);
  for (const N of [1, 3, 5]) for (const K of [1, 3, 5]) for (const V of [1, 3, 5, 17, 33]) {
    const logits = randomTensor([N * K, V], rng, -4, 4);
    const logprior = randomTensor([N, K], rng, -3, 0);
    const targets = randomIds(N, V, rng);
    const out1 = [randomTensor([N], rng), randomTensor([N * K], rng), randomTensor([N * K], rng)];
    const out2 = out1.map(clone);
    const t1 = kernels.mos_nll(out1[0]!.ptr, out1[1]!.ptr, out1[2]!.ptr, logits.ptr, logprior.ptr, targets.ptr, N, K, V);
    const t2 = ref.mos_nll(out2[0]!.ptr, out2[1]!.ptr, out2[2]!.ptr, logits.ptr, logprior.ptr, targets.ptr, N, K, V);
    assert.ok(Math.abs(t1 - t2) <= 1e-5 * (1 + Math.abs(t2)), `mos_nll total ${t1} vs ${t2}`);
    check('mos_nll', out1.map((o, i) => [o, out2[i]!] as [Tensor, Tensor]), `N=${N} K=${K} V=${V}`, 1e-5);
    const g1 = randomTensor([N * K, V], rng), g2 = clone(g1);
    const p1 = randomTensor([N, K], rng), p2 = clone(p1);
    kernels.mos_nll_backward(g1.ptr, p1.ptr, logits.ptr, out2[2]!.ptr, out2[1]!.ptr, targets.ptr, N, K, V, 0.7);
    ref.mos_nll_backward(g2.ptr, p2.ptr, logits.ptr, out2[2]!.ptr, out2[1]!.ptr, targets.ptr, N, K, V, 0.7);
    check('mos_nll_backward', [[g1, g2], [p1, p2]], `N=${N} K=${K} V=${V}`, 1e-5);
  }
});

test('feature-major MoS (mos_fm_*) matches its reference and the token-major kernels on the transposed logits', () => {
  const rng = new Random(17);
  let compared = 0;
  for (const N of [1, 3, 5]) for (const K of [1, 3, 5]) for (const V of [1, 3, 17, 33]) {
    const C = N * K;
    const logitsT = randomTensor([V, C], rng, -4, 4), bias = randomTensor([V], rng, -1, 1);
    const logprior = randomTensor([N, K], rng, -3, 0), targets = randomIds(N, V, rng);
    // Token-major logits with the bias added, for mos_nll.
    const logits = randomTensor([C, V], rng);
    for (let c = 0; c < C; c++) for (let v = 0; v < V; v++) logits.data[c * V + v] = logitsT.data[v * C + c]! + bias.data[v]!;
    const lse1 = randomTensor([C], rng), lse2 = clone(lse1), sum1 = randomTensor([C], rng), sum2 = clone(sum1);
    const pr1 = randomTensor([V, C], rng), pr2 = clone(pr1);
    kernels.mos_fm_lse(lse1.ptr, sum1.ptr, logitsT.ptr, bias.ptr, V, C, pr1.ptr);
    ref.mos_fm_lse(lse2.ptr, sum2.ptr, logitsT.ptr, bias.ptr, V, C, pr2.ptr);
    check('mos_fm_lse', [[lse1, lse2], [sum1, sum2], [pr1, pr2]], `N=${N} K=${K} V=${V}`, 1e-5);
    const tl1 = randomTensor([C], rng), tl2 = clone(tl1);
    kernels.mos_fm_target_logits(tl1.ptr, logitsT.ptr, bias.ptr, targets.ptr, N, K);
    ref.mos_fm_target_logits(tl2.ptr, logitsT.ptr, bias.ptr, targets.ptr, N, K);
    check('mos_fm_target_logits', [[tl1, tl2]], `N=${N} K=${K} V=${V}`, 0);
    const [loss1, post1, loss2, post2] = [randomTensor([N], rng), randomTensor([C], rng), randomTensor([N], rng), randomTensor([C], rng)];
    const t1 = kernels.mos_fm_nll(loss1.ptr, post1.ptr, lse1.ptr, tl1.ptr, logprior.ptr, N, K);
    const t2 = ref.mos_fm_nll(loss2.ptr, post2.ptr, lse1.ptr, tl1.ptr, logprior.ptr, N, K);
    assert.ok(Math.abs(t1 - t2) <= 1e-5 * (1 + Math.abs(t2)), `mos_fm_nll total ${t1} vs ${t2}`);
    check('mos_fm_nll', [[loss1, loss2], [post1, post2]], `N=${N} K=${K} V=${V}`, 1e-5);
    // The token-major kernels on the same logits give the same loss, posterior and lse.
    const [lossT, postT, lseT] = [randomTensor([N], rng), randomTensor([C], rng), randomTensor([C], rng)];
    const tT = kernels.mos_nll(lossT.ptr, postT.ptr, lseT.ptr, logits.ptr, logprior.ptr, targets.ptr, N, K, V);
    assert.ok(Math.abs(t1 - tT) <= 1e-5 * (1 + Math.abs(tT)), `feature-major total ${t1} vs token-major ${tT}`);
    check('mos_fm vs mos_nll', [[loss1, lossT], [post1, postT], [lse1, lseT]], `N=${N} K=${K} V=${V}`, 1e-5);
    // Backward: glT (overwritten) and gbias, plus the targets' terms, against the reference and
    // against the transposed token-major gradient (whose column sums are d bias).
    const glT1 = randomTensor([V, C], rng), glT2 = clone(glT1), gb1 = randomTensor([V], rng), gb2 = clone(gb1), gb0 = clone(gb1);
    const gp1 = randomTensor([N, K], rng), gp2 = clone(gp1), gpT = clone(gp1);
    kernels.mos_fm_backward(glT1.ptr, gb1.ptr, logitsT.ptr, bias.ptr, lse1.ptr, post1.ptr, V, C, 0.7);
    kernels.mos_fm_backward_targets(glT1.ptr, gb1.ptr, gp1.ptr, post1.ptr, targets.ptr, N, K, 0.7);
    ref.mos_fm_backward(glT2.ptr, gb2.ptr, logitsT.ptr, bias.ptr, lse1.ptr, post1.ptr, V, C, 0.7);
    ref.mos_fm_backward_targets(glT2.ptr, gb2.ptr, gp2.ptr, post1.ptr, targets.ptr, N, K, 0.7);
    check('mos_fm_backward', [[glT1, glT2], [gb1, gb2], [gp1, gp2]], `N=${N} K=${K} V=${V}`, 1e-5);
    const g = randomTensor([C, V], rng);
    g.data.fill(0);
    kernels.mos_nll_backward(g.ptr, gpT.ptr, logits.ptr, lseT.ptr, postT.ptr, targets.ptr, N, K, V, 0.7);
    // The token-major gradient, transposed, and its column sums added to the initial d bias.
    const gT = randomTensor([V, C], rng), gbT = clone(gb0);
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let c = 0; c < C; c++) { gT.data[v * C + c] = g.data[c * V + v]!; s += g.data[c * V + v]!; }
      gbT.data[v] = gb0.data[v]! + s;
    }
    check('mos_fm_backward vs mos_nll_backward', [[glT1, gT], [gp1, gpT], [gb1, gbT]], `N=${N} K=${K} V=${V}`, 1e-5);
    // From the stored exp values (in place, as the one-chunk path does): the same gradient.
    const coef1 = randomTensor([C], rng), coef2 = clone(coef1), gb3 = clone(gb0), gb4 = clone(gb0), pr3 = clone(pr1);
    kernels.mos_fm_coef(coef1.ptr, post1.ptr, sum1.ptr, C, 0.7);
    ref.mos_fm_coef(coef2.ptr, post1.ptr, sum1.ptr, C, 0.7);
    check('mos_fm_coef', [[coef1, coef2]], `N=${N} K=${K} V=${V}`, 1e-6);
    kernels.mos_fm_backward_probs(pr1.ptr, gb3.ptr, pr1.ptr, coef1.ptr, V, C);
    ref.mos_fm_backward_probs(pr3.ptr, gb4.ptr, pr3.ptr, coef1.ptr, V, C);
    check('mos_fm_backward_probs', [[pr1, pr3], [gb3, gb4]], `N=${N} K=${K} V=${V}`, 1e-5);
    kernels.mos_fm_backward_targets(pr1.ptr, gb3.ptr, 0, post1.ptr, targets.ptr, N, K, 0.7);
    check('mos_fm_backward_probs vs mos_nll_backward', [[pr1, gT], [gb3, gbT]], `N=${N} K=${K} V=${V}`, 1e-5);
    compared++;
  }
  assert.ok(compared === 36);
});

test('mos_nll agrees with the reference formula −log(Σ π·softmax + 1e−8) where that is finite, and stays finite where it clips', () => {
  const rng = new Random(14);
  const N = 4, K = 3, V = 9;
  const logits = randomTensor([N * K, V], rng, -3, 3);
  const logprior = randomTensor([N, K], rng);
  const lp = logprior.data;
  for (let n = 0; n < N; n++) { // normalise the prior rows
    const row = Array.from(lp.subarray(n * K, n * K + K));
    const m = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    for (let k = 0; k < K; k++) lp[n * K + k] = row[k]! - m;
  }
  const targets = randomIds(N, V, rng);
  const loss = randomTensor([N], rng), post = randomTensor([N * K], rng), lse = randomTensor([N * K], rng);
  kernels.mos_nll(loss.ptr, post.ptr, lse.ptr, logits.ptr, logprior.ptr, targets.ptr, N, K, V);
  for (let n = 0; n < N; n++) {
    let p = 0;
    for (let k = 0; k < K; k++) {
      const row = Array.from(logits.data.subarray((n * K + k) * V, (n * K + k + 1) * V));
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      p += Math.exp(lp[n * K + k]!) * Math.exp(row[targets.data[n]!]!) / z;
    }
    const refLoss = -Math.log(p + 1e-8);
    assert.ok(Math.abs(loss.data[n]! - refLoss) < 1e-4 * Math.abs(refLoss) + 1e-6, `token ${n}: ${loss.data[n]} vs reference ${refLoss}`);
  }
  // A target whose probability underflows: the reference clips at −log(1e−8) ≈ 18.4, ours is exact.
  logits.data.fill(0);
  for (let r = 0; r < N * K; r++) logits.data[r * V + 1] = 60;
  targets.data.fill(0);
  kernels.mos_nll(loss.ptr, post.ptr, lse.ptr, logits.ptr, logprior.ptr, targets.ptr, N, K, V);
  for (let n = 0; n < N; n++) {
    assert.ok(Number.isFinite(loss.data[n]!) && loss.data[n]! > 59, `loss ${loss.data[n]} should be ≈ 60`);
  }
});

test('the scalar build gives the same results as the SIMD build', async () => {
  const { loadBuild } = await import('../src/index.js');
  const builds = await Promise.all([loadBuild('simd'), loadBuild('scalar')]);
  const rng = new Random(11);
  const M = 17, K = 33, N = 21;
  const a = Float32Array.from({ length: M * K }, () => rng.uniform() - 0.5);
  const b = Float32Array.from({ length: K * N }, () => rng.uniform() - 0.5);
  const outs = builds.map((k) => {
    const base = Math.ceil(k.heap_base() / 16) * 16;
    const f = new Float32Array(k.memory.buffer);
    f.set(a, base / 4);
    f.set(b, base / 4 + M * K);
    const c = base + (M * K + K * N) * 4;
    k.gemm_nn(c, base, base + M * K * 4, M, K, N, 0);
    k.softmax_rows(c, c, M, N);
    return new Float32Array(k.memory.buffer, c, M * N).slice();
  });
  assert.ok(maxRelDiff(outs[0]!, outs[1]!) < 1e-5, 'simd and scalar builds disagree');
});

// The softmax kernels shift by a max taken with f32x4.pmax, which may leave a NaN logit out of the
// max: the NaN must still reach the loss (through exp and the sum), or a diverged model would train
// on with finite losses. A NaN in a SIMD lane and in the scalar tail, early and late in a row.
test("a NaN logit makes its row's softmax loss and its column's lse NaN, and no other", () => {
  const rng = new Random(8);
  for (const cols of [37, 40]) for (const at of [0, 5, 21, cols - 1]) {
    const rows = 3;
    const logits = randomTensor([rows, cols], rng), probs = randomTensor([rows, cols], rng), losses = randomTensor([rows], rng);
    logits.data[cols + at] = NaN;
    const targets = randomIds(rows, cols, rng);
    const total = kernels.softmax_xent(probs.ptr, losses.ptr, logits.ptr, targets.ptr, rows, cols);
    assert.ok(Number.isNaN(total), `softmax_xent total, NaN at ${at} of ${cols}`);
    assert.equal(Array.from(losses.data, Number.isNaN), [false, true, false], `softmax_xent rows, NaN at ${at} of ${cols}`);
    // Feature-major: logitsT [V × C], lse per column.
    const V = cols, C = 9;
    const lT = randomTensor([V, C], rng), bias = randomTensor([V], rng), lse = randomTensor([C], rng), sum = randomTensor([C], rng);
    lT.data[at * C + 6] = NaN; // column 6: the scalar tail's first column when C = 9 (lanes 0–7 are SIMD)
    lT.data[at * C + 2] = NaN; // column 2: a SIMD lane
    kernels.mos_fm_lse(lse.ptr, sum.ptr, lT.ptr, bias.ptr, V, C, 0);
    assert.equal(Array.from(lse.data, Number.isNaN), [false, false, true, false, false, false, true, false, false], `mos_fm_lse, NaN in row ${at} of ${V}`);
    for (const t of [logits, probs, losses, targets, lT, bias, lse, sum]) t.dispose();
  }
});

test.run();
