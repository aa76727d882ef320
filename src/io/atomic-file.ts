// Crash-safe file replacement and plain file reading, for checkpoints and exports.
// Node.js and Deno only (Deno provides `node:fs`); exported from 'selfish-rnn/node'.
//
// writeFileAtomic: the bytes go to a new temporary file in the target's directory (same file
// system, so the rename is atomic), which is fsynced, then renamed over the target; then the
// directory is fsynced so the rename itself survives a power cut (best effort: not every platform
// can open a directory). A reader therefore sees either the old file or the complete new one,
// never a mix. On failure the temporary file is removed and the old file is left as it was; only
// a process killed between the write and the rename leaves a stray temporary file, named
// `.<target name>.<pid>.<random hex>.tmp`.
/// <reference types="node" />
import { closeSync, constants as fsConstants, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

export interface WriteFileAtomicOptions {
  /**
   * Called when the temporary file is complete and fsynced, just before it is renamed over the
   * target: a test seam for failures and crashes at the worst moment. If it throws, the write is
   * abandoned (temporary file removed, target untouched) and the error is passed on.
   */
  beforeRename?: (tempPath: string) => void | Promise<void>;
  /** Bytes per write call (default 1 GiB); a test seam for the chunked path. */
  chunkBytes?: number;
  /** Refuse to write more than this (default MAX_FILE_BYTES, what readFileBytes can read back). */
  maxBytes?: number;
}

export interface ReadFileOptions {
  /** Bytes per read call (default 1 GiB); a test seam for the chunked path. */
  chunkBytes?: number;
  /** Refuse files larger than this (default MAX_FILE_BYTES). */
  maxBytes?: number;
}

// Single reads and writes of more than 2 GiB are refused by Node (and readFile refuses whole files
// over 2 GiB), so files are read and written in 1 GiB pieces.
const CHUNK = 2 ** 30;
/** The largest file readFileBytes can return: the longest Uint8Array (2^32 bytes in Node 20 and later). */
export const MAX_FILE_BYTES = 2 ** 32;

/** Replaces (or creates) the file at `path` with `bytes`, atomically. Keeps an existing file's permission bits. */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const target = resolve(path);
  checkWritable(target, bytes, options);
  const chunk = options.chunkBytes ?? CHUNK;
  const temp = temporaryPathFor(target);
  const mode = await stat(target).then((s) => s.mode & 0o777, () => 0o666);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let tempExists = false;
  try {
    handle = await open(temp, 'wx', mode);
    tempExists = true;
    for (let done = 0; done < bytes.length;) {
      done += (await handle.write(bytes, done, Math.min(chunk, bytes.length - done))).bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await options.beforeRename?.(temp);
    await rename(temp, target);
    tempExists = false;
  } catch (e) {
    await handle?.close().catch(() => {});
    if (tempExists) await rm(temp, { force: true }).catch(() => {});
    throw writeError(target, e);
  }
  await open(dirname(target), 'r').then(async (dir) => {
    try { await dir.sync(); } finally { await dir.close(); }
  }).catch(() => {}); // best effort, see header
}

/** Synchronous writeFileAtomic (for exit handlers and scripts); `beforeRename` must not return a promise. */
export function writeFileAtomicSync(path: string, bytes: Uint8Array, options: WriteFileAtomicOptions = {}): void {
  const target = resolve(path);
  checkWritable(target, bytes, options);
  const chunk = options.chunkBytes ?? CHUNK;
  const temp = temporaryPathFor(target);
  let mode = 0o666;
  try { mode = statSync(target).mode & 0o777; } catch { /* new file */ }
  let fd: number | undefined;
  let tempExists = false;
  try {
    fd = openSync(temp, 'wx', mode);
    tempExists = true;
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, Math.min(chunk, bytes.length - done));
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    const pending = options.beforeRename?.(temp);
    if (pending instanceof Promise) throw new TypeError('selfish-rnn: writeFileAtomicSync needs a synchronous beforeRename');
    renameSync(temp, target);
    tempExists = false;
  } catch (e) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* already failing */ }
    if (tempExists) rmSync(temp, { force: true });
    throw writeError(target, e);
  }
  try {
    const dir = openSync(dirname(target), 'r');
    try { fsyncSync(dir); } finally { closeSync(dir); }
  } catch { /* best effort, see header */ }
}

/**
 * The whole file at `path` as bytes, read in pieces (so files over 2 GiB work). Refuses at once,
 * with a plain-spoken error, a missing file, a directory, and anything that is not a regular file
 * (a FIFO would block forever, /dev/zero never ends): the file is opened without blocking and
 * checked with fstat before anything is read.
 */
