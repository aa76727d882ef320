// A GRU language model, written on the public API alone as a user's family would be: this file
// imports nothing but ../api.js (the package entry's API; test/registry.test.ts checks it).
// The model is pytorch/examples word_language_model `RNNModel('GRU', …)`: Embedding → dropout →
// nlayers GRU (dropout between layers) → dropout → Linear. Parameter names as PyTorch's, so an
// export loads into that model with strict=True: encoder.weight, rnn.weight_ih_l{k} [3H, in],
// rnn.weight_hh_l{k} [3H, H], rnn.bias_ih_l{k}, rnn.bias_hh_l{k} [3H], decoder.weight,
// decoder.bias. Initialisation as the reference: encoder and decoder U(±0.1), decoder bias 0, GRU
// U(±1/√H).
//
// The cell (torch.nn.GRU; gates r, z, n stacked in that order, H rows each), per time step:
//   r  = σ(W_ir x + b_ir + W_hr h + b_hr)
//   z  = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//   h' = (1 − z) ⊙ n + z ⊙ h  =  n + z ⊙ (h − n)
// Every product goes through `linear`, which takes a dense or a CSR weight alike, so the sparse
// engine makes both matrices CSR and every sparse method trains them.
import {
  Embedding, IntTensor, Linear, Module, SoftmaxLanguageModel, Tensor, add, checkForwardArgs, checkModelConfig, commonFields, concat, defineModelFamily,
  dropout, expectState, field, gateBlocks, globalRandom, linear, mul, rand, reshape, rnnLMSizesFromStateDict, rnnLMWeightShapes, zarembaRecipe, sigmoid, slice, sub,
  tanh, weightOperator, zeros, type GateLayout, type LMState, type ModelConfig, type Random, type SoftmaxHead, type Weight, type WeightLike,
} from '../api.js';

export interface GruWeights {
  /** Input-to-hidden weight [3H, I] (rows r, z, n): dense, CSR, or a weight operator. */
  ih: WeightLike;
  /** Hidden-to-hidden weight [3H, H]. */
  hh: WeightLike;
  bIh: Tensor;
  bHh: Tensor;
}

export interface GruResult {
  /** Every hidden state, [T, B, H]. */
  output: Tensor;
  /** The last hidden state [B, H] (with autodiff history: detach it to carry it across batches). */
  h: Tensor;
}

/** One GRU layer over a sequence: x [T, B, I], h0 [B, H] (default zeros). */
export function gruLayer(x: Tensor, w: GruWeights, h0?: Tensor | null): GruResult {
  if (x.rank !== 3) throw new RangeError(`selfish-rnn: gruLayer: x must be [T, B, I], got [${x.shape.join(', ')}]`);
  const [T, B, I] = x.shape as [number, number, number];
  const ih = weightOperator(w.ih), hh = weightOperator(w.hh);
  const H = hh.cols;
  if (hh.rows !== 3 * H) throw new RangeError(`selfish-rnn: gruLayer: W_hh must be [3H, H], got [${hh.rows}, ${hh.cols}]`);
  if (ih.rows !== 3 * H || ih.cols !== I) throw new RangeError(`selfish-rnn: gruLayer: W_ih must be [3H, I] = [${3 * H}, ${I}] for x [${x.shape.join(', ')}] and H = ${H}, got [${ih.rows}, ${ih.cols}]`);
  if (h0 && (h0.rank !== 2 || h0.shape[0] !== B || h0.shape[1] !== H)) throw new RangeError(`selfish-rnn: gruLayer: h0 must be [${B}, ${H}], got [${h0.shape.join(', ')}]`);
  // The input side of every step at once: [T·B, 3H].
  const gi = linear(reshape(x, [T * B, I]), ih, w.bIh);
  let h = h0 ?? zeros([B, H]);
  const outs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const gx = slice(gi, 0, t * B, (t + 1) * B);
    const gh = linear(h, hh, w.bHh);
    const rz = sigmoid(add(slice(gx, 1, 0, 2 * H), slice(gh, 1, 0, 2 * H)));
    const r = slice(rz, 1, 0, H), z = slice(rz, 1, H, 2 * H);
    const n = tanh(add(slice(gx, 1, 2 * H, 3 * H), mul(r, slice(gh, 1, 2 * H, 3 * H))));
    h = add(n, mul(z, sub(h, n)));
    outs.push(h);
  }
  return { output: reshape(concat(outs, 0), [T, B, H]), h };
}

