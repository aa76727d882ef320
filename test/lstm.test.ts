// The fused LSTM layer: its kernels against their references (in the SIMD build in use and in
// the scalar build), equality with
// the same LSTM composed from primitive tape ops, state carrying, pluggable weights, memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DenseOperator, Random, Tensor, add, concat, kernels, loadBuild, lstmLayer, matmul, memoryStats, mul, noGrad, reshape,
  sigmoid, slice, tanh, tensor, tidy, type KernelExports, type WeightOperator,
} from '../src/index.js';
import { clone, maxRelDiff, randomTensor, ref, runInBuild } from './helpers/heap.js';

const SIZES = [0, 1, 3, 5, 17];

// ---- kernels vs reference ---------------------------------------------------------------------

const scalarBuild = await loadBuild('scalar');

test('sigmoid / tanh (the gate activations): accuracy against float64 over [-20, 20] and the extremes', () => {
  const xs: number[] = [];
  for (let k = -200000; k <= 200000; k++) xs.push(k * 1e-4);
  xs.push(0, -0, 1e-30, -1e-30, 1e-8, -1e-8, 50, -50, 87, -87, 88.5, -88.5, 100, -100, 1e30, -1e30);
  const n = xs.length;
  const x = new Tensor([n], { persistent: true }), y = new Tensor([n], { persistent: true });
  x.data.set(xs);
  for (const [name, exact, build] of [
    ['sigmoid', (v: number) => 1 / (1 + Math.exp(-v)), 'in use'],
    ['tanh', Math.tanh, 'in use'],
    ['sigmoid', (v: number) => 1 / (1 + Math.exp(-v)), 'scalar'],
    ['tanh', Math.tanh, 'scalar'],
  ] as const) {
    let got: Float32Array;
    if (build === 'in use') {
      kernels[name](y.ptr, x.ptr, n);
      got = y.toArray();
    } else {
      got = runInBuild(scalarBuild, [new Float32Array(n), x.toArray()], ([out, a]) => scalarBuild[name](out!, a!, n))[0]!;
    }
    let worst = 0, at = 0;
    for (let k = 0; k < n; k++) {
      const want = exact(Math.fround(xs[k]!));
      // Relative error, except far below f32's normal range where only the absolute one is meaningful.
      const err = Math.abs(want) < 1e-37 ? Math.abs(got[k]! - want) : Math.abs(got[k]! - want) / Math.abs(want);
      if (!(err <= worst)) (worst = err), (at = xs[k]!);
    }
    assert.ok(worst < 3e-7, `${name} (${build} build): max rel error ${worst.toExponential(2)} at x = ${at}`);
    assert.ok(Number.isFinite(worst), `${name} (${build} build): non-finite result`);
  }
  x.dispose();
  y.dispose();
});

/** A step's columns inside a [rows × ld] matrix: the middle step of three, with an odd row stride. */
function stepLayout(B: number) {
  return { ld: 3 * B + 1, col: B };
}