export async function readFileBytes(path: string, options: ReadFileOptions = {}): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    const size = checkReadable(path, await handle.stat(), options);
    const out = new Uint8Array(size);
    const chunk = options.chunkBytes ?? CHUNK;
    for (let done = 0; done < size;) {
      const { bytesRead } = await handle.read(out, done, Math.min(chunk, size - done), done);
      if (bytesRead === 0) throw shrunk(path, size, done);
      done += bytesRead;
    }
    return out;
  } catch (e) {
    throw readError(path, e);
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Synchronous readFileBytes. */
export function readFileBytesSync(path: string, options: ReadFileOptions = {}): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    const size = checkReadable(path, fstatSync(fd), options);
    const out = new Uint8Array(size);
    const chunk = options.chunkBytes ?? CHUNK;
    for (let done = 0; done < size;) {
      const n = readSync(fd, out, done, Math.min(chunk, size - done), done);
      if (n === 0) throw shrunk(path, size, done);
      done += n;
    }
    return out;
  } catch (e) {
    throw readError(path, e);
  } finally {
    if (fd !== undefined) try { closeSync(fd); } catch { /* nothing to do */ }
  }
}

/** The file's size, after checking that it is a regular file we can hold in memory. */
function checkReadable(path: string, st: Stats, options: ReadFileOptions): number {
  if (st.isDirectory()) throw withCode(new Error('is a directory'), 'EISDIR');
  if (!st.isFile()) throw withCode(new Error(`is not a regular file (${fileKind(st)})`), 'ENOTREG');
  const max = options.maxBytes ?? MAX_FILE_BYTES;
  if (st.size > max) throw withCode(new Error(`is ${st.size} bytes, more than the ${max} bytes that can be read into memory`), 'EFBIG');
  return st.size;
}

function checkWritable(target: string, bytes: Uint8Array, options: WriteFileAtomicOptions): void {
  const max = options.maxBytes ?? MAX_FILE_BYTES;
  if (bytes.length > max) {
    throw withCode(new Error(`selfish-rnn: refusing to write ${target}: ${bytes.length} bytes is more than the ${max} bytes selfish-rnn can read back; nothing was written`), 'EFBIG');
  }
}

function shrunk(path: string, size: number, done: number): Error {
  return withCode(new Error(`ended after ${done} of its ${size} bytes (did it change while being read?)`), 'ESHRUNK');
}

function fileKind(st: Stats): string {
  return st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a plain file';
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Removes the temporary files that writers of `target` killed between write and rename left next
 * to it (`.<name>.<pid>.<12 hex digits>.tmp` of a process that no longer runs); a live writer's
 * file is left alone. Returns the names removed (best effort: an unreadable directory gives none).
 */
export function removeStaleTemporaries(target: string): string[] {
  const full = resolve(target), dir = dirname(full), name = basename(full);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const prefix = `.${name}.`;
  const removed: string[] = [];
  for (const f of names) {
    if (!f.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(f.slice(prefix.length));
    if (m === null || processAlive(Number(m[1]))) continue;
    try {
      rmSync(join(dir, f), { force: true });
      removed.push(f);
    } catch {
      // cannot remove (permissions): leave it
    }
  }
  return removed;
}

/** A fresh temporary file name next to `target`; 48 random bits plus the pid make clashes negligible, and 'wx' refuses one anyway. */
function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function writeError(target: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'EISDIR' || (code === 'EPERM' && isDirectory(target)) ? 'a directory is in the way' : writeFailureReason(target, e);
  return withCode(new Error(`selfish-rnn: could not write ${target}: ${why}; any previous file there is unchanged`, { cause: e }), code);
}

/** Why writing (or appending to) `target` failed, in words: the errno codes a full, removed or read-only place gives. */
export function writeFailureReason(target: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' ? `its directory ${dirname(target)} does not exist (deleted or renamed?)`
    : code === 'ENOTDIR' ? `a file is in the way of its directory ${dirname(target)}`
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'ENOSPC' ? 'no space left on the device'
    : code === 'EDQUOT' ? 'disk quota exceeded'
    : code === 'EROFS' ? 'the file system is read-only'
    : code === 'EIO' ? 'input/output error (the device failed)'
    : (e as Error)?.message ?? String(e);
}

function readError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const msg = code === 'ENOENT' ? `no such file: ${resolve(path)}`
    : code === 'EISDIR' ? `${resolve(path)} is a directory, not a file`
    : code === 'ENOTREG' || code === 'EFBIG' || code === 'ESHRUNK' ? `cannot read ${resolve(path)}: it ${(e as Error).message}`
    : code === 'EACCES' ? `cannot read ${resolve(path)}: permission denied`
    : `could not read ${resolve(path)}: ${(e as Error).message}`;
  return withCode(new Error(`selfish-rnn: ${msg}`, { cause: e }), code);
}

function withCode(err: Error, code: string | undefined): Error {
  if (code !== undefined) (err as NodeJS.ErrnoException).code = code;
  return err;
}

function isDirectory(path: string): boolean {
  try { return statSync(path).isDirectory(); } catch { return false; }
}
