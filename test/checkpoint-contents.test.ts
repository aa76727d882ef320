// Checksum-valid but inconsistent language-model checkpoints (what a buggy writer or a hand edit
// produces): every one is refused with a CheckpointError naming the file and the reason, never an
// internal TypeError/RangeError; failed loads and resumes leak no heap bytes and leave the global
// random generator as it was; the next valid load works as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CheckpointError, decodeCheckpoint, decodeLMCheckpoint, encodeCheckpoint, engineSparsity, evaluate, globalRandom, memoryStats,
  modelFromCheckpoint, Trainer, type CheckpointTensor,
} from '../src/index.js';
import { tinyCheckpoints, tinyCorpus } from './helpers/lm-checkpoint.js';

const { last, best } = await tinyCheckpoints();
const SRC = '/runs/x/last.ckpt';

type Meta = Record<string, any>;
/** The checkpoint with its meta and tensors changed, re-encoded so every checksum is valid. */
function mutate(bytes: Uint8Array, change: (meta: Meta, tensors: Record<string, CheckpointTensor>) => void): Uint8Array {
  const c = decodeCheckpoint<Meta>(bytes);
  change(c.meta, c.tensors);
  return encodeCheckpoint(c);
}
const firstCsr = (m: Meta) => Object.entries(m.weights).find(([, l]: [string, any]) => l.layout === 'csr')![0];
const firstDense = (m: Meta) => Object.entries(m.weights).find(([, l]: [string, any]) => l.layout === 'dense')![0];

