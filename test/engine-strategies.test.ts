// The topology engine's building blocks, one at a time, on hand-made inputs: selection helpers,
// death criteria (magnitude over the whole matrix, SET with the sign rule fixed), growth (random:
// only empty positions, uniform by a chi-square test; gradient: top-k missing |g|, no
// under-growth), redistribution splits, schedules (cosine death rate, gmp), ER allocation and the
// topology distance.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bottomK, cosineDeathRate, CSRMatrix, DEATH, erAllocation, gmpDensity, GROWTH, proportionalSplit, Random, REDISTRIBUTION,
  sampleExactly, tensor, tensorTopology, topK, topologyDistance, topologyDistanceByTensor, type TensorTopology, type Topology,
} from '../src/index.js';

/** A CSR topology from a dense row-major array where 0 = absent (values as given). */
function topo(rows: number, cols: number, dense: number[], name = 'w'): TensorTopology {
  const t = tensor(dense, [rows, cols]);
  const m = CSRMatrix.fromDense(t, undefined, { name });
  const out = tensorTopology(name, m);
  m.dispose();
  t.dispose();
  return out;
}

/** Occupancy (1 = surviving weight) of a dense 0/1 pattern. */
function occupancy(pattern: number[]): { occupied: Uint8Array; emptyCount: number } {
  const occupied = Uint8Array.from(pattern);
  return { occupied, emptyCount: occupied.length - pattern.reduce((a, b) => a + b, 0) };
}

// ---- selection helpers ----------------------------------------------------------------------

test('sampleExactly: exactly k distinct ascending indices, all of them when k = n, none when k = 0', () => {
  const rng = new Random(1);
  for (const [n, k] of [[0, 0], [1, 1], [5, 0], [5, 5], [17, 3], [33, 32]] as const) {
    const s = sampleExactly(n, k, rng);
    assert.is(s.length, k);
    for (let i = 0; i < s.length; i++) {
      assert.ok(s[i]! >= 0 && s[i]! < n);
      if (i > 0) assert.ok(s[i]! > s[i - 1]!, 'ascending and distinct');
    }
  }
  assert.throws(() => sampleExactly(3, 4, rng), /0 ≤ k ≤ n/);
});

test('topK / bottomK: the k extreme scores; ties at the boundary broken at random among the tied', () => {
  const rng = new Random(2);
  const s = Float32Array.from([0.3, -1, 5, 2, 2.5, 0.1, 7]);
  assert.equal([...topK(s, 3, rng)], [2, 4, 6]);
  assert.equal([...bottomK(s, 2, rng)], [1, 5]);
  assert.equal([...topK(s, 0, rng)], []);
  assert.equal([...topK(s, 7, rng)], [0, 1, 2, 3, 4, 5, 6]);
  // Ties: 6 zeros and one 1; top-3 = the 1 plus two of the zeros, each zero equally likely.
  const z = Float32Array.from([0, 0, 1, 0, 0, 0, 0]);
  const hits = new Array(7).fill(0);
  for (let r = 0; r < 6000; r++) for (const i of topK(z, 3, rng)) hits[i]++;
  assert.is(hits[2], 6000);
  for (const i of [0, 1, 3, 4, 5, 6]) assert.ok(Math.abs(hits[i] - 2000) < 200, `zero at ${i} chosen ${hits[i]} times of 6000 (expected ≈ 2000)`);
});

// ---- death ----------------------------------------------------------------------------------

test('magnitude death removes exactly the k smallest |w| of the whole matrix (all gate blocks together)', () => {
  // 8 rows = 4 gates of H = 2, 3 columns; gate blocks have very different scales.
  const rng = new Random(3);
  const dense: number[] = [];
  for (let r = 0; r < 8; r++) for (let c = 0; c < 3; c++) dense.push((rng.uniform() * 2 - 1 || 0.5) * [0.01, 1, 0.1, 10][r >> 1]!);
  const t = topo(8, 3, dense);
  const k = 7;
  const removed = DEATH.magnitude(t, k, { rng, threshold: 0 });
  const order = [...t.values.keys()].sort((a, b) => Math.abs(t.values[a]!) - Math.abs(t.values[b]!));
  assert.equal([...removed], order.slice(0, k).sort((a, b) => a - b));
  // The k smallest come from several gate blocks: the blocks compete, no per-gate quota.
  assert.ok(new Set([...removed].map((s) => t.rowOf[s]! >> 1)).size > 1);
});

