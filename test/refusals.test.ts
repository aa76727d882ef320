// What would silently go wrong is refused with a message a user can act on, or made correct:
// disposed tensors read anywhere, parameters cached across a topology update, backward through a
// freed graph or a disposed input, wrong argument types from plain JavaScript, misspelt options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Adam, add, argmax, ASGD, clipGradNorm, createSparsity, crossEntropy, CSRMatrix, div, dropout, embedding, gather, IntTensor, Linear, matmul, max,
  memoryStats, Module, mseLoss, mul, permute, Random, SGD, SNTASGD, split, stack, sub, sum, tanh, tensor, tidy, where, type Tensor,
} from '../src/index.js';

const leaf = (values: number[]) => tensor(values, undefined, { requiresGrad: true, persistent: true });

function freeLeaf(...ts: ReturnType<typeof leaf>[]): void {
  for (const t of ts) {
    t.grad?.dispose();
    t.grad = null;
    t.dispose();
  }
}

// ---- the tape ------------------------------------------------------------------------------------

test('backward through a subgraph freed by an earlier backward is refused; retainGraph makes it correct', () => {
  const x = leaf([1, 2, 3]);
  tidy(() => {
    const y = mul(x, x);
    sum(y).backward();
    assert.throws(() => sum(mul(y, tensor(3))).backward(), /graph through 'mul' \(output \[3\]\) was already freed by an earlier backward\(\); pass \{ retainGraph: true \}/);
  });
  assert.equal(Array.from(x.grad!.data), [2, 4, 6], 'the refused pass changed nothing');
  x.zeroGrad();
  tidy(() => {
    const y = mul(x, x);
    sum(y).backward({ retainGraph: true });
    sum(mul(y, tensor(3))).backward();
  });
  assert.equal(Array.from(x.grad!.data), [8, 16, 24]);
  freeLeaf(x);
  assert.is(memoryStats().liveBytes, 0, 'nothing leaked (no .grad on the intermediate)');
});

test('a second backward() from the same loss is refused, not a silent no-op', () => {
  const x = leaf([1, 2]);
  tidy(() => {
    const loss = sum(mul(x, x));
    loss.backward();
    assert.throws(() => loss.backward(), /already freed by an earlier backward\(\)/);
    const again = sum(mul(x, x));
    again.backward(undefined, { retainGraph: true });
    again.backward();
  });
  assert.equal(Array.from(x.grad!.data), [2 + 4, 4 + 8]);
  freeLeaf(x);
});

test("disposing an op's input before backward() is refused before any gradient is touched", () => {
  const x = leaf([1, 1, 1]);
  tidy(() => {
    const c = tensor([2, 2, 2]);
    const loss = sum(mul(x, c));
    c.dispose();
    tensor([100, 100, 100]); // would reuse c's memory
    assert.throws(() => loss.backward(), /input 1 \[3\] of 'mul' was disposed after the forward/);
  });
  assert.is(x.grad, null);
  freeLeaf(x);
});

test('backward options are checked', () => {
  const x = leaf([1]);
  tidy(() => {
    const loss = sum(mul(x, x));
    assert.throws(() => loss.backward({ retainGrpah: true } as never), /backward\(\): unknown option 'retainGrpah' \(options: retainGraph\)/);
  });
  freeLeaf(x);
});

// ---- disposed tensors and parameters across topology updates ----------------------------------------

/** Two linear layers and a cross-entropy loss: every weight can be made sparse. */
class Net extends Module {
  readonly l1: Linear;
  readonly l2: Linear;
  constructor(seed: number) {
    super();
    const rng = new Random(seed);
    this.l1 = this.registerModule('l1', new Linear(6, 9, { rng }));
    this.l2 = this.registerModule('l2', new Linear(9, 5, { rng }));
  }
  loss(x: Tensor, y: IntTensor): Tensor {
    return this.l2.crossEntropy(tanh(this.l1.forward(x)), y);
  }
}

function backwardOnce(net: Net, seed: number): void {
  const r = new Random(seed);
  tidy(() => {
    const x = tensor(Array.from({ length: 4 * 6 }, () => r.normal()), [4, 6]);
    const y = new IntTensor([0, 3, 4, 1]);
    net.loss(x, y).backward();
  });
}

