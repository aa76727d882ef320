// The --save directory of `selfish-rnn train`, checked before anything is computed: it must be (or
// become) a directory we can write into. Failures are usage errors (exit 2) that say what is wrong
// with the path, instead of an EEXIST/ENOTDIR/EACCES from the first write minutes later. A run
// directory used again is also cleaned of the temporary files killed writers left behind.
/// <reference types="node" />
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, openSync, closeSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { removeStaleTempFiles } from '../train/checkpoint/files.js';
import { RUN_FILES } from '../train/checkpoint/run-store.js';
import { UsageError } from './format.js';

function code(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

/** The nearest existing ancestor of `path` that is not a directory, if any (for "under a file"). */
function fileAncestor(path: string): string | null {
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) {
    try {
      return statSync(p).isDirectory() ? null : p;
    } catch {
      // does not exist: look further up
    }
  }
  return null;
}

/**
 * mkdir -p, one level at a time: Node's own `recursive: true` loops forever where the parent
 * exists but mkdir still answers ENOENT (e.g. under /proc).
 */
function makeDirs(full: string): void {
  const parent = dirname(full);
  if (parent !== full) {
    let exists = false;
    try {
      statSync(parent);
      exists = true;
    } catch {
      // missing: create it first
    }
    if (!exists) makeDirs(parent);
  }
  try {
    mkdirSync(full);
  } catch (e) {
    if (code(e) === 'EEXIST' && statSync(full).isDirectory()) return;
    throw e;
  }
}

/**
 * Creates `dir` if needed and checks that files can be created in it; removes stale temporary
 * files (see removeStaleTempFiles). Returns the absolute path and the names of the files removed.
 */
export async function prepareSaveDir(dir: string): Promise<{ dir: string; removed: string[] }> {
  const full = resolve(dir);
  let kind: 'dir' | 'other' | 'missing' = 'missing';
  try {
    kind = statSync(full).isDirectory() ? 'dir' : 'other';
  } catch (e) {
    if (code(e) === 'ENOTDIR') {
      throw new UsageError(`--save ${dir}: ${fileAncestor(full) ?? 'a parent'} is a file, so ${full} cannot be a directory`);
    }
  }
  if (kind === 'other') throw new UsageError(`--save ${dir}: ${full} exists and is not a directory; --save names the run directory`);
  if (kind === 'missing') {
    try {
      makeDirs(full);
    } catch (e) {
      const c = code(e);
      if (c === 'ENOTDIR' || c === 'EEXIST') throw new UsageError(`--save ${dir}: ${fileAncestor(full) ?? 'a parent'} is a file, so ${full} cannot be a directory`);
      if (c === 'EACCES' || c === 'EPERM' || c === 'EROFS' || c === 'ENOENT') {
        throw new UsageError(`--save ${dir}: cannot create ${full} (${c === 'EROFS' ? 'read-only file system' : c === 'ENOENT' ? 'the file system does not allow it' : 'permission denied'})`);
      }
      throw e;
    }
  }
  // Try what training will do: create a file there. Named like a stale temporary file, so even a
  // kill right here leaves nothing the next run would not clean up.
  const probe = join(full, `.log.jsonl.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // A few kilobytes are written, so a full disk is found here and not at the first log line.
  try {
    const fd = openSync(probe, 'wx');
    try {
      writeSync(fd, new Uint8Array(16384));
    } finally {
      closeSync(fd);
      rmSync(probe, { force: true });
    }
  } catch (e) {
    const c = code(e);
    if (c === 'EACCES' || c === 'EPERM' || c === 'EROFS') {
      throw new UsageError(`--save ${dir}: cannot write into ${full} (${c === 'EROFS' ? 'read-only file system' : 'permission denied'}); choose a writable directory`);
    }
    if (c === 'ENOSPC' || c === 'EDQUOT') {
      throw new UsageError(`--save ${dir}: no space left for ${full} (${c === 'EDQUOT' ? 'disk quota exceeded' : 'the device is full'}); free some space or choose another directory`);
    }
    throw e;
  }
  // The log is appended to, not replaced: the file itself must be writable.
  const log = join(full, RUN_FILES.log);
  if (existsSync(log)) {
    try {
      accessSync(log, constants.W_OK);
    } catch {
      throw new UsageError(`--save ${dir}: ${log} is not writable; the run appends to it`);
    }
  }
  return { dir: full, removed: await removeStaleTempFiles(full) };
}
