// The stacked LSTM language model of Zaremba et al. (2014) and the Selfish-RNN paper
// (pytorch/examples word_language_model `RNNModel`): Embedding → dropout → nlayers LSTM (dropout
// between layers) → dropout → Linear → softmax. Parameter names as PyTorch's:
// encoder.weight, rnn.weight_ih_l{k}, rnn.weight_hh_l{k}, rnn.bias_{ih,hh}_l{k}, decoder.weight,
// decoder.bias. Initialisation as the reference: encoder and decoder U(±0.1), decoder bias 0,
// LSTM U(±1/√H).
import { dropout, logSoftmax, reshape } from '../ops/index.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { LSTM } from '../nn/lstm.js';
import { Module } from '../nn/module.js';
import { globalRandom, type Random } from '../random.js';
import { IntTensor, Tensor, zeros, shapeString } from '../tensor.js';
import type { LMConfig } from './configs.js';
import type { ModelSpec } from './model-spec.js';
import { lstmGateLayout, type GateLayout } from './gate-layout.js';
import { checkModelConfig, expectState, type LanguageModel, type LMOutput, type LMState } from './language-model.js';

export class StackedLSTMModel extends Module implements LanguageModel {
  readonly encoder: Embedding;
  readonly rnn: LSTM;
  readonly decoder: Linear;
  readonly rng: Random;

  constructor(readonly config: LMConfig, rng: Random = globalRandom) {
    super();
    checkModelConfig(config, 'stacked');
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
    if ((config.initRange ?? 0) > 0) {
      for (const p of this.parameters()) {
        const v = p.data;
        for (let i = 0; i < v.length; i++) v[i] = (rng.uniform() * 2 - 1) * config.initRange!;
      }
    }
  }

  private hidden(input: IntTensor, state?: LMState): { h: Tensor; state: LMState } {
    if (input.shape.length !== 2) throw new RangeError(`selfish-rnn: the model expects input ids [T, B], got ${shapeString(input.shape)}`);
    const p = this.config.dropout;
    const opts = { training: this.training, rng: this.rng };
    const emb = dropout(this.encoder.forward(input), p, opts);
    const r = this.rnn.forward(emb, state?.map((s) => expectState(s, ['h', 'c'], 'LSTM')), { betweenLayers: (y) => dropout(y, p, opts) });
    const out = dropout(r.output, p, opts);
    const [T, B] = input.shape as [number, number];
    return { h: reshape(out, [T * B, this.config.nhid]), state: r.state };
  }

  forward(input: IntTensor, target: IntTensor, state?: LMState): LMOutput {
    const { h, state: next } = this.hidden(input, state);
    const nll = this.decoder.crossEntropy(h, target);
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

  gateLayout(paramName: string, rows: number): GateLayout | null {
    return lstmGateLayout(paramName, rows);
  }
}

// ---- the family ---------------------------------------------------------------------------------

const stackedDefaults = {
  kind: 'stacked', vocab: 0, nhidlast: 0, nExperts: 1, dropouth: 0, dropouti: 0, dropoute: 0, dropoutl: 0, wdrop: 0,
  tied: false, alpha: 0, beta: 0, batchSize: 20, bptt: 35, initRange: 0,
} as const;

// Architectures. The training recipe of each name (lr, epochs, method, ...) and its source are in
// src/train/presets.ts.
export const stackedLstmSpec: ModelSpec = {
  kind: 'stacked',
  title: 'stacked LSTM',
  presets: {
    // Zaremba et al. 2014, non-regularised small model (2×200, bptt 20, init U(±0.1)).
    'zaremba-small': { ...stackedDefaults, emsize: 200, nhid: 200, nhidlast: 200, nlayers: 2, dropout: 0, bptt: 20, lr: 1, initRange: 0.1 },
    // Zaremba medium (2×650, dropout 0.5, init U(±0.05)).
    'zaremba-medium': { ...stackedDefaults, emsize: 650, nhid: 650, nhidlast: 650, nlayers: 2, dropout: 0.5, lr: 1, initRange: 0.05 },
    // Zaremba large (2×1500, dropout 0.65, init U(±0.04)).
    'zaremba-large': { ...stackedDefaults, emsize: 1500, nhid: 1500, nhidlast: 1500, nlayers: 2, dropout: 0.65, lr: 1, initRange: 0.04 },
    // The Selfish-RNN stacked LSTM (Zaremba-large architecture, pytorch/examples init, lr 40).
    'selfish-lstm': { ...stackedDefaults, emsize: 1500, nhid: 1500, nhidlast: 1500, nlayers: 2, dropout: 0.65, lr: 40 },
    // The same recipe at CPU scale (2×200 / 2×650): the library's default and the study's model.
    'lstm-small': { ...stackedDefaults, emsize: 200, nhid: 200, nhidlast: 200, nlayers: 2, dropout: 0, lr: 20 },
    'lstm-medium': { ...stackedDefaults, emsize: 650, nhid: 650, nhidlast: 650, nlayers: 2, dropout: 0.5, lr: 20 },
  },
  // Selfish-RNN main.py evaluates validation and test with batch 20 (eval_batch_size).
  training: { evalBatchSize: 20, testBatchSize: 20 },
  create: (config, rng) => new StackedLSTMModel(config, rng),
  normalize: (c) => { c.nhidlast = c.nhid; },
  stateNames: ['h', 'c'],
  describe: (c) => `stacked LSTM, ${c.nlayers} layers × ${c.nhid}, emsize ${c.emsize}${c.tied ? ', tied' : ''}`,
  tiedAliases: (c) => (c.tied ? [['decoder.weight', 'encoder.weight']] : []),
  sizesFromStateDict: (shapes) => {
    const enc = shapes.get('encoder.weight'), hh = shapes.get('rnn.weight_hh_l0');
    if (!enc || !hh || !shapes.has('rnn.weight_ih_l0')) return null;
    let nlayers = 0;
    while (shapes.has(`rnn.weight_ih_l${nlayers}`)) nlayers++;
    return { vocab: enc[0], emsize: enc[1], nhid: hh[1], nhidlast: hh[1], nlayers };
  },
};