const sparseValues = (net: Module) => net.namedWeights().filter(([, w]) => w instanceof CSRMatrix).map(([n, w]) => [n, (w as CSRMatrix).values.toArray()] as const);

test('an optimizer built before createSparsity updates the sparse weights (static: no update ever re-binds it)', () => {
  const net = new Net(1);
  const opt = new SGD(net.parameters(), { lr: 0.5 });
  createSparsity(net, { method: 'static', density: 0.5, totalSteps: 10, seed: 2 });
  const before = sparseValues(net);
  assert.equal(before.map(([n]) => n), ['l1.weight', 'l2.weight']);
  backwardOnce(net, 3);
  opt.step();
  const after = sparseValues(net);
  before.forEach(([name, v], k) => {
    const moved = v.filter((x, i) => x !== after[k]![1][i]).length;
    assert.ok(moved > v.length / 2, `${name}: ${moved} of ${v.length} weights updated`);
  });
  net.dispose();
});

test('a parameter list taken before a topology update: clipGradNorm sees every gradient and returns the right norm', () => {
  const net = new Net(4);
  const engine = createSparsity(net, { method: 'set', density: 0.5, totalSteps: 100, seed: 5 });
  const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  engine.attachOptimizer(opt);
  const cached = net.parameters();
  backwardOnce(net, 6);
  opt.step();
  net.zeroGrad();
  const report = engine.update(1, 1);
  assert.ok(report !== null && report.tensors.some((t) => t.removed > 0 && t.grown > 0), 'the topology changed');
  backwardOnce(net, 7);
  const fresh = net.parameters();
  assert.ok(cached.every((p, i) => p === fresh[i]), 'the parameters are the same tensors');
  const expected = Math.sqrt(fresh.reduce((s, p) => s + p.grad!.toArray().reduce((a, g) => a + g * g, 0), 0));
  const biasOnly = Math.sqrt(net.namedParameters().filter(([n]) => n.endsWith('bias')).reduce((s, [, p]) => s + p.grad!.toArray().reduce((a, g) => a + g * g, 0), 0));
  const norm = clipGradNorm(cached, Infinity);
  assert.ok(Math.abs(norm - expected) < 1e-5 * expected, `norm ${norm} vs ${expected} (biases alone: ${biasOnly})`);
  opt.step(); // the attached optimizer's momentum follows the new topology
  opt.dispose();
  net.dispose();
});

test('an optimizer with state that the engine was not told about refuses its step after a topology update', () => {
  const net = new Net(8);
  const engine = createSparsity(net, { method: 'set', density: 0.5, totalSteps: 100, seed: 9 });
  const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  backwardOnce(net, 10);
  opt.step();
  engine.update(1, 1);
  backwardOnce(net, 11);
  assert.throws(() => opt.step(), /SGD.step: the storage of parameter 0 'l1.weight' was replaced \(\[\d+\] → \[\d+\], a sparse topology update\?\) after this optimizer built state for it; attach the optimizer/);
  engine.attachOptimizer(opt);
  assert.throws(() => opt.step(), /was replaced/, 'attaching later cannot recover the lost slot map');
  opt.dispose();
  net.dispose();
});

test('a backward through a forward made before a topology update is refused, nothing touched', () => {
  const net = new Net(12);
  const engine = createSparsity(net, { method: 'set', density: 0.5, totalSteps: 100, seed: 13 });
  const r = new Random(14);
  tidy(() => {
    const loss = net.loss(tensor(Array.from({ length: 12 }, () => r.normal()), [2, 6]), new IntTensor([1, 2]));
    engine.update(1, 1);
    assert.throws(() => loss.backward(), /input \d 'l2.weight' \[\d+\] of '\w+' had its storage replaced \(a sparse topology update\?\) after the forward/);
  });
  assert.ok(net.parameters().every((p) => p.grad === null));
  net.dispose();
});

