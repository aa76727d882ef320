// Memory under random sequence lengths (the AWD-LSTM default): every step allocates a different
// mix of sizes, which must not fragment the heap. Live bytes, the heap's extent and the wasm memory
// are measured at the end of every epoch of a tiny AWD-LSTM-MoS run with random BPTT lengths.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sizeClass } from '../src/backend/memory.js';
import { engineSparsity, memoryStats, memoryStore, resolveTrainConfig, Trainer, type Corpus, type Tensor } from '../src/index.js';
import { loadDefaultCorpus } from '../src/node.js';

const full = loadDefaultCorpus({ maxVocab: 300 });
const corpus: Corpus = { vocab: full.vocab, train: full.train.slice(0, 9_000), valid: full.valid.slice(0, 600), test: full.test.slice(0, 600) };

test('random sequence lengths: live bytes, heap extent and wasm memory stay flat epoch over epoch', async () => {
  const config = resolveTrainConfig({
    model: 'awd-lstm-mos-ptb', lm: { emsize: 12, nhid: 24, nhidlast: 12, nExperts: 3 }, method: 'selfish', density: 0.5,
    epochs: 8, nonmono: 100, lr: 10, batchSize: 6, bptt: 20, maxSeqLenDelta: 15, evalBatchSize: 5, testBatchSize: 5,
  }, corpus.vocab.size);
  assert.ok(config.randomBptt, 'AWD-LSTM-MoS uses random sequence lengths by default');
  const live: number[] = [], extent: number[] = [], wasm: number[] = [], peak: number[] = [];
  const trainer = await Trainer.create({
    config, corpus, store: memoryStore(), sparsity: engineSparsity, logInterval: 10_000,
    events: {
      onEpoch: () => {
        const m = memoryStats();
        // Without the gradient buffers: a sparse weight that an update rebuilt has none until its
        // next backward, one whose update changed nothing (its pruned weights all regrown in
        // place) keeps its zeroed one; which happens depends on the trajectory, not on a leak.
        const grads = new Set<Tensor>();
        for (const p of trainer.model.parameters()) if (p.grad && !p.grad.isDisposed) grads.add(p.grad);
        const gradBytes = [...grads].reduce((s, g) => s + sizeClass(4 * g.size), 0);
        live.push(m.liveBytes - gradBytes); extent.push(m.heapBytes); wasm.push(m.memoryBytes); peak.push(m.peakBytes);
      },
    },
  });
  try {
    await trainer.run();
  } finally {
    trainer.dispose();
  }
  assert.is(live.length, 8);
  // The last epoch ends differently (final bookkeeping); epochs 2..7 are steady state.
  for (let e = 1; e < 7; e++) assert.is(live[e], live[1], `live bytes (without gradient buffers) at the end of each epoch: ${live.join(', ')}`);
  // The wasm memory follows the peak of live bytes (a step with a new longest sequence may raise
  // both), never fragmentation: it grows only when the peak does and stays within 2× of it.
  // The exact-size free lists of the old allocator reached ~9× here (39 MB for a 4.3 MB peak).
  for (let e = 1; e < 8; e++) if (peak[e] === peak[e - 1]) assert.is(wasm[e], wasm[e - 1], `wasm memory grew in epoch ${e + 1} with no new peak: ${wasm.join(', ')} (peaks ${peak.join(', ')})`);
  for (let e = 0; e < 8; e++) assert.ok(wasm[e]! <= 2 * peak[e]!, `epoch ${e + 1}: wasm memory ${wasm[e]} vs peak live bytes ${peak[e]}`);
  for (let e = 0; e < 8; e++) assert.ok(extent[e]! <= peak[e]!, `epoch ${e + 1}: heap extent ${extent[e]} vs peak live bytes ${peak[e]}`);
});

test.run();
