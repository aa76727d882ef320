// A model family, declared once: its configuration fields (type, default, range, help), its named
// configurations with the training recipe each reproduces, how to build it, and what the rest of
// the library needs to know about it (state names, export names, sizes from a state_dict, weight
// shapes for memory and FLOP estimates). The built-in families and a user's family are declared
// with `defineModelFamily` and added with `registerModelFamily` (src/models/registry.ts): the
// trainer, checkpoints, export/import, the CLI (--plugin) and the study see no difference.
import { checkFields, fieldDefaults, type FieldSchema, type FieldValues } from '../config/fields.js';
import type { Random } from '../random.js';
import type { LanguageModel } from './language-model.js';

/** Every model configuration: the family name, the vocabulary size (from the corpus) and the family's fields. */
export type ModelConfigBase = {
  /** The family (`ModelFamily.name`). */
  kind: string;
  /** Vocabulary size; 0 until it is taken from the corpus. */
  vocab: number;
};

/** A family's configuration: `{ kind, vocab }` plus its declared fields. */
export type ModelConfig<S extends FieldSchema = FieldSchema> = ModelConfigBase & FieldValues<S>;

/** The generic form, for code that serves every family (trainer, checkpoints, CLI). */
export type AnyModelConfig = ModelConfigBase & Record<string, number | boolean | string>;

/**
 * Training options a recipe sets (lr, epochs, method, …: the names and ranges of the training
 * options, src/train/config.ts). Checked when a run is resolved, so a typo in a recipe is refused
 * naming the model.
 */
export type TrainingRecipe = Readonly<Record<string, number | boolean | string>>;

export interface ModelPreset<S extends FieldSchema> {
  /** Field values of this named configuration; the fields' defaults fill the rest. */
  config: Partial<FieldValues<S>>;
  /** Where the numbers come from (shown by `info`, `--help` and the docs). */
  source?: string;
  /** The training recipe of the command it reproduces (on top of the family's `recipe`). */
  recipe?: TrainingRecipe;
  /** The perplexities the source publishes for this configuration and recipe (what a reproduction is held to). */
  published?: { valid?: number; test?: number; what: string };
}

/** A weight matrix of a configuration, for estimates made before anything is allocated. */
export interface WeightShape {
  name: string;
  rows: number;
  cols: number;
  /** How many matrices of this shape (e.g. one per layer): shapes stay few for deep models. */
  count?: number;
  /**
   * 'embedding' (a lookup: no multiply per token), 'recurrent' (used at every time step, the
   * sparse products), 'output' (the decoder). Only embeddings cost nothing per token.
   */
  role: 'embedding' | 'recurrent' | 'output';
  /** The same parameters as another listed matrix (a tied decoder): compute per token, no memory. */
  tied?: boolean;
}

export interface ModelFamily<S extends FieldSchema = FieldSchema> {
  /** The family id, stored as `kind` in every configuration and checkpoint. */
  readonly name: string;
  /** Human name ("stacked LSTM"). */
  readonly title: string;
  /** The configuration fields, each declared once. */
  readonly fields: S;
  /** Named configurations (what `--model NAME` selects). */
  readonly presets: Readonly<Record<string, ModelPreset<S>>>;
  /** Training defaults of every preset of the family (e.g. its scripts' evaluation batch sizes). */
  readonly recipe?: TrainingRecipe;
  /** Builds the model, its weights initialised from `rng`. */
  create(config: ModelConfig<S>, rng: Random): LanguageModel;
  /** A constraint between fields, as a sentence naming them (null when the configuration is fine). */
  check?(config: ModelConfig<S>): string | null;
  /** Names of the tensors of one layer's recurrent state, e.g. ['h', 'c']. */
  readonly stateNames: readonly string[];
  /** One line on the architecture, for `info` and progress output. */
  describe(config: ModelConfig<S>): string;
  /**
   * Export: besides every parameter's own name (ours follow the module tree, as PyTorch's do),
   * the second names a tied weight has in the reference implementation, as [alias, source].
   */
  exportAliases?(config: ModelConfig<S>): readonly [alias: string, source: string][];
  /** Import: the sizes read off a state_dict's tensor shapes, or null when the names are not this family's. */
  sizesFromStateDict?(shapes: ReadonlyMap<string, readonly number[]>): Partial<ModelConfig<S>> | null;
  /** The weight matrices of a configuration (memory estimate, FLOPs, density checks); closed form, no allocation. */
  weightShapes?(config: ModelConfig<S>): WeightShape[];
}

