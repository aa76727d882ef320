// ASGD against hand computations: the SGD trajectory, the average as the plain mean of the iterates
// from the 2nd one on (AWD-LSTM's t0 = 0, lambd = 0), the general eta/mu schedule, PyTorch's
// one-step eta lag, and the exact swap of averaged and raw weights.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ASGD, tensor, type Tensor } from '../src/index.js';
import { close, param, setGrad } from './helpers/optim.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const grad = (k: number) => [0.4 - 0.1 * k, Math.sin(k), -0.25];

test('ASGD (t0 = 0, lambd = 0): SGD with L2 decay, average = mean of iterates 2..k', () => {
  const lr = 0.3, wd = 0.05;
  const p = param([1, -2, 0.5]);
  const opt = new ASGD([p], { lr, t0: 0, lambd: 0, weightDecay: wd });
  let w = [1, -2, 0.5];
  const iterates: number[][] = [];
  for (let k = 1; k <= 7; k++) {
    setGrad(p, grad(k));
    opt.step();
    w = w.map((x, i) => x - lr * (grad(k)[i]! + wd * x));
    iterates.push(w);
    close(p.data, w, 1e-6, `w step ${k}`);
    // ax_1 = w_1; ax_k = mean(w_2..w_k): averaging starts from the 2nd iterate
    const want = w.map((_, i) => (k === 1 ? iterates[0]![i]! : mean(iterates.slice(1).map((it) => it[i]!))));
    close(opt.stateDict().arrays['0.ax']!, want, 1e-6, `ax step ${k}`);
  }
  assert.equal(opt.stateDict().meta.params[0]!.scalars, { step: 7, eta: lr, mu: 1 / 7 });
  opt.dispose();
  setGrad(p, null);
  p.dispose();
});

test('ASGD with lambd, alpha and t0 follows torch.optim.ASGD by hand; averages from iterate t0 + 2', () => {
  const lr = 0.2, lambd = 0.5, alpha = 0.75, t0 = 2, wd = 0.1;
  const p = param([1.5]);
  const opt = new ASGD([p], { lr, lambd, alpha, t0, weightDecay: wd });
  let w = 1.5, eta = lr;
  const iterates: number[] = [];
  for (let k = 1; k <= 8; k++) {
    const g = 0.3 * k - 1;
    setGrad(p, [g]);
    opt.step();
    w = w * (1 - lambd * eta) - eta * (g + wd * w); // torch: grad += wd·w (old w), then decay, then step
    eta = lr / (1 + lambd * lr * k) ** alpha;
    iterates.push(w);
    close(p.data, [w], 1e-6, `w step ${k}`);
    const want = k < t0 + 2 ? w : mean(iterates.slice(t0 + 1)); // mean of w_{t0+2} … w_k
    close(opt.stateDict().arrays['0.ax']!, [want], 1e-6, `ax step ${k}`);
  }
  opt.dispose();
  setGrad(p, null);
  p.dispose();
});

test('ASGD uses the learning rate of the previous step (PyTorch eta lag)', () => {
  const p = param([0]);
  setGrad(p, [1]);
  const opt = new ASGD([p], { lr: 0.1 });
  opt.step(); // eta = 0.1 (lr at the first step)
  opt.step(); // eta = 0.1
  opt.lr = 0.2;
  opt.step(); // eta still 0.1: computed after step 2
  close(p.data, [-0.3], 1e-6, 'after step 3');
  opt.step(); // eta = 0.2
  close(p.data, [-0.5], 1e-6, 'after step 4');
  opt.dispose();
  setGrad(p, null);
  p.dispose();
});

test('ASGD: parameters without a gradient are skipped (their counters do not move)', () => {
  const a = param([1]), b = param([1]);
  const opt = new ASGD([a, b], { lr: 0.5 });
  setGrad(a, [1]);
  opt.step();
  setGrad(b, [1]);
  opt.step();
  opt.step();
  const sd = opt.stateDict();
  assert.equal(sd.meta.params.map((e) => e!.scalars.step), [3, 2]);
  close(a.data, [-0.5], 1e-7, 'a');
  close(b.data, [0], 1e-7, 'b');
  close(sd.arrays['0.ax']!, [mean([0, -0.5])], 1e-7, 'a average (iterates 2 and 3)');
  close(sd.arrays['1.ax']!, [0], 1e-7, 'b average (its 2nd iterate)');
  opt.dispose();
  for (const p of [a, b]) { setGrad(p, null); p.dispose(); }
});

test('swapAveraged puts exactly ax into the parameters and swapBack restores the raw weights bit for bit', () => {
  const p = param([0.1, 0.2, 0.3, 0.4, 0.5]), q = param([7]);
  const opt = new ASGD([p, q], { lr: 0.37, weightDecay: 0.01 });
  for (let k = 1; k <= 5; k++) {
    setGrad(p, [Math.sin(k), Math.cos(k), 0.3, -0.1 * k, 1 / k]);
    opt.step();
  }
  const raw = p.toArray(), rawQ = q.toArray();
  const ax = opt.stateDict().arrays['0.ax'] as Float32Array;
  opt.swapAveraged();
  assert.ok(opt.isSwapped);
  assert.equal(p.toArray(), ax, 'averaged weights swapped in');
  assert.equal(q.toArray(), rawQ, 'a parameter that never stepped has no average and keeps its weights');
  assert.throws(() => opt.step(), /swapped in; call swapBack\(\) first/);
  assert.throws(() => opt.stateDict(), /swapped in; call swapBack\(\) first/);
  assert.throws(() => opt.swapAveraged(), /already swapped in/);
  opt.swapBack();
  assert.equal(p.toArray(), raw, 'raw weights restored');
  assert.throws(() => opt.swapBack(), /not swapped in/);
  const seen = opt.withAveraged(() => p.toArray());
  assert.equal(seen, ax);
  assert.equal(p.toArray(), raw);
  assert.throws(() => opt.withAveraged(() => { throw new Error('eval failed'); }), /eval failed/);
  assert.equal(p.toArray(), raw, 'restored after a throwing evaluation');
  assert.not.ok(opt.isSwapped);
  opt.dispose();
  for (const t of [p, q]) { setGrad(t, null); t.dispose(); }
});

test('ASGD refuses bad options', () => {
  const p = param([1]);
  assert.throws(() => new ASGD([p], { lr: 1, t0: -1 }), /t0 must be a finite number ≥ 0, got -1/);
  assert.throws(() => new ASGD([p], { lr: 1, lambd: NaN }), /lambd must be a finite number ≥ 0, got NaN/);
  assert.throws(() => new ASGD([p], { lr: 1, weightDecay: -1 }), /weight decay must be ≥ 0/);
  assert.throws(() => new ASGD([p], { lr: -1 }), /ASGD learning rate must be ≥ 0, got -1/);
  p.dispose();
});

test.run();