/** [label, mutation, expected message pattern]; each is refused by decode, model building or resume. */
const CASES: [string, (m: Meta, t: Record<string, CheckpointTensor>) => void, RegExp][] = [
  ['emsize 1e308', (m) => { m.config.lm.emsize = 1e308; }, /meta\.config\.lm\.emsize must be an integer in \[1, 16777216\], got 1e\+308/],
  ['emsize a huge integer', (m) => { m.config.lm.emsize = 2 ** 40; }, /meta\.config\.lm\.emsize must be an integer/],
  ['emsize far larger than the weights', (m) => { m.config.lm.emsize = 200_000; }, /describes a model larger than the \d+ weights the file holds/],
  ['emsize smaller than the weights', (m) => { m.config.lm.emsize = 3; }, /does not fit the model|weight '.*' is/],
  ['nlayers 1e308', (m) => { m.config.lm.nlayers = 1e308; }, /meta\.config\.lm\.nlayers must be an integer/],
  ['nlayers +1', (m) => { m.config.lm.nlayers += 1; }, /describes a model larger|does not fit the model/],
  ['lm.kind unknown', (m) => { m.config.lm.kind = 'transformer'; }, /meta\.config\.lm\.kind names a model family that is not registered: unknown model family 'transformer'.*--plugin/],
  ['config missing', (m) => { delete m.config; }, /meta\.config must be an object, got undefined/],
  ['config.lm a string', (m) => { m.config.lm = 'big'; }, /meta\.config\.lm must be an object/],
  ['bptt 0', (m) => { m.config.bptt = 0; }, /meta\.config\.bptt must be an integer/],
  ['lr negative', (m) => { m.config.lr = -1; }, /meta\.config is not a valid run configuration: meta\.config\.lr must be a number in \(0, 1\.7976931348623157e\+308\], got -1/],
  ['alpha negative (a value train refuses too)', (m) => { m.config.lm.alpha = -1; }, /meta\.config\.lm\.alpha must be a number in \[0, 1000000\], got -1|unknown option meta\.config\.lm\.alpha/],
  ['data source unknown', (m) => { m.config.data = { source: 'ftp' }; }, /meta\.config\.data\.source must be one of/],
  ['vocab words not strings', (m) => { m.vocab.words[3] = 7; }, /meta\.vocab is not a vocabulary: .*array of strings/],
  ['vocab with a duplicate word', (m) => { m.vocab.words[3] = m.vocab.words[4]; }, /meta\.vocab is not a vocabulary: .*duplicate/],
  ['vocab one word short', (m) => { m.vocab.words.pop(); }, /meta\.vocab has \d+ words but meta\.config\.lm\.vocab says \d+/],
  ['vocab missing', (m) => { delete m.vocab; }, /meta\.vocab is not a vocabulary/],
  ['role unknown', (m) => { m.role = 'bogus'; }, /meta\.role must be one of 'last', 'best', 'model', got "bogus"/],
  ['weights_kind unknown', (m) => { m.weights_kind = 7; }, /meta\.weights_kind must be one of/],
  ['summary missing', (m) => { delete m.summary; }, /meta\.summary must be an object/],
  ['weights empty', (m) => { m.weights = {}; }, /meta\.weights lists no weights/],
  ['dense shape not an array', (m) => { m.weights[firstDense(m)].shape = 5; }, /meta\.weights\['.*'\]\.shape must be an array, got 5/],
  ['dense shape disagrees with its tensor', (m) => { m.weights[firstDense(m)].shape = [1, 2, 3]; }, /tensor 'model\/.*' is f32 \[.*\] but meta\.weights\['.*'\] says f32 \[1, 2, 3\]/],
  ['dense tensor missing', (m, t) => { delete t[`model/${firstDense(m)}`]; }, /tensor 'model\/.*' is missing/],
  ['layout unknown', (m) => { m.weights[firstDense(m)].layout = 'coo'; }, /\.layout must be one of 'dense', 'csr'/],
  ['NaN weight (dense)', (m, t) => { (t[`model/${firstDense(m)}`]!.data as Float32Array)[0] = NaN; }, /holds NaN at element 0; weights must be finite/],
  ['Infinity weight (sparse)', (m, t) => { (t[`model/${firstCsr(m)}.values`]!.data as Float32Array)[2] = -Infinity; }, /holds -Infinity at element 2; weights must be finite/],
  ['CSR rows huge', (m) => { m.weights[firstCsr(m)].rows = 429496729600; }, /\.rows must be an integer in \[0, 16777216\], got 429496729600/],
  ['CSR nnz disagrees', (m) => { m.weights[firstCsr(m)].nnz += 1; }, /sparse weight '.*' has \d+ stored values, but its meta says nnz = \d+/],
  ['CSR column out of range', (m, t) => { const c = t[`model/${firstCsr(m)}.col_idx`]!.data as Int32Array; c[c.length - 1] = 1 << 20; }, /column index 1048576 at entry \d+ \(row \d+\), outside \[0, \d+\)/],
  ['CSR columns unsorted', (m, t) => {
    const name = firstCsr(m), rp = t[`model/${name}.row_ptr`]!.data as Int32Array, ci = t[`model/${name}.col_idx`]!.data as Int32Array;
    const r = rp.findIndex((v, i) => i < rp.length - 1 && rp[i + 1]! - v >= 2);
    [ci[rp[r]!], ci[rp[r]! + 1]] = [ci[rp[r]! + 1]!, ci[rp[r]!]!];
  }, /must be strictly ascending/],
  ['CSR row offsets decreasing', (m, t) => { const rp = t[`model/${firstCsr(m)}.row_ptr`]!.data as Int32Array; rp[1] = rp[2]! + 1; }, /decreasing row pointers at row/],
  ['CSR row_ptr wrong dtype', (m, t) => { const k = `model/${firstCsr(m)}.row_ptr`; t[k] = { dtype: 'f32', shape: t[k]!.shape, data: Float32Array.from(t[k]!.data) }; }, /expected a 1-D i32 array/],
  ['training missing', (m) => { m.training = null; }, /meta\.training must be an object, got null/],
  ['training position not an object', (m) => { m.training.position = [1, 2]; }, /meta\.training\.position must be an object/],
  ['training epoch beyond the run', (m) => { m.training.position.epoch = 10 ** 6; }, /meta\.training\.position\.epoch must be an integer in \[0, 1\]/],
  ['rng state short', (m) => { m.training.rng.global.s = [1, 2]; }, /meta\.training\.rng\.global\.s must hold 4 numbers/],
  ['rng state all zero', (m) => { m.training.rng.data.s = [0, 0, 0, 0]; }, /is all zeros/],
  ['history not an array', (m) => { m.training.history = 'long'; }, /meta\.training\.history must be an array/],
  ['phase unknown', (m) => { m.training.phase = 'sprint'; }, /meta\.training\.phase must be one of 'sgd', 'asgd', 'adam'/],
  ['hidden state missing', (m, t) => { m.training.hiddenLayers = Math.max(1, m.training.hiddenLayers); delete t['state/0.h']; }, /cannot be resumed: .*hidden state 'state\/0\.h' is missing/],
  ['hidden state not finite', (m, t) => { m.training.hiddenLayers = Math.max(1, m.training.hiddenLayers); (t['state/0.h']!.data as Float32Array)[1] = NaN; }, /tensor 'state\/0\.h' holds NaN at element 1/],
  ['hidden state wrong size', (m, t) => { m.training.hiddenLayers = Math.max(1, m.training.hiddenLayers); t['state/0.c'] = { dtype: 'f32', shape: [3], data: new Float32Array(3) }; }, /cannot be resumed: .*hidden state 'state\/0\.c'/],
  ['engine state garbled', (m) => { m.training.engine = { name: 'selfish', meta: 'garbage' }; }, /cannot be resumed/],
];