/** A persistent U(±bound) parameter. */
const uniform = (shape: number[], bound: number, rng: Random) => rand(shape, -bound, bound, { rng, requiresGrad: true, persistent: true });

/** `numLayers` GRU layers with torch.nn.GRU's parameter names and initialisation. */
export class GRU extends Module {
  constructor(readonly inputSize: number, readonly hiddenSize: number, readonly numLayers = 1, opts: { rng?: Random } = {}) {
    super();
    const rng = opts.rng ?? globalRandom, H = hiddenSize, bound = 1 / Math.sqrt(H);
    for (let k = 0; k < numLayers; k++) {
      this.registerWeight(`weight_ih_l${k}`, uniform([3 * H, k === 0 ? inputSize : H], bound, rng));
      this.registerWeight(`weight_hh_l${k}`, uniform([3 * H, H], bound, rng));
      this.registerWeight(`bias_ih_l${k}`, uniform([3 * H], bound, rng));
      this.registerWeight(`bias_hh_l${k}`, uniform([3 * H], bound, rng));
    }
  }

  /** The weights of layer k. */
  layer(k: number): GruWeights {
    return {
      ih: this.getWeight(`weight_ih_l${k}`), hh: this.getWeight(`weight_hh_l${k}`),
      bIh: this.getWeight(`bias_ih_l${k}`) as Tensor, bHh: this.getWeight(`bias_hh_l${k}`) as Tensor,
    };
  }

  /**
   * x [T, B, I] → the last layer's output [T, B, H] and each layer's last h (detached, for the next
   * batch); `betweenLayers` is applied to each layer's output that feeds another layer.
   */
  forward(x: Tensor, h0?: readonly Tensor[], betweenLayers?: (y: Tensor) => Tensor): { output: Tensor; h: Tensor[] } {
    if (x.rank !== 3 || x.shape[2] !== this.inputSize) throw new RangeError(`selfish-rnn: GRU expects input [T, B, ${this.inputSize}], got [${x.shape.join(', ')}]`);
    const last: Tensor[] = [];
    let y = x;
    for (let k = 0; k < this.numLayers; k++) {
      const r = gruLayer(k === 0 || !betweenLayers ? y : betweenLayers(y), this.layer(k), h0?.[k]);
      last.push(r.h.detach());
      y = r.output;
    }
    return { output: y, h: last };
  }
}

export class GRULanguageModel extends SoftmaxLanguageModel {
  readonly encoder: Embedding;
  readonly rnn: GRU;
  readonly decoder: Linear;

  constructor(readonly config: GruConfig, readonly rng: Random = globalRandom) {
    super();
    checkModelConfig(config);
    const c = config;
    this.encoder = this.registerModule('encoder', new Embedding(c.vocab, c.emsize, { initRange: 0.1, rng }));
    this.rnn = this.registerModule('rnn', new GRU(c.emsize, c.nhid, c.nlayers, { rng }));
    this.decoder = this.registerModule('decoder', new Linear(c.nhid, c.vocab, { rng }));
    const init = (w: Weight, bound: number) => {
      const d = (w as Tensor).data;
      for (let i = 0; i < d.length; i++) d[i] = (rng.uniform() * 2 - 1) * bound;
    };
    init(this.decoder.weight, 0.1);
    this.decoder.bias!.data.fill(0);
    // As Zaremba et al.: every parameter U(±initRange) instead.
    if (c.initRange > 0) for (const p of this.parameters()) init(p, c.initRange);
  }