test('lstm_gates_forward matches the reference (H, B ∈ {0,1,3,5,17}), simd and scalar builds', () => {
  const rng = new Random(11);
  for (const H of SIZES) for (const B of SIZES) {
    const { ld, col } = stepLayout(B);
    const pre = randomTensor([4 * H, ld], rng, -3, 3), rec = randomTensor([4 * H, B], rng, -3, 3);
    const bias = randomTensor([4 * H], rng), cPrev = randomTensor([H, B], rng, -2, 2);
    const c = randomTensor([H, B], rng), tc = randomTensor([H, B], rng), h = randomTensor([H, B], rng);
    const y = randomTensor([H, ld], rng);
    const outs = [pre, c, tc, h, y];
    const before = [pre, rec, bias, cPrev, c, tc, h, y].map((t) => t.toArray());
    const refOuts = outs.map(clone);
    const [preR, cR, tcR, hR, yR] = refOuts as [Tensor, Tensor, Tensor, Tensor, Tensor];
    kernels.lstm_gates_forward(pre.ptr + col * 4, rec.ptr, bias.ptr, cPrev.ptr, c.ptr, tc.ptr, h.ptr, y.ptr + col * 4, H, B, ld);
    ref.lstm_gates_forward(preR.ptr + col * 4, rec.ptr, bias.ptr, cPrev.ptr, cR.ptr, tcR.ptr, hR.ptr, yR.ptr + col * 4, H, B, ld);
    const names = ['acts', 'c', 'tanh(c)', 'h', 'y'];
    outs.forEach((t, k) => {
      const d = maxRelDiff(t.data, refOuts[k]!.data);
      assert.ok(d < 2e-6, `lstm_gates_forward H=${H} B=${B}: ${names[k]} differs by ${d}`);
    });
    const scalar = runInBuild(scalarBuild, before, ([a, b, cc, d, e, f, g, hh]) =>
      scalarBuild.lstm_gates_forward(a! + col * 4, b!, cc!, d!, e!, f!, g!, hh! + col * 4, H, B, ld));
    [0, 4, 5, 6, 7].forEach((idx, k) => {
      const d = maxRelDiff(scalar[idx]!, refOuts[k]!.data);
      assert.ok(d < 2e-6, `scalar lstm_gates_forward H=${H} B=${B}: ${names[k]} differs by ${d}`);
    });
    for (const t of [pre, rec, bias, cPrev, c, tc, h, y, ...refOuts]) t.dispose();
  }
});

test('lstm_gates_backward matches the reference (H, B ∈ {0,1,3,5,17}), in place and not, simd and scalar', () => {
  const rng = new Random(12);
  for (const H of SIZES) for (const B of SIZES) for (const inPlace of [false, true]) {
    const { ld, col } = stepLayout(B);
    // Saved activations in their ranges: sigmoids in (0, 1), tanh in (−1, 1).
    const acts = randomTensor([4 * H, ld], rng, 0.01, 0.99);
    const ad = acts.data;
    for (let r = 2 * H; r < 3 * H; r++) for (let j = 0; j < ld; j++) ad[r * ld + j] = ad[r * ld + j]! * 2 - 1;
    const dpre = inPlace ? acts : randomTensor([4 * H, ld], rng);
    const dgate = randomTensor([4 * H, B], rng), dc = randomTensor([H, B], rng);
    const dy = randomTensor([H, ld], rng), dhRec = randomTensor([H, B], rng);
    const cPrev = randomTensor([H, B], rng, -2, 2), tc = randomTensor([H, B], rng, -0.99, 0.99);
    const outs = inPlace ? [acts, dgate, dc] : [dpre, dgate, dc, acts];
    const refOuts = outs.map(clone);
    const R = (t: Tensor) => refOuts[outs.indexOf(t)] ?? t;
    const all = [dpre, dgate, dc, dy, dhRec, acts, cPrev, tc];
    const before = all.map((t) => t.toArray());
    kernels.lstm_gates_backward(dpre.ptr + col * 4, dgate.ptr, dc.ptr, dy.ptr + col * 4, dhRec.ptr, acts.ptr + col * 4, cPrev.ptr, tc.ptr, H, B, ld);
    ref.lstm_gates_backward(R(dpre).ptr + col * 4, R(dgate).ptr, R(dc).ptr, dy.ptr + col * 4, dhRec.ptr, R(acts).ptr + col * 4, cPrev.ptr, tc.ptr, H, B, ld);
    outs.forEach((t, k) => {
      const d = maxRelDiff(t.data, refOuts[k]!.data);
      assert.ok(d < 2e-6, `lstm_gates_backward H=${H} B=${B} inPlace=${inPlace}: output ${k} differs by ${d}`);
    });
    // The scalar build, on copies laid out in its own memory (in place: dpre and acts share one).
    const bufs = inPlace ? before.filter((_, k) => k !== 0) : before;
    const scalar = runInBuild(scalarBuild, bufs, (p) => {
      const [dp, dg, dcc, dyy, dhr, ac, cp, t] = inPlace ? [p[4]!, ...p] : p;
      scalarBuild.lstm_gates_backward(dp! + col * 4, dg!, dcc!, dyy! + col * 4, dhr!, ac! + col * 4, cp!, t!, H, B, ld);
    });
    const scalarOuts = inPlace ? [scalar[4]!, scalar[0]!, scalar[1]!] : [scalar[0]!, scalar[1]!, scalar[2]!, scalar[5]!];
    scalarOuts.forEach((s, k) => {
      const d = maxRelDiff(s, refOuts[k]!.data);
      assert.ok(d < 2e-6, `scalar lstm_gates_backward H=${H} B=${B} inPlace=${inPlace}: output ${k} differs by ${d}`);
    });
    for (const t of new Set([...all, ...refOuts])) t.dispose();
  }
});

