// Small, real language-model checkpoints for file tests and the fuzz targets: a one-epoch run of
// a tiny sparse stacked LSTM (or AWD-LSTM-MoS) on a slice of the built-in corpus, in memory.
import { decodeCheckpoint, encodeCheckpoint, engineSparsity, memoryStore, resolveTrainConfig, Trainer, type Corpus, type TrainOptions } from '../../src/index.js';
import { loadDefaultCorpus } from '../../src/node.js';

const full = loadDefaultCorpus({ maxVocab: 120 });
export const tinyCorpus: Corpus = { vocab: full.vocab, train: full.train.slice(0, 1_500), valid: full.valid.slice(0, 300), test: full.test.slice(0, 300) };

export const TINY_STACKED: TrainOptions = {
  model: 'zaremba-small', lm: { emsize: 8, nhid: 8, dropout: 0 }, method: 'selfish', density: 0.5,
  epochs: 1, nonmono: 1, lr: 5, batchSize: 4, bptt: 10, evalBatchSize: 4, testBatchSize: 4,
};
export const TINY_MOS: TrainOptions = {
  model: 'awd-lstm-mos-ptb', lm: { emsize: 6, nhid: 8, nhidlast: 6, nExperts: 2 }, method: 'selfish', density: 0.5,
  epochs: 1, nonmono: 1, lr: 5, batchSize: 4, bptt: 10, evalBatchSize: 4, testBatchSize: 4,
};

/** The 'last' (resumable, stopped mid-epoch) and 'best' checkpoints of a tiny run. */
export async function tinyCheckpoints(opts: TrainOptions = TINY_STACKED): Promise<{ last: Uint8Array; best: Uint8Array }> {
  const config = resolveTrainConfig(opts, tinyCorpus.vocab.size);
  const store = memoryStore();
  const t1 = await Trainer.create({ config, corpus: tinyCorpus, store, sparsity: engineSparsity, logInterval: 10_000 });
  try { await t1.run(); } finally { t1.dispose(); }
  const best = (await store.read('best.ckpt'))!;
  const store2 = memoryStore();
  const t2 = await Trainer.create({ config, corpus: tinyCorpus, store: store2, sparsity: engineSparsity, logInterval: 10_000, maxSteps: 7 });
  try { await t2.run(); } finally { t2.dispose(); }
  return { last: withFixedTimes((await store2.read('last.ckpt'))!), best };
}

/**
 * The checkpoint with its wall-clock fields (elapsed and epoch seconds) set to fixed values, so the
 * bytes are a function of the options alone: the fuzz targets derive their inputs from these bytes,
 * and a seed must give the same inputs in every run (with the times as measured, it did not).
 */
export function withFixedTimes(bytes: Uint8Array): Uint8Array {
  const c = decodeCheckpoint<{ training: { elapsedSeconds: number; epochAcc: { seconds: number }; history: { seconds: number }[] } | null }>(bytes);
  const t = c.meta.training;
  if (t === null) return bytes;
  t.elapsedSeconds = 1.5;
  t.epochAcc.seconds = 0.5;
  for (const h of t.history) h.seconds = 1;
  return encodeCheckpoint(c);
}