  protected hidden(input: IntTensor, state?: LMState): { h: Tensor; state: LMState } {
    const [T, B] = checkForwardArgs(input, state, this.config.nlayers);
    const p = this.config.dropout, opts = { training: this.training, rng: this.rng };
    const drop = (y: Tensor) => dropout(y, p, opts);
    const h0 = state?.map((s) => expectState(s, ['h'], 'GRU').h);
    const r = this.rnn.forward(drop(this.encoder.forward(input)), h0, drop);
    return { h: reshape(drop(r.output), [T * B, this.config.nhid]), state: r.h.map((h) => ({ h })) };
  }

  protected get head(): SoftmaxHead {
    return this.decoder;
  }

  initState(batchSize: number): LMState {
    return Array.from({ length: this.config.nlayers }, () => ({ h: zeros([batchSize, this.config.nhid], { persistent: true }) }));
  }

  /** torch.nn.GRU's layout (r, z, n) of a 3H-row weight_ih / weight_hh; other weights have no gates. */
  gateLayout(paramName: string, rows: number): GateLayout | null {
    if (!/^rnn\.weight_(ih|hh)_l\d+$/.test(paramName) || rows % 3 !== 0 || rows === 0) return null;
    const H = rows / 3;
    return gateBlocks([['r', H], ['z', H], ['n', H]]);
  }
}

// ---- the family ---------------------------------------------------------------------------------

export const gruFields = {
  emsize: commonFields.emsize,
  nhid: commonFields.nhid,
  nlayers: commonFields.nlayers,
  dropout: { ...commonFields.dropout, help: 'dropout on the embeddings, between layers and on the output' },
  initRange: field.number({ min: 0, max: 1, openMax: true, default: 0, help: "initialise every parameter U(±r), as Zaremba et al.; 0: PyTorch's own initialisation" }),
} as const;

export type GruConfig = ModelConfig<typeof gruFields>;


export const gru = defineModelFamily({
  name: 'gru',
  title: 'GRU',
  fields: gruFields,
  recipe: { batchSize: 20, bptt: 35, evalBatchSize: 20, testBatchSize: 20 },
  presets: {
    'gru-small': {
      config: { emsize: 200, nhid: 200, nlayers: 2, dropout: 0, initRange: 0.1 },
      source: "Zaremba et al. 2014's small recipe (2×200, init 0.1, SGD lr 1 on the loss summed over the 20 steps = 20 on our per-token mean, 13 epochs, ×0.5 per epoch after 4, clip 5 = 0.25 on the mean, bptt 20, batch 20, test batch 1) with GRU layers: not a published configuration",
      recipe: zarembaRecipe({ epochs: 13, decayAfter: 4, lrDecay: 0.5, clip: 5, bptt: 20 }),
    },
    'gru-medium': {
      config: { emsize: 650, nhid: 650, nlayers: 2, dropout: 0.5, initRange: 0.05 },
      source: "Zaremba et al. 2014's medium recipe (2×650, dropout 0.5, init 0.05, SGD lr 1 on the summed loss = 35 on our mean, 39 epochs, ×0.8 after 6, clip 5 = 5/35 on the mean, bptt 35) with GRU layers: not a published configuration",
      recipe: zarembaRecipe({ epochs: 39, decayAfter: 6, lrDecay: 0.8, clip: 5, bptt: 35 }),
    },
  },
  create: (config, rng) => new GRULanguageModel(config, rng),
  stateNames: ['h'],
  describe: (c) => `GRU, ${c.nlayers} layer${c.nlayers > 1 ? 's' : ''} × ${c.nhid}, emsize ${c.emsize}`,
  sizesFromStateDict: (shapes) => rnnLMSizesFromStateDict(shapes, 3),
  weightShapes: (c) => rnnLMWeightShapes(c, 3),
});
