// The configuration of a training run: one plain JSON object, stored in every checkpoint, so a
// run can be resumed, evaluated and exported without its command line. `resolveTrainConfig`
// fills defaults (the model's recipe, then the options' declared defaults) and refuses invalid
// values with messages that name the option and the value.
import { checkFields, field, fieldDefaults, MAX_INT, type FieldValues } from '../config/fields.js';
import { addFamilyGuard, checkModelFields, familyConfig, MAX_VOCAB, modelFamily, modelPreset, modelRecipe, type AnyModelConfig } from '../models/index.js';
import type { SparsityOptions } from '../sparse/engine-api.js';
import { SPARSE_METHODS } from '../sparse/methods.js';
import { DEATH_NAMES, GROWTH_NAMES, REDISTRIBUTION_NAMES } from '../sparse/strategies/names.js';

/** Largest batch size or sequence length an option may name (the memory estimate refuses far less). */
export const MAX_BATCH = 2 ** 24;

export { SPARSE_METHODS };
export const OPTIMIZERS = ['sgd', 'adam'] as const;
/**
 * Which gradient norm the clip uses: 'dense' (the official semantics: the gradient of every
 * position, absent ones included; its absent part exact on small matrices, elsewhere from a
 * row-stratified importance sample that estimates the squared norm without bias), 'dense-exact'
 * (every absent position: a dense-cost product), or 'active' (only the existing weights'
 * gradients). Under DropConnect (wdrop) no dropout factor m is drawn at an absent position, so
 * both dense modes count its square with E[m²] (1/(1−p) for AWD/MoS WeightDrop, 1 − p for
 * ON-LSTM's LinearDropConnect): the official squared norm in expectation over those factors.
 */
