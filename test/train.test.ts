// The trainer: bit-identical resume, divergence handling, memory over epochs, atomic checkpoint
// writes, refusal of bad checkpoint files, and the safetensors export layout. Tiny models on a
// slice of the built-in corpus, sparse through the topology engine (src/sparse/engine.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointError, CSRMatrix, decodeLMCheckpoint, decodeSafetensors, encodeCheckpoint, exportCheckpoint, engineSparsity,
  memoryStats, memoryStore, resolveTrainConfig, Trainer, TrainingDivergedError,
  type Corpus, type LMCheckpoint, type TrainingState, type TrainOptions, type TrainResult, type Tensor,
} from '../src/index.js';
import { directoryStore, loadDefaultCorpus, loadLMCheckpoint } from '../src/node.js';

const full = loadDefaultCorpus({ maxVocab: 400 });
/** A fresh corpus object each time (resume must not depend on object identity). */
const tinyCorpus = (): Corpus => ({ vocab: full.vocab, train: full.train.slice(0, 12_000), valid: full.valid.slice(0, 2_000), test: full.test.slice(0, 2_000) });

const STACKED: TrainOptions = {
  model: 'lstm-small', lm: { emsize: 24, nhid: 24, dropout: 0.2 }, method: 'selfish', density: 0.4, deathRate: 0.5,
  epochs: 5, nonmono: 1, lr: 20, batchSize: 10, bptt: 20,
};
const MOS: TrainOptions = {
  model: 'awd-lstm-mos-ptb', lm: { emsize: 12, nhid: 16, nhidlast: 12, nExperts: 3 }, method: 'selfish', density: 0.5,
  epochs: 3, nonmono: 1, lr: 10, batchSize: 8, bptt: 15, evalBatchSize: 5, testBatchSize: 5,
};

const RHN: TrainOptions = {
  model: 'selfish-rhn', lm: { emsize: 16, nhid: 16, depth: 3 }, method: 'selfish', density: 0.472, deathRate: 0.5,
  epochs: 3, nonmono: 1, lr: 10, batchSize: 10, bptt: 20,
};
const ONLSTM: TrainOptions = {
  model: 'selfish-onlstm', lm: { emsize: 12, nhid: 16, chunkSize: 4 }, method: 'selfish', density: 0.45,
  epochs: 3, nonmono: 1, lr: 10, batchSize: 8, bptt: 15, evalBatchSize: 5,
};
const GRU: TrainOptions = {
  model: 'gru-small', lm: { emsize: 16, nhid: 16, dropout: 0.2 }, method: 'selfish', density: 0.4, deathRate: 0.5,
  epochs: 3, nonmono: 1, lr: 5, batchSize: 10, bptt: 20, testBatchSize: 10,
};

const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-train-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

async function run(opts: TrainOptions, extra: Partial<Parameters<typeof Trainer.create>[0]> = {}) {
  const corpus = tinyCorpus();
  const config = resolveTrainConfig(opts, corpus.vocab.size);
  const store = extra.store ?? memoryStore();
  const losses: number[] = [];
  const trainer = await Trainer.create({ config, corpus, store, sparsity: engineSparsity, logInterval: 1000, ...extra, events: { onStep: (s) => losses.push(s.loss), ...extra.events } });
  let result: TrainResult;
  try {
    result = await trainer.run();
  } finally {
    trainer.dispose();
  }
  return { losses, result, store };
}

function weightsOf(ckpt: LMCheckpoint): Map<string, Float32Array | Int32Array | Uint8Array> {
  return new Map(Object.entries(ckpt.tensors).filter(([k]) => k.startsWith('model/')).map(([k, t]) => [k, t.data]));
}

