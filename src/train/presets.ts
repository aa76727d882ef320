// Training recipes per named model: the defaults that `--model NAME` brings beyond the
// architecture (src/models/configs.ts), each reproducing a published command. Explicit options
// always win over a recipe; a recipe wins over the global defaults (config.ts TRAIN_DEFAULTS).
// Sources: ../shared/reference/selfish-rnn.md §2 (which quotes the official READMEs and scripts).
import type { TrainOptions } from './config.js';

export interface Recipe {
  /** Where the numbers come from (shown by `selfish-rnn models` and the docs). */
  source: string;
  /** Training options (no `lm`: the architecture is the model config's). */
  train: Omit<TrainOptions, 'lm' | 'model' | 'data'>;
}

/** Zaremba et al. 2014 / the TensorFlow PTB tutorial: plain SGD, lr 1, constant then ×decay per epoch. */
const zaremba = (epochs: number, decayAfter: number, lrDecay: number, clip: number): Recipe['train'] => ({
  method: 'dense', optimizer: 'sgd', lr: 1, epochs, lrDecay, lrDecayAfter: decayAfter, clip, wdecay: 0,
  evalBatchSize: 20, testBatchSize: 1,
});

export const RECIPES: Record<string, Recipe> = {
  'zaremba-small': {
    source: 'Zaremba et al. 2014 (non-regularised small), TensorFlow PTB tutorial SmallConfig: 2×200, init 0.1, lr 1, 13 epochs (×0.5 per epoch after 4), clip 5, bptt 20, batch 20; test batch 1. Published val/test 120.7/114.5',
    train: zaremba(13, 4, 0.5, 5),
  },
  'zaremba-medium': {
    source: 'Zaremba et al. 2014 (medium), TF PTB tutorial MediumConfig: 2×650, dropout 0.5, init 0.05, lr 1, 39 epochs (×0.8 after 6), clip 5, bptt 35. Published 86.2/82.7',
    train: zaremba(39, 6, 0.8, 5),
  },
  'zaremba-large': {
    source: 'Zaremba et al. 2014 (large), TF PTB tutorial LargeConfig: 2×1500, dropout 0.65, init 0.04, lr 1, 55 epochs (×1/1.15 after 14), clip 10, bptt 35. Published 82.2/78.4',
    train: zaremba(55, 14, 1 / 1.15, 10),
  },
  'selfish-lstm': {
    source: 'Selfish-RNN README, stacked LSTM: --sparse --sparse_init uniform --optimizer sgd --growth random --death magnitude --redistribution none --nonmono 5 --batch_size 20 --bptt 35 --lr 40 --clip 0.25 --seed 1111 --emsize 1500 --nhid 1500 --nlayers 2 --death-rate 0.8 --dropout 0.65 --density 0.33 --epochs 100; main.py evaluates valid and test with batch 20. Published 73.79/71.65',
    train: {
      method: 'selfish', density: 0.33, sparseInit: 'uniform', deathRate: 0.8, optimizer: 'sgd', lr: 40, clip: 0.25, nonmono: 5,
      epochs: 100, seed: 1111, wdecay: 1.2e-6, evalBatchSize: 20, testBatchSize: 20,
    },
  },
  'selfish-rhn': {
    source: 'Selfish-RNN README, RHN: --model RHN --tied --couple --seed 42 --nlayers 1 --density 0.472 --death-rate 0.5 --clip 0.25 --lr 15 --epochs 500 --dropout 0.65 --dropouth 0.25 --dropouti 0.65 --dropoute 0.2 --emsize 830 --nhid 830 (bptt 35, batch 20, nonmono 5, wd 1.2e-6; main.py evaluates with batch 20). Published 62.10/60.35',
    train: {
      method: 'selfish', density: 0.472, sparseInit: 'uniform', deathRate: 0.5, optimizer: 'sgd', lr: 15, clip: 0.25, nonmono: 5,
      epochs: 500, seed: 42, wdecay: 1.2e-6, evalBatchSize: 20, testBatchSize: 20,
    },
  },
  'selfish-onlstm': {
    source: 'Selfish-RNN README, ON-LSTM: --sparse --optimizer sgd --growth random --death magnitude --redistribution none --density 0.45 --death-rate 0.5 --batch_size 20 --dropout 0.45 --dropouth 0.3 --dropouti 0.5 --nonmono 5 --wdrop 0.45 --chunk_size 10 --seed 141 --epoch 1000 (lr 15, clip 0.25, bptt 70 random; valid batch 10, test batch 1). Published 58.17/56.31 (the finetuning restarts at epochs 500/1000 are not reproduced)',
    train: {
      method: 'selfish', density: 0.45, sparseInit: 'uniform', deathRate: 0.5, optimizer: 'sgd', lr: 15, clip: 0.25, nonmono: 5,
      epochs: 1000, seed: 141, wdecay: 1.2e-6, evalBatchSize: 10, testBatchSize: 1,
    },
  },
  'lstm-small': {
    source: 'The Selfish-RNN stacked-LSTM recipe (SGD then (SNT-)ASGD, clip 0.25, eval batch 20) at 2×200, lr 20: the CPU-scale default of this library (not a published configuration)',
    train: { optimizer: 'sgd', lr: 20, clip: 0.25, nonmono: 5, evalBatchSize: 20, testBatchSize: 20 },
  },
  'lstm-medium': {
    source: 'The Selfish-RNN stacked-LSTM recipe at 2×650, dropout 0.5, lr 20 (not a published configuration)',
    train: { optimizer: 'sgd', lr: 20, clip: 0.25, nonmono: 5, evalBatchSize: 20, testBatchSize: 20 },
  },
  'awd-lstm-mos-ptb': {
    source: 'MoS README (zihangdai/mos), PTB: --dropouti 0.4 --dropoutl 0.29 --dropouth 0.225 --seed 28 --batch_size 12 --lr 20.0 --epoch 1000 --nhid 960 --nhidlast 620 --emsize 280 --n_experts 15 (bptt 70 random, clip 0.25, wd 1.2e-6, eval batch 10, test batch 1). Published 58.34/56.18 without finetuning',
    train: { optimizer: 'sgd', lr: 20, clip: 0.25, epochs: 1000, seed: 28, nonmono: 5, wdecay: 1.2e-6, maxSeqLenDelta: 40, evalBatchSize: 10, testBatchSize: 1 },
  },
  'awd-lstm-mos-wt2': {
    source: 'MoS README, WikiText-2: --epochs 1000 --dropouth 0.2 --seed 1882 --n_experts 15 --nhid 1150 --nhidlast 650 --emsize 300 --batch_size 15 --lr 15.0 --dropoutl 0.29 --small_batch_size 5 --max_seq_len_delta 20 --dropouti 0.55 (small_batch_size only splits the batch for memory). Selfish-RNN reports it sparse at density 0.45 without finetuning (65.96/63.05): add --sparse --density 0.45',
    train: { optimizer: 'sgd', lr: 15, clip: 0.25, epochs: 1000, seed: 1882, nonmono: 5, wdecay: 1.2e-6, maxSeqLenDelta: 20, evalBatchSize: 10, testBatchSize: 1 },
  },
};

/** The recipe of a model name ({} for names without one). */
export function recipeOf(model: string): Recipe['train'] {
  return RECIPES[model]?.train ?? {};
}
