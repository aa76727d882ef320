// The model registry: every model family the library knows, found by name (`kind`) or by the name
// of one of its configurations (presets). The built-in families are registered here through the
// same public call a user's family uses (`registerModelFamily`), and so are those written on the
// public API alone (src/families/index.ts, which the package entry imports); nothing else in the
// library names a family (test/registry.test.ts checks it).
import { globalRandom, type Random } from '../random.js';
import { familyConfig, isModelFamily, type AnyModelConfig, type ModelFamily, type ModelPreset, type TrainingRecipe } from './family.js';
import type { LanguageModel } from './language-model.js';
import { stackedLstm } from './stacked-lstm.js';
import { awdLstmMos } from './awd-lstm-mos.js';
import { rhn } from './rhn.js';
import { onlstm } from './onlstm.js';

const families = new Map<string, ModelFamily>();
const presets = new Map<string, ModelFamily>();

/**
 * Adds a family (from `defineModelFamily`): its presets become `--model` names, its fields CLI
 * flags, and its checkpoints readable. Refuses a family or preset name already taken, and a field
 * whose type differs from a registered family's field of the same name (they share one CLI flag).
 * Registering the very same declaration twice is a no-op (a plugin imported twice).
 */
export function registerModelFamily(family: ModelFamily<any>): void {
  const f = family as ModelFamily;
  if (!isModelFamily(f)) throw new TypeError('selfish-rnn: registerModelFamily takes a declaration made with defineModelFamily({...})');
  const existing = families.get(f.name);
  if (existing === f) return;
  if (existing !== undefined) throw new RangeError(`selfish-rnn: a model family named '${f.name}' is already registered (${existing.title})`);
  for (const name of Object.keys(f.presets)) {
    const other = presets.get(name);
    if (other !== undefined) throw new RangeError(`selfish-rnn: model '${name}' of family '${f.name}' is already a model of family '${other.name}'`);
  }
  for (const [key, spec] of Object.entries(f.fields)) {
    for (const other of families.values()) {
      const o = other.fields[key];
      if (o !== undefined && o.type !== spec.type) {
        throw new RangeError(`selfish-rnn: field '${key}' of family '${f.name}' is ${spec.type === 'int' ? 'an' : 'a'} ${spec.type}, but family '${other.name}' declares it as ${o.type === 'int' ? 'an' : 'a'} ${o.type} (one CLI flag serves both): rename it`);
      }
    }
  }
  for (const hook of fieldGuards) hook(f);
  families.set(f.name, f);
  for (const name of Object.keys(f.presets)) presets.set(name, f);
}

/** Checks a higher layer runs on every family before it is registered (e.g. no clash with training options). */
const fieldGuards: ((f: ModelFamily) => void)[] = [];
export function addFamilyGuard(guard: (f: ModelFamily) => void): void {
  fieldGuards.push(guard);
  for (const f of families.values()) guard(f);
}

for (const f of [stackedLstm, awdLstmMos, rhn, onlstm]) registerModelFamily(f);

/** Every registered family, in registration order. */
export function modelFamilies(): readonly ModelFamily[] {
  return [...families.values()];
}

/** The family of a configuration kind; unknown kinds are refused, listing the known ones. */
export function modelFamily(kind: string): ModelFamily {
  const f = families.get(kind);
  if (f === undefined) throw new RangeError(`selfish-rnn: unknown model family '${kind}' (families: ${[...families.keys()].join(', ')}); a family from a plugin must be registered first (CLI: --plugin FILE)`);
  return f;
}

/** Every model name (`--model`): the presets of every registered family. */
export function modelNames(): string[] {
  return [...presets.keys()];
}

/** The family and preset of a model name; unknown names are refused, listing the known ones. */
export function modelPreset(name: string): { family: ModelFamily; preset: ModelPreset<any> } {
  const family = presets.get(name);
  if (family === undefined) throw new RangeError(`selfish-rnn: unknown model '${name}'; known models: ${modelNames().join(', ')} (a plugin's models need --plugin FILE)`);
  return { family, preset: family.presets[name]! };
}

/** The training recipe of a model name: its family's defaults, then its own. */
export function modelRecipe(name: string): TrainingRecipe {
  const { family, preset } = modelPreset(name);
  return { ...family.recipe, ...preset.recipe };
}

/** The named configuration with overrides applied; unknown names, unknown fields and bad values are refused. */
export function modelConfig(name: string, overrides: Record<string, unknown> = {}): AnyModelConfig {
  const { family, preset } = modelPreset(name);
  return familyConfig(family, { ...preset.config, ...overrides }) as AnyModelConfig;
}

/** A model from a configuration object, or from a configuration name plus overrides. */
export function createModel(config: AnyModelConfig | string, overrides: Record<string, unknown> = {}, rng: Random = globalRandom): LanguageModel {
  if (typeof config === 'string') {
    const cfg = modelConfig(config, overrides);
    return modelFamily(cfg.kind).create(cfg, rng);
  }
  const family = modelFamily(config.kind);
  return family.create(familyConfig(family, { ...config, ...overrides }), rng);
}

/**
 * Registers the families a plugin module declares: every export made with defineModelFamily, and
 * whatever its default export returns when that is a function, called with `lib` (the library's
 * namespace, so that a plugin needs no import of its own and runs in a browser worker as well).
 * Throws a TypeError when the module declares none.
 */
export async function registerFamiliesFrom(mod: Readonly<Record<string, unknown>>, lib: unknown): Promise<ModelFamily[]> {
  let found: unknown[] = Object.values(mod).filter(isModelFamily);
  if (typeof mod.default === 'function') {
    const made = await (mod.default as (l: unknown) => unknown)(lib);
    found = [...found, ...(Array.isArray(made) ? made : [made]).filter(isModelFamily)];
  }
  if (found.length === 0) throw new TypeError('selfish-rnn: the module declares no model family: export one made with defineModelFamily({...}), or a default function (library) => family');
  const out = [...new Set(found)] as ModelFamily[];
  for (const f of out) registerModelFamily(f);
  return out;
}