for (const [label, opts, K, N, switches] of [
  ['stacked LSTM, selfish (topology updates, switch to SNT-ASGD), dropout', STACKED, 37, 290, true],
  ['AWD-LSTM-MoS, random BPTT, all dropouts, AR/TAR', MOS, 23, 250, false],
  ['RHN, selfish at 0.472, all its dropouts (state {s})', RHN, 37, 150, false],
  ['ON-LSTM, selfish at 0.45, random BPTT, DropConnect, AR/TAR', ONLSTM, 23, 250, false],
  ['GRU (a family on the public API), selfish at 0.4, dropout (state {h})', GRU, 37, 150, false],
  ['dense stacked LSTM, Adam with ReduceLROnPlateau', { ...STACKED, method: 'dense', density: undefined, optimizer: 'adam', lr: 3e-3, epochs: 3 }, 41, 170, false],
] as const) {
  test(`resume is bit-identical: ${label}`, async () => {
    const a = await run(opts, { maxSteps: N });
    const b1 = await run(opts, { maxSteps: K });
    assert.is(b1.result.status, 'max-steps');
    const bytes = (await b1.store.read('last.ckpt'))!;
    const ckpt = decodeLMCheckpoint<TrainingState>(bytes, 'b1/last.ckpt');
    assert.is(ckpt.meta.training!.globalStep, K);
    // Fresh objects: a new corpus, model, engine and optimizer built from the decoded file.
    const b2store = memoryStore();
    const b2 = await run(opts, { maxSteps: N, resume: ckpt, store: b2store });
    const resumed = [...b1.losses, ...b2.losses];
    assert.is(resumed.length, a.losses.length);
    const firstDiff = a.losses.findIndex((x, i) => x !== resumed[i]);
    assert.is(firstDiff, -1, `step ${firstDiff + 1}: uninterrupted ${a.losses[firstDiff]} vs resumed ${resumed[firstDiff]}`);
    // The runs really crossed an epoch end, a topology update and the switch to averaging.
    const history = a.result.history;
    assert.ok(history.length >= 2 && history[0]!.step > K, 'K is inside the first epoch');
    if (opts.method !== 'dense') assert.ok(history.some((h) => h.deathRate !== null), 'a topology update happened');
    if (switches) assert.ok(history.some((h) => h.switched && h.step > K), 'the optimizer switched to SNT-ASGD after K');
    assert.equal(b2.result.history, history.map((h) => ({ ...h, seconds: b2.result.history[h.epoch - 1]!.seconds })));
    const wa = weightsOf(decodeLMCheckpoint((await a.store.read('last.ckpt'))!)), wb = weightsOf(decodeLMCheckpoint((await b2store.read('last.ckpt'))!));
    assert.equal([...wa.keys()], [...wb.keys()]);
    for (const [k, v] of wa) assert.ok(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(wb.get(k)!.buffer, wb.get(k)!.byteOffset, wb.get(k)!.byteLength)), `final ${k} identical`);
  });
}

test('--asgd-epoch forces the switch to SNT-ASGD at the end of that epoch when the trigger has not fired', async () => {
  // nonmono 50: the NT trigger cannot fire within 3 epochs, so only the forced switch can.
  const { result } = await run({ ...STACKED, epochs: 3, nonmono: 50, asgdEpoch: 2 });
  assert.equal(result.history.map((h) => h.switched), [false, true, false]);
  assert.equal(result.history.map((h) => h.phase), ['sgd', 'asgd', 'asgd']);
  assert.is(result.history[1]!.deathRate, null, 'no topology update in the switch epoch');
});

test('finetuning: ASGD from the start on the loaded weights, fixed topology, the starting point counts as the best', async () => {
  const { store } = await run({ ...STACKED, epochs: 1 });
  const best = decodeLMCheckpoint((await store.read('best.ckpt'))!);
  const config = resolveTrainConfig({ ...best.meta.config, lm: best.meta.config.lm, lr: 5, epochs: 2, finetune: true }, full.vocab.size);
  const ft = memoryStore();
  const events: string[] = [];
  const trainer = await Trainer.create({ config, corpus: tinyCorpus(), store: ft, initFrom: best, events: { onLog: (e) => events.push(String(e.event)) } });
  assert.is(trainer.engine, null, 'no topology updates while finetuning');
  const before = new Map(trainer.model.namedWeights().map(([n, w]) => [n, w instanceof CSRMatrix ? Array.from(w.colIdx.data) : null]));
  const result = await trainer.run();
  for (const [n, w] of trainer.model.namedWeights()) if (w instanceof CSRMatrix) assert.equal(Array.from(w.colIdx.data), before.get(n), `${n}: same topology`);
  trainer.dispose();
  assert.is(result.status, 'completed');
  assert.ok(result.history.every((h) => h.phase === 'asgd' && h.deathRate === null));
  assert.ok(events.includes('finetune-start'));
  const last = decodeLMCheckpoint<TrainingState>((await ft.read('last.ckpt'))!);
  assert.is(last.meta.training!.optimizer.kind, 'SNTASGD');
  // The loaded model's own validation loss is where finetuning starts (finetune.py's stored_loss).
  assert.ok(result.bestEpoch !== null && result.valLoss! <= best.meta.summary.valLoss!, `${result.valLoss} vs ${best.meta.summary.valLoss}`);
});