test('SET death removes the smallest positives and the negatives closest to zero (official sign bug fixed)', () => {
  const t = topo(2, 4, [0.5, -0.1, 0.2, -0.9, 0.05, -0.3, 0.7, -0.02]);
  const removed = DEATH.SET(t, 4, { rng: new Random(4), threshold: 0 });
  // Positives closest to zero: 0.05 (slot 4), 0.2 (slot 2). Negatives closest to zero: -0.02 (slot 7), -0.1 (slot 1).
  assert.equal([...removed], [1, 2, 4, 7]);
  // Odd k: ⌈k/2⌉ positives, ⌊k/2⌋ negatives; exactly k in total.
  assert.equal([...DEATH.SET(t, 3, { rng: new Random(4), threshold: 0 })], [2, 4, 7]);
  // Too few negatives: the positives make up the difference.
  const u = topo(1, 5, [0.1, 0.2, 0.3, -0.4, 0.5]);
  assert.equal([...DEATH.SET(u, 4, { rng: new Random(4), threshold: 0 })], [0, 1, 2, 3]);
});

test('threshold death removes |w| below the threshold, whatever k is', () => {
  const t = topo(1, 5, [0.0005, -0.002, 0.0009, -0.0001, 1]);
  assert.equal([...DEATH.threshold(t, 1, { rng: new Random(5), threshold: 0.001 })], [0, 2, 3]);
});

// ---- growth ---------------------------------------------------------------------------------

test('random growth picks only empty positions, exactly r of them, uniformly (chi-square over seeded draws)', () => {
  // 4×5 matrix, 10 occupied positions, 10 empty; grow r = 3 per draw.
  const pattern = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0];
  const { occupied, emptyCount } = occupancy(pattern);
  const t = topo(4, 5, pattern);
  const rng = new Random(6);
  const draws = 20000, r = 3;
  const hits = new Array(20).fill(0);
  for (let d = 0; d < draws; d++) {
    const g = GROWTH.random.grow(t, r, { rng, exact: true, occupied, emptyCount, score: null });
    assert.is(g.length, r);
    for (const p of g) {
      assert.is(occupied[p], 0, `position ${p} is occupied`);
      hits[p]++;
    }
  }
  const expected = (draws * r) / emptyCount;
  let chi2 = 0;
  for (let p = 0; p < 20; p++) if (!occupied[p]) chi2 += (hits[p] - expected) ** 2 / expected;
  // 9 degrees of freedom: P(χ² > 27.88) = 0.001.
  assert.ok(chi2 < 27.88, `chi-square ${chi2.toFixed(2)} over ${emptyCount} empty positions`);
});

test('Bernoulli growth (exactCounts false) grows about r, only at empty positions', () => {
  const pattern = new Array(400).fill(0).map((_, i) => (i % 3 === 0 ? 1 : 0));
  const { occupied, emptyCount } = occupancy(pattern);
  const t = topo(20, 20, pattern);
  const rng = new Random(7);
  let total = 0;
  const draws = 300, r = 40;
  for (let d = 0; d < draws; d++) {
    const g = GROWTH.random.grow(t, r, { rng, exact: false, occupied, emptyCount, score: null });
    for (const p of g) assert.is(occupied[p], 0);
    total += g.length;
  }
  assert.ok(Math.abs(total / draws - r) < 1.5, `mean growth ${total / draws} vs r = ${r}`);
});

