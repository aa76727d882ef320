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
import { DropoutMasks, dropConnectNamed, embeddedDropoutNamed, lockedDropoutNamed } from '../nn/dropout-masks.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module, ModuleList } from '../nn/module.js';
import { activationRegularization, temporalActivationRegularization } from '../nn/regularizers.js';
import { asRecurrent } from '../nn/sparse-weight.js';
import { TiedDecoder } from '../nn/tied-decoder.js';
import { onlstmGateRows } from '../ops/onlstm.js';
import { globalRandom, type Random } from '../random.js';
import { IntTensor, Tensor, zeros } from '../tensor.js';
import type { LMConfig } from './configs.js';
import type { ModelSpec } from './model-spec.js';
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

  constructor(readonly config: LMConfig, rng: Random = globalRandom) {
    super();
    const c = config;
    checkModelConfig(c, 'onlstm', { tied: true });
    this.rng = rng;
    this.masks = new DropoutMasks(rng);
    this.sizes = [c.emsize, ...Array(c.nlayers - 1).fill(c.nhid), c.emsize];
    this.encoder = this.registerModule('encoder', new Embedding(c.vocab, c.emsize, { initRange: 0.1, rng }));
    this.rnn = this.registerModule('rnn', new ONLSTMStack(this.sizes, c.chunkSize ?? 10, rng));
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
          hh: asRecurrent(hh, (v) => dropConnectNamed(v, c.wdrop, train, this.masks, `weight.${k}`)),
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

export const onlstmSpec: ModelSpec = {
  kind: 'onlstm',
  title: 'ON-LSTM',
  presets: {
    // Selfish ON-LSTM (official ONLSTM command, ../shared/reference/selfish-rnn.md §2.3): 400 →
    // 1150 → 1150 → 400, chunks of 10, AWD regularisers, DropConnect 0.45 on hh; lr 15 is that
    // script's default (the original ON-LSTM uses 30); batch 20, bptt 70 (random, AWD-style).
    'selfish-onlstm': {
      kind: 'onlstm', vocab: 0, emsize: 400, nhid: 1150, nhidlast: 400, nlayers: 3, chunkSize: 10, nExperts: 1, dropout: 0.45,
      dropouth: 0.3, dropouti: 0.5, dropoute: 0.1, dropoutl: 0, wdrop: 0.45, tied: true, alpha: 2, beta: 1, batchSize: 20, bptt: 70, lr: 15,
    },
  },
  create: (config, rng) => new ONLSTMModel(config, rng),
  normalize: (c) => {
    c.nhidlast = c.emsize;
    // Checked here, with the configuration, rather than when the cells are built (a usage error, not a crash).
    const chunk = c.chunkSize ?? 10;
    const sizes: [string, number][] = c.nlayers > 1 ? [['emsize', c.emsize], ['nhid', c.nhid]] : [['emsize', c.emsize]];
    if (sizes.some(([, h]) => h % chunk !== 0)) {
      const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
      throw new RangeError(`selfish-rnn: the ON-LSTM chunk size ${chunk} does not divide its layer sizes (${sizes.map(([n, h]) => `${n} ${h}`).join(', ')}): give --chunk-size a divisor of ${sizes.length > 1 ? 'both' : 'it'}, e.g. ${sizes.map(([, h]) => h).reduce(gcd)}`);
    }
  },
  stateNames: ['h', 'c'],
  describe: (c) => `ON-LSTM, ${c.nlayers} layers ${[c.emsize, ...Array(c.nlayers - 1).fill(c.nhid), c.emsize].join(' → ')}, chunk ${c.chunkSize ?? 10}, tied`,
  // The official script evaluates validation with batch 10 and test with batch 1.
  training: { randomBptt: true, testBatchSize: 1 },
  tiedAliases: () => [['decoder.weight', 'encoder.weight']],
};
