// What every language model in this library offers the trainer, evaluation and generation.
import type { LstmState } from '../ops/lstm.js';
import type { Module } from '../nn/module.js';
import type { IntTensor, Tensor } from '../tensor.js';
import type { LMConfig } from './configs.js';

/** Recurrent state carried across batches: one {h, c} per LSTM layer (detached). */
export type LMState = LstmState[];

export interface LMOutput {
  /** The training objective (mean NLL plus the model's regularisers), a scalar. */
  loss: Tensor;
  /** Mean negative log-likelihood per token (what perplexity is computed from), a scalar. */
  nll: Tensor;
  /** State after the last step, for the next batch. */
  state: LMState;
}

export interface LanguageModel extends Module {
  readonly config: LMConfig;
  /** input, target: [T, B] token ids (target = input shifted by one). */
  forward(input: IntTensor, target: IntTensor, state?: LMState): LMOutput;
  /** Log-probabilities of the next token at every position, [T·B, V] (for sampling). */
  logProbs(input: IntTensor, state?: LMState): { logProbs: Tensor; state: LMState };
  /** Zero state for batch size B (persistent tensors; dispose them when done). */
  initState(batchSize: number): LMState;
}