test('gradient growth picks the top-k missing |g|, never an active position, and never under-grows', () => {
  const pattern = [1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0];
  const { occupied, emptyCount } = occupancy(pattern);
  const t = topo(3, 4, pattern);
  const rng = new Random(8);
  // Active positions get the largest |g|: they must be ignored.
  const g = Float32Array.from([100, 0.3, -0.9, 100, 0.1, -100, 0.5, -0.05, 100, 0.7, -0.2, 0.01]);
  const grown = GROWTH.gradient.grow(t, 3, { rng, exact: true, occupied, emptyCount, score: g });
  assert.equal([...grown], [2, 6, 9]); // |g| = 0.9, 0.5, 0.7
  // All missing gradients zero (the official code would then "grow" active positions): still 3 new ones.
  const zero = Float32Array.from(g, (x, p) => (pattern[p] ? x : 0));
  const g2 = GROWTH.gradient.grow(t, 3, { rng, exact: true, occupied, emptyCount, score: zero });
  assert.is(g2.length, 3);
  for (const p of g2) assert.is(occupied[p], 0);
  assert.throws(() => GROWTH.gradient.grow(t, 3, { rng, exact: true, occupied, emptyCount, score: null }), /needs a dense gradient/);
});

// ---- redistribution -------------------------------------------------------------------------

test('proportionalSplit: proportional, capped by free positions (water-filling), exact total', () => {
  assert.equal([...proportionalSplit([1, 1, 2], [10, 1, 100], 20)], [6, 1, 13]);
  assert.equal([...proportionalSplit([0, 0], [3, 5], 4)], [2, 2]);
  assert.equal([...proportionalSplit([1, 0], [3, 5], 6)], [3, 3], 'zero-share tensors take what the others cannot');
  assert.equal([...proportionalSplit([1, 2, 3], [0, 0, 0], 5)], [0, 0, 0]);
  const rng = new Random(9);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(6);
    const shares = Array.from({ length: n }, () => (rng.uniform() < 0.2 ? 0 : rng.uniform()));
    const caps = Array.from({ length: n }, () => rng.int(50));
    const total = rng.int(120);
    const out = proportionalSplit(shares, caps, total);
    const sum = out.reduce((a, b) => a + b, 0);
    assert.is(sum, Math.min(total, caps.reduce((a, b) => a + b, 0)), `trial ${trial}`);
    out.forEach((x, i) => assert.ok(x >= 0 && x <= caps[i]!));
  }
});

test('redistribution scores: mean |w|, nonzero count, mean |momentum| over the active weights', () => {
  const t = topo(2, 3, [0.5, 0, -1.5, 0, 0, 2]);
  assert.is(REDISTRIBUTION.magnitude.score(t, null), (0.5 + 1.5 + 2) / 3);
  assert.is(REDISTRIBUTION.nonzeros.score(t, null), 3);
  assert.is(REDISTRIBUTION.momentum.score(t, Float32Array.from([1, 9, -3, 9, 9, 2])), 2);
  const items = [
    { name: 'a', numel: 10, nnzBefore: 4, nnzAfterPrune: 2, baseline: 4, score: 0 },
    { name: 'b', numel: 10, nnzBefore: 6, nnzAfterPrune: 3, baseline: 6, score: 0 },
  ];
  assert.equal([...REDISTRIBUTION.none.allocate(items, 5)], [2, 3], 'none: back to each budget');
});

// ---- schedules ------------------------------------------------------------------------------

test('cosine death rate: p0 at 0, 0.005 at T and after, the spec table for the stacked LSTM', () => {
  const T = 100 * 1328;
  assert.is(cosineDeathRate(0.8, 0, T), 0.8);
  assert.ok(Math.abs(cosineDeathRate(0.8, T, T) - 0.005) < 1e-12);
  assert.ok(Math.abs(cosineDeathRate(0.8, 2 * T, T) - 0.005) < 1e-12, 'clamped past T');
  const at = (e: number) => cosineDeathRate(0.8, e * 1328, T);
  assert.ok(Math.abs(at(50) - 0.4025) < 1e-9);
  assert.ok(Math.abs(at(25) - 0.68) < 0.01 && Math.abs(at(75) - 0.12) < 0.01 && Math.abs(at(10) - 0.78) < 0.01);
});

test('gmp cubic schedule: dense before t0, s_f·(1 − (1 − (t − t0)/(T_end − t0))³) in between, final after', () => {
  const s = { finalDensity: 0.2, start: 10, end: 60 };
  assert.is(gmpDensity(0, s), 1);
  assert.is(gmpDensity(10, s), 1);
  assert.ok(Math.abs(gmpDensity(35, s) - (1 - 0.8 * (1 - 0.5 ** 3))) < 1e-12);
  assert.is(gmpDensity(60, s), 0.2);
  assert.is(gmpDensity(1000, s), 0.2);
  for (let t = 10; t < 60; t++) assert.ok(gmpDensity(t + 1, s) <= gmpDensity(t, s));
});