test('lstm_bias_backward matches the reference on awkward sizes', () => {
  const rng = new Random(13);
  for (const rows of [0, 1, 3, 5, 17, 20]) for (const cols of [0, 1, 3, 5, 8, 17, 33, 100]) {
    const g = randomTensor([rows, cols], rng), db = randomTensor([rows], rng), dbRef = clone(db);
    const dbOrig = db.toArray();
    kernels.lstm_bias_backward(db.ptr, g.ptr, rows, cols);
    ref.lstm_bias_backward(dbRef.ptr, g.ptr, rows, cols);
    const d = maxRelDiff(db.data, dbRef.data);
    assert.ok(d < 1e-5, `lstm_bias_backward rows=${rows} cols=${cols}: ${d}`);
    const [dbScalar] = runInBuild(scalarBuild, [dbRef.toArray(), g.toArray()], ([pdb, pg]) => {
      // dbRef already holds db + Σ: start the scalar build from the original db instead.
      new Float32Array(scalarBuild.memory.buffer, pdb!, rows).set(dbOrig);
      scalarBuild.lstm_bias_backward(pdb!, pg!, rows, cols);
    });
    assert.ok(maxRelDiff(dbScalar!, dbRef.data) < 1e-5, `scalar lstm_bias_backward rows=${rows} cols=${cols}`);
    for (const t of [g, db, dbRef]) t.dispose();
  }
});

test('DenseOperator products match the reference GEMMs, with and without the transposed copy', () => {
  const rng = new Random(14);
  for (const [rows, cols, N] of [[12, 5, 7], [4, 1, 1], [20, 17, 33], [0, 3, 2], [8, 3, 0]] as const) {
    const w = new DenseOperator(randomTensor([rows, cols], rng));
    const x = randomTensor([cols, N], rng), g = randomTensor([rows, N], rng);
    for (const acc of [0, 1] as const) {
      const y = randomTensor([rows, N], rng), yRef = clone(y);
      w.forward(y.ptr, x.ptr, N, acc);
      ref.gemm_nn(yRef.ptr, w.tensor.ptr, x.ptr, rows, cols, N, acc);
      assert.ok(maxRelDiff(y.data, yRef.data) < 1e-5, `forward ${rows}x${cols} N=${N} acc=${acc}`);
      for (const prepared of [false, true]) {
        const gx = randomTensor([cols, N], rng), gxRef = clone(gx);
        if (prepared) w.beginBackward();
        w.backwardInput(gx.ptr, g.ptr, N, acc);
        if (prepared) w.endBackward();
        ref.gemm_tn(gxRef.ptr, w.tensor.ptr, g.ptr, cols, rows, N, acc);
        assert.ok(maxRelDiff(gx.data, gxRef.data) < 1e-5, `backwardInput ${rows}x${cols} N=${N} acc=${acc} prepared=${prepared}`);
        for (const t of [gx, gxRef]) t.dispose();
      }
      for (const t of [y, yRef]) t.dispose();
    }
    const dW = randomTensor([rows, cols], rng), dWRef = clone(dW);
    w.backwardWeight(dW.ptr, g.ptr, x.ptr, N);
    ref.gemm_nt(dWRef.ptr, g.ptr, x.ptr, rows, N, cols, 1);
    assert.ok(maxRelDiff(dW.data, dWRef.data) < 1e-5, `backwardWeight ${rows}x${cols} N=${N}`);
    for (const t of [w.tensor, x, g, dW, dWRef]) t.dispose();
  }
});

