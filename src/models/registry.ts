// The model registry: every model family the library knows, found by kind or by preset name.
// Adding a family is one file with its model and its ModelSpec, plus one line here
// (test/registry.test.ts checks that no other file names a family).
import { globalRandom, type Random } from '../random.js';
import { applyOverrides, type LMConfig } from './configs.js';
import type { LanguageModel } from './language-model.js';
import type { ModelSpec } from './model-spec.js';
import { stackedLstmSpec } from './stacked-lstm.js';
import { awdLstmMosSpec } from './awd-lstm-mos.js';
import { rhnSpec } from './rhn.js';
import { onlstmSpec } from './onlstm.js';

const SPECS: readonly ModelSpec[] = [stackedLstmSpec, awdLstmMosSpec, rhnSpec, onlstmSpec];

const byKind = new Map(SPECS.map((s) => [s.kind, s]));
const byPreset = new Map<string, ModelSpec>();
for (const s of SPECS) {
  for (const [name, preset] of Object.entries(s.presets)) {
    if (byPreset.has(name)) throw new Error(`selfish-rnn: model preset '${name}' is declared twice`);
    if (preset.kind !== s.kind) throw new Error(`selfish-rnn: preset '${name}' of family '${s.kind}' has kind '${preset.kind}'`);
    byPreset.set(name, s);
  }
}

/** Every registered family, in registration order. */
export function modelSpecs(): readonly ModelSpec[] {
  return SPECS;
}

/** The family of a configuration kind; unknown kinds are refused, listing the known ones. */
export function modelSpec(kind: string): ModelSpec {
  const s = byKind.get(kind);
  if (s === undefined) throw new RangeError(`selfish-rnn: unknown model family '${kind}'; families: ${[...byKind.keys()].join(', ')}`);
  return s;
}

/** Names accepted by `modelConfig` and the CLI's --model: every family's presets. */
export const MODEL_NAMES: readonly string[] = [...byPreset.keys()];

/** The named configuration with overrides applied; unknown names and fields are refused. */
export function modelConfig(name: string, overrides: Partial<LMConfig> = {}): LMConfig {
  const spec = byPreset.get(name);
  if (spec === undefined) throw new RangeError(`selfish-rnn: unknown model '${name}'; known models: ${MODEL_NAMES.join(', ')}`);
  const cfg = applyOverrides(name, spec.presets[name]!, overrides);
  spec.normalize?.(cfg);
  return cfg;
}

/** A model from a configuration object, or from a configuration name plus overrides. */
export function createModel(config: LMConfig | string, overrides: Partial<LMConfig> = {}, rng: Random = globalRandom): LanguageModel {
  const cfg = typeof config === 'string' ? modelConfig(config, overrides) : { ...config, ...overrides };
  return modelSpec(cfg.kind).create(cfg, rng);
}
