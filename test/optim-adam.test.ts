// Adam against a hand-written textbook Adam (bias-corrected m̂, v̂; L2 decay added to the gradient)
// in float64, over several steps, with a parameter that skips a step (its own step counter).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam, tensor, type Tensor } from '../src/index.js';
import { close, param, setGrad } from './helpers/optim.js';


/** Textbook Adam (Kingma & Ba, Algorithm 1) with L2 weight decay, one scalar weight. */
class ScalarAdam {
  m = 0; v = 0; t = 0;
  constructor(public w: number, readonly lr: number, readonly b1: number, readonly b2: number, readonly eps: number, readonly wd: number) {}
  step(grad: number): void {
    const g = grad + this.wd * this.w;
    this.t++;
    this.m = this.b1 * this.m + (1 - this.b1) * g;
    this.v = this.b2 * this.v + (1 - this.b2) * g * g;
    const mHat = this.m / (1 - this.b1 ** this.t), vHat = this.v / (1 - this.b2 ** this.t);
    this.w -= (this.lr * mHat) / (Math.sqrt(vHat) + this.eps);
  }
}

const grad1 = (k: number) => [0.3 + 0.1 * k, -0.7, 0.25 - 0.2 * k];
const grad2 = (k: number) => (k === 2 ? null : [1.5 - 0.4 * k]); // no gradient at step 2

for (const cfg of [
  { name: 'PyTorch defaults + weight decay', lr: 0.01, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0.1 },
  { name: 'Selfish-RNN ablation (betas (0, 0.999), eps 1e-9)', lr: 0.002, betas: [0, 0.999] as const, eps: 1e-9, weightDecay: 1.2e-6 },
]) {
  test(`Adam matches a hand-computed textbook Adam: ${cfg.name}`, () => {
    const p1 = param([0.5, -1.5, 2]), p2 = param([3]);
    const opt = new Adam([p1, p2], { lr: cfg.lr, betas: cfg.betas, eps: cfg.eps, weightDecay: cfg.weightDecay });
    const mk = (w: number) => new ScalarAdam(w, cfg.lr, cfg.betas[0], cfg.betas[1], cfg.eps, cfg.weightDecay);
    const r1 = [0.5, -1.5, 2].map(mk), r2 = [mk(3)];
    for (let k = 1; k <= 6; k++) {
      setGrad(p1, grad1(k));
      setGrad(p2, grad2(k));
      opt.step();
      r1.forEach((r, i) => r.step(grad1(k)[i]!));
      const g2 = grad2(k);
      if (g2 !== null) r2[0]!.step(g2[0]!);
      close(p1.data, r1.map((r) => r.w), 2e-6, `p1 step ${k}`);
      close(p2.data, [r2[0]!.w], 2e-6, `p2 step ${k}`);
    }
    const sd = opt.stateDict();
    assert.equal(sd.meta.params.map((e) => e?.scalars.step), [6, 5], 'per-parameter step counters');
    close(sd.arrays['0.exp_avg']!, r1.map((r) => r.m), 1e-6, 'exp_avg');
    close(sd.arrays['0.exp_avg_sq']!, r1.map((r) => r.v), 1e-6, 'exp_avg_sq');
    opt.dispose();
    for (const p of [p1, p2]) { setGrad(p, null); p.dispose(); }
  });
}

test('Adam: the first step moves every weight by about lr (bias correction)', () => {
  // with m̂ = g and v̂ = g² after one step, the update is lr·g/(|g| + eps) ≈ ±lr, whatever |g|
  const p = param([1, 1, 1]);
  setGrad(p, [1e-3, -5, 40]);
  const opt = new Adam([p], { lr: 0.1 });
  opt.step();
  close(p.data, [0.9, 1.1, 0.9], 1e-5, 'after one step');
  opt.dispose();
  setGrad(p, null);
  p.dispose();
});

test('Adam refuses bad options', () => {
  const p = param([1]);
  assert.throws(() => new Adam([p], { betas: [1, 0.999] }), /beta1 must be in \[0, 1\), got 1/);
  assert.throws(() => new Adam([p], { betas: [0.9, -0.1] }), /beta2 must be in \[0, 1\), got -0.1/);
  assert.throws(() => new Adam([p], { eps: -1 }), /eps must be ≥ 0/);
  assert.throws(() => new Adam([p], { weightDecay: NaN }), /weight decay must be ≥ 0, got NaN/);
  assert.throws(() => new Adam([p], { lr: -0.5 }), /Adam learning rate must be ≥ 0, got -0.5/);
  assert.throws(() => new Adam([p, p]), /given the tensor .* twice/);
  const opt = new Adam([p]);
  assert.throws(() => { opt.lr = Infinity; }, /learning rate must be finite/);
  opt.lr = 0.5;
  assert.is(opt.lr, 0.5);
  p.dispose();
});

test.run();
