// The ON-LSTM language model (Shen et al. 2019, official `ONLSTM/model.py` + `ON_LSTM.py`, as run
// by the Selfish-RNN ONLSTM script), on the fused ON-LSTM layer (src/ops/onlstm.ts):
//
//   emb    = embedding(input) with word dropout dropoute, then locked dropout dropouti
//   layers = sizes [emsize] + [nhid]·(nlayers−1) + [emsize]; each cell: ih (Linear) and hh
//            (LinearDropConnect: an unscaled {0,1} mask wdrop per forward in training, weight·(1−p)
//            at evaluation); locked dropout dropouth between layers
//   output = locked dropout `dropout` on the last layer's raw output; logits = decoder (tied)
//   loss   = mean cross-entropy + α·mean(raw²) + β·mean((raw_t − raw_{t−1})²)
// AR is taken on the last layer's *raw* output, as the official ON-LSTM does (its stack returns
// the last layer undropped in `outputs`), not on the dropped one as AWD-LSTM does.
//
// Parameter names as PyTorch's: encoder.weight, rnn.cells.{k}.ih.0.weight / .bias,
// rnn.cells.{k}.hh.weight / .bias, decoder.bias (decoder.weight is encoder.weight). Gate rows of
// ih and hh: [0, C) master input, [C, 2C) master forget (C = H / chunk), then o, g (cell), i, f.
import { add, logSoftmax, onlstmLayer, reshape } from '../ops/index.js';
import { DropoutMasks, embeddedDropoutNamed, lockedDropoutNamed, weightDropNamed } from '../nn/dropout-masks.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module, ModuleList } from '../nn/module.js';
import { activationRegularization, temporalActivationRegularization } from '../nn/regularizers.js';
import { asRecurrent } from '../nn/sparse-weight.js';
import { TiedDecoder } from '../nn/tied-decoder.js';
import { onlstmGateRows } from '../ops/onlstm.js';
import { globalRandom, type Random } from '../random.js';
import { IntTensor, Tensor, zeros } from '../tensor.js';
import { field } from '../config/fields.js';
import { commonFields, MAX_WIDTH } from './common-fields.js';
import { defineModelFamily, type ModelConfig } from './family.js';
import { gateBlocks, type GateLayout } from './gate-layout.js';
import { checkForwardArgs, checkModelConfig, expectState, type LanguageModel, type LMOutput, type LMState } from './language-model.js';

/** One ON-LSTM cell's weights: ih (in a one-element list, as PyTorch's nn.Sequential) and hh. */
class ONLSTMCell extends Module {
  readonly ih: ModuleList<Linear>;
  readonly hh: Linear;

  constructor(readonly inputSize: number, readonly hiddenSize: number, readonly chunkSize: number, rng: Random) {
    super();
    if (hiddenSize % chunkSize !== 0) throw new RangeError(`selfish-rnn: ON-LSTM layer size ${hiddenSize} is not a multiple of the chunk size ${chunkSize}`);
    const G = onlstmGateRows(hiddenSize, chunkSize);
    this.ih = this.registerModule('ih', new ModuleList([new Linear(inputSize, G, { rng })]));
    this.hh = this.registerModule('hh', new Linear(hiddenSize, G, { rng }));
  }
}

class ONLSTMStack extends Module {
  readonly cells: ModuleList<ONLSTMCell>;

  constructor(sizes: number[], chunkSize: number, rng: Random) {
    super();
    this.cells = this.registerModule('cells', new ModuleList(sizes.slice(1).map((h, k) => new ONLSTMCell(sizes[k]!, h, chunkSize, rng))));
  }
}

export class ONLSTMModel extends Module implements LanguageModel {
  readonly encoder: Embedding;
  readonly rnn: ONLSTMStack;
  readonly decoder: TiedDecoder;
  readonly rng: Random;
  /** Every dropout mask is drawn here, by name: 'embedding', 'input', 'weight.{k}', 'hidden.{k}', 'output'. */
  readonly masks: DropoutMasks;
  readonly sizes: number[];

  constructor(readonly config: ONLSTMConfig, rng: Random = globalRandom) {
    super();
    const c = config;
    checkModelConfig(c);
    this.rng = rng;
    this.masks = new DropoutMasks(rng);
    this.sizes = [c.emsize, ...Array(c.nlayers - 1).fill(c.nhid), c.emsize];
    this.encoder = this.registerModule('encoder', new Embedding(c.vocab, c.emsize, { initRange: 0.1, rng }));
    this.rnn = this.registerModule('rnn', new ONLSTMStack(this.sizes, c.chunkSize, rng));
    this.decoder = this.registerModule('decoder', new TiedDecoder(this.encoder, c.vocab));
  }

