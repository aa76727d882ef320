// Argument checks shared by the public ops: plain JavaScript can pass anything, and a float tensor
// where ids are expected, or a number where a tensor is, would otherwise reach a kernel as a bad
// pointer (a wasm trap, or silently wrong memory) or fail inside the op with an internal TypeError.
import { IntTensor, Tensor, shapeString } from '../tensor.js';

function kindOf(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (x instanceof Tensor) return `a float Tensor ${shapeString(x.shape)}`;
  if (x instanceof IntTensor) return `an IntTensor ${shapeString(x.shape)}`;
  return typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'object'}` : typeof x;
}

/** `x` as a live Tensor, or a TypeError naming the op and the argument. */
export function expectTensor(x: unknown, op: string, what: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`selfish-rnn: ${op}: ${what} must be a Tensor, got ${kindOf(x)}`);
  x.assertLive();
  return x;
}

/** A non-empty array of live Tensors. */
export function expectTensors(xs: unknown, op: string): readonly Tensor[] {
  if (!Array.isArray(xs)) throw new TypeError(`selfish-rnn: ${op} expects an array of tensors, got ${kindOf(xs)}`);
  if (xs.length === 0) throw new RangeError(`selfish-rnn: ${op} needs at least one tensor`);
  xs.forEach((x, k) => expectTensor(x, op, `tensor ${k}`));
  return xs as readonly Tensor[];
}

/** `x` as a live Tensor or a number (an operand of the element-wise arithmetic). */
export function expectOperand(x: unknown, op: string, what: string): Tensor | number {
  if (typeof x === 'number') return x;
  if (!(x instanceof Tensor)) throw new TypeError(`selfish-rnn: ${op}: ${what} must be a Tensor or a number, got ${kindOf(x)}`);
  x.assertLive();
  return x;
}

/** `x` as live integer ids (an IntTensor), or a TypeError that says how to make one. */
export function expectIds(x: unknown, op: string, what: string): IntTensor {
  if (!(x instanceof IntTensor)) {
    throw new TypeError(`selfish-rnn: ${op}: ${what} must be an IntTensor of integer ids (new IntTensor(ids, shape)), got ${kindOf(x)}`);
  }
  x.assertLive();
  return x;
}

/** An integer axis in [−rank, rank), normalised to [0, rank). */
export function expectAxis(axis: unknown, rank: number, op: string, shape: readonly number[]): number {
  const a = typeof axis === 'number' && axis < 0 ? axis + rank : axis;
  if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a >= rank) {
    throw new RangeError(`selfish-rnn: ${op}: axis ${String(axis)} out of range for shape ${shapeString(shape)}`);
  }
  return a;
}
