// Autodiff semantics (PyTorch-like) and user-facing errors of the core ops.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  add, concat, crossEntropy, dropout, embedding, IntTensor, matmul, mul, noGrad, ones, opTable, reshape, slice, sum, tanh, tensor, tidy,
} from '../src/index.js';

test('gradients accumulate across backward calls until zeroed', () => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true, persistent: true });
  for (let k = 0; k < 3; k++) tidy(() => sum(mul(x, x)).backward());
  assert.equal(Array.from(x.grad!.data), [6, 12, 18]); // 3 × 2x
  x.zeroGrad();
  assert.equal(Array.from(x.grad!.data), [0, 0, 0]);
  x.grad!.dispose();
  x.dispose();
});

test('noGrad records nothing; detach cuts history', () => {
  tidy(() => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = noGrad(() => tanh(x));
    assert.is(y.requiresGrad, false);
    assert.is(y.node, null);
    const z = tanh(x).detach();
    assert.is(z.requiresGrad, false);
    assert.throws(() => sum(z).backward(), /does not require grad/);
  });
});

test('fan-out: a tensor used twice receives both gradients', () => {
  tidy(() => {
    const x = tensor([0.5, -1], undefined, { requiresGrad: true });
    const y = add(tanh(x), mul(x, x));
    sum(y).backward();
    const g = x.grad!.toArray();
    const want = [0.5, -1].map((v) => 1 - Math.tanh(v) ** 2 + 2 * v);
    g.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6));
    x.grad!.dispose();
  });
});

test('backward needs a scalar or an explicit gradient of matching shape', () => {
  tidy(() => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    assert.throws(() => tanh(x).backward(), /needs a scalar, got shape \[2\]/);
    assert.throws(() => tanh(x).backward(ones([3])), /does not match/);
    x.grad?.dispose();
  });
});

test('eval-mode dropout is the identity and p outside [0,1) is refused', () => {
  tidy(() => {
    const x = tensor([1, 2, 3]);
    assert.equal(Array.from(dropout(x, 0.5, { training: false }).data), [1, 2, 3]);
    assert.throws(() => dropout(x, 1), /dropout probability must be in \[0, 1\), got 1/);
  });
});

test('errors name the shapes involved', () => {
  tidy(() => {
    const a = ones([2, 3]), b = ones([4, 5]);
    assert.throws(() => matmul(a, b), /matmul inner dimensions differ: \[2, 3\] · \[4, 5\] \(3 ≠ 4\)/);
    assert.throws(() => matmul(ones([2]), b), /matmul expects 2-D or 3-D \(batched\) tensors, got \[2\]/);
    assert.throws(() => add(a, b), /shapes \[2, 3\] and \[4, 5\] cannot be broadcast together/);
    assert.throws(() => reshape(a, [4, 2]), /cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]/);
    assert.throws(() => slice(a, 1, 2, 5), /slice \[2, 5\) out of range for axis 1 of \[2, 3\]/);
    assert.throws(() => concat([a, b], 0), /concat along axis 0: shape \[4, 5\] does not match \[2, 3\]/);
    assert.throws(() => embedding(ones([5, 2]), new IntTensor([1, 7])), /id 7 at position 1 is outside \[0, 5\)/);
    assert.throws(() => crossEntropy(ones([2, 3]), new IntTensor([0])), /1 targets for 2 rows/);
    assert.throws(() => tensor([1, 2, 3], [2, 2]), /3 values do not fill shape \[2, 2\]/);
  });
});

test('the op table lists every op with its backward', () => {
  const table = opTable();
  for (const op of ['matmul', 'crossEntropy', 'embedding', 'dropout', 'concat']) assert.match(table, `| ${op} | yes |`);
});

test.run();
