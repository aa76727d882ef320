// File access for the corpus loaders. Node.js and Deno only (Deno provides `node:fs`); the only
// module of src/data that imports a platform API, so the rest stays usable in browsers.
/// <reference types="node" />
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type PathKind = 'file' | 'directory' | 'missing' | 'other';

export function pathKind(path: string): PathKind {
  try {
    const s = statSync(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
  } catch (e) {
    if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return 'missing';
    throw accessError(path, e);
  }
}

/**
 * A file-system error of `path` as one sentence that names it (EACCES, a symbolic-link loop, an
 * I/O error), instead of Node's "EACCES: permission denied, open …".
 */
export function accessError(path: string, e: unknown): Error {
  const full = resolve(path), code = errCode(e);
  const msg = code === 'EACCES' || code === 'EPERM' ? `cannot read ${full}: permission denied (give a readable file, or change its permissions)`
    : code === 'ELOOP' ? `${full} is a symbolic link loop: following it never reaches a file (fix the link)`
    : code === 'ENAMETOOLONG' ? `${full}: the path is too long`
    : code === 'EIO' ? `cannot read ${full}: input/output error (the device failed)`
    : code === 'EISDIR' ? `${full} is a directory, not a file`
    : `cannot read ${full}: ${(e as Error)?.message ?? String(e)}`;
  return Object.assign(new Error(`selfish-rnn: ${msg}`, { cause: e }), { code });
}

/** A whole UTF-8 file as a string, with an error that names the file (see readTextChunks for the checks). */
export function readText(path: string): string {
  let text = '';
  for (const chunk of readTextChunks(path)) text += chunk;
  return text;
}

/** Bytes read (and decoded) at a time by readTextChunks. */
export const TEXT_CHUNK_BYTES = 16 * 2 ** 20;

/**
 * A UTF-8 text file as a sequence of strings, each ending at a line break (except the last), read
 * `chunkBytes` at a time: a file of any size can be processed without holding it as one string
 * (V8 strings stop at about 512 M characters). A UTF-8 byte-order mark is skipped. Refused, with
 * the path and the reason: what is not a regular file, UTF-16 (byte-order mark), binary data (NUL
 * bytes), and invalid UTF-8 (with the offset of the first bad byte).
 */
export function* readTextChunks(path: string, chunkBytes = TEXT_CHUNK_BYTES): Generator<string> {
  const kind = pathKind(path);
  const full = resolve(path);
  if (kind === 'missing') throw new Error(`selfish-rnn: file not found: ${full}`);
  if (kind !== 'file') throw new Error(`selfish-rnn: not a regular file: ${full}`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw accessError(path, e);
  }
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    const buf = new Uint8Array(chunkBytes);
    let offset = 0, carry = '';
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw accessError(path, e);
      }
      const bytes = buf.subarray(0, n);
      if (offset === 0) checkStart(bytes, full);
      const nul = bytes.indexOf(0);
      if (nul >= 0) {
        throw new Error(`selfish-rnn: ${full} is not a text file: it holds a NUL byte at offset ${offset + nul} (binary data, or UTF-16 text without a byte-order mark); give UTF-8 text`);
      }
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: n > 0 });
      } catch {
        const bad = firstInvalidUtf8(bytes);
        throw new Error(`selfish-rnn: ${full} is not valid UTF-8 (bad byte near offset ${offset + Math.max(0, bad)}); convert it first, e.g. iconv -f latin1 -t utf-8`);
      }
      offset += n;
      if (n === 0) {
        if (carry + text !== '') yield carry + text;
        return;
      }
      const cut = text.lastIndexOf('\n') + 1;
      if (cut === 0) {
        carry += text;
        continue;
      }
      yield carry + text.slice(0, cut);
      carry = text.slice(cut);
    }
  } finally {
    closeSync(fd);
  }
}

/** Refuses UTF-16/32 by their byte-order marks. */
function checkStart(b: Uint8Array, full: string): void {
  const utf16 = (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);
  if (utf16) throw new Error(`selfish-rnn: ${full} is UTF-16 text (byte-order mark ${b[0]!.toString(16)} ${b[1]!.toString(16)}); convert it to UTF-8 first, e.g. iconv -f utf-16 -t utf-8`);
}

/** Index of the first byte that breaks UTF-8 in `b` (a sequence cut at the end is not an error), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (len === 0) return i;
    for (let k = 1; k < len; k++) {
      if (i + k >= b.length) return -1;
      if ((b[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += len;
  }
  return -1;
}

/** Total bytes of regular files (for size limits before reading). */
export function totalBytes(paths: readonly string[]): number {
  let sum = 0;
  for (const p of paths) sum += statSync(p).size;
  return sum;
}

/**
 * The `.txt` files directly inside a directory, in natural order ("chapter_2.txt" before
 * "chapter_10.txt"), compared by code units and digit runs so the order is the same everywhere.
 */
export function listTextFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw accessError(dir, e);
  }
  return names
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