test('a disposed tensor throws wherever it is read: data, op input, optimizer, clipGradNorm', () => {
  const p = leaf([1, 2, 3]);
  p.name = 'w';
  const opt = new SGD([p], { lr: 0.1 });
  freeLeaf(p);
  const used = /tensor 'w' \[3\] used after dispose\(\)/;
  assert.throws(() => p.data, used);
  assert.throws(() => p.ptr, used);
  assert.throws(() => tidy(() => sum(p)), used);
  assert.throws(() => tidy(() => mul(p, tensor([1, 1, 1]))), used);
  assert.throws(() => opt.step(), /SGD.step: parameter 0 'w' \[3\] was disposed/);
  assert.throws(() => opt.zeroGrad(), /SGD.zeroGrad: parameter 0 'w' \[3\] was disposed/);
  assert.throws(() => clipGradNorm([p], 1), /clipGradNorm: parameter 0 'w' \[3\] was disposed/);
  assert.throws(() => new SGD([p], { lr: 0.1 }), /SGD was given the disposed tensor 'w'/);
  const ids = new IntTensor([1, 2]);
  ids.dispose();
  assert.throws(() => ids.ptr, /IntTensor \[2\] used after dispose\(\)/);
});

// ---- plain-JavaScript calls ------------------------------------------------------------------------

test('float targets to crossEntropy and float ids to embedding: a TypeError saying what to pass, not a wasm trap', () => {
  tidy(() => {
    const logits = tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3]);
    assert.throws(() => crossEntropy(logits, tensor([0, 2]) as never), /crossEntropy: the targets must be an IntTensor of integer ids \(new IntTensor\(ids, shape\)\), got a float Tensor \[2\]/);
    assert.throws(() => crossEntropy(logits, [0, 2] as never), /the targets must be an IntTensor .*got an array/);
    assert.throws(() => embedding(tensor([1, 2, 3, 4], [2, 2]), tensor([1]) as never), /embedding: the ids must be an IntTensor/);
    assert.throws(() => crossEntropy([[1, 2]] as never, new IntTensor([0])), /crossEntropy: the logits must be a Tensor, got an array/);
  });
});

test('numbers as operands: sub(1, z), mul(z, 2), add(2, z), div(1, z) compute and backpropagate', () => {
  const z = leaf([0.5, 2, -4]);
  tidy(() => {
    assert.equal(Array.from(sub(1, z).data), [0.5, -1, 5]);
    assert.equal(Array.from(mul(z, 2).data), [1, 4, -8]);
    assert.equal(Array.from(add(2, z).data), [2.5, 4, -2]);
    assert.equal(Array.from(div(1, z).data), [2, 0.5, -0.25]);
    assert.equal(Array.from(div(z, 4).data), [0.125, 0.5, -1]);
    sum(add(sub(1, z), div(1, z))).backward(); // d/dz = −1 − 1/z²
    assert.equal(Array.from(z.grad!.data), [-5, -1.25, -1.0625]);
  });
  tidy(() => {
    assert.throws(() => sub('1' as never, z), /sub: a must be a Tensor or a number, got string/);
    assert.throws(() => mul(z, [2] as never), /mul: b must be a Tensor or a number, got an array/);
    assert.throws(() => add(1, 2 as never), /add: at least one operand must be a Tensor, got two numbers/);
    assert.throws(() => tanh(0.5 as never), /tanh: the input must be a Tensor, got number/);
    assert.throws(() => matmul(z, null as never), /matmul: b must be a Tensor, got null/);
  });
  freeLeaf(z);
});

