// AWD-LSTM with a Mixture-of-Softmaxes head (Yang et al. 2018, zihangdai/mos `model.py`), on the
// fused LSTM and the fused MoS loss:
//
//   emb    = embeddedDropout(encoder(input), dropoute) → lockedDropout(dropouti)
//   layers = nlayers single-layer LSTMs (emsize → nhid → … → nhidlast), DropConnect wdrop on W_hh,
//            lockedDropout(dropouth) between layers
//   output = lockedDropout(last raw output, dropout)                              [T, B, nhidlast]
//   prior  = logSoftmax(prior(output)) (no bias)                                 [T·B, K]
//   latent = lockedDropout(tanh(latent.0(output)), dropoutl) viewed [T·B·K, emsize]
//   logits = latent · encoder.weightᵀ + decoder.bias (tied decoder)              [T·B·K, V]
//   nll    = −mean log Σ_k π_k softmax(logits_k)[target]   (fused + chunked: mosDecoderNLL)
//   loss   = nll + α·mean(output²) + β·mean(Δraw²)
//
// Parameter names: encoder.weight, rnns.{l}.weight_ih_l0 / weight_hh_l0 / bias_ih_l0 / bias_hh_l0,
// prior.weight, latent.0.weight, latent.0.bias, decoder.bias (decoder.weight is encoder.weight).
// The MoS repository wraps each LSTM in WeightDrop, so its own names are
// rnns.{l}.module.weight_hh_l0_raw etc.; export maps ours to PyTorch's plain LSTM names.
import { add, logSoftmax, mosDecoderNLL, reshape, tanh } from '../ops/index.js';
import { embeddedDropout, lockedDropout, weightDrop } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { LSTM } from '../nn/lstm.js';
import { Module, ModuleList } from '../nn/module.js';
import { TiedDecoder } from '../nn/tied-decoder.js';
import { activationRegularization, temporalActivationRegularization } from '../nn/regularizers.js';
import { globalRandom, type Random } from '../random.js';
import { IntTensor, Tensor, zeros } from '../tensor.js';
import { field } from '../config/fields.js';
import { commonFields, MAX_WIDTH } from './common-fields.js';
import { defineModelFamily, type ModelConfig } from './family.js';
import { lstmGateLayout, type GateLayout } from './gate-layout.js';
import { checkForwardArgs, checkModelConfig, expectState, type LanguageModel, type LMOutput, type LMState } from './language-model.js';

export class AwdLstmMosModel extends Module implements LanguageModel {
  readonly encoder: Embedding;
  readonly rnns: ModuleList<LSTM>;
  readonly prior: Linear;
  readonly latent: ModuleList<Linear>;
  readonly decoder: TiedDecoder;
  readonly rng: Random;

  constructor(readonly config: AwdMosConfig, rng: Random = globalRandom) {
    super();
    const c = config;
    checkModelConfig(c);
    this.rng = rng;
    this.encoder = this.registerModule('encoder', new Embedding(c.vocab, c.emsize, { initRange: 0.1, rng }));
    const sizes = Array.from({ length: c.nlayers }, (_, l) => (l === c.nlayers - 1 ? c.nhidlast : c.nhid));
    this.rnns = this.registerModule('rnns', new ModuleList(sizes.map((h, l) => new LSTM(l === 0 ? c.emsize : c.nhid, h, 1, { rng }))));
    this.prior = this.registerModule('prior', new Linear(c.nhidlast, c.nExperts, { bias: false, rng }));
    this.latent = this.registerModule('latent', new ModuleList([new Linear(c.nhidlast, c.nExperts * c.emsize, { rng })]));
    this.decoder = this.registerModule('decoder', new TiedDecoder(this.encoder, c.vocab));
  }

  private run(input: IntTensor, state?: LMState) {
    const c = this.config;
    const [T, B] = checkForwardArgs(input, state, c.nlayers);
    const train = this.training, rng = this.rng;
    let x = embeddedDropout(() => this.encoder.forward(input), input, c.vocab, c.dropoute, train, rng);
    x = lockedDropout(x, c.dropouti, train, rng);
    const next: LMState = [];
    let raw = x;
    for (let l = 0; l < c.nlayers; l++) {
      const r = this.rnns.at(l).forward(x, state ? [expectState(state[l]!, ['h', 'c'], 'LSTM')] : undefined, {
        recurrentValues: (v) => weightDrop(v, c.wdrop, train, { rng }),
      });
      raw = r.output;
      next.push(r.state[0]!);
      x = l < c.nlayers - 1 ? lockedDropout(raw, c.dropouth, train, rng) : raw;
    }
    const output = lockedDropout(raw, c.dropout, train, rng);
    const flat = reshape(output, [T * B, c.nhidlast]);
    const logPrior = logSoftmax(this.prior.forward(flat));
    let latent = tanh(this.latent.at(0).forward(flat));
    latent = lockedDropout(reshape(latent, [T, B, c.nExperts * c.emsize]), c.dropoutl, train, rng);
    return { latent: reshape(latent, [T * B * c.nExperts, c.emsize]), logPrior, output, raw, next, T, B };
  }