// ---- the layer against a float64 oracle ------------------------------------------------------

// The float64 gradient checks of the layer live in test/gradcases/lstm.ts (run by gradcheck.test.ts).

// ---- the layer against the same LSTM composed from primitive tape ops ------------------------

/** The LSTM written with matmul/add/sigmoid/tanh/mul/slice/concat/reshape, x [T,B,I] → y, hT, cT. */
function composedLstm(x: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor, bHh: Tensor, h0: Tensor, c0: Tensor) {
  const [T, B, I] = x.shape as [number, number, number];
  const H = wHh.shape[1]!;
  let h = h0, c = c0;
  const ys: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const xt = reshape(slice(x, 0, t, t + 1), [B, I]);
    const a = add(add(matmul(xt, wIh, { transB: true }), bIh), add(matmul(h, wHh, { transB: true }), bHh)); // [B, 4H]
    const i = sigmoid(slice(a, 1, 0, H)), f = sigmoid(slice(a, 1, H, 2 * H));
    const g = tanh(slice(a, 1, 2 * H, 3 * H)), o = sigmoid(slice(a, 1, 3 * H, 4 * H));
    c = add(mul(f, c), mul(i, g));
    h = mul(o, tanh(c));
    ys.push(reshape(h, [1, B, H]));
  }
  return { output: concat(ys, 0), h, c };
}

test('fused lstm equals the LSTM composed from primitive ops, in output and every gradient', () => {
  const rng = new Random(21);
  for (const [T, B, I, H] of [[4, 5, 3, 6], [3, 1, 4, 1], [5, 20, 7, 9]] as const) {
    const shapes = [[T, B, I], [4 * H, I], [4 * H, H], [4 * H], [4 * H], [B, H], [B, H]];
    const names = ['x', 'W_ih', 'W_hh', 'b_ih', 'b_hh', 'h0', 'c0'];
    const leaves = shapes.map((s) => {
      const t = randomTensor(s, rng, -1, 1);
      t.requiresGrad = true;
      return t;
    });
    const w = randomTensor([T, B, H], rng);
    const run = (fused: boolean) =>
      tidy(() => {
        const [x, wIh, wHh, bIh, bHh, h0, c0] = leaves as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
        const r = fused ? lstmLayer(x, { wIh, wHh, bIh, bHh }, { h: h0, c: c0 }) : composedLstm(x, wIh, wHh, bIh, bHh, h0, c0);
        const vals = { y: r.output.toArray(), h: r.h.toArray(), c: r.c.toArray() };
        r.output.backward(w);
        const grads = leaves.map((l) => {
          const g = l.grad!.toArray();
          l.grad!.dispose();
          l.grad = null;
          return g;
        });
        return { ...vals, grads };
      });
    const f = run(true), p = run(false);
    for (const k of ['y', 'h', 'c'] as const) {
      const d = maxRelDiff(f[k], p[k]);
      assert.ok(d < 1e-5, `T=${T} B=${B} I=${I} H=${H}: ${k} differs by ${d}`);
    }
    f.grads.forEach((g, k) => {
      const d = maxRelDiff(g, p.grads[k]!);
      assert.ok(d < 1e-5, `T=${T} B=${B} I=${I} H=${H}: d${names[k]} differs by ${d}`);
      assert.ok(g.some((v) => v !== 0), `d${names[k]} is all zeros: the comparison would be vacuous`);
    });
    for (const t of [...leaves, w]) t.dispose();
  }
});

// ---- state, pluggable weights, edge cases, memory ---------------------------------------------

