// The stacked LSTM language model of Zaremba et al. (2014) and the Selfish-RNN paper
// (pytorch/examples word_language_model `RNNModel`): Embedding → dropout → nlayers LSTM (dropout
// between layers) → dropout → Linear → softmax. Parameter names as PyTorch's:
// encoder.weight, rnn.weight_ih_l{k}, rnn.weight_hh_l{k}, rnn.bias_{ih,hh}_l{k}, decoder.weight,
// decoder.bias. Initialisation as the reference: encoder and decoder U(±0.1), decoder bias 0,
// LSTM U(±1/√H).
import { dropout, reshape } from '../ops/index.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { LSTM, LSTMStep } from '../nn/lstm.js';
import { globalRandom, type Random } from '../random.js';
import { IntTensor, Tensor, zeros, shapeString } from '../tensor.js';
import { field } from '../config/fields.js';
import { commonFields } from './common-fields.js';
import { defineModelFamily, type ModelConfig } from './family.js';
import { rnnLMSizesFromStateDict, rnnLMWeightShapes, zarembaRecipe } from './torch-rnn-lm.js';
import { lstmGateLayout, type GateLayout } from './gate-layout.js';
import { checkModelConfig, expectState, type LMState } from './language-model.js';
import { SoftmaxLanguageModel, type SoftmaxHead } from './softmax-lm.js';
import { EmbeddingStep, SoftmaxStepHead, checkStepIds, type Stepper, type StepperOptions } from './stepper.js';

export class StackedLSTMModel extends SoftmaxLanguageModel {
  readonly encoder: Embedding;
  readonly rnn: LSTM;
  readonly decoder: Linear;
  readonly rng: Random;

