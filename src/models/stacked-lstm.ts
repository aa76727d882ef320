// The stacked LSTM language model of Zaremba et al. (2014) and the Selfish-RNN paper
// (pytorch/examples word_language_model `RNNModel`): Embedding → dropout → nlayers LSTM (dropout
// between layers) → dropout → Linear → softmax. Parameter names as PyTorch's:
// encoder.weight, rnn.weight_ih_l{k}, rnn.weight_hh_l{k}, rnn.bias_{ih,hh}_l{k}, decoder.weight,
// decoder.bias. Initialisation as the reference: encoder and decoder U(±0.1), decoder bias 0,
// LSTM U(±1/√H).
import { crossEntropy, dropout, logSoftmax, reshape } from '../ops/index.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { LSTM } from '../nn/lstm.js';
import { Module } from '../nn/module.js';
import { globalRandom, type Random } from '../random.js';
import { IntTensor, Tensor, zeros, shapeString } from '../tensor.js';
import type { LMConfig } from './configs.js';
import type { LanguageModel, LMOutput, LMState } from './language-model.js';

export class StackedLSTMModel extends Module implements LanguageModel {
  readonly encoder: Embedding;
  readonly rnn: LSTM;
  readonly decoder: Linear;
  readonly rng: Random;

  constructor(readonly config: LMConfig, rng: Random = globalRandom) {
    super();
    if (config.vocab <= 0) throw new RangeError('selfish-rnn: the model needs config.vocab > 0 (set it from the corpus vocabulary)');
    this.rng = rng;
    this.encoder = this.registerModule('encoder', new Embedding(config.vocab, config.emsize, { initRange: 0.1, rng }));
    this.rnn = this.registerModule('rnn', new LSTM(config.emsize, config.nhid, config.nlayers, { rng }));
    this.decoder = this.registerModule('decoder', new Linear(config.nhid, config.vocab, { rng }));
    // Reference init_weights(): decoder U(±0.1), bias 0.
    const dw = this.decoder.weight as Tensor;
    const d = dw.data;
    for (let i = 0; i < d.length; i++) d[i] = (rng.uniform() * 2 - 1) * 0.1;
    this.decoder.bias!.data.fill(0);
    // Zaremba et al.: every parameter U(±initRange) instead (the TF PTB tutorial's initializer).
    if (config.initRange > 0) {
      for (const p of this.parameters()) {
        const v = p.data;
        for (let i = 0; i < v.length; i++) v[i] = (rng.uniform() * 2 - 1) * config.initRange;
      }
    }
  }

  private hidden(input: IntTensor, state?: LMState): { h: Tensor; state: LMState } {
    if (input.shape.length !== 2) throw new RangeError(`selfish-rnn: the model expects input ids [T, B], got ${shapeString(input.shape)}`);
    const p = this.config.dropout;
    const opts = { training: this.training, rng: this.rng };
    const emb = dropout(this.encoder.forward(input), p, opts);
    const r = this.rnn.forward(emb, state, { betweenLayers: (y) => dropout(y, p, opts) });
    const out = dropout(r.output, p, opts);
    const [T, B] = input.shape as [number, number];
    return { h: reshape(out, [T * B, this.config.nhid]), state: r.state };
  }

  forward(input: IntTensor, target: IntTensor, state?: LMState): LMOutput {
    const { h, state: next } = this.hidden(input, state);
    const nll = crossEntropy(this.decoder.forward(h), target);
    return { loss: nll, nll, state: next };
  }

  logProbs(input: IntTensor, state?: LMState): { logProbs: Tensor; state: LMState } {
    const { h, state: next } = this.hidden(input, state);
    return { logProbs: logSoftmax(this.decoder.forward(h)), state: next };
  }

  initState(batchSize: number): LMState {
    return Array.from({ length: this.config.nlayers }, () => ({
      h: zeros([batchSize, this.config.nhid], { persistent: true }),
      c: zeros([batchSize, this.config.nhid], { persistent: true }),
    }));
  }
}
