// Running the compiled command line as a user does: a child process, a small corpus, a tiny model;
// on a pseudo-terminal that then closes (python3's pty module, as a closed terminal window does);
// on a tmpfs that can fill up or turn read-only (root only).
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCorpusDocumentsSync } from '../../src/node.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Internal error text that must never reach a user. */
export const INTERNAL = /TypeError|RangeError|ReferenceError|Maximum call stack|Cannot read propert|is not iterable|Invalid (array|typed array|string) length|out of wasm memory|\bE[A-Z]{3,}\b:|\n\s+at .*:\d+:\d+|Assertion failed/;

/** A fresh temporary directory with `corpus.txt` (83 batches of 20×10 per epoch at vocabulary 200). */
export function workspace(name: string): { dir: string; corpus: string } {
  const dir = mkdtempSync(join(tmpdir(), `selfish-rnn-${name}-`));
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, defaultCorpusDocumentsSync().slice(1, 7).join('\n'));
  return { dir, corpus };
}

/** The tiny run's flags, with `over` replacing or adding flags ('' = a switch without a value). */
export function tinyArgs(corpus: string, over: Record<string, string> = {}): string[] {
  const base: Record<string, string> = { data: corpus, 'max-vocab': '200', emsize: '16', nhid: '16', 'batch-size': '20', bptt: '10', 'eval-batch-size': '10' };
  const all = { ...base, ...over };
  return Object.entries(all).flatMap(([k, v]) => (v === '' ? [`--${k}`] : [`--${k}`, v]));
}

export interface Run { status: number | null; signal: NodeJS.Signals | null; out: string; err: string }

export function runCli(args: string[], opts: { cwd?: string; timeout?: number; env?: Record<string, string> } = {}): Run {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8', cwd: opts.cwd, timeout: opts.timeout ?? 120_000, env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  return { status: r.status, signal: r.signal, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Starts the CLI; resolves when it exits. */
export function startCli(args: string[], opts: { cwd?: string; stdio?: ('pipe' | 'ignore')[] } = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '', err = '';
  child.stdout?.on('data', (d) => { out += d; });
  child.stderr?.on('data', (d) => { err += d; });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return { child, exit, output: () => out, errors: () => err };
}

/** Resolves once `test()` holds (polled), or rejects after `ms`. */
export function waitFor(test: () => boolean, ms = 60_000, what = 'a condition'): Promise<void> {
  return new Promise((res, rej) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      if (test()) { clearInterval(poll); res(); } else if (Date.now() - t0 > ms) { clearInterval(poll); rej(new Error(`timed out waiting for ${what}`)); }
    }, 20);
  });
}

const PTY_SCRIPT = `
import json, os, pty, re, select, sys, time
pattern = re.compile(sys.argv[1].encode()); timeout = float(sys.argv[2]); close = sys.argv[3] == '1'; argv = sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b''; t0 = time.time(); seen = False
while time.time() - t0 < timeout:
    r, _, _ = select.select([fd], [], [], 0.1)
    if not r: continue
    try: chunk = os.read(fd, 65536)
    except OSError: break
    if not chunk: break
    out += chunk
    if pattern.search(out): seen = True; break
if close:
    os.close(fd)
else:
    while True:
        try: chunk = os.read(fd, 65536)
        except OSError: break
        if not chunk: break
        out += chunk
_, status = os.waitpid(pid, 0)
print(json.dumps({'seen': seen, 'code': os.waitstatus_to_exitcode(status), 'out': out.decode('utf-8', 'replace')}))
`;

/** Whether python3 (for its pty module) is available. */
export function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs the CLI on a new pseudo-terminal. With `closeOn`, the terminal is closed (the kernel hangs it
 * up and sends SIGHUP, as when a window is closed) as soon as the output matches; otherwise
 * everything is read to the end. Returns the exit code (negative: killed by that signal) and the
 * bytes the terminal received, exactly.
 */
export function runOnPty(args: string[], opts: { closeOn?: RegExp; timeout?: number; cwd?: string } = {}): { seen: boolean; code: number; out: string } {
  const r = spawnSync('python3', ['-c', PTY_SCRIPT, opts.closeOn?.source ?? '$^', String((opts.timeout ?? 120_000) / 1000), opts.closeOn ? '1' : '0', process.execPath, CLI, ...args], {
    encoding: 'utf8', cwd: opts.cwd, timeout: (opts.timeout ?? 120_000) + 60_000, env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' },
  });
  if (r.status !== 0) throw new Error(`pty helper failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A small tmpfs mounted at a new directory (root with mount rights only), or null; `unmount` it after. */
export function smallTmpfs(parent: string, bytes: number): { dir: string; unmount: () => void } | null {
  const dir = join(parent, `tmpfs-${Date.now()}`);
  mkdirSync(dir);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return { dir, unmount: () => { spawnSync('umount', ['-l', dir]); } };
}
