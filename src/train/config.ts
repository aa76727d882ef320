// The configuration of a training run: one plain JSON object, stored in every checkpoint, so a
// run can be resumed, evaluated and exported without its command line. `resolveTrainConfig`
// fills defaults (the Selfish-RNN / AWD-LSTM recipe values, the model's own lr, batch size and
// bptt) and refuses invalid values with messages that name the option and the value.
import { modelConfig, modelSpec, MODEL_NAMES, type LMConfig } from '../models/index.js';
import type { SparseMethod, SparsityOptions } from '../sparse/engine-api.js';
import { SPARSE_METHODS } from '../sparse/methods.js';
import { DEATH_NAMES, GROWTH_NAMES, REDISTRIBUTION_NAMES } from '../sparse/strategies/names.js';
import { recipeOf } from './presets.js';

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

export interface TrainConfig {
  /** The named model configuration the run started from (see MODEL_NAMES). */
  model: string;
  /** The model configuration actually used (overrides applied; vocab set from the corpus). */
  lm: LMConfig;
  data: DataSpec;
  method: SparseMethod;
  /** Global density of the sparse weights; 1 for dense runs. */
  density: number;
  sparseInit: NonNullable<SparsityOptions['sparseInit']>;
  death?: SparsityOptions['death'];
  growth?: SparsityOptions['growth'];
  redistribution?: SparsityOptions['redistribution'];
  /** Initial death (prune) rate p0 of the cosine schedule. */
  deathRate: number;
  /** Topology update every k steps (0: once per epoch, as Selfish-RNN). */
  updateEvery: number;
  optimizer: OptimizerName;
  lr: number;
  /** Gradient clipping (global L2 norm); 0 disables it. */
  clip: number;
  /** Which norm the clip measures (see CLIP_NORMS; absent in old checkpoints = 'active'). */
  clipNorm?: ClipNorm;
  /** Exact nonzero counts (default) or the official Bernoulli draws at init and growth. */
  exactCounts?: boolean;
  /** Step decay of plain SGD (Zaremba et al.): lr × lrDecay^max(0, epoch − lrDecayAfter); 1 = none. With decay the NT trigger is off: only asgdEpoch switches to ASGD, and the decay goes on. */
  lrDecay?: number;
  lrDecayAfter?: number;
  /** L2 weight decay added to the gradient (all parameters). */
  wdecay: number;
  /** Non-monotone interval of the NT-ASGD trigger (and of the finetune stop rule). */
  nonmono: number;
  /** Switch to (SNT-)ASGD at the end of this epoch at the latest (0: only the NT trigger decides). */
  asgdEpoch: number;
  epochs: number;
  batchSize: number;
  bptt: number;
  /** AWD-LSTM random sequence lengths (and lr scaled by seq_len / bptt). */
  randomBptt: boolean;
  maxSeqLenDelta: number;
  /** Batch size of validation (AWD: 10). */
  evalBatchSize: number;
  /** Batch size of the final test evaluation (AWD: 1). */
  testBatchSize: number;
  seed: number;
  /** AWD-style finetuning: ASGD from the start, fixed topology, non-monotone stop. */
  finetune: boolean;
}

/** What a caller may give; everything else gets its default. */
export type TrainOptions = Partial<Omit<TrainConfig, 'lm'>> & { lm?: Partial<LMConfig> };

/** Defaults that do not depend on the model (Selfish-RNN main.py / AWD-LSTM values). */
export const TRAIN_DEFAULTS = {
  model: 'lstm-small',
  density: 0.33,
  sparseInit: 'uniform',
  deathRate: 0.5,
  updateEvery: 0,
  optimizer: 'sgd',
  clip: 0.25,
  clipNorm: 'dense' as ClipNorm,
  wdecay: 1.2e-6,
  nonmono: 5,
  asgdEpoch: 0,
  epochs: 40,
  maxSeqLenDelta: 40,
  evalBatchSize: 10,
  seed: 1111,
  adamLr: 1e-3,
  builtinMaxVocab: 10_000,
} as const;