  constructor(readonly config: StackedConfig, rng: Random = globalRandom) {
    super();
    checkModelConfig(config);
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

  protected hidden(input: IntTensor, state?: LMState): { h: Tensor; state: LMState } {
    if (input.shape.length !== 2) throw new RangeError(`selfish-rnn: the model expects input ids [T, B], got ${shapeString(input.shape)}`);
    const p = this.config.dropout;
    const opts = { training: this.training, rng: this.rng };
    const emb = dropout(this.encoder.forward(input), p, opts);
    const r = this.rnn.forward(emb, state?.map((s) => expectState(s, ['h', 'c'], 'LSTM')), { betweenLayers: (y) => dropout(y, p, opts) });
    const out = dropout(r.output, p, opts);
    const [T, B] = input.shape as [number, number];
    return { h: reshape(out, [T * B, this.config.nhid]), state: r.state };
  }

  protected get head(): SoftmaxHead {
    return this.decoder;
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

  createStepper(opts: StepperOptions & { batch: number }): Stepper {
    return new StackedLSTMStepper(this, opts);
  }
}

/** Embedding → LSTM layers → decoder, one token per step on preallocated buffers (./stepper.ts). */
class StackedLSTMStepper implements Stepper {
  readonly batch: number;
  readonly vocab: number;
  private readonly emb: EmbeddingStep;
  private readonly rnn: LSTMStep;
  private readonly head: SoftmaxStepHead;

  constructor(model: StackedLSTMModel, opts: StepperOptions & { batch: number }) {
    this.batch = opts.batch;
    this.vocab = model.config.vocab;
    this.emb = new EmbeddingStep(model.encoder.weight, opts.batch);
    this.rnn = new LSTMStep(model.rnn, opts.batch);
    this.head = new SoftmaxStepHead(model.decoder.weight, model.decoder.bias, opts.batch);
  }

  step(ids: ArrayLike<number>): Float32Array {
    checkStepIds(ids, this.batch, this.vocab);
    return this.head.forward(this.rnn.step(this.emb.forward(ids)));
  }

  reset(): void {
    this.rnn.reset();
  }

  get bytesPerStep(): number {
    return this.rnn.bytesPerStep + this.head.bytesPerStep;
  }

  dispose(): void {
    this.emb.dispose();
    this.rnn.dispose();
    this.head.dispose();
  }
}

// ---- the family ---------------------------------------------------------------------------------

export const stackedFields = {
  emsize: commonFields.emsize,
  nhid: commonFields.nhid,
  nlayers: commonFields.nlayers,
  dropout: commonFields.dropout,
  initRange: field.number({ min: 0, max: 1, openMax: true, default: 0, help: "initialise every parameter U(±r), as Zaremba et al.; 0: PyTorch's own initialisation" }),
} as const;

export type StackedConfig = ModelConfig<typeof stackedFields>;

// The Selfish-RNN stacked-LSTM recipe (SGD then (SNT-)ASGD).
const selfishRecipe = { optimizer: 'sgd', lr: 20, clip: 0.25, nonmono: 5 };

export const stackedLstm = defineModelFamily({
  name: 'stacked',
  title: 'stacked LSTM',
  fields: stackedFields,
  // Selfish-RNN main.py: batch 20, bptt 35, validation and test with batch 20 (eval_batch_size).
  recipe: { batchSize: 20, bptt: 35, evalBatchSize: 20, testBatchSize: 20 },
  presets: {
    'zaremba-small': {
      config: { emsize: 200, nhid: 200, nlayers: 2, dropout: 0, initRange: 0.1 },
      source: 'Zaremba et al. 2014 (non-regularised small), TensorFlow PTB tutorial SmallConfig: 2×200, init 0.1, lr 1 on the loss summed over the 20 steps (= lr 20 on our per-token mean), 13 epochs (×0.5 per epoch after 4), clip 5 (= 0.25 on the mean), bptt 20, batch 20; test batch 1. Published val/test 120.7/114.5',
      recipe: zarembaRecipe({ epochs: 13, decayAfter: 4, lrDecay: 0.5, clip: 5, bptt: 20 }),
      published: { valid: 120.7, test: 114.5, what: 'Zaremba et al. 2014, non-regularised LSTM (small)' },
    },
    'zaremba-medium': {
      config: { emsize: 650, nhid: 650, nlayers: 2, dropout: 0.5, initRange: 0.05 },
      source: 'Zaremba et al. 2014 (medium), TF PTB tutorial MediumConfig: 2×650, dropout 0.5, init 0.05, lr 1 on the loss summed over 35 steps (= 35 on our mean), 39 epochs (×0.8 after 6), clip 5 (= 5/35 on the mean), bptt 35. Published 86.2/82.7',
      recipe: zarembaRecipe({ epochs: 39, decayAfter: 6, lrDecay: 0.8, clip: 5, bptt: 35 }),
      published: { valid: 86.2, test: 82.7, what: 'Zaremba et al. 2014, medium regularised LSTM' },
    },
    'zaremba-large': {
      config: { emsize: 1500, nhid: 1500, nlayers: 2, dropout: 0.65, initRange: 0.04 },
      source: 'Zaremba et al. 2014 (large), TF PTB tutorial LargeConfig: 2×1500, dropout 0.65, init 0.04, lr 1 on the loss summed over 35 steps (= 35 on our mean), 55 epochs (×1/1.15 after 14), clip 10 (= 10/35 on the mean), bptt 35. Published 82.2/78.4',
      recipe: zarembaRecipe({ epochs: 55, decayAfter: 14, lrDecay: 1 / 1.15, clip: 10, bptt: 35 }),
      published: { valid: 82.2, test: 78.4, what: 'Zaremba et al. 2014, large regularised LSTM' },
    },
    'selfish-lstm': {
      config: { emsize: 1500, nhid: 1500, nlayers: 2, dropout: 0.65 },
      source: 'Selfish-RNN README, stacked LSTM: --sparse --sparse_init uniform --optimizer sgd --growth random --death magnitude --redistribution none --nonmono 5 --batch_size 20 --bptt 35 --lr 40 --clip 0.25 --seed 1111 --emsize 1500 --nhid 1500 --nlayers 2 --death-rate 0.8 --dropout 0.65 --density 0.33 --epochs 100; main.py evaluates valid and test with batch 20. Published 73.79/71.65',
      recipe: { ...selfishRecipe, method: 'selfish', density: 0.33, sparseInit: 'uniform', deathRate: 0.8, lr: 40, epochs: 100, seed: 1111, wdecay: 1.2e-6 },
      published: { valid: 73.79, test: 71.65, what: 'Selfish-RNN README, stacked LSTM at density 0.33' },
    },
    'lstm-small': {
      config: { emsize: 200, nhid: 200, nlayers: 2, dropout: 0 },
      source: 'The Selfish-RNN stacked-LSTM recipe (SGD then (SNT-)ASGD, clip 0.25, eval batch 20) at 2×200, lr 20: the CPU-scale default of this library (not a published configuration)',
      recipe: selfishRecipe,
    },
    'lstm-medium': {
      config: { emsize: 650, nhid: 650, nlayers: 2, dropout: 0.5 },
      source: 'The Selfish-RNN stacked-LSTM recipe at 2×650, dropout 0.5, lr 20 (not a published configuration)',
      recipe: selfishRecipe,
    },
  },
  create: (config, rng) => new StackedLSTMModel(config, rng),
  stateNames: ['h', 'c'],
  describe: (c) => `stacked LSTM, ${c.nlayers} layers × ${c.nhid}, emsize ${c.emsize}`,
  sizesFromStateDict: (shapes) => rnnLMSizesFromStateDict(shapes, 4),
  weightShapes: (c) => rnnLMWeightShapes(c, 4),
});
