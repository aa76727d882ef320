// Same seed, same bits, whatever the thread count: training with 1, 2 and 3 threads (every kernel
// call split into thread shares, however small) gives bit-identical losses and weights, through
// topology updates and the switch to SNT-ASGD; a run resumed with another thread count continues
// bit-identically; and memory stays flat over 1,000 threaded training steps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeLMCheckpoint, engineSparsity, memoryStats, memoryStore, resolveTrainConfig, setThreads, Trainer,
  createModel, modelConfig, SGD, clipGradNorm, tidy, keep, IntTensor, Random,
  type Corpus, type LMCheckpoint, type TrainOptions, type TrainResult, type UpdateReport,
} from '../src/index.js';
import { forceSplitForTests } from '../src/backend/threads.js';
import { loadDefaultCorpus } from '../src/node.js';

const full = loadDefaultCorpus({ maxVocab: 300 });
const tinyCorpus = (): Corpus => ({ vocab: full.vocab, train: full.train.slice(0, 5_000), valid: full.valid.slice(0, 600), test: full.test.slice(0, 600) });

// 25 batches per epoch; a topology update at the end of each epoch; SNT-ASGD from epoch 2 on.
const STACKED: TrainOptions = {
  model: 'lstm-small', lm: { emsize: 20, nhid: 23, dropout: 0.2 }, method: 'selfish', density: 0.4, deathRate: 0.5,
  epochs: 3, nonmono: 50, asgdEpoch: 2, lr: 20, batchSize: 10, bptt: 20,
};
const MOS: TrainOptions = {
  model: 'awd-lstm-mos-ptb', lm: { emsize: 12, nhid: 17, nhidlast: 12, nExperts: 3 }, method: 'selfish', density: 0.5,
  epochs: 3, nonmono: 50, asgdEpoch: 2, lr: 10, batchSize: 8, bptt: 15, evalBatchSize: 5, testBatchSize: 5,
};

// The RHN and the ON-LSTM (whose cell kernel splits by groups of 4 batch columns: 9 columns give
// two groups and a scalar tail).
const RHN: TrainOptions = {
  model: 'selfish-rhn', lm: { emsize: 14, nhid: 14, depth: 3 }, method: 'selfish', density: 0.5,
  epochs: 3, nonmono: 50, asgdEpoch: 2, lr: 5, batchSize: 9, bptt: 12, evalBatchSize: 5, testBatchSize: 5,
};
const ONLSTM: TrainOptions = {
  model: 'selfish-onlstm', lm: { emsize: 10, nhid: 20, chunkSize: 5 }, method: 'selfish', density: 0.5,
  epochs: 3, nonmono: 50, asgdEpoch: 2, lr: 5, batchSize: 9, bptt: 12, evalBatchSize: 5, testBatchSize: 5,
};

async function run(threads: number, opts: TrainOptions, extra: Partial<Parameters<typeof Trainer.create>[0]> = {}) {
  assert.is(await setThreads(threads), threads);
  const corpus = tinyCorpus();
  const config = resolveTrainConfig(opts, corpus.vocab.size);
  const store = extra.store ?? memoryStore();
  const losses: number[] = [];
  const updates: UpdateReport[] = [];
  const events: string[] = [];
  const trainer = await Trainer.create({
    config, corpus, store, sparsity: engineSparsity, logInterval: 1000, ...extra,
    events: { onStep: (s) => losses.push(s.loss), onUpdate: (u) => updates.push(u), onLog: (e) => events.push(String(e.event)) },
  });
  let result: TrainResult;
  try {
    result = await trainer.run();
  } finally {
    trainer.dispose();
  }
  const ckpt = decodeLMCheckpoint((await store.read('last.ckpt'))!, 'last.ckpt');
  return { losses, result, ckpt, updates, events, store };
}

