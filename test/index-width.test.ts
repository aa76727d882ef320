// 16-bit column indices change no bit and no byte of a file (src/csr.ts stores u16 indices where
// they fit; the `_u16` kernels read them):
//  - a training run (topology updates, the switch to SNT-ASGD; 1 thread, and 2 threads with every
//    kernel call split) gives the same losses and byte-identical checkpoints as the same run with
//    the indices forced to 32 bits (the storage and kernels of before);
//  - a checkpoint written before the change (test/fixtures/i32-era-last.ckpt, by the code of main
//    at f07ac5c: see make-i32-era-checkpoint.mjs) is read, written again byte for byte, and resumed
//    on the same bits with either width;
//  - files hold i32 column indices (dtype 'i32') whatever the storage; a matrix of 65,537 columns
//    keeps i32 storage through a checkpoint; the safetensors export is the same;
//  - the memory figure (trainingStateBytes) counts 2 bytes per index where they are u16.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  Adam, ASGD, CSRMatrix, decodeLMCheckpoint, engineSparsity, exportSafetensors, loadCheckpoint, loadWeights, memoryStore, Module,
  parameter, resolveTrainConfig, saveCheckpoint, setThreads, SGD, SNTASGD, Trainer, trainingStateBytes, zeros,
  type Corpus, type LanguageModel, type Tensor, type TrainOptions,
} from '../src/index.js';
import { forceSplitForTests } from '../src/backend/threads.js';
import { forceWideIndices } from '../src/csr.js';
import { tinyCorpus, withFixedTimes } from './helpers/lm-checkpoint.js';

const corpus = tinyCorpus;

// The fixture's run (make-i32-era-checkpoint.mjs): a forced switch to SNT-ASGD after epoch 1.
const STACKED: TrainOptions = {
  model: 'zaremba-small', lm: { emsize: 8, nhid: 8, dropout: 0 }, method: 'selfish', density: 0.5,
  epochs: 3, asgdEpoch: 1, nonmono: 50, lr: 5, batchSize: 4, bptt: 10, evalBatchSize: 4, testBatchSize: 4,
};
const RHN: TrainOptions = {
  model: 'selfish-rhn', lm: { emsize: 10, nhid: 10, depth: 3 }, method: 'selfish', density: 0.5,
  epochs: 3, asgdEpoch: 1, nonmono: 50, lr: 5, batchSize: 5, bptt: 8, evalBatchSize: 5, testBatchSize: 5,
};
const MOS: TrainOptions = {
  model: 'awd-lstm-mos-ptb', lm: { emsize: 6, nhid: 8, nhidlast: 6, nExperts: 2 }, method: 'selfish', density: 0.5,
  epochs: 3, asgdEpoch: 1, nonmono: 50, lr: 5, batchSize: 4, bptt: 10, evalBatchSize: 4, testBatchSize: 4,
};

function csrWidths(model: LanguageModel): boolean[] {
  return model.namedWeights().flatMap(([, w]) => (w instanceof CSRMatrix ? [w.colIdx.wide] : []));
}

/** Trains `opts` with the indices as built (wide = false) or forced to i32; losses, checkpoints, and the widths the model had. */
async function run(opts: TrainOptions, wide: boolean, extra: Partial<Parameters<typeof Trainer.create>[0]> = {}) {
  const prev = forceWideIndices(wide);
  try {
    const store = memoryStore();
    const losses: number[] = [];
    let updates = 0;
    const trainer = await Trainer.create({
      config: resolveTrainConfig(opts, corpus.vocab.size), corpus, store, sparsity: engineSparsity, logInterval: 10_000, ...extra,
      events: { onStep: (s) => losses.push(s.loss), onUpdate: () => updates++ },
    });
    const widths = csrWidths(trainer.model);
    try {
      await trainer.run();
    } finally {
      trainer.dispose();
    }
    return { losses, updates, widths, last: withFixedTimes((await store.read('last.ckpt'))!), best: (await store.read('best.ckpt')) ?? null };
  } finally {
    forceWideIndices(prev);
  }
}