  private run(input: IntTensor, state?: LMState) {
    const c = this.config;
    const [T, B] = checkForwardArgs(input, state, c.nlayers);
    const train = this.training;
    let x = embeddedDropoutNamed(this.encoder.forward(input), input, c.vocab, c.dropoute, train, this.masks);
    x = lockedDropoutNamed(x, c.dropouti, train, this.masks, 'input');
    const next: LMState = [];
    let raw = x;
    this.rnn.cells.items.forEach((cell, k) => {
      const hh = cell.hh.weight;
      const r = onlstmLayer(
        x,
        {
          ih: cell.ih.at(0).weight,
          hh: asRecurrent(hh, (v) => weightDropNamed(v, c.wdrop, train, this.masks, `weight.${k}`)),
          bIh: cell.ih.at(0).bias!,
          bHh: cell.hh.bias!,
        },
        cell.chunkSize,
        state ? expectState(state[k]!, ['h', 'c'], 'ON-LSTM') : undefined,
      );
      raw = r.output;
      next.push({ h: r.h, c: r.c });
      x = k < c.nlayers - 1 ? lockedDropoutNamed(raw, c.dropouth, train, this.masks, `hidden.${k}`) : raw;
    });
    const output = lockedDropoutNamed(raw, c.dropout, train, this.masks, 'output');
    return { flat: reshape(output, [T * B, c.emsize]), raw, next, T };
  }

  forward(input: IntTensor, target: IntTensor, state?: LMState): LMOutput {
    const c = this.config;
    const r = this.run(input, state);
    const nll = this.decoder.crossEntropy(r.flat, target);
    let loss = nll;
    if (c.alpha !== 0) loss = add(loss, activationRegularization(r.raw, c.alpha));
    if (c.beta !== 0 && r.T > 1) loss = add(loss, temporalActivationRegularization(r.raw, c.beta));
    return { loss, nll, state: r.next };
  }

  logProbs(input: IntTensor, state?: LMState): { logProbs: Tensor; state: LMState } {
    const r = this.run(input, state);
    return { logProbs: logSoftmax(this.decoder.forward(r.flat)), state: r.next };
  }

  initState(batchSize: number): LMState {
    return this.sizes.slice(1).map((h) => ({ h: zeros([batchSize, h], { persistent: true }), c: zeros([batchSize, h], { persistent: true }) }));
  }

  /** ih and hh of cell k: master input and master forget gates (H/chunk rows each), then o, g, i, f (H rows each). */
  gateLayout(paramName: string, rows: number): GateLayout | null {
    const m = /^rnn\.cells\.(\d+)\.(ih\.0|hh)\.weight$/.exec(paramName);
    const cell = m ? this.rnn.cells.items[Number(m[1])] : undefined;
    if (cell === undefined) return null;
    const H = cell.hiddenSize, C = H / cell.chunkSize;
    if (rows !== onlstmGateRows(H, cell.chunkSize)) return null;
    return gateBlocks([['master_i', C], ['master_f', C], ['o', H], ['g', H], ['i', H], ['f', H]]);
  }
}

// ---- the family ---------------------------------------------------------------------------------

export const onlstmFields = {
  emsize: { ...commonFields.emsize, default: 400 },
  nhid: { ...commonFields.nhid, default: 1150 },
  nlayers: { ...commonFields.nlayers, default: 3 },
  chunkSize: field.int({ min: 1, max: MAX_WIDTH, default: 10, help: 'units per master-gate chunk (ON-LSTM); must divide --nhid and --emsize' }),
  dropout: commonFields.dropout,
  dropouth: commonFields.dropouth,
  dropouti: commonFields.dropouti,
  dropoute: commonFields.dropoute,
  wdrop: commonFields.wdrop,
  alpha: commonFields.alpha,
  beta: commonFields.beta,
} as const;

export type ONLSTMConfig = ModelConfig<typeof onlstmFields>;

