// Checks, before the first step, that every split of a corpus is long enough for the batch sizes
// it will be cut into: training with --batch-size, validation with --eval-batch-size after every
// epoch, test with --test-batch-size at the end. Without it, a too-small validation split would
// be found after the first epoch and a too-small test split after the whole run.
import type { Corpus, Split } from '../../data/corpus.js';
import type { TrainConfig } from '../config.js';

const SPLIT_USE: Record<Split, { what: string; key: 'batchSize' | 'evalBatchSize' | 'testBatchSize'; flag: string }> = {
  train: { what: 'training', key: 'batchSize', flag: '--batch-size' },
  valid: { what: 'validation', key: 'evalBatchSize', flag: '--eval-batch-size' },
  test: { what: 'test', key: 'testBatchSize', flag: '--test-batch-size' },
};

/**
 * Throws a RangeError naming the split, its length, the batch size and the flag to change when a
 * split has fewer than 2 tokens per batch column (an input and its target: one step of at least
 * length 1). Longer sequences than the split allows are fine: the last chunk is shorter, as in
 * the reference.
 */
export function checkCorpusFits(corpus: Corpus, config: Pick<TrainConfig, 'batchSize' | 'evalBatchSize' | 'testBatchSize'>): void {
  for (const split of ['train', 'valid', 'test'] as const) {
    const { what, key, flag } = SPLIT_USE[split];
    const tokens = corpus[split].length, batch = config[key];
    if (Math.floor(tokens / batch) < 2) {
      const most = Math.floor(tokens / 2);
      throw new RangeError(
        `selfish-rnn: the ${what} split has ${tokens} tokens, too few for batch size ${batch} (${flag}): each of the ${batch} columns needs ` +
        `at least 2 tokens (an input and its target). ${most >= 1 ? `Give ${flag} ${most} or less, or` : 'Give'} a larger corpus.`,
      );
    }
  }
}
