// File access for the corpus loaders. Node.js and Deno only (Deno provides `node:fs`); the only
// module of src/data that imports a platform API, so the rest stays usable in browsers.
/// <reference types="node" />
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type PathKind = 'file' | 'directory' | 'missing' | 'other';

export function pathKind(path: string): PathKind {
  try {
    const s = statSync(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
  } catch (e) {
    if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return 'missing';
    throw e;
  }
}

/** A whole UTF-8 file as a string, with an error that names the file. */
export function readText(path: string): string {
  const kind = pathKind(path);
  if (kind === 'missing') throw new Error(`selfish-rnn: file not found: ${resolve(path)}`);
  if (kind !== 'file') throw new Error(`selfish-rnn: not a regular file: ${resolve(path)}`);
  return readFileSync(path, 'utf8');
}

/**
 * The `.txt` files directly inside a directory, in natural order ("chapter_2.txt" before
 * "chapter_10.txt"), compared by code units and digit runs so the order is the same everywhere.
 */
export function listTextFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.txt') && pathKind(join(dir, f)) === 'file')
    .sort(naturalCompare)
    .map((f) => join(dir, f));
}

export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [], pb = b.match(/\d+|\D+/g) ?? [];
  for (let k = 0; k < Math.min(pa.length, pb.length); k++) {
    const x = pa[k]!, y = pb[k]!;
    if (x === y) continue;
    const dx = /^\d/.test(x), dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x), ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

function errCode(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}
