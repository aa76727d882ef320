// Optimizer state follows the entries of a sparse weight's values across a topology change:
// with oldSlotOf = [2, -1, 0] the new entry 0 continues old entry 2, entry 1 is new, entry 2
// continues old entry 0, and old entries 1 and 3 are dropped. Checked on the state itself and on
// the next update, computed by hand per entry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam, ASGD, SGD, SNTASGD, tensor, type Optimizer, type Tensor } from '../src/index.js';
import { close, param, setGrad } from './helpers/optim.js';


const OLD_SLOT_OF = Int32Array.from([2, -1, 0]);
const follow = (old: ArrayLike<number>) => Array.from(OLD_SLOT_OF, (k) => (k < 0 ? 0 : old[k]!));
const G1 = [0.5, -1, 0.25, 2], G2 = [-0.3, 0.7, 1.1, -0.2];
const G3 = [0.4, -0.6, 0.9]; // the gradient after the change (3 entries)

/** Two steps on 4 entries. */
function train(opt: Optimizer, p: Tensor): void {
  for (const g of [G1, G2]) { setGrad(p, g); opt.step(); }
}

/** The topology change; returns the new values tensor. */
function remap(opt: Optimizer, p: Tensor): Tensor {
  const w = p.toArray();
  const q = param([w[2]!, 0, w[0]!]);
  setGrad(p, null);
  opt.remapParam(p, q, OLD_SLOT_OF);
  assert.is(opt.params[0], q);
  assert.not.ok(p.isDisposed, 'the optimizer does not dispose the old tensor');
  p.dispose();
  return q;
}

test('SGD momentum buffers follow the entries; new entries start from zero momentum', () => {
  const lr = 0.1, mom = 0.9, wd = 0.01;
  const p = param([1, 2, 3, 4]);
  const opt = new SGD([p], { lr, momentum: mom, weightDecay: wd });
  let w = [1, 2, 3, 4], v = [0, 0, 0, 0];
  for (const [k, g] of [G1, G2].entries()) {
    const d = w.map((x, i) => g[i]! + wd * x);
    v = k === 0 ? d : v.map((x, i) => mom * x + d[i]!);
    w = w.map((x, i) => x - lr * v[i]!);
  }
  train(opt, p);
  const before = opt.stateDict().arrays['0.momentum_buffer']!;
  close(before, v, 1e-6, 'momentum before');
  close(p.data, w, 1e-6, 'weights before');
  const q = remap(opt, p);
  close(opt.stateDict().arrays['0.momentum_buffer']!, follow(before), 0, 'momentum after the change');
  // next step, per entry: v ← μ·v + (g + wd·w), with v = 0 for the new entry
  const w2 = follow(w), v2 = follow(v);
  setGrad(q, G3);
  opt.step();
  const vNext = v2.map((x, i) => mom * x + G3[i]! + wd * w2[i]!);
  close(q.data, w2.map((x, i) => x - lr * vNext[i]!), 1e-6, 'weights after the next step');
  opt.dispose();
  setGrad(q, null);
  q.dispose();
});

test('Adam moments follow the entries; the step counter is per tensor and continues', () => {
  const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const p = param([1, 2, 3, 4]);
  const opt = new Adam([p], { lr, betas: [b1, b2], eps });
  train(opt, p);
  const sd0 = opt.stateDict();
  const q = remap(opt, p);
  const sd = opt.stateDict();
  const m = follow(sd0.arrays['0.exp_avg']!), v = follow(sd0.arrays['0.exp_avg_sq']!);
  close(sd.arrays['0.exp_avg']!, m, 0, 'exp_avg');
  close(sd.arrays['0.exp_avg_sq']!, v, 0, 'exp_avg_sq');
  assert.is(sd.meta.params[0]!.scalars.step, 2);
  setGrad(q, G3);
  const w2 = q.toArray();
  opt.step();
  const want = Array.from(w2, (x, i) => {
    const mi = b1 * m[i]! + (1 - b1) * G3[i]!, vi = b2 * v[i]! + (1 - b2) * G3[i]! ** 2;
    return x - (lr * (mi / (1 - b1 ** 3))) / (Math.sqrt(vi / (1 - b2 ** 3)) + eps);
  });
  close(q.data, want, 2e-6, 'weights after the next step (t = 3 for every entry)');
  opt.dispose();
  setGrad(q, null);
  q.dispose();
});

