// clipGradNorm against hand computations (torch.nn.utils.clip_grad_norm_ semantics).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clipGradNorm, tensor, type Tensor } from '../src/index.js';

function param(values: number[], grad: number[] | null): Tensor {
  const p = tensor(values, undefined, { requiresGrad: true, persistent: true });
  p.grad = grad === null ? null : tensor(grad, undefined, { persistent: true });
  return p;
}
function free(ps: Tensor[]): void {
  for (const p of ps) { p.grad?.dispose(); p.grad = null; p.dispose(); }
}

test('clips to maxNorm with coefficient maxNorm/(total + 1e-6); a parameter without grad is skipped', () => {
  const ps = [param([0, 0], [3, 4]), param([0], null), param([0], [12])]; // ‖g‖ = sqrt(9 + 16 + 144) = 13
  const total = clipGradNorm(ps, 6.5);
  assert.is(total, 13);
  const c = 6.5 / (13 + 1e-6);
  assert.equal(Array.from(ps[0]!.grad!.data), [3, 4].map((x) => Math.fround(x * Math.fround(c))));
  assert.equal(Array.from(ps[2]!.grad!.data), [Math.fround(12 * Math.fround(c))]);
  assert.is(ps[1]!.grad, null);
  // the clipped gradients now have norm ≈ maxNorm
  assert.ok(Math.abs(clipGradNorm(ps, Infinity) - 6.5) < 1e-5);
  free(ps);
});

test('no clipping below the threshold: gradients untouched, the norm returned', () => {
  const ps = [param([0, 0], [3, 4]), param([0], [12])];
  assert.is(clipGradNorm(ps, 20), 13);
  assert.equal(Array.from(ps[0]!.grad!.data), [3, 4]);
  assert.equal(Array.from(ps[1]!.grad!.data), [12]);
  // at the threshold, PyTorch's rule still scales (by 13/(13 + 1e-6)): a no-op to within 1e-7
  assert.is(clipGradNorm(ps, 13), 13);
  assert.ok(ps[0]!.grad!.data[0]! < 3 && ps[0]!.grad!.data[0]! > 3 - 1e-6);
  free(ps);
});

test('norm of many awkwardly sized gradients matches a float64 hand sum', () => {
  const sizes = [0, 1, 3, 5, 17, 33, 1001];
  let squares = 0;
  const ps = sizes.map((n, j) => {
    const g = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.37 + j) * (j + 1)));
    for (const x of g) squares += x * x;
    return param(new Array(n).fill(0), g);
  });
  const want = Math.sqrt(squares);
  const got = clipGradNorm(ps, want / 4);
  assert.ok(Math.abs(got - want) <= 1e-12 * want, `${got} vs ${want}`);
  assert.ok(Math.abs(clipGradNorm(ps, Infinity) - want / 4) <= 1e-6 * want);
  free(ps);
});

test('a tensor listed twice (tied weights) is counted and scaled once', () => {
  const p = param([0, 0], [3, 4]);
  assert.is(clipGradNorm([p, p], 2.5), 5);
  assert.ok(Math.abs(clipGradNorm([p], Infinity) - 2.5) < 1e-6);
  free([p]);
});

test('a NaN or infinite norm is returned as is and the gradients are left alone', () => {
  const ps = [param([0, 0], [NaN, 1]), param([0], [2])];
  assert.ok(Number.isNaN(clipGradNorm(ps, 1)));
  assert.is(ps[1]!.grad!.data[0], 2);
  const qs = [param([0], [Infinity]), param([0], [2])];
  assert.is(clipGradNorm(qs, 1), Infinity);
  assert.is(qs[1]!.grad!.data[0], 2);
  const huge = [param([0], [2e19]), param([0], [2e19])]; // squares overflow f32 (4e38), not the f64 sum
  const want = Math.SQRT2 * Math.fround(2e19);
  assert.ok(Math.abs(clipGradNorm(huge, 1) - want) <= 1e-12 * want);
  assert.ok(Math.abs(huge[0]!.grad!.data[0]! - Math.SQRT1_2) < 1e-6);
  free([...ps, ...qs, ...huge]);
});

test('clipGradNorm refuses a bad maxNorm', () => {
  assert.throws(() => clipGradNorm([], -1), /maxNorm must be ≥ 0, got -1/);
  assert.throws(() => clipGradNorm([], NaN), /maxNorm must be ≥ 0, got NaN/);
  assert.is(clipGradNorm([], 1), 0);
});

test.run();