test('a NaN loss stops the run with a message naming the step; the last good checkpoint stays loadable', async () => {
  const dir = join(tmp, 'nan');
  const corpus = tinyCorpus();
  const config = resolveTrainConfig({ ...STACKED, epochs: 3 }, corpus.vocab.size);
  let poisoned = false;
  const trainer = await Trainer.create({
    config, corpus, store: directoryStore(dir), sparsity: engineSparsity,
    events: {
      onEpoch: () => {
        // Corrupt a weight after epoch 1 was saved: the next step's loss is NaN.
        if (poisoned) return;
        const bias = trainer.model.namedWeights().find(([n]) => n === 'decoder.bias')![1] as Tensor;
        bias.data[3] = NaN;
        poisoned = true;
      },
    },
  });
  const stepsPerEpoch = Math.ceil((Math.floor(corpus.train.length / config.batchSize) - 1) / config.bptt);
  let err: unknown = null;
  try {
    await trainer.run();
  } catch (e) {
    err = e;
  } finally {
    trainer.dispose();
  }
  assert.instance(err, TrainingDivergedError);
  const msg = (err as Error).message;
  assert.match(msg, new RegExp(`diverged at step ${stepsPerEpoch + 1} \\(epoch 2, batch 1\\): the loss is NaN`));
  assert.ok(msg.includes(join(dir, 'last.ckpt')), msg);
  const ckpt = await loadLMCheckpoint<TrainingState>(join(dir, 'last.ckpt'));
  assert.is(ckpt.meta.training!.globalStep, stepsPerEpoch);
  assert.ok(Array.from(ckpt.tensors['model/decoder.bias']!.data).every(Number.isFinite), 'the saved weights are the good ones');
  const log = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(log.at(-1).event, 'diverged');
});

test('wasm memory does not grow epoch over epoch (topology updates every epoch)', async () => {
  // Measured at the same point of every epoch: right after its last training step.
  const live: number[] = [], size: number[] = [];
  const epochs = 5;
  await run({ ...STACKED, nonmono: 100, epochs }, {
    events: { onStep: (s) => { if (s.batch === s.batches) { live.push(memoryStats().liveBytes); size.push(memoryStats().memoryBytes); } } },
  });
  assert.is(live.length, epochs);
  for (let e = 2; e < epochs; e++) assert.is(live[e], live[1], `live bytes at the end of epoch ${e + 1} vs epoch 2: ${live.join(', ')}`);
  assert.is(size[epochs - 1], size[2], `wasm memory: ${size.join(', ')}`);
});

test('checkpoints are written atomically: a save that fails before the rename leaves the previous file intact', async () => {
  const dir = join(tmp, 'atomic');
  let saves = 0;
  const store = directoryStore(dir, {
    beforeRename: (tempPath) => {
      if (tempPath.includes('last.ckpt') && ++saves === 2) throw new Error('simulated crash during the save');
    },
  });
  let err: unknown = null;
  try {
    await run({ ...STACKED, epochs: 3 }, { store });
  } catch (e) {
    err = e;
  }
  assert.match(String((err as Error)?.message), /simulated crash during the save/);
  const ckpt = await loadLMCheckpoint<TrainingState>(join(dir, 'last.ckpt'));
  assert.is(ckpt.meta.training!.position.epoch, 1, 'the checkpoint of epoch 1 is intact');
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
});

