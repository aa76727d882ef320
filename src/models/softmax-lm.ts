// A language model whose recurrence yields one hidden vector per token, read out by a single
// softmax decoder (the stacked LSTM, the RHN, the GRU): the training forward (the decoder's fused
// cross-entropy) and the sampling forward (log-probabilities) follow from `hidden` and `head`, so
// a family of this shape writes only its recurrence.
import { logSoftmax } from '../ops/index.js';
import { Module } from '../nn/module.js';
import type { IntTensor, Tensor } from '../tensor.js';
import type { AnyModelConfig } from './family.js';
import type { GateLayout } from './gate-layout.js';
import type { LanguageModel, LMOutput, LMState } from './language-model.js';

/** The decoder: logits of hidden vectors, and their mean cross-entropy (fused where it can be). */
export interface SoftmaxHead {
  forward(h: Tensor): Tensor;
  crossEntropy(h: Tensor, targets: IntTensor): Tensor;
}

export abstract class SoftmaxLanguageModel extends Module implements LanguageModel {
  abstract readonly config: AnyModelConfig;
  /** The decoder (a Linear, or a TiedDecoder sharing the embedding). */
  protected abstract get head(): SoftmaxHead;
  /** The recurrence over input ids [T, B]: hidden vectors [T·B, H] and the state after the batch (detached). */
  protected abstract hidden(input: IntTensor, state?: LMState): { h: Tensor; state: LMState };
  abstract initState(batchSize: number): LMState;
  abstract gateLayout(paramName: string, rows: number): GateLayout | null;

  forward(input: IntTensor, target: IntTensor, state?: LMState): LMOutput {
    const { h, state: next } = this.hidden(input, state);
    const nll = this.head.crossEntropy(h, target);
    return { loss: nll, nll, state: next };
  }

  logProbs(input: IntTensor, state?: LMState): { logProbs: Tensor; state: LMState } {
    const { h, state: next } = this.hidden(input, state);
    return { logProbs: logSoftmax(this.head.forward(h)), state: next };
  }
}