// ---- ER -------------------------------------------------------------------------------------

test('ER densities follow ε(r+c)/(rc) capped at 1, with the total within ±5 weights of the budget', () => {
  const shapes = [{ rows: 2, cols: 3 }, { rows: 100, cols: 100 }, { rows: 50, cols: 200 }, { rows: 1, cols: 400 }];
  const d = 0.3;
  const { epsilon, densities } = erAllocation(shapes, d);
  shapes.forEach((m, i) => assert.ok(Math.abs(densities[i]! - Math.min(1, (epsilon * (m.rows + m.cols)) / (m.rows * m.cols))) < 1e-12));
  assert.ok((epsilon * 5) / 6 > 1, 'the 2×3 tensor would get p > 1 without the cap');
  assert.is(densities[0], 1);
  const total = shapes.reduce((s, m) => s + m.rows * m.cols, 0);
  const got = shapes.reduce((s, m, i) => s + densities[i]! * m.rows * m.cols, 0);
  assert.ok(Math.abs(got - d * total) < 5, `ER total ${got} vs budget ${d * total}`);
  // The stacked LSTM of the paper (spec §1.3): ε ≈ 411, p(embedding) ≈ 0.315, p(LSTM matrix) ≈ 0.342.
  const big = erAllocation([{ rows: 10000, cols: 1500 }, { rows: 6000, cols: 1500 }, { rows: 6000, cols: 1500 }, { rows: 6000, cols: 1500 }, { rows: 6000, cols: 1500 }, { rows: 10000, cols: 1500 }], 0.33);
  assert.ok(Math.abs(big.epsilon - 411) < 1, `ε = ${big.epsilon}`);
  assert.ok(Math.abs(big.densities[0]! - 0.315) < 0.001 && Math.abs(big.densities[1]! - 0.342) < 0.001);
});

// ---- topology distance ----------------------------------------------------------------------

function pattern(rows: number, cols: number, rowSets: number[][]): { rows: number; cols: number; rowPtr: Int32Array; colIdx: Int32Array } {
  const rowPtr = new Int32Array(rows + 1);
  const colIdx: number[] = [];
  rowSets.forEach((s, i) => { colIdx.push(...s); rowPtr[i + 1] = colIdx.length; });
  return { rows, cols, rowPtr, colIdx: Int32Array.from(colIdx) };
}

test('topologyDistance: 0 for identical, 1 for disjoint, and a hand computation', () => {
  const a: Topology = new Map([['a', pattern(2, 4, [[0, 1], []])], ['b', pattern(1, 3, [[0]])]]);
  const b: Topology = new Map([['a', pattern(2, 4, [[1, 2], []])], ['b', pattern(1, 3, [[1]])]]);
  // a: row 0 → 1 − 1/3, row 1 (both empty) → 0: mean 1/3. b: 1. Row-weighted: (2·1/3 + 1·1)/3 = 5/9.
  const per = topologyDistanceByTensor(a, b);
  assert.ok(Math.abs(per[0]!.distance - 1 / 3) < 1e-12 && per[1]!.distance === 1);
  assert.ok(Math.abs(topologyDistance(a, b) - 5 / 9) < 1e-12);
  assert.is(topologyDistance(a, a), 0);
  const c: Topology = new Map([['a', pattern(2, 4, [[2, 3], [0, 1, 2, 3]])], ['b', pattern(1, 3, [[1, 2]])]]);
  const d: Topology = new Map([['a', pattern(2, 4, [[0, 1], []])], ['b', pattern(1, 3, [[0]])]]);
  assert.is(topologyDistance(c, d), 1);
  assert.throws(() => topologyDistance(a, new Map([['a', pattern(2, 4, [[0], []])]])), /different tensors/);
  assert.throws(() => topologyDistance(a, new Map([['a', pattern(2, 5, [[0], []])], ['b', pattern(1, 3, [[0]])]])), /\[2, 4\].*\[2, 5\]/);
});

test.run();
