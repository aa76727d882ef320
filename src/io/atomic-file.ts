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
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

export interface WriteFileAtomicOptions {
  /**
   * Called when the temporary file is complete and fsynced, just before it is renamed over the
   * target: a test seam for failures and crashes at the worst moment. If it throws, the write is
   * abandoned (temporary file removed, target untouched) and the error is passed on.
   */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

// Larger single writes than 2 GiB are refused by some platforms; write in 1 GiB pieces.
const WRITE_CHUNK = 2 ** 30;

/** Replaces (or creates) the file at `path` with `bytes`, atomically. Keeps an existing file's permission bits. */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const target = resolve(path);
  const temp = temporaryPathFor(target);
  const mode = await stat(target).then((s) => s.mode & 0o777, () => 0o666);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let tempExists = false;
  try {
    handle = await open(temp, 'wx', mode);
    tempExists = true;
    for (let done = 0; done < bytes.length;) {
      done += (await handle.write(bytes, done, Math.min(WRITE_CHUNK, bytes.length - done))).bytesWritten;
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
  const temp = temporaryPathFor(target);
  let mode = 0o666;
  try { mode = statSync(target).mode & 0o777; } catch { /* new file */ }
  let fd: number | undefined;
  let tempExists = false;
  try {
    fd = openSync(temp, 'wx', mode);
    tempExists = true;
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, Math.min(WRITE_CHUNK, bytes.length - done));
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

/** The whole file at `path` as bytes; a missing file or a directory gives a plain-spoken error. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw readError(path, e);
  }
}

/** Synchronous readFileBytes. */
export function readFileBytesSync(path: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw readError(path, e);
  }
}

/** A fresh temporary file name next to `target`; 48 random bits plus the pid make clashes negligible, and 'wx' refuses one anyway. */
function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function writeError(target: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? `its directory ${dirname(target)} does not exist`
    : code === 'EISDIR' || (code === 'EPERM' && isDirectory(target)) ? 'a directory is in the way'
    : code === 'EACCES' ? 'permission denied'
    : code === 'ENOSPC' ? 'no space left on the device'
    : (e as Error).message;
  return withCode(new Error(`selfish-rnn: could not write ${target}: ${why}; any previous file there is unchanged`, { cause: e }), code);
}

function readError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const msg = code === 'ENOENT' ? `no such file: ${resolve(path)}`
    : code === 'EISDIR' ? `${resolve(path)} is a directory, not a file`
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
