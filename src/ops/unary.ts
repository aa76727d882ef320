// Element-wise nonlinearities. Each forward saves what its backward needs: tanh and sigmoid
// their output, relu and log their input, exp its output.
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor } from '../tensor.js';
import { registerOp } from './registry.js';

for (const name of ['tanh', 'sigmoid', 'relu', 'exp', 'log']) registerOp(name, 'ops/unary.ts');

function unary(a: Tensor, kernel: (out: number, a: number, n: number) => void): Tensor {
  a.assertLive();
  const out = new Tensor(a.shape);
  kernel(out.ptr, a.ptr, a.size);
  return out;
}

export function tanh(a: Tensor): Tensor {
  const y = unary(a, kernels.tanh);
  return record(y, 'tanh', [a], (g, [ga]) => {
    if (ga) kernels.tanh_backward(ga.ptr, g.ptr, y.ptr, g.size);
  });
}

export function sigmoid(a: Tensor): Tensor {
  const y = unary(a, kernels.sigmoid);
  return record(y, 'sigmoid', [a], (g, [ga]) => {
    if (ga) kernels.sigmoid_backward(ga.ptr, g.ptr, y.ptr, g.size);
  });
}

export function relu(a: Tensor): Tensor {
  const y = unary(a, kernels.relu);
  return record(y, 'relu', [a], (g, [ga]) => {
    if (ga) kernels.relu_backward(ga.ptr, g.ptr, a.ptr, g.size);
  });
}

export function exp(a: Tensor): Tensor {
  const y = unary(a, kernels.exp);
  return record(y, 'exp', [a], (g, [ga]) => {
    if (ga) kernels.mul_acc(ga.ptr, g.ptr, y.ptr, g.size); // d exp(x) = exp(x)
  });
}

export function log(a: Tensor): Tensor {
  const y = unary(a, kernels.log);
  return record(y, 'log', [a], (g, [ga]) => {
    if (ga) kernels.div_acc(ga.ptr, g.ptr, a.ptr, g.size); // d log(x) = 1/x
  });
}
