// Memory behaviour: tensors live in wasm memory; a training loop must not grow it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  add, crossEntropy, embedding, IntTensor, matmul, memoryStats, noGrad, parameter, randn, Random, tanh, tensor, tidy, zeros,
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

test('use after dispose is reported', () => {
  const t = tensor([1, 2]);
  t.dispose();
  assert.throws(() => t.data, /used after dispose/);
  assert.throws(() => tanh(t), /used after dispose/);
});

test.run();
