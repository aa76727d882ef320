// Softmax family over the last axis: softmax, log-softmax, and the fused softmax-cross-entropy
// whose backward is simply (probs − onehot) / N.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { IntTensor, Tensor, shapeString } from '../tensor.js';
import { expectIds, expectTensor } from './args.js';
import { checkIds } from './embedding.js';
import { registerOp } from './registry.js';

registerOp('softmax', 'ops/softmax.ts');
registerOp('logSoftmax', 'ops/softmax.ts');
registerOp('crossEntropy', 'ops/softmax.ts');

function rowsCols(a: Tensor, op: string): [number, number] {
  if (a.rank < 1) throw new RangeError(`selfish-rnn: ${op} needs at least 1 dimension, got ${shapeString(a.shape)}`);
  const cols = a.shape[a.rank - 1]!;
  return [cols === 0 ? 0 : a.size / cols, cols];
}

export function softmax(a: Tensor): Tensor {
  expectTensor(a, 'softmax', 'the input');
  const [rows, cols] = rowsCols(a, 'softmax');
  const y = new Tensor(a.shape);
  kernels.softmax_rows(y.ptr, a.ptr, rows, cols);
  return record(y, 'softmax', [a], (g, [ga]) => {
    if (ga) kernels.softmax_backward(ga.ptr, g.ptr, y.ptr, rows, cols);
  });
}

export function logSoftmax(a: Tensor): Tensor {
  expectTensor(a, 'logSoftmax', 'the input');
  const [rows, cols] = rowsCols(a, 'logSoftmax');
  const y = new Tensor(a.shape);
  kernels.log_softmax_rows(y.ptr, a.ptr, rows, cols);
  return record(y, 'logSoftmax', [a], (g, [ga]) => {
    if (ga) kernels.log_softmax_backward(ga.ptr, g.ptr, y.ptr, rows, cols);
  });
}

/**
 * Mean cross-entropy of logits [N, V] (or [..., V]) against integer targets with N elements:
 * −(1/N) Σ log softmax(logits)[n, targets[n]], as a scalar. Fused: the forward keeps the
 * probabilities and the backward is (probs − onehot)·g/N in one pass.
 */
export function crossEntropy(logits: Tensor, targets: IntTensor): Tensor {
  expectTensor(logits, 'crossEntropy', 'the logits');
  expectIds(targets, 'crossEntropy', 'the targets');
  const [rows, cols] = rowsCols(logits, 'crossEntropy');
  if (targets.size !== rows) {
    throw new RangeError(`selfish-rnn: crossEntropy: ${targets.size} targets for ${rows} rows of logits ${shapeString(logits.shape)}`);
  }
  if (rows === 0) throw new RangeError('selfish-rnn: crossEntropy of an empty batch is undefined');
  checkIds(targets, cols, 'crossEntropy targets');
  const probs = new Tensor(logits.shape);
  const losses = new Tensor([rows]);
  const total = kernels.softmax_xent(probs.ptr, losses.ptr, logits.ptr, targets.ptr, rows, cols);
  losses.dispose();
  const out = new Tensor([]);
  heap.f32()[out.ptr >>> 2] = total / rows;
  return record(out, 'crossEntropy', [logits], (g, [gl]) => {
    if (gl) kernels.softmax_xent_backward(gl.ptr, probs.ptr, targets.ptr, rows, cols, heap.f32()[g.ptr >>> 2]! / rows);
  }, [probs]);
}
