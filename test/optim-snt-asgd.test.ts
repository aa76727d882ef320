// SNT-ASGD against a hand-computed scalar reference that tracks every logical weight of a small
// sparse tensor through two topology changes: B is pruned and later regrown (its average
// restarts), C survives both (its average continues), E is grown, A is pruned, and a dense bias
// follows plain ASGD. The reference defines the average directly as "mean of the weight's
// iterates from its 2nd active step on", not by the running-mean recursion.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ASGD, SNTASGD, tensor, type Tensor } from '../src/index.js';
import { close, param, setGrad } from './helpers/optim.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One weight: its value and the iterates since it (last) became active. */
interface RefWeight { w: number; active: number[] }
/** The average SNT-ASGD should hold: 0 before any active step, w_1 after one, then mean(w_2..w_s). */
const refAverage = (r: RefWeight) => (r.active.length === 0 ? 0 : r.active.length === 1 ? r.active[0]! : mean(r.active.slice(1)));

test('SNT-ASGD: per-weight averages restart on regrowth, continue for survivors; the dense bias is plain ASGD', () => {
  const lr = 0.5, wd = 0.1;
  const names = ['A', 'B', 'C', 'E'] as const;
  type Name = (typeof names)[number];
  const gradOf = (n: Name, k: number) => 0.1 * (((names.indexOf(n) * 7 + k * 3) % 5) - 2) + 0.03 * k;
  const biasGrad = (k: number) => [0.2 * Math.cos(k), -0.15];

  const ref = new Map<Name, RefWeight>([['A', { w: 0.8, active: [] }], ['B', { w: -0.6, active: [] }], ['C', { w: 0.4, active: [] }], ['E', { w: 0, active: [] }]]);
  const bias = { w: [0.05, -0.02], iterates: [] as number[][] };

  let slots: Name[] = ['A', 'B', 'C'];
  let W = param(slots.map((n) => ref.get(n)!.w));
  const b = param(bias.w);
  const opt = new SNTASGD([W, b], { lr, weightDecay: wd, sparse: [W] });
  assert.ok(opt.isSparse(W));
  assert.not.ok(opt.isSparse(b));

  const check = (k: number) => {
    close(W.data, slots.map((n) => ref.get(n)!.w), 1e-6, `values step ${k}`);
    const sd = opt.stateDict();
    close(sd.arrays['0.ax']!, slots.map((n) => refAverage(ref.get(n)!)), 1e-6, `averages step ${k} (${slots.join('')})`);
    assert.equal(Array.from(sd.arrays['0.weight_step']!), slots.map((n) => ref.get(n)!.active.length), `per-weight counters step ${k}`);
    close(b.data, bias.w, 1e-6, `bias step ${k}`);
    const its = bias.iterates;
    close(sd.arrays['1.ax']!, bias.w.map((_, i) => (its.length === 1 ? its[0]![i]! : mean(its.slice(1).map((it) => it[i]!)))), 1e-6, `bias average step ${k}`);
  };
  const step = (k: number) => {
    setGrad(W, slots.map((n) => gradOf(n, k)));
    setGrad(b, biasGrad(k));
    opt.step();
    for (const n of slots) {
      const r = ref.get(n)!;
      r.w = r.w - lr * (gradOf(n, k) + wd * r.w);
      r.active.push(r.w);
    }
    bias.w = bias.w.map((x, i) => x - lr * (biasGrad(k)[i]! + wd * x));
    bias.iterates.push(bias.w);
    check(k);
  };
  /** Replaces the values tensor: the new slots' weights, with new ones starting at 0. */
  const changeTopology = (next: Name[]) => {
    const oldSlotOf = Int32Array.from(next, (n) => slots.indexOf(n));
    for (const n of next) if (!slots.includes(n)) ref.set(n, { w: 0, active: [] }); // grown: value 0, fresh history
    const W2 = param(next.map((n) => ref.get(n)!.w));
    setGrad(W, null);
    opt.remapParam(W, W2, oldSlotOf);
    assert.is(opt.params[0], W2);
    assert.ok(opt.isSparse(W2), 'the sparse flag follows the parameter');
    W.dispose();
    W = W2;
    slots = next;
  };

  for (let k = 1; k <= 3; k++) step(k);
  changeTopology(['A', 'C', 'E']); // B pruned, E grown: oldSlotOf = [0, 2, -1]
  {
    const sd = opt.stateDict();
    assert.equal(Array.from(sd.arrays['0.weight_step']!), [3, 3, 0], 'E starts with counter 0');
    assert.is(sd.arrays['0.ax']![2], 0, 'and average 0');
  }
  for (let k = 4; k <= 6; k++) step(k);
  changeTopology(['C', 'B', 'E']); // A pruned, B regrown (as a new weight), C and E survive
  for (let k = 7; k <= 10; k++) step(k);

  // B's average restarted at its regrowth: mean of its iterates at steps 8..10, none from 1..3
  const B = ref.get('B')!, C = ref.get('C')!;
  assert.is(B.active.length, 4);
  assert.is(C.active.length, 10);
  close([opt.stateDict().arrays['0.ax']![1]!], [mean(B.active.slice(1))], 1e-6, 'B restarted');

  // evaluation: the averages go in, the raw weights come back exactly
  const rawW = W.toArray(), rawB = b.toArray();
  opt.withAveraged(() => {
    close(W.data, slots.map((n) => refAverage(ref.get(n)!)), 1e-6, 'averaged sparse values');
    close(b.data, bias.w.map((_, i) => mean(bias.iterates.slice(1).map((it) => it[i]!))), 1e-6, 'averaged bias');
  });
  assert.equal(W.toArray(), rawW);
  assert.equal(b.toArray(), rawB);

  opt.dispose();
  for (const p of [W, b]) { setGrad(p, null); p.dispose(); }
});

test('SNT-ASGD on a sparse tensor whose topology never changes equals dense ASGD bit for bit', () => {
  const init = [0.3, -1.1, 2.5, 0.01, -0.7, 1.9, 0.2];
  const a = param(init), b = param(init);
  const sparse = new SNTASGD([a], { lr: 0.7, weightDecay: 0.02, sparse: [a] });
  const dense = new ASGD([b], { lr: 0.7, weightDecay: 0.02 });
  for (let k = 1; k <= 9; k++) {
    const g = init.map((x, i) => Math.sin(k * (i + 1)) * 0.3 + x * 0.01);
    setGrad(a, g);
    setGrad(b, g);
    sparse.step();
    dense.step();
    assert.equal(a.toArray(), b.toArray(), `weights step ${k}`);
    assert.equal(sparse.stateDict().arrays['0.ax'], dense.stateDict().arrays['0.ax'], `averages step ${k}`);
  }
  assert.equal(Array.from(sparse.stateDict().arrays['0.weight_step']!), init.map(() => 9));
  sparse.dispose();
  dense.dispose();
  for (const p of [a, b]) { setGrad(p, null); p.dispose(); }
});

test('SNT-ASGD refuses a sparse tensor that is not a parameter', () => {
  const a = param([1]), stray = param([2]);
  assert.throws(() => new SNTASGD([a], { lr: 1, sparse: [stray] }), /sparse tensor is not among the parameters/);
  a.dispose();
  stray.dispose();
});

test.run();
