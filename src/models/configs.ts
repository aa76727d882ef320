// Named model configurations (../shared/reference/selfish-rnn.md §2). Every field can be
// overridden: `modelConfig('zaremba-medium', { dropout: 0.3 })`.

export interface LMConfig {
  /** 'stacked' = Embedding → multi-layer LSTM → Linear (Zaremba / Selfish stacked LSTM);
   *  'awd-mos' = AWD-LSTM with a Mixture-of-Softmaxes head (Yang et al. 2018);
   *  'rhn' = Recurrent Highway Network (Zilly et al. 2017, Selfish-RNN models.py);
   *  'onlstm' = ON-LSTM (Shen et al. 2019, official ONLSTM code). */
  kind: 'stacked' | 'awd-mos' | 'rhn' | 'onlstm';
  /** Vocabulary size; 0 = taken from the corpus. */
  vocab: number;
  emsize: number;
  nhid: number;
  /** Hidden size of the last LSTM layer (awd-mos); stacked models use nhid. */
  nhidlast: number;
  nlayers: number;
  /** Mixture components (awd-mos). */
  nExperts: number;
  /** Output dropout (stacked: standard dropout on embeddings, between layers and on the output). */
  dropout: number;
  /** Locked dropout between LSTM layers (awd-mos). */
  dropouth: number;
  /** Locked dropout on the embedding output (awd-mos). */
  dropouti: number;
  /** Word-level embedding dropout (awd-mos). */
  dropoute: number;
  /** Locked dropout on the MoS latent (awd-mos). */
  dropoutl: number;
  /** DropConnect on W_hh (awd-mos). */
  wdrop: number;
  /** Tie encoder and decoder weights. */
  tied: boolean;
  /** AR coefficient α (awd-mos). */
  alpha: number;
  /** TAR coefficient β (awd-mos). */
  beta: number;
  /** Recurrence depth: highway blocks per step (rhn only). */
  depth?: number;
  /** Units per master-gate chunk (onlstm only). */
  chunkSize?: number;
  /** Training defaults that belong to the recipe. */
  batchSize: number;
  bptt: number;
  lr: number;
}

const stackedDefaults = {
  kind: 'stacked', vocab: 0, nhidlast: 0, nExperts: 1, dropouth: 0, dropouti: 0, dropoute: 0, dropoutl: 0, wdrop: 0,
  tied: false, alpha: 0, beta: 0, batchSize: 20, bptt: 35,
} as const;

