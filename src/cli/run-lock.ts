// One run per run directory. Two `selfish-rnn train` processes writing into the same directory
// (a sweep started within one second got the same default name) replace each other's checkpoints
// and interleave their logs, and both report success. So:
//  - default run names are unique (the time to the second plus random hex);
//  - a process holds a lock file in the directory while it trains or resumes there; the lock of a
//    process that no longer exists (killed, machine rebooted) is stale and taken over;
//  - a new run refuses a directory that already holds another run's files (a checkpoint or a log),
//    even one without last.ckpt.
/// <reference types="node" />
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { processAlive } from '../train/checkpoint/files.js';
import { RUN_FILES } from '../train/checkpoint/run-store.js';
import { UsageError } from './format.js';

/** The lock file's name inside a run directory. */
export const LOCK_FILE = 'run.lock';

/** `runs/<model>-<method>-<YYYYMMDD-HHMMSS>-<6 hex digits>`: runs started in the same second get different names. */
export function defaultRunDir(model: string, method: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `${model}-${method}-${stamp}-${randomBytes(3).toString('hex')}`);
}

interface Holder { pid: number; host: string; started: string; command: string }

function readHolder(path: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && Number.isInteger(h.pid) && h.pid > 0 ? { pid: h.pid, host: String(h.host ?? ''), started: String(h.started ?? '?'), command: String(h.command ?? '') } : null;
  } catch {
    return null;
  }
}

/** Refuses (UsageError) when `holder` is a process that may still run: alive here, or on another machine. */
function refuseLiveHolder(dir: string, holder: Holder | null): void {
  if (holder === null || (holder.pid === process.pid && holder.host === hostname())) return; // this process's own lock
  const path = join(resolve(dir), LOCK_FILE);
  if (holder.host !== hostname()) {
    throw new UsageError(`${resolve(dir)} is in use by a selfish-rnn process on ${holder.host} (pid ${holder.pid}, since ${holder.started}); choose another --save directory, or remove ${path} if that process is gone`);
  }
  if (processAlive(holder.pid)) {
    throw new UsageError(`${resolve(dir)} is in use by another selfish-rnn process (pid ${holder.pid}, training there since ${holder.started}); wait for it to finish, or choose another --save directory`);
  }
}

export interface RunLock {
  path: string;
  /** The holder of a stale lock that was taken over (its process no longer exists), if any. */
  tookOverFrom: number | null;
  /** Removes the lock (if it is still ours); also done at exit. */
  release(): void;
}

/**
 * Takes the lock of run directory `dir` for this process, or refuses (UsageError) when a live
 * process holds it. A lock whose process is gone is taken over; so is an unreadable one (a process
 * killed while writing it), which cannot name a holder.
 */
export function lockRunDir(dir: string): RunLock {
  const path = join(resolve(dir), LOCK_FILE);
  const mine: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: 'train' };
  let tookOverFrom: number | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify(mine) + '\n');
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw e;
    }
    const holder = readHolder(path);
    refuseLiveHolder(dir, holder);
    tookOverFrom = holder?.pid ?? null;
    rmSync(path, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
    } catch {
      // the directory went away or became read-only: the lock is stale once this process ends
    }
  };
  process.on('exit', release);
  return { path, tookOverFrom, release };
}

/**
 * Refuses, for a new run, a directory that already holds a run: its last.ckpt (then it can be
 * resumed), or only a log or a best.ckpt (a run that stopped before its first save, or a
 * directory a finished run was resumed out of): using it would mix two runs' files.
 */
export function checkFreshRunDir(dir: string): void {
  const full = resolve(dir);
  refuseLiveHolder(dir, readHolder(join(full, LOCK_FILE)));
  if (existsSync(join(full, RUN_FILES.last))) {
    throw new UsageError(`${full} already holds a run (${RUN_FILES.last}); continue it with --resume ${dir}, or choose another --save directory`);
  }
  const other = [RUN_FILES.best, RUN_FILES.log].filter((f) => existsSync(join(full, f)));
  if (other.length > 0) {
    throw new UsageError(`${full} already holds files of another run (${other.join(', ')}) but no ${RUN_FILES.last} to resume; choose another --save directory (or remove those files)`);
  }
}
