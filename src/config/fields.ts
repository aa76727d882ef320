// Configuration fields declared once: type, default, range and one line of help. Everything else
// is derived from a declaration: the TypeScript type of the values (`FieldValues`), the defaults,
// the one validator that both a new run and the checkpoint reader use (so whatever trains also
// reloads), the CLI flags and their --help lines, and the lists a fuzzer draws flags from.
// Model families (src/models/family.ts) and the training options (src/train/config.ts) use it.

export interface IntField {
  type: 'int';
  min: number;
  max: number;
  default?: number;
  help: string;
  /** What --help shows as the default when `default` is absent or depends on the model. */
  defaultText?: string;
}

export interface NumberField {
  type: 'number';
  min: number;
  max: number;
  /** The bounds themselves are outside the range (e.g. density in (0, 1]). */
  openMin?: boolean;
  openMax?: boolean;
  default?: number;
  help: string;
  defaultText?: string;
}

export interface BooleanField {
  type: 'boolean';
  default?: boolean;
  help: string;
  defaultText?: string;
}

export interface ChoiceField<C extends string = string> {
  type: 'choice';
  choices: readonly C[];
  default?: C;
  help: string;
  defaultText?: string;
}

export type FieldSpec = (IntField | NumberField | BooleanField | ChoiceField) & {
  /** The value may be absent (e.g. "the method's own" when not given). */
  optional?: boolean;
};
export type FieldSchema = Readonly<Record<string, FieldSpec>>;

/** The value type of one field. */
export type FieldValue<F extends FieldSpec> =
  F extends { type: 'int' | 'number' } ? number : F extends { type: 'boolean' } ? boolean : F extends ChoiceField<infer C> ? C : never;

type OptionalKeys<S extends FieldSchema> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];

/** The values of a schema, e.g. `FieldValues<typeof fields>` = `{ nhid: number; tied: boolean; … }`. */
export type FieldValues<S extends FieldSchema> =
  & { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: FieldValue<S[K]> }
  & { -readonly [K in OptionalKeys<S>]?: FieldValue<S[K]> };

/** Largest integer an int field may declare as its maximum (loops and allocations stay ours to refuse). */
export const MAX_INT = 2 ** 31 - 1;

/** Field constructors: `field.int({ min: 1, max: 1024, default: 2, help: 'layers' })`. */
export const field = {
  int: (o: Omit<IntField, 'type'>): IntField => ({ type: 'int', ...o }),
  number: (o: Omit<NumberField, 'type'>): NumberField => ({ type: 'number', ...o }),
  boolean: (o: Omit<BooleanField, 'type'>): BooleanField => ({ type: 'boolean', ...o }),
  choice: <C extends string>(choices: readonly C[], o: Omit<ChoiceField<C>, 'type' | 'choices'>): ChoiceField<C> => ({ type: 'choice', choices, ...o }),
  /** The same field, allowed to be absent. */
  optional: <F extends FieldSpec>(f: F): F & { optional: true } => ({ ...f, optional: true }),
};

/** The range of a field in words: "an integer in [1, 1024]", "a number in (0, 1]", "true or false". */
export function describeRange(f: FieldSpec): string {
  switch (f.type) {
    case 'int':
      return `an integer in [${f.min}, ${f.max}]`;
    case 'number':
      return `a number in ${f.openMin ? '(' : '['}${f.min}, ${f.max}${f.openMax ? ')' : ']'}`;
    case 'boolean':
      return 'true or false';
    case 'choice':
      return `one of ${f.choices.map((c) => `'${c}'`).join(', ')}`;
  }
}

/** Why `v` is not a value of `f`, or null when it is. */
export function fieldProblem(f: FieldSpec, v: unknown): string | null {
  const ok = (() => {
    switch (f.type) {
      case 'int':
        return typeof v === 'number' && Number.isSafeInteger(v) && v >= f.min && v <= f.max;
      case 'number':
        return typeof v === 'number' && Number.isFinite(v) && (f.openMin ? v > f.min : v >= f.min) && (f.openMax ? v < f.max : v <= f.max);
      case 'boolean':
        return typeof v === 'boolean';
      case 'choice':
        return typeof v === 'string' && (f.choices as readonly string[]).includes(v);
    }
  })();
  return ok ? null : `must be ${describeRange(f)}, got ${show(v)}`;
}

export interface CheckFieldsOptions {
  /** How a field is named in messages (default: its key), e.g. `--nhid` or `meta.config.lm.nhid`. */
  name?: (key: string) => string;
  /** Absent fields are allowed (options to be completed by defaults). Default false. */
  partial?: boolean;
  /** Keys that are not fields but allowed (e.g. `kind`, `vocab`). */
  extra?: readonly string[];
  /** What the values belong to, for the unknown-key message ("model 'zaremba-small'"). */
  owner?: string;
}

/**
 * The one validator: throws a RangeError naming the first unknown key, missing field or value out
 * of range. Never throws anything else, whatever `values` is.
 */
export function checkFields(schema: FieldSchema, values: unknown, o: CheckFieldsOptions = {}): void {
  const name = o.name ?? ((k: string) => k);
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new RangeError(`selfish-rnn: ${o.owner ?? 'the configuration'} must be an object, got ${show(values)}`);
  const extra = new Set(o.extra ?? []);
  for (const k of Object.keys(values)) {
    if (!Object.hasOwn(schema, k) && !extra.has(k)) {
      throw new RangeError(`selfish-rnn: unknown option ${name(k)}${o.owner ? ` for ${o.owner}` : ''} (its options: ${Object.keys(schema).map(name).join(', ')})`);
    }
  }
  for (const [k, f] of Object.entries(schema)) {
    const v = (values as Record<string, unknown>)[k];
    if (v === undefined) {
      if (o.partial || f.optional) continue;
      throw new RangeError(`selfish-rnn: ${name(k)} is missing${o.owner ? ` for ${o.owner}` : ''} (${describeRange(f)})`);
    }
    const why = fieldProblem(f, v);
    if (why !== null) throw new RangeError(`selfish-rnn: ${name(k)} ${why}`);
  }
}

/** Every declared default of a schema (fields without one are left out). */
export function fieldDefaults(schema: FieldSchema): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (const [k, f] of Object.entries(schema)) if (f.default !== undefined) out[k] = f.default;
  return out;
}

/** The CLI flag of a field key: camelCase → kebab-case (`batchSize` → `batch-size`). */
export function flagOf(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Values at and just outside a field's bounds, for tests and fuzzers: [valid, invalid]. */
export function boundaryValues(f: FieldSpec): { valid: unknown[]; invalid: unknown[] } {
  switch (f.type) {
    case 'int':
      // (Beyond 2^52 a float has no fraction: min + 0.5 would be an integer, hence valid.)
      return { valid: [f.min, f.max], invalid: [f.min - 1, f.max + 1, ...(Number.isInteger(f.min + 0.5) ? [] : [f.min + 0.5])] };
    case 'number': {
      const step = (x: number) => Math.max(Math.abs(x) * 1e-6, 1e-9);
      const lo = f.openMin ? f.min + step(f.min) : f.min, hi = f.openMax ? f.max - step(f.max) : f.max;
      return { valid: [lo, hi], invalid: [f.openMin ? f.min : f.min - step(f.min), f.openMax ? f.max : f.max + step(f.max)] };
    }
    case 'boolean':
      return { valid: [true, false], invalid: ['yes'] };
    case 'choice':
      return { valid: [...f.choices], invalid: ['no-such-choice'] };
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
}