export const onlstm = defineModelFamily({
  name: 'onlstm',
  title: 'ON-LSTM',
  fields: onlstmFields,
  // The official script: random BPTT around 70, validation batch 10, test batch 1.
  recipe: { batchSize: 20, bptt: 70, randomBptt: true, evalBatchSize: 10, testBatchSize: 1 },
  presets: {
    // 400 → 1150 → 1150 → 400, chunks of 10, AWD regularisers, DropConnect 0.45 on hh; lr 15 is that
    // script's default (the original ON-LSTM uses 30) (../shared/reference/selfish-rnn.md §2.3).
    'selfish-onlstm': {
      config: { emsize: 400, nhid: 1150, nlayers: 3, chunkSize: 10, dropout: 0.45, dropouth: 0.3, dropouti: 0.5, dropoute: 0.1, wdrop: 0.45, alpha: 2, beta: 1 },
      source: 'Selfish-RNN README, ON-LSTM: --sparse --optimizer sgd --growth random --death magnitude --redistribution none --density 0.45 --death-rate 0.5 --batch_size 20 --dropout 0.45 --dropouth 0.3 --dropouti 0.5 --nonmono 5 --wdrop 0.45 --chunk_size 10 --seed 141 --epoch 1000 (lr 15, clip 0.25, bptt 70 random; valid batch 10, test batch 1). Published 58.17/56.31 (the finetuning restarts at epochs 500/1000 are not reproduced)',
      recipe: { method: 'selfish', density: 0.45, sparseInit: 'uniform', deathRate: 0.5, optimizer: 'sgd', lr: 15, clip: 0.25, nonmono: 5, epochs: 1000, seed: 141, wdecay: 1.2e-6 },
      published: { valid: 58.17, test: 56.31, what: 'Selfish-RNN README, ON-LSTM at density 0.45 (1000 epochs)' },
    },
  },
  create: (config, rng) => new ONLSTMModel(config, rng),
  // A rule between fields, checked with the configuration (a usage error, not a crash when the cells are built).
  check: (c) => {
    const sizes: [string, number][] = c.nlayers > 1 ? [['emsize', c.emsize], ['nhid', c.nhid]] : [['emsize', c.emsize]];
    if (sizes.every(([, h]) => h % c.chunkSize === 0)) return null;
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    return `the ON-LSTM chunk size ${c.chunkSize} does not divide its layer sizes (${sizes.map(([n, h]) => `${n} ${h}`).join(', ')}): give --chunk-size a divisor of ${sizes.length > 1 ? 'both' : 'it'}, e.g. ${sizes.map(([, h]) => h).reduce(gcd)}`;
  },
  stateNames: ['h', 'c'],
  describe: (c) => `ON-LSTM, ${c.nlayers} layers ${c.nlayers <= 8 ? [c.emsize, ...Array(c.nlayers - 1).fill(c.nhid), c.emsize].join(' → ') : `${c.emsize} → ${c.nhid} ×${c.nlayers - 1} → ${c.emsize}`}, chunk ${c.chunkSize}, tied`,
  exportAliases: () => [['decoder.weight', 'encoder.weight']],
  weightShapes: (c) => {
    const E = c.emsize, H = c.nhid, L = c.nlayers, rows = (h: number) => onlstmGateRows(h, c.chunkSize);
    const cells: { name: string; rows: number; cols: number; count?: number; role: 'recurrent' }[] = L === 1
      ? [{ name: 'rnn.cells.0.ih.0.weight', rows: rows(E), cols: E, role: 'recurrent' }, { name: 'rnn.cells.0.hh.weight', rows: rows(E), cols: E, role: 'recurrent' }]
      : [
        { name: 'rnn.cells.0.ih.0.weight', rows: rows(H), cols: E, role: 'recurrent' },
        { name: 'rnn.cells.{k}.ih.0.weight', rows: rows(H), cols: H, count: L - 2, role: 'recurrent' },
        { name: 'rnn.cells.{k}.hh.weight', rows: rows(H), cols: H, count: L - 1, role: 'recurrent' },
        { name: `rnn.cells.${L - 1}.ih.0.weight`, rows: rows(E), cols: H, role: 'recurrent' },
        { name: `rnn.cells.${L - 1}.hh.weight`, rows: rows(E), cols: E, role: 'recurrent' },
      ];
    return [{ name: 'encoder.weight', rows: c.vocab, cols: E, role: 'embedding' }, ...cells, { name: 'decoder.weight', rows: c.vocab, cols: E, role: 'output', tied: true }];
  },
});
