// Element-wise functions. Each backward reads what it needs from the forward: tanh, sigmoid, exp
// and sqrt their output, relu, log, abs and pow their input.
//
//   tanh: da += g·(1 − y²)   sigmoid: da += g·y(1 − y)   relu: da += g·[a > 0]   exp: da += g·y
//   log:  da += g/a          sqrt:    da += g/(2y)       abs:  da += g·sign(a)   pow: da += g·p·a^(p−1)
// sqrt, abs and pow are plain loops over the wasm memory (no kernel), in f64 per element.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor } from '../tensor.js';
import { expectTensor } from './args.js';
import { registerOp } from './registry.js';

for (const name of ['tanh', 'sigmoid', 'relu', 'exp', 'log', 'sqrt', 'abs', 'pow']) registerOp(name, 'ops/unary.ts');

function unary(a: Tensor, kernel: (out: number, a: number, n: number) => void, op: string): Tensor {
  expectTensor(a, op, 'the input');
  const out = new Tensor(a.shape);
  kernel(out.ptr, a.ptr, a.size);
  return out;
}

/** out[i] = f(a[i]) by a loop over the wasm memory. */
function mapLoop(a: Tensor, op: string, f: (x: number) => number): Tensor {
  expectTensor(a, op, 'the input');
  const out = new Tensor(a.shape);
  const h = heap.f32(), o = out.ptr >>> 2, i = a.ptr >>> 2;
  for (let k = 0; k < a.size; k++) h[o + k] = f(h[i + k]!);
  return out;
}

/** gx[i] += g[i]·d(x[i], y[i]), the local derivative d given the input x and the output y. */
function accumulateLoop(gx: Tensor, g: Tensor, x: Tensor, y: Tensor, d: (x: number, y: number) => number): void {
  const h = heap.f32(), o = gx.ptr >>> 2, gg = g.ptr >>> 2, xx = x.ptr >>> 2, yy = y.ptr >>> 2;
  for (let k = 0; k < g.size; k++) h[o + k] = h[o + k]! + h[gg + k]! * d(h[xx + k]!, h[yy + k]!);
}

export function tanh(a: Tensor): Tensor {
  const y = unary(a, kernels.tanh, 'tanh');
  return record(y, 'tanh', [a], (g, [ga]) => {
    if (ga) kernels.tanh_backward(ga.ptr, g.ptr, y.ptr, g.size);
  });
}

export function sigmoid(a: Tensor): Tensor {
  const y = unary(a, kernels.sigmoid, 'sigmoid');
  return record(y, 'sigmoid', [a], (g, [ga]) => {
    if (ga) kernels.sigmoid_backward(ga.ptr, g.ptr, y.ptr, g.size);
  });
}

export function relu(a: Tensor): Tensor {
  const y = unary(a, kernels.relu, 'relu');
  return record(y, 'relu', [a], (g, [ga]) => {
    if (ga) kernels.relu_backward(ga.ptr, g.ptr, a.ptr, g.size);
  });
}

export function exp(a: Tensor): Tensor {
  const y = unary(a, kernels.exp, 'exp');
  return record(y, 'exp', [a], (g, [ga]) => {
    if (ga) kernels.mul_acc(ga.ptr, g.ptr, y.ptr, g.size); // d exp(x) = exp(x)
  });
}

export function log(a: Tensor): Tensor {
  const y = unary(a, kernels.log, 'log');
  return record(y, 'log', [a], (g, [ga]) => {
    if (ga) kernels.div_acc(ga.ptr, g.ptr, a.ptr, g.size); // d log(x) = 1/x
  });
}

export function sqrt(a: Tensor): Tensor {
  const y = mapLoop(a, 'sqrt', Math.sqrt);
  return record(y, 'sqrt', [a], (g, [ga]) => {
    if (ga) accumulateLoop(ga, g, a, y, (_, v) => 0.5 / v);
  });
}

/** |a|; its derivative at 0 is taken as 0 (PyTorch's sign(0)). */
export function abs(a: Tensor): Tensor {
  const y = mapLoop(a, 'abs', Math.abs);
  return record(y, 'abs', [a], (g, [ga]) => {
    if (ga) accumulateLoop(ga, g, a, y, (x) => Math.sign(x));
  });
}

/** a^p for a constant exponent p (Math.pow per element: a negative base needs an integer p). */
export function pow(a: Tensor, p: number): Tensor {
  if (typeof p !== 'number') throw new TypeError(`selfish-rnn: pow: the exponent must be a number, got ${(p as unknown) instanceof Tensor ? 'a Tensor (for a tensor exponent use exp(mul(p, log(a))))' : typeof p}`);
  const y = mapLoop(a, 'pow', (x) => Math.pow(x, p));
  return record(y, 'pow', [a], (g, [ga]) => {
    if (ga) accumulateLoop(ga, g, a, y, (x) => (p === 0 ? 0 : p * Math.pow(x, p - 1)));
  });
}
