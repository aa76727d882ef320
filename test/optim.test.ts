// Optimizers against hand-computed updates (PyTorch semantics).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SGD, tensor } from '../src/index.js';

function close(a: ArrayLike<number>, b: number[], tol = 1e-6): void {
  assert.is(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `[${i}] ${a[i]} vs ${b[i]}`);
}

test('SGD with momentum, Nesterov and weight decay matches torch.optim.SGD by hand', () => {
  for (const nesterov of [false, true]) {
    const p = tensor([1, -2], undefined, { requiresGrad: true, persistent: true });
    p.grad = tensor([0.5, 0.25], undefined, { persistent: true });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov });
    let w = [1, -2], v = [0, 0];
    for (let k = 0; k < 3; k++) {
      opt.step();
      const d = w.map((x, i) => [0.5, 0.25][i]! + 0.01 * x);
      v = k === 0 ? d : v.map((x, i) => 0.9 * x + d[i]!);
      w = w.map((x, i) => x - 0.1 * (nesterov ? d[i]! + 0.9 * v[i]! : v[i]!));
      close(p.data, w);
    }
    opt.dispose();
    p.grad.dispose();
    p.dispose();
  }
});

test('SGD refuses bad options', () => {
  const p = tensor([1], undefined, { requiresGrad: true, persistent: true });
  assert.throws(() => new SGD([p], { lr: -1 }), /learning rate must be ≥ 0, got -1/);
  assert.throws(() => new SGD([p], { lr: 1, nesterov: true }), /Nesterov momentum needs momentum > 0/);
  assert.throws(() => new SGD([tensor([1], undefined, { persistent: true })], { lr: 1 }), /does not require grad/);
  p.dispose();
});

test.run();