  forward(input: IntTensor, target: IntTensor, state?: LMState): LMOutput {
    const c = this.config;
    const r = this.run(input, state);
    // Decoder and mixture loss fused and chunked: the N·K·V logits never exist all at once.
    const nll = mosDecoderNLL(r.latent, this.decoder.weight, this.decoder.bias, r.logPrior, target);
    let loss = nll;
    if (c.alpha !== 0) loss = add(loss, activationRegularization(r.output, c.alpha));
    if (c.beta !== 0 && r.T > 1) loss = add(loss, temporalActivationRegularization(r.raw, c.beta));
    return { loss, nll, state: r.next };
  }

  logProbs(input: IntTensor, state?: LMState): { logProbs: Tensor; state: LMState } {
    const c = this.config;
    const r = this.run(input, state);
    // log p(w) = logsumexp_k (log π_k + log softmax_k(w)), row by row in TypeScript: sampling only.
    const N = r.T * r.B, K = c.nExperts, V = c.vocab;
    const lsT = logSoftmax(this.decoder.forward(r.latent));
    const out = new Tensor([N, V]);
    // Views taken after the last allocation (an allocation may grow memory and detach them).
    const ls = lsT.data, lp = r.logPrior.data, o = out.data;
    for (let n = 0; n < N; n++) {
      for (let w = 0; w < V; w++) {
        let m = -Infinity;
        for (let k = 0; k < K; k++) m = Math.max(m, lp[n * K + k]! + ls[(n * K + k) * V + w]!);
        let s = 0;
        for (let k = 0; k < K; k++) s += Math.exp(lp[n * K + k]! + ls[(n * K + k) * V + w]! - m);
        o[n * V + w] = m + Math.log(s);
      }
    }
    return { logProbs: out, state: r.next };
  }

  initState(batchSize: number): LMState {
    const c = this.config;
    return Array.from({ length: c.nlayers }, (_, l) => {
      const h = l === c.nlayers - 1 ? c.nhidlast : c.nhid;
      return { h: zeros([batchSize, h], { persistent: true }), c: zeros([batchSize, h], { persistent: true }) };
    });
  }

  gateLayout(paramName: string, rows: number): GateLayout | null {
    return lstmGateLayout(paramName, rows);
  }
}

// ---- the family ---------------------------------------------------------------------------------

export const awdMosFields = {
  emsize: commonFields.emsize,
  nhid: commonFields.nhid,
  nhidlast: field.int({ min: 1, max: MAX_WIDTH, default: 620, help: 'hidden units of the last LSTM layer' }),
  nlayers: { ...commonFields.nlayers, default: 3 },
  nExperts: field.int({ min: 1, max: 4096, default: 15, help: 'mixture-of-softmaxes components' }),
  dropout: commonFields.dropout,
  dropouth: commonFields.dropouth,
  dropouti: commonFields.dropouti,
  dropoute: commonFields.dropoute,
  dropoutl: field.number({ min: 0, max: 1, openMax: true, default: 0, help: 'locked dropout on the MoS latent' }),
  wdrop: commonFields.wdrop,
  alpha: commonFields.alpha,
  beta: commonFields.beta,
} as const;

export type AwdMosConfig = ModelConfig<typeof awdMosFields>;

// The MoS scripts: dense, SGD then ASGD, clip 0.25, wd 1.2e-6, random BPTT around 70; valid batch 10, test batch 1.
const mosRecipe = { method: 'dense', optimizer: 'sgd', clip: 0.25, epochs: 1000, nonmono: 5, wdecay: 1.2e-6, bptt: 70, randomBptt: true, evalBatchSize: 10, testBatchSize: 1 };