test('state carried: T=6 in one call equals two calls of T=3 (output, hT, cT)', () => {
  const rng = new Random(31);
  const [B, I, H] = [4, 3, 5];
  const x = randomTensor([6, B, I], rng);
  const wIh = randomTensor([4 * H, I], rng), wHh = randomTensor([4 * H, H], rng);
  const bIh = randomTensor([4 * H], rng), bHh = randomTensor([4 * H], rng);
  const h0 = randomTensor([B, H], rng), c0 = randomTensor([B, H], rng);
  const weights = { wIh, wHh, bIh, bHh };
  tidy(() => {
    const whole = lstmLayer(x, weights, { h: h0, c: c0 });
    const first = lstmLayer(slice(x, 0, 0, 3), weights, { h: h0, c: c0 });
    const second = lstmLayer(slice(x, 0, 3, 6), weights, { h: first.h, c: first.c });
    const y2 = concat([first.output, second.output], 0);
    assert.ok(maxRelDiff(whole.output.data, y2.data) < 1e-6, 'output');
    assert.ok(maxRelDiff(whole.h.data, second.h.data) < 1e-6, 'hT');
    assert.ok(maxRelDiff(whole.c.data, second.c.data) < 1e-6, 'cT');
    // hT is the last step of the output, and the carried states have no history.
    assert.ok(maxRelDiff(whole.h.data, whole.output.data.subarray(5 * B * H)) === 0, 'hT = y[T-1]');
    assert.not.ok(whole.h.requiresGrad || whole.c.requiresGrad);
  });
  for (const t of [x, wIh, wHh, bIh, bHh, h0, c0]) t.dispose();
});

test('a WeightOperator implemented outside the op (reference GEMMs) plugs in and gets its gradient', () => {
  const rng = new Random(41);
  const [T, B, I, H] = [3, 5, 4, 3];
  let calls = 0;
  /** A dense weight through the plain-TS reference GEMMs, standing in for a CSR weight. */
  // The feature-major products (what the layer calls) are replaced; the rest is inherited.
  class RefWeight extends DenseOperator {
    override forward(y: number, x: number, N: number, acc: 0 | 1): void {
      calls++;
      ref.gemm_nn(y, this.tensor.ptr, x, this.rows, this.cols, N, acc);
    }
    override backwardInput(gx: number, g: number, N: number, acc: 0 | 1): void {
      calls++;
      ref.gemm_tn(gx, this.tensor.ptr, g, this.cols, this.rows, N, acc);
    }
    override backwardWeight(grad: number, g: number, x: number, N: number): void {
      calls++;
      ref.gemm_nt(grad, g, x, this.rows, N, this.cols, 1);
    }
    override beginBackward(): void {}
    override endBackward(): void {}
  }
  const refWeight = (t: Tensor): WeightOperator => new RefWeight(t);
  const x = randomTensor([T, B, I], rng), w = randomTensor([T, B, H], rng);
  const params = [[4 * H, I], [4 * H, H], [4 * H], [4 * H]].map((s) => {
    const p = randomTensor(s, rng);
    p.requiresGrad = true;
    return p;
  });
  const [wIh, wHh, bIh, bHh] = params as [Tensor, Tensor, Tensor, Tensor];
  const run = (plug: boolean) =>
    tidy(() => {
      const weights = plug ? { wIh: refWeight(wIh), wHh: refWeight(wHh), bIh, bHh } : { wIh: new DenseOperator(wIh), wHh, bIh, bHh };
      const r = lstmLayer(x, weights);
      const y = r.output.toArray();
      r.output.backward(w);
      const grads = [wIh, wHh].map((p) => {
        const g = p.grad!.toArray();
        p.grad!.dispose();
        p.grad = null;
        return g;
      });
      return { y, grads };
    });
  const a = run(false), b = run(true);
  assert.ok(calls > 0);
  assert.ok(maxRelDiff(a.y, b.y) < 1e-5, 'output');
  a.grads.forEach((g, k) => assert.ok(maxRelDiff(g, b.grads[k]!) < 1e-5, `grad ${k}`));
  for (const t of [x, w, ...params]) t.dispose();
});

