// Memory behaviour: tensors live in wasm memory; a training loop must not grow it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  add, crossEntropy, CSRMatrix, dropout, embedding, IntTensor, lstmLayer, matmul, memoryStats, mixtureNLL, mosDecoderNLL, noGrad,
  ones, parameter, randn, Random, tanh, tensor, tidy, zeros, type Tensor,
} from '../src/index.js';
import { kernels } from '../src/backend/wasm.js';
import { heap } from '../src/backend/memory.js';

/** A tiny language-model-shaped network: embedding → tanh(x·W + b) → logits → cross-entropy. */
function makeModel(rng: Random) {
  const V = 23, E = 9, H = 13;
  return {
    emb: parameter(randn([V, E], 0.3, 0, { rng })),
    w: parameter(randn([E, H], 0.3, 0, { rng })),
    b: parameter(zeros([H])),
    out: parameter(randn([V, H], 0.3, 0, { rng })),
    V,
  };
}

function step(m: ReturnType<typeof makeModel>, ids: number[], targets: number[], lr: number): number {
  const loss = tidy(() => {
    const x = embedding(m.emb, new IntTensor(ids));
    const h = tanh(add(matmul(x, m.w), m.b));
    const logits = matmul(h, m.out, { transB: true });
    const l = crossEntropy(logits, new IntTensor(targets));
    l.backward();
    return l.item();
  });
  noGrad(() => {
    for (const p of [m.emb, m.w, m.b, m.out]) {
      kernels.axpy(p.ptr, p.grad!.ptr, -lr, p.size);
      p.zeroGrad();
    }
  });
  return loss;
}

test('1,000 forward/backward iterations do not grow wasm memory or leak tensors', () => {
  const rng = new Random(3);
  const m = makeModel(rng);
  const batch = (k: number) => Array.from({ length: 11 }, (_, i) => (k * 7 + i * 3) % m.V);
  // Warm-up: the first steps populate the allocator's free lists and allocate the gradients.
  for (let k = 0; k < 5; k++) step(m, batch(k), batch(k + 1), 0.1);
  const before = memoryStats();
  let first = 0, last = 0;
  for (let k = 0; k < 1000; k++) {
    const l = step(m, batch(k), batch(k + 1), 0.1);
    if (k === 0) first = l;
    last = l;
  }
  const after = memoryStats();
  assert.is(after.memoryBytes, before.memoryBytes, 'wasm memory grew during training');
  assert.is(after.liveBytes, before.liveBytes, 'live tensor bytes changed: a step leaks tensors');
  assert.ok(last < first, `training did not reduce the loss (${first} → ${last})`);
});

test('views are re-derived after memory.grow', () => {
  const t = tensor([1, 2, 3]);
  const oldBuffer = heap.f32().buffer;
  const big = zeros([Math.ceil(oldBuffer.byteLength / 4) + 1024]); // forces memory.grow
  assert.ok(heap.f32().buffer !== oldBuffer, 'memory should have grown');
  assert.equal(Array.from(t.data), [1, 2, 3]);
  t.data[1] = 5;
  assert.equal(Array.from(t.toArray()), [1, 5, 3]);
  big.dispose();
  t.dispose();
});

test('tidy frees intermediates, keeps the result, and frees everything on error', () => {
  const base = memoryStats().liveBytes;
  const kept = tidy(() => {
    const a = tensor([1, 2, 3]);
    tanh(a);
    return add(a, a);
  });
  assert.equal(Array.from(kept.data), [2, 4, 6]);
  kept.dispose();
  assert.is(memoryStats().liveBytes, base);
  assert.throws(() => tidy(() => {
    tensor([1, 2, 3]);
    throw new Error('boom');
  }), /boom/);
  assert.is(memoryStats().liveBytes, base);
});

test('ops used outside tidy leave nothing live: the tape owns what an op saves for its backward', () => {
  // crossEntropy (probabilities), mixtureNLL and mosDecoderNLL (posterior, log-sum-exp), dropout
  // (mask) and lstmLayer (activations) keep tensors for their backward. Outside any tidy, those
  // must be freed with the graph: under noGrad at once, with grad after backward() or when the
  // output is disposed without a backward.
  const rng = new Random(4);
  const [N, K, V, E] = [5, 3, 7, 4];
  const logits = randn([N, V], 1, 0, { rng, persistent: true });
  const mixLogits = randn([N * K, V], 1, 0, { rng, persistent: true });
  const logPrior = randn([N, K], 1, 0, { rng, persistent: true });
  const latent = randn([N * K, E], 1, 0, { rng, persistent: true });
  const wDense = randn([V, E], 0.3, 0, { rng, persistent: true });
  const wSparse = CSRMatrix.fromDense(wDense, (_v, i, j) => (i + j) % 2 === 0);
  const bias = zeros([V], { persistent: true });
  const x = randn([3, 2, E], 1, 0, { rng, persistent: true });
  const lstmW = { wIh: randn([8, E], 0.3, 0, { rng, persistent: true }), wHh: randn([8, 2], 0.3, 0, { rng, persistent: true }), bIh: zeros([8], { persistent: true }), bHh: zeros([8], { persistent: true }) };
  const targets = new IntTensor([1, 0, 6, 3, 2], [N], { persistent: true });
  const leaves = [logits, mixLogits, logPrior, latent, wDense, wSparse.values, bias, x, lstmW.wIh, lstmW.wHh];
  const ops: [string, () => Tensor][] = [
    ['crossEntropy', () => crossEntropy(logits, targets)],
    ['mixtureNLL', () => mixtureNLL(mixLogits, logPrior, targets)],
    ['mosDecoderNLL dense', () => mosDecoderNLL(latent, wDense, bias, logPrior, targets, { chunkTokens: 2 })],
    ['mosDecoderNLL sparse', () => mosDecoderNLL(latent, wSparse, bias, logPrior, targets)],
    ['dropout', () => dropout(logits, 0.5, { rng })],
    ['lstmLayer', () => {
      const r = lstmLayer(x, lstmW);
      r.h.dispose();
      r.c.dispose();
      return r.output;
    }],
  ];
  const base = memoryStats().liveBytes;
  for (const [name, run] of ops) {
    noGrad(() => run().dispose());
    assert.is(memoryStats().liveBytes, base, `${name} under noGrad leaks`);
    for (const p of leaves) p.requiresGrad = true;
    run().dispose(); // recorded, never backpropagated: disposing the output frees the graph's saved tensors
    assert.is(memoryStats().liveBytes, base, `${name} with grad, disposed without backward, leaks`);
    const out = run();
    const seed = out.size === 1 ? undefined : ones(out.shape, { persistent: true });
    out.backward(seed);
    seed?.dispose();
    out.dispose();
    for (const p of leaves) {
      p.grad?.dispose();
      p.grad = null;
    }
    assert.is(memoryStats().liveBytes, base, `${name} after backward leaks`);
    for (const p of leaves) p.requiresGrad = false;
  }
  for (const t of [logits, mixLogits, logPrior, latent, wDense, bias, x, ...Object.values(lstmW), targets]) t.dispose();
  wSparse.dispose();
});

test('use after dispose is reported', () => {
  const t = tensor([1, 2]);
  t.dispose();
  assert.throws(() => t.data, /used after dispose/);
  assert.throws(() => tanh(t), /used after dispose/);
});

test.run();