test('misspelt option names are refused, listing the accepted ones', () => {
  const p = leaf([1, 2]);
  assert.throws(() => new SGD([p], { lr: 0.1, momentun: 0.9 } as never), /SGD: unknown option 'momentun' \(options: lr, momentum, weightDecay, nesterov\)/);
  assert.throws(() => new Adam([p], { lr: 0.1, beta: [0.9, 0.99], weight_decay: 0 } as never), /Adam: unknown options 'beta', 'weight_decay' \(options: lr, betas, eps, weightDecay, sparse\)/);
  assert.throws(() => new ASGD([p], { lr: 1, t_0: 0 } as never), /ASGD: unknown option 't_0'/);
  assert.throws(() => new SNTASGD([p], { lr: 1, spares: [p] } as never), /SNTASGD: unknown option 'spares' \(options: lr, lambd, alpha, t0, weightDecay, sparse\)/);
  assert.throws(() => new SGD([p], { lr: '0.1' } as never), /SGD learning rate must be a number, got string/);
  tidy(() => {
    const a = tensor([1, 2, 3, 4], [2, 2]);
    assert.throws(() => matmul(a, a, { transposeB: true } as never), /matmul: unknown option 'transposeB' \(options: transA, transB\)/);
    assert.throws(() => dropout(a, 0.5, { train: false } as never), /dropout: unknown option 'train' \(options: training, rng\)/);
    assert.throws(() => mseLoss(a, a, { reduce: 'sum' } as never), /mseLoss: unknown option 'reduce' \(options: reduction\)/);
  });
  freeLeaf(p);
});

test('argmax, max and the shape ops: values, and errors that name the shapes', () => {
  tidy(() => {
    const a = tensor([[3, 9, 1], [7, 2, 7]]);
    assert.equal(Array.from(argmax(a, 1).data), [1, 0], 'the first maximum');
    assert.equal(argmax(a, 0, true).shape, [1, 3]);
    assert.equal([...argmax(a).data, ...argmax(a).shape], [1]);
    assert.equal(Array.from(max(a, 0).data), [7, 9, 7]);
    assert.ok(Number.isNaN(max(tensor([1, NaN, 3])).item()), 'NaN propagates');
    assert.equal(Array.from(where(tensor([1, 0, 1]), tensor([1, 2, 3]), -1).data), [1, -1, 3]);
    assert.equal(Array.from(gather(a, 1, new IntTensor([2, 0], [2, 1])).data), [1, 7]);
    assert.equal(split(a, [1, 2], 1).map((t) => t.shape), [[2, 1], [2, 2]]);
    assert.equal(stack([a, a], 2).shape, [2, 3, 2]);
    assert.equal(Array.from(permute(a, [1, 0]).data), [3, 7, 9, 2, 1, 7]);
    assert.equal(matmul(tensor(new Float32Array(24), [4, 2, 3]), tensor(new Float32Array(15), [3, 5])).shape, [4, 2, 5]);
    assert.throws(() => argmax(a, 2), /argmax: axis 2 out of range for shape \[2, 3\]/);
    assert.throws(() => max(tensor([], [0])), /max over an empty axis of \[0\] is undefined/);
    assert.throws(() => gather(a, 1, new IntTensor([3], [1, 1])), /gather: id 3 at position 0 is outside \[0, 3\) \(axis 1 of \[2, 3\]\)/);
    assert.throws(() => gather(a, 0, new IntTensor([0, 1, 2, 0], [1, 4])), /ids \[1, 4\] must have the rank of the input \[2, 3\] and no larger size on any axis but 0/);
    assert.throws(() => split(a, [1, 1], 1), /split: sizes \[1, 1\] add up to 2, but axis 1 of \[2, 3\] has 3/);
    assert.throws(() => stack([a, tensor([1, 2])], 0), /stack: shape \[2\] does not match \[2, 3\]/);
    assert.throws(() => permute(a, [0, 0]), /permute: dims \[0, 0\] is not a permutation of the 2 axes of \[2, 3\]/);
    assert.throws(() => matmul(tensor(new Float32Array(24), [4, 2, 3]), tensor(new Float32Array(30), [2, 3, 5])), /matmul batch sizes differ: \[4, 2, 3\] · \[2, 3, 5\] \(4 ≠ 2\)/);
    assert.throws(() => mseLoss(a, tensor([1, 2, 3])), /mseLoss: input \[2, 3\] and target \[3\] must have the same shape/);
    assert.throws(() => where(tensor([1, 0]), a, 0), /where: shapes \[2\] and \[2, 3\] cannot be broadcast together/);
  });
});

test('everything freed', () => {
  assert.is(memoryStats().liveBytes, 0);
});

test.run();