test('empty sequence and empty batch: shapes, state passes through, backward is a no-op', () => {
  const rng = new Random(51);
  const H = 3, I = 2;
  const wIh = randomTensor([4 * H, I], rng), wHh = randomTensor([4 * H, H], rng);
  const bIh = randomTensor([4 * H], rng), bHh = randomTensor([4 * H], rng);
  wIh.requiresGrad = true;
  tidy(() => {
    const h0 = randomTensor([2, H], rng), c0 = randomTensor([2, H], rng);
    const r = lstmLayer(new Tensor([0, 2, I]), { wIh, wHh, bIh, bHh }, { h: h0, c: c0 });
    assert.equal(r.output.shape, [0, 2, H]);
    assert.equal(r.h.toArray(), h0.toArray());
    assert.equal(r.c.toArray(), c0.toArray());
    r.output.backward(new Tensor([0, 2, H]));
    assert.ok(wIh.grad!.data.every((v) => v === 0));
    const e = lstmLayer(new Tensor([4, 0, I]), { wIh, wHh, bIh, bHh });
    assert.equal(e.output.shape, [4, 0, H]);
    assert.equal(e.h.shape, [0, H]);
    for (const t of [h0, c0]) t.dispose();
  });
  wIh.grad!.dispose();
  for (const t of [wIh, wHh, bIh, bHh]) t.dispose();
});

test('shape errors name the shapes involved', () => {
  const H = 3, I = 2;
  tidy(() => {
    const wIh = new Tensor([4 * H, I]), wHh = new Tensor([4 * H, H]), bIh = new Tensor([4 * H]), bHh = new Tensor([4 * H]);
    const x = new Tensor([2, 2, I]);
    const w = { wIh, wHh, bIh, bHh };
    assert.throws(() => lstmLayer(new Tensor([4, I]), w), /selfish-rnn: lstmLayer: x must be \[T, B, I\], got \[4, 2\]/);
    assert.throws(() => lstmLayer(new Tensor([2, 2, 5]), w), /W_ih must be \[4H, I\] = \[12, 5\].*got \[12, 2\]/);
    assert.throws(() => lstmLayer(x, { ...w, wHh: new Tensor([12, 4]) }), /W_hh must be \[4H, H\], got \[12, 4\]/);
    assert.throws(() => lstmLayer(x, { ...w, bHh: new Tensor([11]) }), /b_hh must have shape \[12\], got \[11\]/);
    assert.throws(() => lstmLayer(x, w, { h: new Tensor([3, H]), c: new Tensor([2, H]) }), /state.h must have shape \[2, 3\], got \[3, 3\]/);
    assert.throws(() => lstmLayer(x, w, { h: new Tensor([2, H]), c: new Tensor([2, 4]) }), RangeError);
  });
});

test('saved buffers are freed by the backward, and at once under noGrad', () => {
  const rng = new Random(61);
  const [T, B, I, H] = [4, 3, 5, 6];
  const x = randomTensor([T, B, I], rng);
  const params = [[4 * H, I], [4 * H, H], [4 * H], [4 * H]].map((s) => {
    const p = randomTensor(s, rng);
    p.requiresGrad = true;
    return p;
  });
  const [wIh, wHh, bIh, bHh] = params as [Tensor, Tensor, Tensor, Tensor];
  const g = randomTensor([T, B, H], rng);
  // First pass creates the .grad leaves; afterwards a full step must leave live bytes unchanged.
  const step = () => tidy(() => lstmLayer(x, { wIh, wHh, bIh, bHh }).output.backward(g));
  step();
  const base = memoryStats().liveBytes;
  step();
  assert.is(memoryStats().liveBytes, base, 'forward + backward');
  // Outside any tidy: under noGrad, only the three results stay alive.
  const r = noGrad(() => lstmLayer(x, { wIh, wHh, bIh, bHh }));
  assert.not.ok(r.output.requiresGrad);
  for (const t of [r.output, r.h, r.c]) t.dispose();
  assert.is(memoryStats().liveBytes, base, 'noGrad forward');
  // Outside any tidy, with grad: the backward releases everything it saved.
  const s = lstmLayer(x, { wIh, wHh, bIh, bHh });
  s.output.backward(g);
  for (const t of [s.output, s.h, s.c]) t.dispose();
  assert.is(memoryStats().liveBytes, base, 'forward + backward outside tidy');
  for (const p of params) p.grad!.dispose();
  for (const t of [x, g, ...params]) t.dispose();
});

test.run();