test('SNT-ASGD per-weight counters and averages follow the entries; a new entry restarts', () => {
  const lr = 0.5;
  const p = param([1, 2, 3, 4]);
  const opt = new SNTASGD([p], { lr, sparse: [p] });
  train(opt, p);
  const q = remap(opt, p);
  // iterates of the 4 entries: w1 = w0 − lr·G1, w2 = w1 − lr·G2; after 2 steps ax = w2
  const w1 = [1, 2, 3, 4].map((x, i) => x - lr * G1[i]!), w2 = w1.map((x, i) => x - lr * G2[i]!);
  let sd = opt.stateDict();
  assert.equal(Array.from(sd.arrays['0.weight_step']!), [2, 0, 2]);
  close(sd.arrays['0.ax']!, follow(w2), 1e-7, 'averages after the change');
  setGrad(q, G3);
  opt.step();
  const w3 = follow(w2).map((x, i) => x - lr * G3[i]!);
  sd = opt.stateDict();
  assert.equal(Array.from(sd.arrays['0.weight_step']!), [3, 1, 3]);
  // survivors: mean of their 2nd and 3rd iterates; the new entry: its first iterate
  close(sd.arrays['0.ax']!, [(w2[2]! + w3[0]!) / 2, w3[1]!, (w2[0]! + w3[2]!) / 2], 1e-6, 'averages after the next step');
  opt.dispose();
  setGrad(q, null);
  q.dispose();
});

test('dense ASGD on a remapped tensor: survivors keep their average, a new entry starts at 0 with the tensor counter', () => {
  const lr = 0.5;
  const p = param([1, 2, 3, 4]);
  const opt = new ASGD([p], { lr });
  train(opt, p);
  const q = remap(opt, p);
  const w2 = [1, 2, 3, 4].map((x, i) => x - lr * (G1[i]! + G2[i]!));
  close(opt.stateDict().arrays['0.ax']!, follow(w2), 1e-6, 'ax after the change');
  setGrad(q, G3);
  opt.step(); // tensor step 3: mu = 1/2 for every entry
  const w3 = follow(w2).map((x, i) => x - lr * G3[i]!);
  close(opt.stateDict().arrays['0.ax']!, follow(w2).map((a, i) => a + (w3[i]! - a) / 2), 1e-6, 'ax after the next step');
  opt.dispose();
  setGrad(q, null);
  q.dispose();
});

test('remapParam with a null slot map keeps the state as it is', () => {
  const p = param([1, -1]);
  const opt = new SNTASGD([p], { lr: 0.25, sparse: [p] });
  setGrad(p, [1, 1]);
  opt.step();
  const before = opt.stateDict();
  const q = param(Array.from(p.data));
  opt.remapParam(p, q, null);
  const after = opt.stateDict();
  assert.equal(after.arrays, before.arrays);
  assert.equal(after.meta, before.meta);
  assert.ok(opt.isSparse(q));
  opt.dispose();
  for (const t of [p, q]) { setGrad(t, null); t.dispose(); }
});

test('remapParam before any step just replaces the parameter; the new one gets fresh state', () => {
  const p = param([1, 2, 3]);
  const opt = new Adam([p], { lr: 0.1 });
  const q = param([5]);
  opt.remapParam(p, q, Int32Array.from([-1]));
  assert.is(opt.params[0], q);
  setGrad(q, [2]);
  opt.step();
  close(q.data, [4.9], 1e-6, 'one Adam step of size lr');
  opt.dispose();
  for (const t of [p, q]) { setGrad(t, null); t.dispose(); }
});

test('remapParam refuses inconsistent slot maps and parameters', () => {
  const p = param([1, 2, 3]), other = param([0]);
  p.name = 'rnn.weight_hh.values';
  const opt = new SGD([p, other], { lr: 0.1, momentum: 0.5 });
  setGrad(p, [1, 1, 1]);
  opt.step();
  const q = param([0, 0]);
  assert.throws(() => opt.remapParam(q, p, null), /is not a parameter of this optimizer/);
  assert.throws(() => opt.remapParam(p, other, null), /already parameter 1/);
  assert.throws(() => opt.remapParam(p, q, null), /without a slot map the sizes must match, got \[3\] → \[2\]/);
  assert.throws(() => opt.remapParam(p, q, Int32Array.from([0])), /oldSlotOf has 1 entries, the new tensor has 2/);
  assert.throws(() => opt.remapParam(p, q, Int32Array.from([0, 3])), /oldSlotOf\[1\] = 3 is outside \[-1, 3\)/);
  assert.throws(() => opt.remapParam(p, q, Int32Array.from([-2, 0])), /oldSlotOf\[0\] = -2/);
  assert.throws(() => opt.remapParam(p, q, Int32Array.from([1, 1])), /old entry 1 is continued by both new entries 0 and 1/);
  assert.throws(() => opt.remapParam(p, tensor([1, 2], undefined, { persistent: true }), Int32Array.from([0, 1])), /does not require grad/);
  assert.is(opt.params[0], p, 'nothing changed');
  const asgd = new ASGD([q], { lr: 1 });
  setGrad(q, [1, 1]);
  asgd.step();
  asgd.swapAveraged();
  assert.throws(() => asgd.remapParam(q, param([1]), Int32Array.from([0])), /swapped in; call swapBack\(\) first/);
  asgd.swapBack();
  opt.dispose();
  asgd.dispose();
  for (const t of [p, q, other]) { setGrad(t, null); t.dispose(); }
});

test.run();
