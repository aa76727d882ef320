// Flags given more than once, found in the raw command line. The parser cannot be asked: it adds a
// repeated number flag whose later value is 1 to the earlier one (`--epochs 3 --epochs 1` arrives
// as 4) instead of collecting both, so a check of the parsed values misses exactly that case.
import type { Args } from 'yargs';
import { UsageError } from './format.js';

/** Flags meant to be given several times (one plugin module each). */
const REPEATABLE = new Set(['plugin']);

/** A number as the shell passes it ("-1", "1e-3", ".5"): a value, not a flag. */
const NUMBER = /^-?(\d|\.\d)/;

/** Each long flag of `argv` (before a `--`), in order, with the value written after it (if any). */
export function rawFlags(argv: readonly string[]): { name: string; value: string | undefined }[] {
  const out: { name: string; value: string | undefined }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (!token.startsWith('--') || token.length === 2) continue;
    const eq = token.indexOf('=');
    let name = eq < 0 ? token.slice(2) : token.slice(2, eq);
    if (name.startsWith('no-')) name = name.slice(3); // --no-json repeats --json
    const next = argv[i + 1];
    const value = eq >= 0 ? token.slice(eq + 1) : next !== undefined && (!next.startsWith('-') || NUMBER.test(next)) ? next : undefined;
    out.push({ name, value });
  }
  return out;
}

/**
 * Refuses a flag that appears twice in `argv` (`--lr 1 --lr 2`, `--lr=1 --lr 2`, `--json
 * --no-json`). `parsed` tells which flags are switches (their "value" would be the next word).
 */
export function refuseRepeatedRawFlags(argv: readonly string[], parsed: Args): void {
  const seen = new Map<string, (string | undefined)[]>();
  for (const { name, value } of rawFlags(argv)) {
    const values = seen.get(name) ?? [];
    values.push(value);
    seen.set(name, values);
  }
  for (const [name, values] of seen) {
    if (values.length < 2 || REPEATABLE.has(name)) continue;
    const v = parsed[name];
    const isSwitch = typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'boolean'));
    const shown = isSwitch || values.some((x) => x === undefined) ? '' : ` (${values.map((x) => (NUMBER.test(x!) ? x : JSON.stringify(x))).join(', ')})`;
    throw new UsageError(`--${name} was given ${values.length} times${shown}; give it once`);
  }
}

/**
 * Refuses a flag written without its value (`--density` at the end, or followed by another flag
 * or by `--`): the parser would quietly take the flag's default (or drop it) and start a run the
 * user did not ask for. Switches (boolean flags) need no value.
 */
export function refuseMissingValues(argv: readonly string[], parsed: Args): void {
  for (const { name, value } of rawFlags(argv)) {
    if (value !== undefined || name === 'help' || name === 'version') continue;
    const v = parsed[name];
    const isSwitch = typeof v === 'boolean' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'boolean'));
    if (!isSwitch) throw new UsageError(`--${name} needs a value (e.g. --${name} VALUE or --${name}=VALUE)`);
  }
}

/**
 * Refuses words the command does not take: after `--` the parser passes everything on as
 * arguments (`train -- --emsize 8` would train the default model and ignore `--emsize 8`).
 * `parsed._` holds the command name, then any such words.
 */
export function refuseExtraArguments(argv: readonly string[], parsed: Args): void {
  const extra = parsed._.slice(1);
  if (extra.length === 0) return;
  const dashes = argv.includes('--');
  throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((x) => JSON.stringify(String(x))).join(' ')}${dashes ? " (everything after '--' is taken as an argument, not a flag)" : ''}; this command takes none there`);
}