/** The run's configuration with every default filled in and every value checked. */
export function resolveTrainConfig(opts: TrainOptions = {}, vocabSize?: number): TrainConfig {
  const model = opts.model ?? TRAIN_DEFAULTS.model;
  if (!MODEL_NAMES.includes(model)) throw new RangeError(`selfish-rnn: unknown model '${model}'; known models: ${MODEL_NAMES.join(', ')}`);
  // The model's recipe fills what the caller left out (src/train/presets.ts).
  const given = definedOnly(opts);
  const recipe: TrainOptions = { ...recipeOf(model) };
  if (given.method === 'dense') delete recipe.density; // a sparse recipe run densely
  if (given.optimizer !== undefined && given.optimizer !== recipe.optimizer) { delete recipe.lr; delete recipe.lrDecay; } // the recipe's lr schedule is its optimizer's
  opts = { ...recipe, ...given };
  const lmOverrides: Partial<LMConfig> = { ...(opts.lm ?? {}) };
  if (vocabSize !== undefined) lmOverrides.vocab = vocabSize;
  const lm = modelConfig(model, lmOverrides);
  const spec = modelSpec(lm.kind);
  const method = opts.method ?? 'dense';
  if (!SPARSE_METHODS.includes(method)) throw new RangeError(`selfish-rnn: unknown method '${method}'; methods: ${SPARSE_METHODS.join(', ')}`);
  const density = method === 'dense' ? (opts.density ?? 1) : (opts.density ?? TRAIN_DEFAULTS.density);
  if (!(density > 0 && density <= 1)) throw new RangeError(`selfish-rnn: density must be in (0, 1] (the fraction of weights kept), got ${density}`);
  if (method === 'dense' && density !== 1) throw new RangeError(`selfish-rnn: density ${density} needs a sparse method (method 'dense' trains every weight)`);
  const optimizer = opts.optimizer ?? TRAIN_DEFAULTS.optimizer;
  if (!OPTIMIZERS.includes(optimizer)) throw new RangeError(`selfish-rnn: unknown optimizer '${optimizer}'; optimizers: ${OPTIMIZERS.join(', ')}`);
  const cfg: TrainConfig = {
    model,
    lm,
    data: opts.data ?? { source: 'builtin', maxVocab: TRAIN_DEFAULTS.builtinMaxVocab },
    method,
    density,
    sparseInit: opts.sparseInit ?? TRAIN_DEFAULTS.sparseInit,
    death: opts.death,
    growth: opts.growth,
    redistribution: opts.redistribution,
    deathRate: opts.deathRate ?? TRAIN_DEFAULTS.deathRate,
    updateEvery: opts.updateEvery ?? TRAIN_DEFAULTS.updateEvery,
    optimizer,
    lr: opts.lr ?? (optimizer === 'adam' ? TRAIN_DEFAULTS.adamLr : lm.lr),
    clip: opts.clip ?? TRAIN_DEFAULTS.clip,
    clipNorm: opts.clipNorm ?? TRAIN_DEFAULTS.clipNorm,
    exactCounts: opts.exactCounts ?? true,
    lrDecay: opts.lrDecay ?? 1,
    lrDecayAfter: opts.lrDecayAfter ?? 0,
    wdecay: opts.wdecay ?? TRAIN_DEFAULTS.wdecay,
    nonmono: opts.nonmono ?? TRAIN_DEFAULTS.nonmono,
    asgdEpoch: opts.asgdEpoch ?? TRAIN_DEFAULTS.asgdEpoch,
    epochs: opts.epochs ?? TRAIN_DEFAULTS.epochs,
    batchSize: opts.batchSize ?? lm.batchSize,
    bptt: opts.bptt ?? lm.bptt,
    randomBptt: opts.randomBptt ?? spec.training?.randomBptt ?? false,
    maxSeqLenDelta: opts.maxSeqLenDelta ?? TRAIN_DEFAULTS.maxSeqLenDelta,
    // The official scripts' values, per family (ModelSpec.training): Selfish-RNN main.py evaluates
    // the stacked LSTM and the RHN with batch 20 for both splits; the AWD-style scripts use 10 for
    // validation and 1 for test.
    evalBatchSize: opts.evalBatchSize ?? spec.training?.evalBatchSize ?? TRAIN_DEFAULTS.evalBatchSize,
    testBatchSize: opts.testBatchSize ?? spec.training?.testBatchSize ?? opts.evalBatchSize ?? TRAIN_DEFAULTS.evalBatchSize,
    seed: opts.seed ?? TRAIN_DEFAULTS.seed,
    finetune: opts.finetune ?? false,
  };
  // Keep the recipe values in the model config too, so the checkpoint's `lm` tells the whole story.
  cfg.lm = { ...cfg.lm, batchSize: cfg.batchSize, bptt: cfg.bptt, lr: cfg.lr };
  checkTrainConfig(cfg);
  return cfg;
}