function sameLosses(a: number[], b: number[], what: string): void {
  assert.is(b.length, a.length, `${what}: step count`);
  const i = a.findIndex((x, k) => !Object.is(x, b[k]));
  assert.is(i, -1, `${what}: step ${i + 1}: ${a[i]} vs ${b[i]}`);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null, what: string): void {
  assert.ok(a !== null && b !== null, `${what}: missing`);
  assert.is(b!.length, a!.length, `${what}: length`);
  const i = a!.findIndex((x, k) => x !== b![k]);
  assert.is(i, -1, `${what}: differs at byte ${i}`);
}

test.after(async () => { forceSplitForTests(false); await setThreads(1); });

for (const [label, opts] of [['stacked LSTM', STACKED], ['RHN', RHN], ['AWD-LSTM-MoS', MOS]] as const) {
  test(`${label}: 16-bit indices train to the losses and checkpoint bytes of 32-bit ones (1 thread, and 2 with every call split)`, async () => {
    for (const threads of [1, 2]) {
      assert.is(await setThreads(threads), threads);
      forceSplitForTests(threads > 1);
      const narrow = await run(opts, false), wide = await run(opts, true);
      assert.ok(narrow.widths.length > 0 && narrow.widths.every((w) => !w), 'the default run stores u16 indices');
      assert.ok(wide.widths.every((w) => w), 'the forced run stores i32 indices');
      assert.ok(narrow.updates >= 1, 'a topology update happened');
      sameLosses(wide.losses, narrow.losses, `${threads} thread(s)`);
      sameBytes(wide.last, narrow.last, `${threads} thread(s): last.ckpt`);
      sameBytes(wide.best, narrow.best, `${threads} thread(s): best.ckpt`);
    }
    forceSplitForTests(false);
    await setThreads(1);
  });
}

test('a checkpoint written before 16-bit indices reads, writes again byte for byte, and resumes on the same bits', async () => {
  const fixture = new Uint8Array(readFileSync(new URL('../../test/fixtures/i32-era-last.ckpt', import.meta.url)));
  const ckpt = decodeLMCheckpoint(fixture, 'i32-era-last.ckpt');
  const colIdx = Object.entries(ckpt.tensors).filter(([k]) => k.endsWith('.col_idx'));
  assert.ok(colIdx.length >= 5, 'the fixture holds sparse weights');
  for (const [k, t] of colIdx) assert.is(t.dtype, 'i32', k);

  // Read and written again without a step: the same bytes.
  const config = resolveTrainConfig(STACKED, corpus.vocab.size);
  const again = await Trainer.create({ config, corpus, store: memoryStore(), sparsity: engineSparsity, logInterval: 10_000, resume: ckpt });
  try {
    assert.ok(csrWidths(again.model).every((w) => !w), 'read into u16 storage');
    sameBytes(fixture, withFixedTimes(again.checkpointBytes()), 're-written checkpoint');
  } finally {
    again.dispose();
  }

  // Resumed for 40 steps (past the end of epoch 2: a topology update) with either width.
  const narrow = await run(STACKED, false, { resume: ckpt, maxSteps: 90 });
  const wide = await run(STACKED, true, { resume: ckpt, maxSteps: 90 });
  assert.is(narrow.losses.length, 40);
  assert.ok(narrow.updates >= 1, 'a topology update happened after the resume');
  sameLosses(wide.losses, narrow.losses, 'resumed');
  sameBytes(wide.last, narrow.last, 'resumed: last.ckpt');
});

/** One CSR weight in a module of its own. */
class OneMatrix extends Module {
  constructor(w: CSRMatrix) {
    super();
    this.registerWeight('w', w);
  }
}

