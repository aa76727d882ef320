// The Recurrent Highway Network language model of the Selfish-RNN paper (official `models.RHN`
// with `--tied --couple`; Zilly et al. 2017), on the fused RHN layer (src/ops/rhn.ts):
//
//   emb    = embedding(input) with word dropout dropoute, then locked dropout dropouti
//   per layer: RecurrentHighway (block 0: W [2H, I] + R_0; blocks 1…depth−1: R_l [2H, H]; coupled
//            carry c = 1 − t), one variational hidden mask dropouth [B, H] per sequence shared by
//            every step and depth, then locked output dropout `dropout`
//   logits = fc1(out) with fc1.weight tied to embedding.weight; loss = mean cross-entropy
//
// Parameter names as PyTorch's: embedding.weight, rnns.{k}.highways.0.W.weight / .bias,
// rnns.{k}.highways.{l}.R.weight / .bias, fc1.bias (fc1.weight is embedding.weight). Each 2H-row
// matrix stacks the H half (rows [0, H)) over the T half (rows [H, 2H)); sparse training prunes
// the whole matrix, so the halves compete (the paper's gate redistribution).
// The official code passes one hidden state through all layers; here each layer has its own
// (identical for the published one-layer model).
import { reshape, rhnLayer } from '../ops/index.js';
import { DropoutMasks, embeddedDropoutNamed, lockedDropoutNamed } from '../nn/dropout-masks.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module, ModuleList } from '../nn/module.js';
import { TiedDecoder } from '../nn/tied-decoder.js';
import { globalRandom, type Random } from '../random.js';
import { IntTensor, Tensor, tensor, zeros } from '../tensor.js';
import { field } from '../config/fields.js';
import { commonFields } from './common-fields.js';
import { defineModelFamily, type ModelConfig } from './family.js';
import { gateBlocks, type GateLayout } from './gate-layout.js';
import { checkForwardArgs, checkModelConfig, expectState, type LMState } from './language-model.js';
import { SoftmaxLanguageModel, type SoftmaxHead } from './softmax-lm.js';

/** One highway block: W (block 0 only) and R, each a Linear to 2H with a bias (PyTorch init). */
class HighwayBlock extends Module {
  readonly W: Linear | null;
  readonly R: Linear;

  constructor(inFeatures: number, hidden: number, first: boolean, rng: Random) {
    super();
    this.W = first ? this.registerModule('W', new Linear(inFeatures, 2 * hidden, { rng })) : null;
    this.R = this.registerModule('R', new Linear(hidden, 2 * hidden, { rng }));
  }
}

/** A recurrent highway layer: `depth` blocks applied at every step. */
class RecurrentHighway extends Module {
  readonly highways: ModuleList<HighwayBlock>;

  constructor(readonly inFeatures: number, readonly hidden: number, depth: number, rng: Random) {
    super();
    this.highways = this.registerModule('highways', new ModuleList(Array.from({ length: depth }, (_, l) => new HighwayBlock(inFeatures, hidden, l === 0, rng))));
  }

  forward(x: Tensor, s0: Tensor | undefined, mask: Tensor | undefined): { output: Tensor; s: Tensor } {
    const blocks = this.highways.items;
    const W = blocks[0]!.W!;
    return rhnLayer(x, { w: W.weight, bW: W.bias!, r: blocks.map((b) => b.R.weight), bR: blocks.map((b) => b.R.bias!) }, s0, mask);
  }
}

export class RHNModel extends SoftmaxLanguageModel {
  readonly embedding: Embedding;
  readonly rnns: ModuleList<RecurrentHighway>;
  readonly fc1: TiedDecoder;
  readonly rng: Random;
  /** Every dropout mask is drawn here, by name: 'embedding', 'input', 'hidden.{k}', 'output.{k}'. */
  readonly masks: DropoutMasks;

  constructor(readonly config: RHNConfig, rng: Random = globalRandom) {
    super();
    const c = config;
    checkModelConfig(c);
    const depth = c.depth;
    this.rng = rng;
    this.masks = new DropoutMasks(rng);
    this.embedding = this.registerModule('embedding', new Embedding(c.vocab, c.emsize, { initRange: 0.1, rng }));
    // Tied: the last layer's width is the embedding size (as the official constructor does).
    const widths = Array.from({ length: c.nlayers }, (_, k) => (k === c.nlayers - 1 ? c.emsize : c.nhid));
    this.rnns = this.registerModule('rnns', new ModuleList(widths.map((h, k) => new RecurrentHighway(k === 0 ? c.emsize : widths[k - 1]!, h, depth, rng))));
    this.fc1 = this.registerModule('fc1', new TiedDecoder(this.embedding, c.vocab));
  }

  protected hidden(input: IntTensor, state?: LMState): { h: Tensor; state: LMState } {
    const c = this.config;
    const [T, B] = checkForwardArgs(input, state, c.nlayers);
    const train = this.training;
    let x = embeddedDropoutNamed(this.embedding.forward(input), input, c.vocab, c.dropoute, train, this.masks);
    x = lockedDropoutNamed(x, c.dropouti, train, this.masks, 'input');
    const next: LMState = [];
    for (let k = 0; k < c.nlayers; k++) {
      const layer = this.rnns.at(k);
      const mask = train && c.dropouth > 0 ? tensor(this.masks.draw(`hidden.${k}`, B * layer.hidden, c.dropouth), [B, layer.hidden]) : undefined;
      const r = layer.forward(x, state ? expectState(state[k]!, ['s'], 'RHN').s : undefined, mask);
      next.push({ s: r.s });
      x = lockedDropoutNamed(r.output, c.dropout, train, this.masks, `output.${k}`);
    }
    return { h: reshape(x, [T * B, c.emsize]), state: next };
  }

