// CLI flags derived from the field declarations: every training option (src/train/config.ts
// TRAIN_FIELDS) and every field of every registered model family (a plugin's included) becomes a
// flag with its --help line; a flag's value is checked against its field's range and named in
// the message. Nothing here lists an option by hand.
/// <reference types="node" />
import type { Args, Argv } from 'yargs';
import { describeRange, fieldProblem, flagOf, type FieldSpec } from '../config/fields.js';
import { modelFamilies, modelPreset, type ModelFamily } from '../models/index.js';
import { METHODS } from '../sparse/methods.js';
import { TRAIN_FIELDS, type TrainOptions } from '../train/config.js';
import { UsageError } from './format.js';

type Spec = Parameters<Argv['option']>[1];

/** Training options that are not flags of their own (`finetune` is --finetune CHECKPOINT). */
const NOT_FLAGS = new Set(['finetune']);
const SPARSE_KEYS = new Set(['method', 'density', 'sparseInit', 'death', 'growth', 'redistribution', 'deathRate', 'updateEvery', 'exactCounts']);

/** Extra --help text of a few options: what each choice is. */
const HELP_EXTRA: Record<string, () => string> = {
  method: () => `: ${Object.entries(METHODS).map(([n, r]) => `${n} = ${r.source}`).join('; ')}`,
};

function yargsSpec(f: FieldSpec, help: string, group: string): Spec {
  const base = { describe: help, group, defaultDescription: f.defaultText ?? (f.default === undefined ? 'none' : String(f.default)) };
  switch (f.type) {
    case 'int':
    case 'number':
      return { ...base, type: 'number' };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'choice':
      return { ...base, type: 'string', choices: [...f.choices] };
  }
}

/** One flag per training option: [flag, yargs spec, option key]. */
export function trainFieldFlags(): [flag: string, spec: Spec, key: string][] {
  return Object.entries(TRAIN_FIELDS as Record<string, FieldSpec>)
    .filter(([k]) => !NOT_FLAGS.has(k))
    .map(([k, f]) => [flagOf(k), yargsSpec(f, f.help + (HELP_EXTRA[k]?.() ?? ''), SPARSE_KEYS.has(k) ? 'Sparse training:' : 'Optimisation:'), k]);
}

/**
 * One flag per model field over every registered family: a field several families share is one
 * flag (same type, by registration's rule); its help names the families that have it.
 */
export function modelFieldFlags(): [flag: string, spec: Spec, key: string][] {
  const byKey = new Map<string, { f: FieldSpec; families: ModelFamily[] }>();
  for (const fam of modelFamilies()) {
    for (const [k, f] of Object.entries(fam.fields)) {
      const e = byKey.get(k);
      if (e) e.families.push(fam);
      else byKey.set(k, { f, families: [fam] });
    }
  }
  const all = modelFamilies().length;
  return [...byKey].map(([k, { f, families }]) => {
    const which = families.length === all ? '' : ` (${families.map((x) => x.title).join(', ')})`;
    return [flagOf(k), { ...yargsSpec(f, f.help + which, 'Model:'), defaultDescription: "the model's" }, k];
  });
}

/** Adds every field flag to a command. */
export function withFieldFlags(y: Argv, opts: { train?: boolean; model?: boolean } = { train: true, model: true }): Argv {
  let out = y;
  if (opts.train) for (const [flag, spec] of trainFieldFlags()) out = out.option(flag, spec);
  if (opts.model) for (const [flag, spec] of modelFieldFlags()) out = out.option(flag, spec);
  return out;
}

/** Every field flag name (for "given with --resume" checks and the fuzzers' flag lists). */
export function fieldFlagNames(): string[] {
  return [...trainFieldFlags(), ...modelFieldFlags()].map(([flag]) => flag);
}

/** The flag's value checked against its field: a wrong type or range is a usage error naming the flag. */
function flagValue(a: Args, flag: string, f: FieldSpec): unknown {
  let v = a[flag];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new UsageError(`--${flag} was given ${v.length} times (${v.map((x) => JSON.stringify(x)).join(', ')}); give it once`);
  if ((f.type === 'int' || f.type === 'number') && (typeof v !== 'number' || Number.isNaN(v))) throw new UsageError(`--${flag} needs a number, got ${JSON.stringify(String(v))}`);
  if (f.type === 'boolean') v = Boolean(v);
  const why = fieldProblem(f, v);
  if (why !== null) throw new UsageError(`--${flag} ${why}`);
  return v;
}

/**
 * Training options and model fields from the flags (absent flags stay undefined: the recipe or
 * the default decides). Model flags are checked against the family of `--model` (or `model`):
 * a flag of another family is refused, naming the model's own.
 */
export function fieldOptionsFrom(a: Args, model: string): TrainOptions {
  const o: Record<string, unknown> = {};
  for (const [flag, , key] of trainFieldFlags()) {
    const v = flagValue(a, flag, (TRAIN_FIELDS as Record<string, FieldSpec>)[key]!);
    if (v !== undefined) o[key] = v;
  }
  let family: ModelFamily;
  try {
    family = modelPreset(model).family;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^selfish-rnn: /, ''));
  }
  const lm: Record<string, unknown> = {};
  for (const [flag, , key] of modelFieldFlags()) {
    if (a[flag] === undefined) continue;
    const f = family.fields[key];
    if (f === undefined) {
      const own = Object.keys(family.fields).map((k) => `--${flagOf(k)}`).join(', ');
      throw new UsageError(`--${flag} is not an option of model '${model}' (${family.title}); its model options: ${own}`);
    }
    lm[key] = flagValue(a, flag, f);
  }
  return { ...o, lm } as TrainOptions;
}

/** "--nhid: an integer in [1, 16777216]" lines, for `info` and the docs. */
export function describeFields(fields: Readonly<Record<string, FieldSpec>>): string[] {
  return Object.entries(fields).map(([k, f]) => `--${flagOf(k)}: ${f.help} (${describeRange(f)}${f.default !== undefined ? `, default ${f.default}` : ''})`);
}
