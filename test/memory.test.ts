// Memory behaviour: tensors live in wasm memory; a training loop must not grow it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  add, crossEntropy, CSRMatrix, dropout, embedding, IntTensor, lstmLayer, matmul, memoryStats, mixtureNLL, mosDecoderNLL, noGrad,
  ones, parameter, randn, Random, tanh, tensor, tidy, zeros, type Tensor,
} from '../src/index.js';
import { kernels } from '../src/backend/wasm.js';
import { classIndex, heap, MAX_MEMORY_BYTES, sizeClass } from '../src/backend/memory.js';

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

test('a size that is not a safe non-negative integer, or too large, is refused before the heap is touched', () => {
  const before = memoryStats();
  for (const shape of [[200, 1e308], [Infinity], [NaN], [-1], [1.5], [2 ** 30, 2 ** 30], [2 ** 31], [3, 2 ** 53]]) {
    assert.throws(() => zeros(shape), /invalid shape|too many|cannot allocate/, `shape [${shape}]`);
  }
  for (const bytes of [Infinity, NaN, -16, 0.5, 2 ** 53, MAX_MEMORY_BYTES, '64' as unknown as number]) {
    assert.throws(() => heap.alloc(bytes), /cannot allocate/, `alloc(${bytes})`);
  }
  assert.equal(memoryStats(), before, 'a refused allocation changed the heap');
  // The failure once seen: after [200, 1e308] every new tensor got the same address.
  const a = tensor([1, 2, 3]), b = tensor([4, 5, 6]);
  assert.equal(Array.from(a.data), [1, 2, 3]);
  assert.equal(Array.from(b.data), [4, 5, 6]);
  assert.ok(a.ptr !== b.ptr);
  a.dispose();
  b.dispose();
  assert.is(memoryStats().liveBytes, before.liveBytes);
});

test('a free that matches no live block (twice, wrong size) is refused', () => {
  const p = heap.alloc(100);
  assert.throws(() => heap.free(p, 400), /does not match a live allocation/);
  heap.free(p, 100);
  assert.throws(() => heap.free(p, 100), /does not match a live allocation/);
});

test('size classes: multiples of 16, at most 12.5% waste above 128 bytes, indices strictly increasing', () => {
  let prevClass = 0, prevIndex = -1;
  for (let b = 1; b < 1 << 20; b = b < 4096 ? b + 1 : Math.ceil(b * 1.01)) {
    const c = sizeClass(b);
    assert.ok(c >= b && c % 16 === 0, `sizeClass(${b}) = ${c}`);
    if (b > 128) assert.ok(c <= b * 1.125, `sizeClass(${b}) = ${c} wastes more than 12.5%`);
    if (c !== prevClass) {
      assert.is(classIndex(c), prevIndex + 1, `class ${c} follows class ${prevClass}`);
      prevClass = c;
      prevIndex = classIndex(c);
    }
  }
  assert.is(sizeClass(2 ** 32), 2 ** 32);
  assert.is(classIndex(2 ** 30 - 16), classIndex(sizeClass(2 ** 30 - 16)) - 1, 'just below a power of two');
});

test('freed blocks merge: mixed sizes in random order leave no fragments, and reuse serves other sizes', () => {
  const rng = new Random(7);
  const base = memoryStats();
  const round = (n: number) => {
    const ts = Array.from({ length: n }, () => new IntTensor(new Int32Array(1 + rng.int(5000)), undefined, { persistent: true }));
    for (let i = ts.length - 1; i > 0; i--) { const j = rng.int(i + 1); [ts[i], ts[j]] = [ts[j]!, ts[i]!]; }
    for (const t of ts) t.dispose();
  };
  round(300);
  const after = memoryStats();
  assert.is(after.liveBytes, base.liveBytes);
  assert.is(after.heapBytes, base.heapBytes, 'everything freed: the heap shrinks back to where it was');
  const wasm = after.memoryBytes;
  for (let k = 0; k < 50; k++) round(300);
  assert.is(memoryStats().memoryBytes, wasm, 'rounds of different random sizes reuse the same memory');
});

test.run();