export const awdLstmMos = defineModelFamily({
  name: 'awd-mos',
  title: 'AWD-LSTM-MoS',
  fields: awdMosFields,
  recipe: mosRecipe,
  presets: {
    'awd-lstm-mos-ptb': {
      config: { emsize: 280, nhid: 960, nhidlast: 620, nlayers: 3, nExperts: 15, dropout: 0.4, dropouth: 0.225, dropouti: 0.4, dropoute: 0.1, dropoutl: 0.29, wdrop: 0.5, alpha: 2, beta: 1 },
      source: 'MoS README (zihangdai/mos), PTB: --dropouti 0.4 --dropoutl 0.29 --dropouth 0.225 --seed 28 --batch_size 12 --lr 20.0 --epoch 1000 --nhid 960 --nhidlast 620 --emsize 280 --n_experts 15 (bptt 70 random, clip 0.25, wd 1.2e-6, eval batch 10, test batch 1). Published 58.34/56.18 without finetuning',
      recipe: { lr: 20, seed: 28, batchSize: 12, maxSeqLenDelta: 40 },
      published: { valid: 58.34, test: 56.18, what: 'MoS README, PTB without finetuning (dense)' },
    },
    'awd-lstm-mos-wt2': {
      config: { emsize: 300, nhid: 1150, nhidlast: 650, nlayers: 3, nExperts: 15, dropout: 0.4, dropouth: 0.2, dropouti: 0.55, dropoute: 0.1, dropoutl: 0.29, wdrop: 0.5, alpha: 2, beta: 1 },
      source: 'MoS README, WikiText-2: --epochs 1000 --dropouth 0.2 --seed 1882 --n_experts 15 --nhid 1150 --nhidlast 650 --emsize 300 --batch_size 15 --lr 15.0 --dropoutl 0.29 --small_batch_size 5 --max_seq_len_delta 20 --dropouti 0.55 (small_batch_size only splits the batch for memory). Selfish-RNN reports it sparse at density 0.45 without finetuning (65.96/63.05): add --sparse --density 0.45',
      recipe: { lr: 15, seed: 1882, batchSize: 15, maxSeqLenDelta: 20 },
      published: { valid: 65.96, test: 63.05, what: 'Selfish-RNN, sparse at density 0.45 without finetuning (add --sparse --density 0.45)' },
    },
  },
  create: (config, rng) => new AwdLstmMosModel(config, rng),
  stateNames: ['h', 'c'],
  describe: (c) => `AWD-LSTM-MoS, ${c.nExperts} experts, ${c.nlayers} layers × ${c.nhid} (last ${c.nhidlast}), emsize ${c.emsize}, tied`,
  // The MoS repository wraps each LSTM in WeightDrop (rnns.{l}.module.weight_hh_l0_raw); the export
  // uses the plain nn.LSTM names, which its model loads once WeightDrop is applied after loading.
  exportAliases: () => [['decoder.weight', 'encoder.weight']],
  sizesFromStateDict: (shapes) => {
    const enc = shapes.get('encoder.weight'), hh = shapes.get('rnns.0.weight_hh_l0'), prior = shapes.get('prior.weight');
    if (!enc || !hh || !prior) return null;
    let nlayers = 0;
    while (shapes.has(`rnns.${nlayers}.weight_ih_l0`)) nlayers++;
    const last = shapes.get(`rnns.${nlayers - 1}.weight_hh_l0`);
    return { vocab: enc[0], emsize: enc[1], nhid: hh[1], nhidlast: last?.[1], nlayers, nExperts: prior[0] };
  },
  weightShapes: (c) => {
    const last = c.nhidlast, L = c.nlayers;
    const layers: { name: string; rows: number; cols: number; count?: number; role: 'recurrent' }[] = L === 1
      ? [{ name: 'rnns.0.weight_ih_l0', rows: 4 * last, cols: c.emsize, role: 'recurrent' }, { name: 'rnns.0.weight_hh_l0', rows: 4 * last, cols: last, role: 'recurrent' }]
      : [
        { name: 'rnns.0.weight_ih_l0', rows: 4 * c.nhid, cols: c.emsize, role: 'recurrent' },
        { name: 'rnns.{l}.weight_ih_l0', rows: 4 * c.nhid, cols: c.nhid, count: L - 2, role: 'recurrent' },
        { name: 'rnns.{l}.weight_hh_l0', rows: 4 * c.nhid, cols: c.nhid, count: L - 1, role: 'recurrent' },
        { name: `rnns.${L - 1}.weight_ih_l0`, rows: 4 * last, cols: c.nhid, role: 'recurrent' },
        { name: `rnns.${L - 1}.weight_hh_l0`, rows: 4 * last, cols: last, role: 'recurrent' },
      ];
    return [
      { name: 'encoder.weight', rows: c.vocab, cols: c.emsize, role: 'embedding' },
      ...layers,
      { name: 'prior.weight', rows: c.nExperts, cols: last, role: 'output' },
      { name: 'latent.0.weight', rows: c.nExperts * c.emsize, cols: last, role: 'output' },
      // The tied decoder: the encoder's weights, applied once per expert.
      { name: 'decoder.weight', rows: c.vocab, cols: c.emsize, count: c.nExperts, role: 'output', tied: true },
    ];
  },
});