/** Keys every configuration has besides the family's fields. */
export const CONFIG_BASE_KEYS = ['kind', 'vocab'] as const;

/**
 * Checks a family declaration and returns it typed: field names that clash with the base keys,
 * presets that name unknown fields or leave a field without a value, values out of range.
 */
export function defineModelFamily<S extends FieldSchema>(def: ModelFamily<S>): ModelFamily<S> {
  checkFamilyDeclaration(def);
  defined.add(def);
  return def;
}

/** Declarations that went through defineModelFamily (what a plugin module may export). */
const defined = new WeakSet<object>();

/** Whether a value is a family declaration made with `defineModelFamily`. */
export function isModelFamily(v: unknown): v is ModelFamily {
  return typeof v === 'object' && v !== null && defined.has(v);
}

function checkFamilyDeclaration<S extends FieldSchema>(def: ModelFamily<S>): void {
  const where = `model family '${def.name}'`;
  if (typeof def.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(def.name)) throw new TypeError(`selfish-rnn: a model family's name must be lower-case letters, digits and '-', got ${JSON.stringify(def.name)}`);
  for (const k of ['title', 'fields', 'presets', 'create', 'stateNames', 'describe'] as const) {
    if (def[k] === undefined) throw new TypeError(`selfish-rnn: ${where} has no '${k}'`);
  }
  for (const k of CONFIG_BASE_KEYS) if (Object.hasOwn(def.fields, k)) throw new TypeError(`selfish-rnn: ${where} declares a field '${k}', which every configuration already has`);
  if (Object.keys(def.presets).length === 0) throw new TypeError(`selfish-rnn: ${where} has no named configuration (presets)`);
  for (const [name, p] of Object.entries(def.presets)) {
    try {
      familyConfig(def, p.config as Record<string, unknown>);
    } catch (e) {
      throw new TypeError(`selfish-rnn: preset '${name}' of ${where}: ${(e as Error).message.replace(/^selfish-rnn: /, '')}`);
    }
  }
}

/** A complete configuration of `family` from defaults, then `values`; checked (RangeError naming the field). */
export function familyConfig<S extends FieldSchema>(family: ModelFamily<S>, values: Record<string, unknown>, vocab = 0): ModelConfig<S> {
  const { kind: _k, vocab: v, ...fields } = values;
  const cfg = { kind: family.name, vocab: typeof v === 'number' ? v : vocab, ...fieldDefaults(family.fields), ...fields } as ModelConfig<S>;
  checkModelFields(family, cfg);
  return cfg;
}

/**
 * The one check of a configuration's values (new runs and the checkpoint reader alike): every
 * field present and in range, no unknown key, the family's own constraint. `name` says how a
 * field is called in the message (a flag, a checkpoint path).
 */
export function checkModelFields(family: ModelFamily, cfg: unknown, name?: (key: string) => string): void {
  checkFields(family.fields, cfg, { name, extra: CONFIG_BASE_KEYS, owner: `model family '${family.name}' (${family.title})` });
  const c = cfg as AnyModelConfig;
  if (!(Number.isSafeInteger(c.vocab) && c.vocab >= 0 && c.vocab <= MAX_VOCAB)) throw new RangeError(`selfish-rnn: ${name?.('vocab') ?? 'vocab'} must be an integer in [0, ${MAX_VOCAB}], got ${String(c.vocab)}`);
  const why = family.check?.(c as ModelConfig);
  if (why) throw new RangeError(`selfish-rnn: ${why}`);
}

/** Largest vocabulary a configuration may name (far beyond any corpus that fits in memory). */
export const MAX_VOCAB = 2 ** 24;