const CONFIGS: Record<string, LMConfig> = {
  // Zaremba et al. 2014, non-regularised small model (2×200).
  'zaremba-small': { ...stackedDefaults, emsize: 200, nhid: 200, nhidlast: 200, nlayers: 2, dropout: 0, lr: 20 },
  // Zaremba medium (2×650, dropout 0.5).
  'zaremba-medium': { ...stackedDefaults, emsize: 650, nhid: 650, nhidlast: 650, nlayers: 2, dropout: 0.5, lr: 20 },
  // Zaremba large = the Selfish-RNN paper's stacked LSTM (2×1500, dropout 0.65, lr 40).
  'zaremba-large': { ...stackedDefaults, emsize: 1500, nhid: 1500, nhidlast: 1500, nlayers: 2, dropout: 0.65, lr: 40 },
  // AWD-LSTM-MoS, PTB (MoS README command).
  'awd-lstm-mos-ptb': {
    kind: 'awd-mos', vocab: 0, emsize: 280, nhid: 960, nhidlast: 620, nlayers: 3, nExperts: 15, dropout: 0.4, dropouth: 0.225,
    dropouti: 0.4, dropoute: 0.1, dropoutl: 0.29, wdrop: 0.5, tied: true, alpha: 2, beta: 1, batchSize: 12, bptt: 70, lr: 20,
  },
  // AWD-LSTM-MoS, WikiText-2 (MoS README command).
  'awd-lstm-mos-wt2': {
    kind: 'awd-mos', vocab: 0, emsize: 300, nhid: 1150, nhidlast: 650, nlayers: 3, nExperts: 15, dropout: 0.4, dropouth: 0.2,
    dropouti: 0.55, dropoute: 0.1, dropoutl: 0.29, wdrop: 0.5, tied: true, alpha: 2, beta: 1, batchSize: 15, bptt: 70, lr: 15,
  },
};
CONFIGS['selfish-lstm'] = { ...CONFIGS['zaremba-large']! };
// Selfish RHN (official README command, ../shared/reference/selfish-rnn.md §2.2): depth 10, 830
// units, tied, coupled carry; dropout = output, dropouth = hidden (variational), dropouti = input,
// dropoute = embedding words.
CONFIGS['selfish-rhn'] = {
  kind: 'rhn', vocab: 0, emsize: 830, nhid: 830, nhidlast: 830, nlayers: 1, depth: 10, nExperts: 1, dropout: 0.65, dropouth: 0.25,
  dropouti: 0.65, dropoute: 0.2, dropoutl: 0, wdrop: 0, tied: true, alpha: 0, beta: 0, batchSize: 20, bptt: 35, lr: 15,
};
// Selfish ON-LSTM (official ONLSTM command, §2.3): 400 → 1150 → 1150 → 400, chunks of 10, AWD
// regularisers, DropConnect 0.45 on the hidden-to-hidden weights; lr 15 is that script's default.
CONFIGS['selfish-onlstm'] = {
  kind: 'onlstm', vocab: 0, emsize: 400, nhid: 1150, nhidlast: 400, nlayers: 3, chunkSize: 10, nExperts: 1, dropout: 0.45,
  dropouth: 0.3, dropouti: 0.5, dropoute: 0.1, dropoutl: 0, wdrop: 0.45, tied: true, alpha: 2, beta: 1, batchSize: 20, bptt: 70, lr: 15,
};

/** Names accepted by `modelConfig`. */
export const MODEL_NAMES: readonly string[] = Object.keys(CONFIGS);

/** The named configuration with overrides applied; unknown names and fields are refused. */
export function modelConfig(name: string, overrides: Partial<LMConfig> = {}): LMConfig {
  const base = CONFIGS[name];
  if (base === undefined) throw new RangeError(`selfish-rnn: unknown model '${name}'; known models: ${MODEL_NAMES.join(', ')}`);
  for (const k of Object.keys(overrides)) {
    if (!(k in base)) throw new RangeError(`selfish-rnn: unknown model option '${k}' (options: ${Object.keys(base).join(', ')})`);
  }
  const cfg = { ...base, ...overrides } as LMConfig;
  for (const k of ['dropout', 'dropouth', 'dropouti', 'dropoute', 'dropoutl', 'wdrop'] as const) {
    if (!(cfg[k] >= 0 && cfg[k] < 1)) throw new RangeError(`selfish-rnn: ${k} must be in [0, 1), got ${cfg[k]}`);
  }
  for (const k of ['emsize', 'nhid', 'nlayers', 'nExperts', 'batchSize', 'bptt'] as const) {
    if (!(Number.isInteger(cfg[k]) && cfg[k] > 0)) throw new RangeError(`selfish-rnn: ${k} must be a positive integer, got ${cfg[k]}`);
  }
  for (const k of ['depth', 'chunkSize'] as const) {
    if (k in cfg && !(Number.isInteger(cfg[k]) && cfg[k]! > 0)) throw new RangeError(`selfish-rnn: ${k} must be a positive integer, got ${cfg[k]}`);
  }
  if (cfg.kind === 'stacked') cfg.nhidlast = cfg.nhid;
  if (cfg.kind === 'rhn' || cfg.kind === 'onlstm') cfg.nhidlast = cfg.emsize; // tied: the last layer's output feeds the decoder
  return cfg;
}