export const CLIP_NORMS = ['dense', 'dense-exact', 'active'] as const;
export type ClipNorm = (typeof CLIP_NORMS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Where the corpus comes from (kept in checkpoints so `eval` and `--resume` can reload it). */
export type DataSpec =
  /** The built-in Moby-Dick corpus (`loadDefaultCorpus`). */
  | { source: 'builtin'; maxVocab: number }
  /** A word-level benchmark directory (PTB, WikiText-2): `loadWordCorpus`. */
  | { source: 'word'; path: string }
  /** Any text file or directory of .txt files: `loadTextCorpus`. */
  | { source: 'text'; path: string; maxVocab: number };

/**
 * The training options, each declared once (type, default, range, help). From this table come
 * the TrainConfig type, the defaults, the validation of a new run and of a checkpoint's
 * configuration, and the CLI flags with their --help lines (src/cli/config-flags.ts).
 */
export const TRAIN_FIELDS = {
  // sparse training
  // The default is the library's flagship (Selfish-RNN at density 0.33); recipes that reproduce a
  // dense command (zaremba-*, gru-*, awd-lstm-mos-*) say method 'dense' themselves.
  method: field.choice(SPARSE_METHODS, {
    default: 'selfish', defaultText: "the model's recipe, else selfish (dense: --method dense)",
    help: "sparse-training method (snfs adds one dense weight-gradient product G·Xᵀ per sparse matrix to every step's backward for its dense momentum, ≈ (3d + 1)/3 of dense training's product FLOPs at density d, and keeps a dense momentum per sparse matrix; rigl and granet one dense forward/backward per update)",
  }),
  density: field.number({ min: 0, max: 1, openMin: true, default: 0.33, defaultText: "the model's recipe, else 0.33; 1 with --method dense", help: 'fraction of the weights of every non-bias tensor that exist, in (0, 1]' }),
  sparseInit: field.choice(['uniform', 'ER'] as const, { default: 'uniform', help: 'initial sparse topology' }),
  death: field.optional(field.choice(DEATH_NAMES, { defaultText: "the method's (magnitude)", help: 'prune criterion' })),
  growth: field.optional(field.choice(GROWTH_NAMES, { defaultText: "the method's (random)", help: 'regrowth criterion' })),
  redistribution: field.optional(field.choice(REDISTRIBUTION_NAMES, { defaultText: "the method's (none)", help: 'redistribution of the regrown weights across tensors' })),
  deathRate: field.number({ min: 0, max: 1, default: 0.5, help: 'initial prune rate p0, cosine-decayed to 0.005 over the run' }),
  updateEvery: field.int({ min: 0, max: MAX_INT, default: 0, defaultText: '0 (once per epoch)', help: 'topology update every N steps instead of once per epoch' }),
  exactCounts: field.boolean({ default: true, help: 'exact nonzero counts at init and growth; false draws them Bernoulli as the official code (counts then match only in expectation)' }),
  // optimisation
  optimizer: field.choice(OPTIMIZERS, { default: 'sgd', help: 'sgd: SGD then SNT-ASGD (sparse) / ASGD (dense) when the NT trigger fires; adam: Adam(β1=0) with ReduceLROnPlateau' }),
  lr: field.number({ min: 0, max: Number.MAX_VALUE, openMin: true, default: 20, defaultText: "the model's recipe, else 20; adam: 0.001", help: 'learning rate' }),
  clip: field.number({ min: 0, max: 1e6, default: 0.25, help: 'gradient clipping (global L2 norm; 0 disables)' }),
  clipNorm: field.choice(CLIP_NORMS, {
    default: 'dense',
    help: 'norm the clip measures: dense = the official one, over every position incl. absent weights (the absent positions of large matrices by an importance sample, unbiased for the squared norm, error ≈ 0.1%, a few % of a step); dense-exact = every absent position (costs a dense weight-gradient product); under DropConnect both count an absent position\'s square with the dropout factor\'s E[m²], i.e. the official norm in expectation over those factors; active = existing weights only',
  }),
  lrDecay: field.number({ min: 0, max: 1, openMin: true, default: 1, defaultText: "the model's recipe (zaremba-*: Zaremba's), else 1", help: 'plain-SGD step decay: lr × decay per epoch after lrDecayAfter epochs (the NT trigger is then off; an ASGD switch only at asgdEpoch)' }),
  lrDecayAfter: field.int({ min: 0, max: MAX_INT, default: 0, defaultText: "the model's recipe, else 0", help: 'epochs at the initial lr before the decay applies' }),
  wdecay: field.number({ min: 0, max: 1e3, default: 1.2e-6, help: 'L2 weight decay' }),
  nonmono: field.int({ min: 1, max: MAX_INT, default: 5, help: 'non-monotone interval of the NT-ASGD trigger' }),
  asgdEpoch: field.int({ min: 0, max: MAX_INT, default: 0, help: 'switch to (SNT-)ASGD at the end of this epoch at the latest (0: only the NT trigger)' }),
  epochs: field.int({ min: 1, max: MAX_INT, default: 40, defaultText: "the model's recipe, else 40", help: 'number of epochs' }),
  batchSize: field.int({ min: 1, max: MAX_BATCH, default: 20, defaultText: "the model's recipe, else 20", help: 'training batch size' }),
  bptt: field.int({ min: 1, max: MAX_BATCH, default: 35, defaultText: "the model's recipe, else 35", help: 'sequence length' }),
  randomBptt: field.boolean({ default: false, defaultText: "the model's recipe (AWD-style models: true), else false", help: 'AWD-LSTM random sequence lengths (lr scaled by seq_len/bptt)' }),
  maxSeqLenDelta: field.int({ min: 0, max: MAX_BATCH, default: 40, help: 'cap of the random length above bptt' }),
  evalBatchSize: field.int({ min: 1, max: MAX_BATCH, default: 10, defaultText: "the model's recipe (the official scripts: 20 or 10), else 10", help: 'validation batch size' }),
  testBatchSize: field.int({ min: 1, max: MAX_BATCH, default: 10, defaultText: "the model's recipe (AWD-style: 1), else the validation batch size", help: 'test batch size' }),
  seed: field.int({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, default: 1111, help: 'random seed (initialisation, dropout, data, topology)' }),
  finetune: field.boolean({ default: false, help: 'AWD-style finetuning: ASGD from the start, fixed topology, non-monotone stop (CLI: --finetune CHECKPOINT)' }),
} as const;

export type TrainFields = typeof TRAIN_FIELDS;

/** A run's configuration: the model name, its configuration, the data, and every training option. */
export type TrainConfig = FieldValues<TrainFields> & {
  /** The named model configuration the run started from (see modelNames()). */
  model: string;
  /** The model configuration actually used (overrides applied; vocab set from the corpus). */
  lm: AnyModelConfig;
  data: DataSpec;
};

/** What a caller may give; everything else gets the model's recipe or the default. */
export type TrainOptions = Partial<FieldValues<TrainFields>> & { model?: string; data?: DataSpec; lm?: Record<string, unknown> };

/** Defaults that are not training options. */
export const TRAIN_DEFAULTS = {
  model: 'lstm-small',
  adamLr: 1e-3,
  builtinMaxVocab: 10_000,
} as const;

/** Keys of a TrainConfig that are not training options. */
const NON_FIELD_KEYS = ['model', 'lm', 'data'] as const;

// A model family's field may not shadow a training option (they share the CLI's flag namespace).
addFamilyGuard((f) => {
  for (const k of Object.keys(f.fields)) {
    if (Object.hasOwn(TRAIN_FIELDS, k) || (NON_FIELD_KEYS as readonly string[]).includes(k)) throw new RangeError(`selfish-rnn: field '${k}' of model family '${f.name}' has the name of a training option; rename it`);
  }
});

/** The run's configuration with every default filled in and every value checked. */
export function resolveTrainConfig(opts: TrainOptions = {}, vocabSize?: number): TrainConfig {
  const model = opts.model ?? TRAIN_DEFAULTS.model;
  const { family, preset } = modelPreset(model);
  const { model: _m, lm: lmGiven, data, ...given } = definedOnly(opts);
  checkFields(TRAIN_FIELDS, given, { partial: true, owner: 'a training run' });
  // The model's recipe fills what the caller left out.
  const recipe: Record<string, unknown> = { ...modelRecipe(model) };
  checkFields(TRAIN_FIELDS, recipe, { partial: true, owner: `the recipe of model '${model}'` });
  if (given.method === 'dense') delete recipe.density; // a sparse recipe run densely
  if (given.optimizer !== undefined && given.optimizer !== recipe.optimizer) { delete recipe.lr; delete recipe.lrDecay; } // the recipe's lr schedule is its optimizer's
  const merged = { ...recipe, ...given } as Partial<FieldValues<TrainFields>>;
  const defaults = fieldDefaults(TRAIN_FIELDS) as FieldValues<TrainFields>;
  const method = merged.method ?? defaults.method;
  const optimizer = merged.optimizer ?? defaults.optimizer;
  const evalBatchSize = merged.evalBatchSize ?? defaults.evalBatchSize;
  const lm = familyConfig(family, { ...preset.config, ...lmGiven, ...(vocabSize !== undefined ? { vocab: vocabSize } : {}) }) as AnyModelConfig;
  const cfg: TrainConfig = {
    ...defaults,
    ...merged,
    model,
    lm,
    data: data ?? { source: 'builtin', maxVocab: TRAIN_DEFAULTS.builtinMaxVocab },
    method,
    optimizer,
    density: method === 'dense' ? (merged.density ?? 1) : (merged.density ?? defaults.density),
    lr: merged.lr ?? (optimizer === 'adam' ? TRAIN_DEFAULTS.adamLr : defaults.lr),
    evalBatchSize,
    testBatchSize: merged.testBatchSize ?? evalBatchSize,
  };
  checkTrainConfig(cfg);
  return cfg;
}

/**
 * The one check of a run's configuration, for a new run and for the checkpoint reader alike:
 * every training option and model field in range, no unknown key, and the rules between options.
 * Throws a RangeError naming the first problem; `name` says how an option is called in it.
 */
export function checkTrainConfig(c: TrainConfig, name: (key: string) => string = (k) => k): void {
  const { model: _m, lm, data: _d, ...options } = c;
  checkFields(TRAIN_FIELDS, options, { name, owner: 'a training run' });
  checkModelFields(modelFamily(String(lm?.kind)), lm, (k) => name(`lm.${k}`).replace(/^lm\./, ''));
  checkDataSpec(c.data, (k) => name(`data.${k}`));
  if (c.method === 'dense' && c.density !== 1) throw new RangeError(`selfish-rnn: ${name('density')} ${c.density} needs a sparse method (method 'dense' trains every weight)`);
  if (c.lrDecay < 1 && c.optimizer !== 'sgd') throw new RangeError(`selfish-rnn: ${name('lrDecay')} is a schedule of plain SGD; it cannot be combined with optimizer 'adam'`);
  if (c.finetune && c.optimizer !== 'sgd') throw new RangeError("selfish-rnn: finetuning runs (Averaged) SGD; it cannot be combined with optimizer 'adam' (give --optimizer sgd)");
}

/** The data source of a run: a known source, a path where it needs one, a vocabulary cap in range. */
export function checkDataSpec(d: unknown, name: (key: string) => string = (k) => `data.${k}`): void {
  const data = d as Record<string, unknown> | null;
  if (typeof data !== 'object' || data === null) throw new RangeError(`selfish-rnn: ${name('').replace(/\.$/, '')} must be an object`);
  if (!['builtin', 'word', 'text'].includes(data.source as string)) throw new RangeError(`selfish-rnn: ${name('source')} must be one of 'builtin', 'word', 'text', got ${JSON.stringify(data.source)}`);
  if (data.source !== 'builtin' && typeof data.path !== 'string') throw new RangeError(`selfish-rnn: ${name('path')} must be a string`);
  if (data.source !== 'word' && !(Number.isSafeInteger(data.maxVocab) && (data.maxVocab as number) >= 1 && (data.maxVocab as number) <= MAX_VOCAB)) {
    throw new RangeError(`selfish-rnn: ${name('maxVocab')} must be an integer in [1, ${MAX_VOCAB}], got ${JSON.stringify(data.maxVocab)}`);
  }
}

/** Whether the run has sparse weights at all. */
export function isSparseRun(c: TrainConfig): boolean {
  return c.method !== 'dense';
}

/** The options handed to the sparse engine for this run. */
export function sparsityOptions(c: TrainConfig, totalSteps: number, seed: number): SparsityOptions {
  const o: SparsityOptions = { method: c.method, density: c.density, sparseInit: c.sparseInit, deathRate: c.deathRate, totalSteps, updateEvery: c.updateEvery, seed, exactCounts: c.exactCounts };
  if (c.death !== undefined) o.death = c.death;
  if (c.growth !== undefined) o.growth = c.growth;
  if (c.redistribution !== undefined) o.redistribution = c.redistribution;
  return o;
}

/** The options whose value is not undefined (so spreading them does not erase a recipe's). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