/** Loads like `eval` (decode + model) and like `--resume` (decode + Trainer.create); the error of the first failure. */
async function load(bytes: Uint8Array): Promise<unknown> {
  try {
    const ckpt = decodeLMCheckpoint(bytes, SRC);
    const { model } = modelFromCheckpoint(ckpt);
    model.dispose();
    const t = await Trainer.create({ corpus: tinyCorpus, resume: ckpt, sparsity: engineSparsity });
    t.dispose();
    return null;
  } catch (e) {
    return e;
  }
}

async function evalLoss(bytes: Uint8Array): Promise<number> {
  const { model } = modelFromCheckpoint(decodeLMCheckpoint(bytes, SRC));
  try {
    return (await evaluate(model, tinyCorpus.valid, { batchSize: 4, bptt: 10 })).loss;
  } finally {
    model.dispose();
  }
}

test('the unmodified checkpoints load, build and resume', async () => {
  assert.is(await load(last), null);
  const { model } = modelFromCheckpoint(decodeLMCheckpoint(best, SRC));
  model.dispose();
});

test('every inconsistent checkpoint is refused with a CheckpointError naming the file and the reason', async () => {
  for (const [label, change, re] of CASES) {
    const e = await load(mutate(last, change));
    assert.ok(e !== null, `${label}: accepted`);
    assert.instance(e, CheckpointError, `${label}: ${(e as Error).name}: ${(e as Error).message}`);
    const msg = (e as Error).message;
    assert.ok(msg.startsWith('selfish-rnn: ') && msg.includes(SRC), `${label}: ${msg}`);
    assert.match(msg, re, `${label}: ${msg}`);
  }
});

test('a resume refused while loading its weights (after the engine exists) names the file and leaks nothing', async () => {
  const bad = mutate(last, (m) => { m.config.lm.emsize = 3; });
  const live = memoryStats().liveBytes;
  for (let i = 0; i < 3; i++) {
    try {
      (await Trainer.create({ corpus: tinyCorpus, resume: decodeLMCheckpoint(bad, SRC), sparsity: engineSparsity })).dispose();
      assert.unreachable('accepted');
    } catch (e) {
      assert.instance(e, CheckpointError);
      assert.match((e as Error).message, new RegExp(`^selfish-rnn: ${SRC}: .*weight 'encoder\\.weight' is 120×8 in the file but \\[120, 3\\] in the model`));
    }
  }
  assert.is(memoryStats().liveBytes, live);
});

test('emsize 1e308 is refused and the next valid load works exactly as before (no heap damage)', async () => {
  const before = await evalLoss(best);
  for (const emsize of [1e308, 200_000]) {
    const e = await load(mutate(best, (m) => { m.config.lm.emsize = emsize; }));
    assert.instance(e, CheckpointError);
  }
  assert.is(await evalLoss(best), before);
});

test('failed loads and resumes leak no heap bytes and leave the global generator as it was', async () => {
  await load(last); // warm-up: lazily created module state
  const live = memoryStats().liveBytes, rng = JSON.stringify(globalRandom.getState());
  const leaks: string[] = [];
  for (let round = 0; round < 2; round++) {
    for (const [label, change] of CASES) {
      const before = memoryStats().liveBytes;
      await load(mutate(last, change));
      if (memoryStats().liveBytes !== before) leaks.push(`${label}: ${memoryStats().liveBytes - before} bytes`);
    }
  }
  assert.equal(leaks, [], 'failed loads that leaked');
  assert.is(memoryStats().liveBytes, live, 'live bytes after failed loads');
  assert.is(JSON.stringify(globalRandom.getState()), rng, 'global generator state after failed resumes');
});

test.run();