/** Throws a RangeError naming the first invalid value. */
export function checkTrainConfig(c: TrainConfig): void {
  const bad = (what: string, v: unknown, need: string) => new RangeError(`selfish-rnn: ${what} must be ${need}, got ${JSON.stringify(v)}`);
  const posInt = (k: keyof TrainConfig) => {
    const v = c[k] as number;
    if (!(Number.isInteger(v) && v > 0)) throw bad(k, v, 'a positive integer');
  };
  for (const k of ['epochs', 'batchSize', 'bptt', 'evalBatchSize', 'testBatchSize', 'nonmono'] as const) posInt(k);
  if (!(Number.isInteger(c.updateEvery) && c.updateEvery >= 0)) throw bad('updateEvery', c.updateEvery, 'an integer ≥ 0');
  if (!(Number.isInteger(c.asgdEpoch ?? 0) && (c.asgdEpoch ?? 0) >= 0)) throw bad('asgdEpoch', c.asgdEpoch, 'an integer ≥ 0');
  if (!(c.lr > 0 && Number.isFinite(c.lr))) throw bad('lr', c.lr, 'a finite number > 0');
  if (!(c.clip >= 0 && Number.isFinite(c.clip))) throw bad('clip', c.clip, 'a finite number ≥ 0 (0 disables clipping)');
  if (!(c.wdecay >= 0 && Number.isFinite(c.wdecay))) throw bad('wdecay', c.wdecay, 'a finite number ≥ 0');
  if (!(c.deathRate >= 0 && c.deathRate <= 1)) throw bad('deathRate', c.deathRate, 'in [0, 1]');
  if (!(c.maxSeqLenDelta >= 0)) throw bad('maxSeqLenDelta', c.maxSeqLenDelta, '≥ 0');
  if (!Number.isSafeInteger(c.seed)) throw bad('seed', c.seed, 'an integer');
  if (c.sparseInit !== 'uniform' && c.sparseInit !== 'ER') throw bad('sparseInit', c.sparseInit, "'uniform' or 'ER'");
  const oneOf = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');
  if (c.death !== undefined && !(DEATH_NAMES as string[]).includes(c.death)) throw bad('death', c.death, `one of ${oneOf(DEATH_NAMES)}`);
  if (c.growth !== undefined && !(GROWTH_NAMES as string[]).includes(c.growth)) throw bad('growth', c.growth, `one of ${oneOf(GROWTH_NAMES)}`);
  if (c.redistribution !== undefined && !(REDISTRIBUTION_NAMES as string[]).includes(c.redistribution)) throw bad('redistribution', c.redistribution, `one of ${oneOf(REDISTRIBUTION_NAMES)}`);
  if (c.clipNorm !== undefined && !CLIP_NORMS.includes(c.clipNorm)) throw bad('clipNorm', c.clipNorm, CLIP_NORMS.map((v) => `'${v}'`).join(', '));
  if (c.exactCounts !== undefined && typeof c.exactCounts !== 'boolean') throw bad('exactCounts', c.exactCounts, 'true or false');
  if (c.lrDecay !== undefined && !(c.lrDecay > 0 && c.lrDecay <= 1)) throw bad('lrDecay', c.lrDecay, 'in (0, 1]');
  if (c.lrDecayAfter !== undefined && !(Number.isInteger(c.lrDecayAfter) && c.lrDecayAfter >= 0)) throw bad('lrDecayAfter', c.lrDecayAfter, 'an integer ≥ 0');
  if ((c.lrDecay ?? 1) < 1 && c.optimizer !== 'sgd') throw new RangeError("selfish-rnn: lrDecay is a schedule of plain SGD; it cannot be combined with optimizer 'adam'");
  if (c.finetune && c.optimizer !== 'sgd') throw new RangeError("selfish-rnn: finetuning runs (Averaged) SGD; it cannot be combined with optimizer 'adam'");
}

/** Whether the run has sparse weights at all. */
export function isSparseRun(c: TrainConfig): boolean {
  return c.method !== 'dense';
}

/** The options handed to the sparse engine for this run. */
export function sparsityOptions(c: TrainConfig, totalSteps: number, seed: number): SparsityOptions {
  const o: SparsityOptions = { method: c.method, density: c.density, sparseInit: c.sparseInit, deathRate: c.deathRate, totalSteps, updateEvery: c.updateEvery, seed, exactCounts: c.exactCounts ?? true };
  if (c.death !== undefined) o.death = c.death;
  if (c.growth !== undefined) o.growth = c.growth;
  if (c.redistribution !== undefined) o.redistribution = c.redistribution;
  return o;
}

/** The options whose value is not undefined (so spreading them does not erase a recipe's). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