test('refuses truncated, corrupt, wrong-kind and wrong-version checkpoints, naming the file', async () => {
  const { store } = await run({ ...STACKED, epochs: 1 });
  const good = (await store.read('best.ckpt'))!;
  const path = join(tmp, 'bad.ckpt');
  const refuse = async (bytes: Uint8Array, code: string, re: RegExp) => {
    writeFileSync(path, bytes);
    try {
      await loadLMCheckpoint(path);
      assert.unreachable('should refuse');
    } catch (e) {
      assert.instance(e, CheckpointError);
      assert.is((e as CheckpointError).code, code);
      assert.match((e as Error).message, re);
      assert.ok((e as Error).message.includes(path), (e as Error).message);
    }
  };
  await refuse(good.subarray(0, good.length - 100), 'truncated', /is truncated: expected \d+ bytes, got \d+/);
  const flipped = good.slice();
  flipped[flipped.length - 5] ^= 0x10;
  await refuse(flipped, 'corrupt-tensor', /is corrupt: the data of tensor '.*' .* fails its CRC-32 check/);
  await refuse(encodeCheckpoint({ meta: { kind: 'something/else' }, tensors: {} }), 'kind-mismatch', /is a 'something\/else' checkpoint, expected a 'selfish-rnn\/lm' checkpoint/);
  const meta = decodeLMCheckpoint(good).meta;
  await refuse(encodeCheckpoint({ meta: { ...meta, version: 99 }, tensors: {} }), 'unsupported-version', /version 99, but this build reads version 1 \(it was written by a newer selfish-rnn/);
  await refuse(new TextEncoder().encode('hello world, not a checkpoint'), 'not-a-checkpoint', /is not a selfish-rnn checkpoint/);
});

test('safetensors export: PyTorch names, dense F32 weights, BOOL masks of the sparse ones, tied decoder.weight', async () => {
  for (const opts of [STACKED, MOS]) {
    const { store } = await run({ ...opts, epochs: 1 });
    const ckpt = decodeLMCheckpoint((await store.read('best.ckpt'))!);
    const file = decodeSafetensors(exportCheckpoint(ckpt));
    const names = Object.keys(file.tensors).sort();
    const weights = Object.keys(ckpt.meta.weights);
    const sparse = weights.filter((n) => ckpt.meta.weights[n]!.layout === 'csr');
    const tied = opts === MOS;
    const expected = [...weights, ...sparse.map((n) => `${n}.mask`), ...(tied ? ['decoder.weight', 'decoder.weight.mask'] : [])].sort();
    assert.equal(names, expected);
    if (tied) assert.ok(!weights.includes('decoder.weight'), 'the tied decoder weight is not a separate parameter');
    else assert.equal(weights, ['encoder.weight', 'rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0', 'rnn.weight_ih_l1', 'rnn.weight_hh_l1', 'rnn.bias_ih_l1', 'rnn.bias_hh_l1', 'decoder.weight', 'decoder.bias']);
    assert.ok(sparse.length >= 5, `sparse weights: ${sparse.join(', ')}`);
    for (const n of sparse) {
      const layout = ckpt.meta.weights[n] as { rows: number; cols: number; nnz: number };
      const w = file.tensors[n]!, m = file.tensors[`${n}.mask`]!;
      assert.is(w.dtype, 'F32');
      assert.is(m.dtype, 'BOOL');
      assert.equal(w.shape, [layout.rows, layout.cols]);
      assert.equal(m.shape, [layout.rows, layout.cols]);
      const mask = m.data as Uint8Array, dense = w.data as Float32Array;
      assert.is(mask.reduce((s, x) => s + x, 0), layout.nnz, `${n}: mask counts nnz`);
      // Values land at the CSR coordinates, zeros elsewhere.
      const csr = CSRMatrix.fromParts([layout.rows, layout.cols], ckpt.tensors[`model/${n}.row_ptr`]!.data, ckpt.tensors[`model/${n}.col_idx`]!.data, ckpt.tensors[`model/${n}.values`]!.data);
      const expect = csr.toDense().toArray();
      csr.dispose();
      assert.ok(dense.every((v, i) => v === expect[i]! && (mask[i] === 1 || v === 0)), `${n}: dense values`);
    }
    for (const n of weights.filter((x) => !sparse.includes(x))) {
      assert.equal(Array.from(file.tensors[n]!.data!), Array.from(ckpt.tensors[`model/${n}`]!.data), `${n}: dense copy`);
    }
    if (tied) {
      assert.equal(Array.from(file.tensors['decoder.weight']!.data!), Array.from(file.tensors['encoder.weight']!.data!));
      assert.equal(file.tensors['decoder.weight']!.shape, file.tensors['encoder.weight']!.shape);
    }
    assert.is(file.metadata?.format, 'pt');
    assert.equal(JSON.parse(file.metadata!['selfish-rnn.vocab']!), full.vocab.list());
    assert.is(JSON.parse(file.metadata!['selfish-rnn.config']!).model, opts.model);
  }
});

test.run();
