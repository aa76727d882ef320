// Shared helpers of the optimizer tests: persistent parameters with hand-set gradients, and an
// element-wise comparison with a relative tolerance.
import * as assert from 'uvu/assert';
import { tensor, type Tensor } from '../../src/index.js';

export function param(values: number[]): Tensor {
  return tensor(values, undefined, { requiresGrad: true, persistent: true });
}

export function setGrad(p: Tensor, g: number[] | null): void {
  p.grad?.dispose();
  p.grad = g === null ? null : tensor(g, undefined, { persistent: true });
}

export function close(got: ArrayLike<number>, want: number[], tol: number, what: string): void {
  assert.is(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)), `${what} [${i}] ${got[i]} vs ${want[i]}`);
  }
}
