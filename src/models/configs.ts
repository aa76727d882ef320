// Named model configurations (../shared/reference/selfish-rnn.md §2). Every field can be
// overridden: `modelConfig('zaremba-medium', { dropout: 0.3 })`.

export interface LMConfig {
  /** 'stacked' = Embedding → multi-layer LSTM → Linear (Zaremba / Selfish stacked LSTM);
   *  'awd-mos' = AWD-LSTM with a Mixture-of-Softmaxes head (Yang et al. 2018). */
  kind: 'stacked' | 'awd-mos';
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
  /** Initialise every parameter U(±initRange) (Zaremba et al.); 0 = the model's own init. */
  initRange: number;
  /** Training defaults that belong to the recipe. */
  batchSize: number;
  bptt: number;
  lr: number;
}

const stackedDefaults = {
  kind: 'stacked', vocab: 0, nhidlast: 0, nExperts: 1, dropouth: 0, dropouti: 0, dropoute: 0, dropoutl: 0, wdrop: 0,
  tied: false, alpha: 0, beta: 0, batchSize: 20, bptt: 35, initRange: 0,
} as const;

// Architectures. The training recipe of each name (lr, epochs, method, ...) and its source are in
// src/train/presets.ts.
const CONFIGS: Record<string, LMConfig> = {
  // Zaremba et al. 2014, non-regularised small model (2×200, bptt 20, init U(±0.1)).
  'zaremba-small': { ...stackedDefaults, emsize: 200, nhid: 200, nhidlast: 200, nlayers: 2, dropout: 0, bptt: 20, lr: 1, initRange: 0.1 },
  // Zaremba medium (2×650, dropout 0.5, init U(±0.05)).
  'zaremba-medium': { ...stackedDefaults, emsize: 650, nhid: 650, nhidlast: 650, nlayers: 2, dropout: 0.5, lr: 1, initRange: 0.05 },
  // Zaremba large (2×1500, dropout 0.65, init U(±0.04)).
  'zaremba-large': { ...stackedDefaults, emsize: 1500, nhid: 1500, nhidlast: 1500, nlayers: 2, dropout: 0.65, lr: 1, initRange: 0.04 },
  // The Selfish-RNN stacked LSTM (Zaremba-large architecture, pytorch/examples init, lr 40).
  'selfish-lstm': { ...stackedDefaults, emsize: 1500, nhid: 1500, nhidlast: 1500, nlayers: 2, dropout: 0.65, lr: 40 },
  // The same recipe at small sizes (2×200 / 2×650): the CPU-scale models of the library's default and the study.
  'lstm-small': { ...stackedDefaults, emsize: 200, nhid: 200, nhidlast: 200, nlayers: 2, dropout: 0, lr: 20 },
  'lstm-medium': { ...stackedDefaults, emsize: 650, nhid: 650, nhidlast: 650, nlayers: 2, dropout: 0.5, lr: 20 },
  // AWD-LSTM-MoS, PTB (MoS README command).
  'awd-lstm-mos-ptb': {
    kind: 'awd-mos', vocab: 0, emsize: 280, nhid: 960, nhidlast: 620, nlayers: 3, nExperts: 15, dropout: 0.4, dropouth: 0.225,
    dropouti: 0.4, dropoute: 0.1, dropoutl: 0.29, wdrop: 0.5, tied: true, alpha: 2, beta: 1, batchSize: 12, bptt: 70, lr: 20, initRange: 0,
  },
  // AWD-LSTM-MoS, WikiText-2 (MoS README command).
  'awd-lstm-mos-wt2': {
    kind: 'awd-mos', vocab: 0, emsize: 300, nhid: 1150, nhidlast: 650, nlayers: 3, nExperts: 15, dropout: 0.4, dropouth: 0.2,
    dropouti: 0.55, dropoute: 0.1, dropoutl: 0.29, wdrop: 0.5, tied: true, alpha: 2, beta: 1, batchSize: 15, bptt: 70, lr: 15, initRange: 0,
  },
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
  cfg.initRange ??= 0; // configs stored before the field existed
  if (!(cfg.initRange >= 0 && cfg.initRange < 1)) throw new RangeError(`selfish-rnn: initRange must be in [0, 1), got ${cfg.initRange}`);
  for (const k of ['dropout', 'dropouth', 'dropouti', 'dropoute', 'dropoutl', 'wdrop'] as const) {
    if (!(cfg[k] >= 0 && cfg[k] < 1)) throw new RangeError(`selfish-rnn: ${k} must be in [0, 1), got ${cfg[k]}`);
  }
  for (const k of ['emsize', 'nhid', 'nlayers', 'nExperts', 'batchSize', 'bptt'] as const) {
    if (!(Number.isInteger(cfg[k]) && cfg[k] > 0)) throw new RangeError(`selfish-rnn: ${k} must be a positive integer, got ${cfg[k]}`);
  }
  if (cfg.kind === 'stacked') cfg.nhidlast = cfg.nhid;
  return cfg;
}
