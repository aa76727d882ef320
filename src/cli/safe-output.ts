// The command line's stdout and stderr, made safe against a reader that went away: `train … |
// head`, a `tee` killed by the same Ctrl-C, a closed terminal window or a dropped SSH session. A
// write to such a stream fails (EPIPE on a pipe, EIO on a terminal) with an 'error' event that,
// unhandled, ends the process with a stack trace. Here the first failure turns that stream's
// printing off for good and tells the listeners, once: training then stops at the next step
// boundary and saves, as if the matching signal had arrived (SIGPIPE for a pipe, SIGHUP for a
// terminal).
/// <reference types="node" />
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

/** What the commands print to: only write, plus what the progress display asks of a terminal. */
export interface Output {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns: number | undefined;
}

/** Called once per stream that failed: the signal the failure stands for, and why. */
export type OutputLostListener = (signal: NodeJS.Signals, why: string) => void;

/** The signal an output error stands for: a pipe whose reader left is SIGPIPE, anything else (a terminal gone: EIO) SIGHUP. */
export function signalForOutputError(code: string | undefined): NodeJS.Signals {
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' ? 'SIGPIPE' : 'SIGHUP';
}

/** A stream whose write never throws and whose errors never go unhandled. */
export class SafeOutput implements Output {
  private lost: { signal: NodeJS.Signals; why: string } | null = null;
  private readonly listeners = new Set<OutputLostListener>();

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, readonly name: string) {
    stream.on('error', (e: NodeJS.ErrnoException) => this.fail(e));
  }

  /** Whether printing was turned off by a failed write. */
  get isLost(): boolean {
    return this.lost !== null;
  }

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  get columns(): number | undefined {
    return this.stream.columns;
  }

  write(text: string): void {
    if (this.lost !== null) return;
    try {
      this.stream.write(text);
    } catch (e) {
      this.fail(e as NodeJS.ErrnoException);
    }
  }

  /** Subscribes to the loss of this stream (told at once, asynchronously, if it is already lost); returns the unsubscribe function. */
  onLost(listener: OutputLostListener): () => void {
    this.listeners.add(listener);
    const lost = this.lost;
    if (lost !== null) queueMicrotask(() => { if (this.listeners.has(listener)) listener(lost.signal, lost.why); });
    return () => this.listeners.delete(listener);
  }

  private fail(e: NodeJS.ErrnoException): void {
    if (this.lost !== null) return;
    const lost = { signal: signalForOutputError(e?.code), why: `${this.name} failed (${e?.code ?? e?.message ?? 'write error'})` };
    this.lost = lost;
    for (const l of this.listeners) l(lost.signal, lost.why);
  }
}

/**
 * Makes text from a model or a corpus harmless on a terminal: control characters (C0 but tab and
 * newline, DEL, C1) and the bidirectional overrides are written as \u{…} escapes, so a word in
 * the data cannot change the title, the colours or the cursor, or reorder what is shown.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** `text` as it should be printed to `out`: escaped on a terminal, unchanged elsewhere (a file or pipe gets the exact text). */
export function forOutput(out: Output, text: string): string {
  return out.isTTY ? terminalSafe(text) : text;
}

/**
 * At exit Node puts back the terminal settings of the stdio descriptors that were terminals at
 * start, and aborts (SIGABRT, a native stack trace) when the terminal has hung up meanwhile (the
 * window was closed): tcsetattr fails with EIO. Node skips a descriptor that was closed, so this
 * closes, at exit, every stdio descriptor that was a terminal and no longer is one.
 */
export function releaseHungUpTerminalsAtExit(): void {
  const wasTerminal = [0, 1, 2].map((fd) => isatty(fd));
  process.on('exit', () => {
    for (const fd of [0, 1, 2]) {
      if (!wasTerminal[fd] || isatty(fd)) continue;
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing to put back
      }
    }
  });
}
