// Progress of a validation or test pass, on stderr, for passes long enough to wonder about (the
// test pass of a PTB model takes about a minute, WikiText-2's several). A pass shorter than
// QUIET_SECONDS shows nothing. On a terminal: one line redrawn in place, removed when the pass
// ends. Otherwise (a pipe, a log file, CI): a plain line when the pass turns out to be long, one
// every PLAIN_EVERY_SECONDS, and one when it ends, so a log shows where the time went.
/// <reference types="node" />
import { clock } from './format.js';

interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Passes shorter than this show nothing. */
export const QUIET_SECONDS = 1.5;
/** Seconds between two plain lines (non-terminal output). */
export const PLAIN_EVERY_SECONDS = 10;

const SPLIT_NAME: Record<string, string> = { valid: 'validation', test: 'test' };

export class EvalProgress {
  private readonly tty: boolean;
  private pass: { split: string; start: number; lastShown: number; shown: boolean } | null = null;
  private drawn = false;

  /** `now` (seconds) is replaceable for tests. */
  constructor(private readonly out: Out, private readonly now: () => number = () => performance.now() / 1000) {
    this.tty = out.isTTY === true && process.env.TERM !== 'dumb';
  }

  /** A pass of `split` has done `done` of `total` units (chunks, or tokens with --stream); done = 0 starts it, done = total ends it. */
  update(split: string, done: number, total: number, unit = 'chunks'): void {
    const t = this.now();
    if (this.pass === null || this.pass.split !== split || done === 0) {
      this.finish();
      this.pass = { split, start: t, lastShown: -Infinity, shown: false };
    }
    const p = this.pass;
    const elapsed = t - p.start;
    const name = SPLIT_NAME[split] ?? split;
    if (done >= total) {
      if (p.shown && !this.tty) this.out.write(`${name} pass done: ${total.toLocaleString('en')} ${unit} in ${clock(elapsed)}\n`);
      this.finish();
      return;
    }
    if (elapsed < QUIET_SECONDS || done === 0) return;
    const eta = (elapsed * (total - done)) / done;
    const text = `evaluating ${name}: ${done.toLocaleString('en')}/${total.toLocaleString('en')} ${unit} (${Math.floor((100 * done) / total)}%), ${clock(elapsed)} elapsed, about ${clock(eta)} left`;
    if (this.tty) {
      if (t - p.lastShown < 0.1) return;
      const cols = this.out.columns || 120;
      this.out.write('\r' + (text.length >= cols ? text.slice(0, cols - 1) : text) + '\x1b[K');
      this.drawn = true;
    } else {
      if (t - p.lastShown < PLAIN_EVERY_SECONDS) return;
      this.out.write(text + '\n');
    }
    p.lastShown = t;
    p.shown = true;
  }

  /** Ends the current pass: removes the terminal line, if one is shown. */
  finish(): void {
    if (this.drawn) {
      this.out.write('\r\x1b[K');
      this.drawn = false;
    }
    this.pass = null;
  }
}