function sameWeights(a: LMCheckpoint, b: LMCheckpoint, what: string): void {
  const names = Object.keys(a.tensors).filter((k) => k.startsWith('model/') || k.startsWith('optim/'));
  assert.ok(names.length > 4, 'the checkpoint holds weights');
  for (const k of names) {
    const x = a.tensors[k]!.data, y = b.tensors[k]?.data;
    assert.ok(y !== undefined && x.length === y.length, `${what}: ${k} missing or resized`);
    const xb = new Uint8Array(x.buffer, x.byteOffset, x.byteLength), yb = new Uint8Array(y!.buffer, y!.byteOffset, y!.byteLength);
    const i = xb.findIndex((v, j) => v !== yb[j]);
    assert.is(i, -1, `${what}: ${k} differs at byte ${i}`);
  }
}

function sameLosses(a: number[], b: number[], what: string): void {
  assert.is(b.length, a.length, `${what}: step count`);
  const i = a.findIndex((x, k) => !Object.is(x, b[k]));
  assert.is(i, -1, `${what}: step ${i + 1}: ${a[i]} vs ${b[i]}`);
}

test.before(() => { forceSplitForTests(true); });
test.after(async () => { forceSplitForTests(false); await setThreads(1); });

for (const [label, opts] of [
  ['stacked LSTM (selfish, SNT-ASGD)', STACKED], ['AWD-LSTM-MoS (selfish, SNT-ASGD)', MOS],
  ['RHN (selfish, SNT-ASGD)', RHN], ['ON-LSTM (selfish, SNT-ASGD)', ONLSTM],
] as const) {
  test(`${label}: 1, 2 and 3 threads train bit-identically`, async () => {
    const one = await run(1, opts);
    assert.ok(one.updates.length >= 1, 'a topology update happened');
    assert.ok(one.events.includes('switch'), 'the optimizer switched to SNT-ASGD');
    for (const threads of [2, 3]) {
      const other = await run(threads, opts);
      sameLosses(one.losses, other.losses, `${threads} threads`);
      sameWeights(one.ckpt, other.ckpt, `${threads} threads`);
    }
  });
}

test('a run resumed with another thread count continues bit-identically', async () => {
  const whole = await run(1, STACKED);
  const first = await run(1, STACKED, { maxSteps: 37 });
  assert.is(first.result.status, 'max-steps');
  const resumed = await run(3, STACKED, { resume: first.ckpt });
  sameLosses(whole.losses, [...first.losses, ...resumed.losses], 'resumed on 3 threads');
  sameWeights(whole.ckpt, resumed.ckpt, 'resumed on 3 threads');
});

test('live bytes and wasm memory stay flat over 1,000 threaded training steps', async () => {
  await setThreads(2);
  const cfg = modelConfig('zaremba-small', { vocab: 300, emsize: 16, nhid: 16, dropout: 0.1 });
  const rng = new Random(5);
  const model = createModel(cfg, {}, rng);
  const opt = new SGD(model.parameters(), { lr: 1 });
  const T = 8, B = 4;
  const ids = new Int32Array((T + 1) * B);
  let state = model.initState(B);
  let after100 = memoryStats();
  for (let s = 0; s < 1000; s++) {
    for (let k = 0; k < ids.length; k++) ids[k] = rng.int(300);
    const next = tidy(() => {
      const out = model.forward(new IntTensor(ids.subarray(0, T * B), [T, B]), new IntTensor(ids.subarray(B), [T, B]), state);
      out.loss.backward();
      return out.state;
    });
    for (const x of state) { x.h.dispose(); x.c.dispose(); }
    state = next.map((x) => ({ h: keep(x.h), c: keep(x.c) }));
    clipGradNorm(model.parameters(), 0.25);
    opt.step();
    opt.zeroGrad();
    if (s === 99) after100 = memoryStats();
  }
  const end = memoryStats();
  assert.is(end.liveBytes, after100.liveBytes, 'live bytes');
  assert.is(end.memoryBytes, after100.memoryBytes, 'wasm memory');
  for (const x of state) { x.h.dispose(); x.c.dispose(); }
  opt.dispose();
  model.dispose();
});

test.run();