  protected get head(): SoftmaxHead {
    return this.fc1;
  }

  initState(batchSize: number): LMState {
    return this.rnns.items.map((layer) => ({ s: zeros([batchSize, layer.hidden], { persistent: true }) }));
  }

  /** Every W and R: the H half (rows [0, H)) over the T half (rows [H, 2H)). */
  gateLayout(paramName: string, rows: number): GateLayout | null {
    if (!/^rnns\.\d+\.highways\.\d+\.(W|R)\.weight$/.test(paramName) || rows % 2 !== 0) return null;
    return gateBlocks([['H', rows / 2], ['T', rows / 2]]);
  }
}

// ---- the family ---------------------------------------------------------------------------------

export const rhnFields = {
  emsize: { ...commonFields.emsize, default: 830 },
  nhid: { ...commonFields.nhid, default: 830 },
  nlayers: { ...commonFields.nlayers, default: 1 },
  depth: field.int({ min: 1, max: 1024, default: 10, help: 'recurrence depth: highway blocks per time step (RHN)' }),
  dropout: commonFields.dropout,
  dropouth: commonFields.dropouth,
  dropouti: commonFields.dropouti,
  dropoute: commonFields.dropoute,
} as const;

export type RHNConfig = ModelConfig<typeof rhnFields>;

export const rhn = defineModelFamily({
  name: 'rhn',
  title: 'RHN',
  fields: rhnFields,
  // Selfish-RNN main.py: batch 20, bptt 35, validation and test with batch 20 (eval_batch_size).
  recipe: { batchSize: 20, bptt: 35, evalBatchSize: 20, testBatchSize: 20 },
  presets: {
    // Depth 10, 830 units, tied, coupled carry; dropout = output, dropouth = hidden (variational),
    // dropouti = input, dropoute = embedding words (../shared/reference/selfish-rnn.md §2.2).
    'selfish-rhn': {
      config: { emsize: 830, nhid: 830, nlayers: 1, depth: 10, dropout: 0.65, dropouth: 0.25, dropouti: 0.65, dropoute: 0.2 },
      source: 'Selfish-RNN README, RHN: --model RHN --tied --couple --seed 42 --nlayers 1 --density 0.472 --death-rate 0.5 --clip 0.25 --lr 15 --epochs 500 --dropout 0.65 --dropouth 0.25 --dropouti 0.65 --dropoute 0.2 --emsize 830 --nhid 830 (bptt 35, batch 20, nonmono 5, wd 1.2e-6; main.py evaluates with batch 20). Published 62.10/60.35',
      recipe: { method: 'selfish', density: 0.472, sparseInit: 'uniform', deathRate: 0.5, optimizer: 'sgd', lr: 15, clip: 0.25, nonmono: 5, epochs: 500, seed: 42, wdecay: 1.2e-6 },
      published: { valid: 62.10, test: 60.35, what: 'Selfish-RNN README, RHN at density 0.472' },
    },
  },
  create: (config, rng) => new RHNModel(config, rng),
  stateNames: ['s'],
  describe: (c) => `RHN, ${c.nlayers} layer${c.nlayers > 1 ? 's' : ''} × ${c.nhid}, recurrence depth ${c.depth}, emsize ${c.emsize}, tied, coupled carry`,
  exportAliases: () => [['fc1.weight', 'embedding.weight']],
  weightShapes: (c) => {
    // Layer k has width nhid, the last one emsize (tied decoder); W in block 0, R in every block.
    const L = c.nlayers, E = c.emsize, H = c.nhid;
    const shapes: { name: string; rows: number; cols: number; count?: number; role: 'recurrent' }[] = L === 1
      ? [{ name: 'rnns.0.highways.0.W.weight', rows: 2 * E, cols: E, role: 'recurrent' }, { name: 'rnns.0.highways.{d}.R.weight', rows: 2 * E, cols: E, count: c.depth, role: 'recurrent' }]
      : [
        { name: 'rnns.0.highways.0.W.weight', rows: 2 * H, cols: E, role: 'recurrent' },
        { name: 'rnns.{k}.highways.0.W.weight', rows: 2 * H, cols: H, count: L - 2, role: 'recurrent' },
        { name: 'rnns.{k}.highways.{d}.R.weight', rows: 2 * H, cols: H, count: (L - 1) * c.depth, role: 'recurrent' },
        { name: `rnns.${L - 1}.highways.0.W.weight`, rows: 2 * E, cols: H, role: 'recurrent' },
        { name: `rnns.${L - 1}.highways.{d}.R.weight`, rows: 2 * E, cols: E, count: c.depth, role: 'recurrent' },
      ];
    return [{ name: 'embedding.weight', rows: c.vocab, cols: E, role: 'embedding' }, ...shapes, { name: 'fc1.weight', rows: c.vocab, cols: E, role: 'output', tied: true }];
  },
});
