// The configuration of a language model: one flat record for every family, each family reading
// the fields it uses. The named configurations (presets) live with their family (its ModelSpec,
// e.g. src/models/rhn.ts) and are found through src/models/registry.ts: every field of a preset
// can be overridden, `modelConfig('zaremba-medium', { dropout: 0.3 })`.

export interface LMConfig {
  /** The model family: a ModelSpec's `kind` in src/models/registry.ts. */
  kind: string;
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
  /** Initialise every parameter U(±initRange) (Zaremba et al.; stacked only); 0 or absent = the model's own init. */
  initRange?: number;
  /** Training defaults that belong to the recipe. */
  batchSize: number;
  bptt: number;
  lr: number;
}

/**
 * A preset with overrides applied and checked: unknown fields and out-of-range values are refused,
 * naming them. `name` is only for messages.
 */
export function applyOverrides(name: string, base: LMConfig, overrides: Partial<LMConfig> = {}): LMConfig {
  for (const k of Object.keys(overrides)) {
    if (!(k in base)) throw new RangeError(`selfish-rnn: unknown model option '${k}' for '${name}' (options: ${Object.keys(base).join(', ')})`);
  }
  const cfg = { ...base, ...overrides } as LMConfig;
  for (const k of ['dropout', 'dropouth', 'dropouti', 'dropoute', 'dropoutl', 'wdrop'] as const) {
    if (!(cfg[k] >= 0 && cfg[k] < 1)) throw new RangeError(`selfish-rnn: ${k} must be in [0, 1), got ${cfg[k]}`);
  }
  for (const k of ['emsize', 'nhid', 'nlayers', 'nExperts', 'batchSize', 'bptt'] as const) {
    if (!(Number.isInteger(cfg[k]) && cfg[k] > 0)) throw new RangeError(`selfish-rnn: ${k} must be a positive integer, got ${cfg[k]}`);
  }
  if (cfg.initRange !== undefined && !(cfg.initRange >= 0 && cfg.initRange < 1)) throw new RangeError(`selfish-rnn: initRange must be in [0, 1), got ${cfg.initRange}`);
  for (const k of ['depth', 'chunkSize'] as const) {
    if (k in cfg && !(Number.isInteger(cfg[k]) && cfg[k]! > 0)) throw new RangeError(`selfish-rnn: ${k} must be a positive integer, got ${cfg[k]}`);
  }
  return cfg;
}