test('files hold i32 column indices; reading narrows them where they fit; 65,537 columns stay i32', () => {
  for (const cols of [65536, 65537]) {
    const W = CSRMatrix.fromCoords([3, cols], { row: [0, 0, 2, 2], col: [0, cols - 1, 5, cols - 2], value: [1, 2, 3, 4] }, { name: 'w' });
    assert.is(W.colIdx.wide, cols > 65536);
    const m = new OneMatrix(W);
    const bytes = saveCheckpoint({ model: m });
    const t = loadCheckpoint(bytes).tensors['model/w.col_idx']!;
    assert.is(t.dtype, 'i32');
    assert.equal(Array.from(t.data), [0, cols - 1, 5, cols - 2]);
    // The same file from i32 storage.
    const prev = forceWideIndices(true);
    const Wi = CSRMatrix.fromCoords([3, cols], { row: [0, 0, 2, 2], col: [0, cols - 1, 5, cols - 2], value: [1, 2, 3, 4] }, { name: 'w' });
    forceWideIndices(prev);
    const mi = new OneMatrix(Wi);
    sameBytes(saveCheckpoint({ model: mi }), bytes, `${cols} columns: checkpoint from i32 storage`);
    sameBytes(exportSafetensors(mi), exportSafetensors(m), `${cols} columns: safetensors from i32 storage`);
    // Loaded into another module: the width follows the shape, the indices are the file's.
    const other = new OneMatrix(CSRMatrix.fromCoords([3, cols], { row: [1], col: [1] }, { name: 'w' }));
    loadWeights(other, loadCheckpoint(bytes));
    const L = other.getWeight('w') as CSRMatrix;
    assert.is(L.colIdx.wide, cols > 65536);
    assert.equal(Array.from(L.colIdx.data), [0, cols - 1, 5, cols - 2]);
    for (const x of [m, mi, other]) x.dispose();
  }
});

test('trainingStateBytes: values + u16 indices + row pointers + the optimizer per entry, against the model dense', () => {
  class Two extends Module {
    constructor(sp: CSRMatrix, d: Tensor) {
      super();
      this.registerWeight('s', sp);
      this.registerWeight('d', d);
    }
  }
  const coords = { row: [0, 0, 1, 2, 2, 2, 3, 3], col: [0, 5, 2, 1, 3, 4, 0, 5] }; // 4×6, 8 nonzeros
  for (const wide of [false, true]) {
    const prev = forceWideIndices(wide);
    const sp = CSRMatrix.fromCoords([4, 6], coords, { name: 's' });
    forceWideIndices(prev);
    const m = new Two(sp, parameter(zeros([2, 3])));
    const idx = wide ? 4 : 2;
    const weights = 8 * 4 + 8 * idx + 5 * 4 + 6 * 4, dense = 24 * 4 + 6 * 4;
    const check = (got: ReturnType<typeof trainingStateBytes>, state: number, denseState: number, what: string) => {
      assert.equal(
        { weights: got.weights, optimizer: got.optimizer, total: got.total, dense: got.dense },
        { weights, optimizer: state, total: weights + state, dense: { weights: dense, optimizer: denseState, total: dense + denseState } },
        what,
      );
      assert.is(got.ratio, (weights + state) / (dense + denseState), `${what}: ratio`);
    };
    check(trainingStateBytes(m), 0, 0, 'no optimizer');
    check(trainingStateBytes(m, new SGD(m.parameters(), { lr: 1 })), 0, 0, 'plain SGD');
    check(trainingStateBytes(m, new SGD(m.parameters(), { lr: 1, momentum: 0.9 })), 4 * 8 + 4 * 6, 4 * 24 + 4 * 6, 'SGD with momentum');
    // SNT-ASGD: an average (4 bytes) and a step counter (2: its cohort) per nonzero; dense, ASGD's average alone.
    check(trainingStateBytes(m, new SNTASGD(m.parameters(), { lr: 1, sparse: [sp.values] })), 6 * 8 + 4 * 6, 4 * 24 + 4 * 6, 'SNT-ASGD');
    check(trainingStateBytes(m, new ASGD(m.parameters(), { lr: 1 })), 4 * 8 + 4 * 6, 4 * 24 + 4 * 6, 'ASGD');
    // Sparse Adam: two moments and a step counter (2 bytes) per nonzero; dense, the two moments.
    check(trainingStateBytes(m, new Adam(m.parameters(), { lr: 1, sparse: [sp.values] })), 10 * 8 + 8 * 6, 8 * 24 + 8 * 6, 'Adam');
    // Parameters the optimizer does not hold count no state.
    check(trainingStateBytes(m, new SGD([sp.values], { lr: 1, momentum: 0.5 })), 4 * 8, 4 * 24, 'an optimizer of one parameter');
    m.dispose();
  }
});

test.run();
