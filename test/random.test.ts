// Reproducibility: the seeded generator and everything built on it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dropout, globalRandom, manualSeed, ones, Random, randn, tidy } from '../src/index.js';

test('same seed, same sequence; different seed, different sequence', () => {
  const a = new Random(123), b = new Random(123), c = new Random(124);
  const sa = Array.from({ length: 100 }, () => a.nextUint32());
  const sb = Array.from({ length: 100 }, () => b.nextUint32());
  const sc = Array.from({ length: 100 }, () => c.nextUint32());
  assert.equal(sa, sb);
  assert.not.equal(sa, sc);
});

test('state save/restore continues the sequence exactly (incl. cached normal)', () => {
  const r = new Random(9);
  r.normal();
  const saved = r.getState();
  const next = [r.normal(), r.uniform(), r.int(1000)];
  const r2 = new Random(0);
  r2.setState(saved);
  assert.equal([r2.normal(), r2.uniform(), r2.int(1000)], next);
});

test('uniform is in [0,1) with the right mean; int(n) is unbiased over its range', () => {
  const r = new Random(5);
  let s = 0;
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    s += u;
    counts[r.int(7)]++;
  }
  assert.ok(Math.abs(s / 70000 - 0.5) < 0.01);
  // chi-square with 6 degrees of freedom: 99.9% quantile is 22.46
  const chi = counts.reduce((acc: number, c: number) => acc + (c - 10000) ** 2 / 10000, 0);
  assert.ok(chi < 22.46, `int(7) looks biased: chi² = ${chi}`);
});

test('normal has mean 0 and variance 1', () => {
  const r = new Random(6);
  let s = 0, s2 = 0;
  const n = 50000;
  for (let i = 0; i < n; i++) { const v = r.normal(); s += v; s2 += v * v; }
  assert.ok(Math.abs(s / n) < 0.02);
  assert.ok(Math.abs(s2 / n - 1) < 0.03);
});

test('manualSeed makes initialisation and dropout reproducible', () => {
  const run = () => tidy(() => {
    const w = randn([4, 5]);
    const d = dropout(ones([4, 5]), 0.5);
    return [...w.toArray(), ...d.toArray()];
  });
  manualSeed(42);
  const x = run();
  manualSeed(42);
  const y = run();
  manualSeed(43);
  const z = run();
  assert.equal(x, y);
  assert.not.equal(x, z);
  assert.ok(globalRandom instanceof Random);
});

test('invalid seeds and ranges are refused', () => {
  assert.throws(() => new Random(NaN), /seed must be a finite number/);
  assert.throws(() => new Random(1).int(0), /integer n/);
});

test.run();
