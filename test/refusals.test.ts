// What would silently go wrong is refused with a message a user can act on, or made correct:
// disposed tensors read anywhere, parameters cached across a topology update, backward through a
// freed graph or a disposed input, wrong argument types from plain JavaScript, misspelt options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  clipGradNorm, createSparsity, CSRMatrix, IntTensor, Linear, memoryStats, Module, mul, Random, SGD, sum, tanh, tensor, tidy, type Tensor,
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

test('everything freed', () => {
  assert.is(memoryStats().liveBytes, 0);
});

test.run();
