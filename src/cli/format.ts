// Small helpers shared by the CLI commands: the usage-error type, argument checks, number formats.
/// <reference types="node" />
import type { Args } from 'yargs';

/** A problem with the command line: reported with a hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A flag given twice arrives as an array: say so rather than "needs a number". */
function single(a: Args, key: string): unknown {
  const v = a[key];
  if (Array.isArray(v)) throw new UsageError(`--${key} was given ${v.length} times (${v.map((x) => JSON.stringify(x)).join(', ')}); give it once`);
  return v;
}

/** The flag's number, or undefined when absent; refuses non-numbers (yargs turns 'abc' into NaN/null). */
export function num(a: Args, key: string): number | undefined {
  const v = single(a, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new UsageError(`--${key} needs a number, got ${JSON.stringify(String(v))}`);
  if (!Number.isFinite(v)) throw new UsageError(`--${key} needs a finite number, got ${v}`);
  return v;
}

/**
 * Largest value an integer flag takes unless it says otherwise: far above any real setting, and
 * small enough that loops and allocations sized by it fail our own checks, not the engine's.
 */
export const MAX_INT_FLAG = 2 ** 31 - 1;

/** Like num, but an integer in [min, max]. */
export function int(a: Args, key: string, min = 0, max = MAX_INT_FLAG): number | undefined {
  const v = num(a, key);
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new UsageError(`--${key} needs an integer ≥ ${min}, got ${v}`);
  if (v !== undefined && v > max) throw new UsageError(`--${key} is at most ${grouped(max)}, got ${v}`);
  return v;
}

export function str(a: Args, key: string): string | undefined {
  const v = single(a, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${key} needs a value`);
  return v;
}

export function bool(a: Args, key: string): boolean | undefined {
  const v = single(a, key);
  return v === undefined ? undefined : Boolean(v);
}

/** Refuses any option given more than once (yargs collects repeats into an array). */
export function refuseRepeatedFlags(a: Args): void {
  for (const key of Object.keys(a)) if (key !== '_' && key !== '$0' && key !== 'plugin') single(a, key);
}

/** 1234567 → "1,234,567". */
export function grouped(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Seconds → "1:02:03" or "2:03". */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export function ppl(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return String(x);
  return x >= 1e7 ? x.toExponential(2) : x >= 1000 ? x.toFixed(0) : x.toFixed(2);
}

export function bytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} bytes`;
}
