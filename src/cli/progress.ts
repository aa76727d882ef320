// What `selfish-rnn train` shows while it runs. On a terminal: one progress line redrawn in place
// (\r) with batch, loss, perplexity, tokens/s and the epoch's ETA. Otherwise (a pipe, a log file,
// CI): a plain line every --log-interval steps, as the reference scripts print. Both print one
// summary line per epoch. A validation or test pass shows its progress on the terminal line, or,
// when the output is not a terminal, on stderr (./eval-progress.ts: nothing for short passes).
/// <reference types="node" />
import { EvalProgress } from './eval-progress.js';
import { describeThreads } from './threads-option.js';
import type { EpochRecord, StartInfo, StepInfo, TrainEvents } from '../train/run/trainer.js';
import { modelFamily } from '../models/index.js';
import { clock, grouped, ppl } from './format.js';

interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const PHASE_NAME = { sgd: 'SGD', asgd: 'ASGD', adam: 'Adam' } as const;

export class ProgressReporter implements TrainEvents {
  private lastDraw = 0;
  private drawn = false;
  private readonly tty: boolean;
  private readonly evalProgress: EvalProgress | null;

  /** `evalOut`: where evaluation progress goes when `out` is not a terminal (the CLI: stderr). */
  constructor(private readonly out: Out, private readonly sparse: boolean, evalOut?: Out) {
    this.tty = out.isTTY === true && process.env.TERM !== 'dumb';
    this.evalProgress = !this.tty && evalOut ? new EvalProgress(evalOut) : null;
  }

  onStart(s: StartInfo): void {
    const c = s.config;
    const what = c.method === 'dense' ? 'dense' : `${c.method} at density ${c.density}`;
    this.line(`${s.resumed ? 'resuming' : 'training'} ${c.model} (${modelFamily(c.lm.kind).describe(c.lm)}, vocab ${grouped(c.lm.vocab)}), ${what}` +
      `${s.engine ? ` [${s.engine}]` : ''}; ${grouped(s.parameters)} trainable weights (density ${s.density.toFixed(3)})`);
    this.line(`${c.epochs} epochs × ${grouped(s.batchesPerEpoch)} batches of ${c.batchSize}×${c.bptt}${c.randomBptt ? ' (random lengths)' : ''}; optimizer ${c.finetune ? 'ASGD (finetune)' : c.optimizer === 'adam' ? 'Adam' : `SGD → ${this.sparse ? 'SNT-ASGD' : 'ASGD'} (nonmono ${c.nonmono})`}, lr ${c.lr}, clip ${c.clip}` +
      (s.resumed ? `; continuing at epoch ${s.epoch + 1}, step ${grouped(s.step)}` : '') + `; ${describeThreads()}`);
  }

  onStep(s: StepInfo): void {
    if (!this.tty) return;
    const t = Date.now();
    if (t - this.lastDraw < 100 && s.batch < s.batches) return;
    this.lastDraw = t;
    const width = Math.max(10, Math.min(30, (this.out.columns || 120) - 90));
    const done = Math.min(width, Math.round((s.batch / s.batches) * width));
    const bar = '█'.repeat(done) + '░'.repeat(width - done);
    this.draw(`epoch ${s.epoch} ${bar} ${s.batch}/${s.batches}  loss ${s.nll.toFixed(3)}  ppl ${ppl(s.ppl)}  ${grouped(s.tokensPerSecond)} tok/s  ETA ${clock(s.etaSeconds)}  ${PHASE_NAME[s.phase]}`);
  }

  onEval(split: 'valid' | 'test', done: number, total: number): void {
    if (this.tty) this.draw(`evaluating ${split === 'valid' ? 'validation' : split}: ${done}/${total} chunks`);
    else this.evalProgress?.update(split, done, total);
  }

  onLog(e: Record<string, unknown>): void {
    if (this.tty || e.event !== 'step') return;
    const n = (k: string) => e[k] as number;
    this.line(`| epoch ${n('epoch')} | step ${grouped(n('step'))} | batch ${n('batch')} | lr ${n('lr')} | loss ${n('loss').toFixed(3)} | ppl ${ppl(n('ppl'))} | ${grouped(n('tokensPerSecond'))} tok/s |`);
  }

  onEpoch(r: EpochRecord): void {
    const parts = [
      `end of epoch ${r.epoch} (${clock(r.seconds)})`,
      `valid ppl ${ppl(r.valPpl)}${r.best ? ' (best)' : ''}`,
      `train ppl ${ppl(r.trainPpl)}`,
    ];
    if (this.sparse) {
      parts.push(`density ${r.density.toFixed(3)}`);
      if (r.gates) parts.push(`gates ${Object.entries(r.gates).map(([g, d]) => `${g} ${d.toFixed(3)}`).join(' ')}`);
      parts.push(r.deathRate === null ? 'no topology update' : `death rate ${r.deathRate.toFixed(3)} (${grouped(r.removed ?? 0)} pruned, ${grouped(r.grown ?? 0)} regrown)`);
    }
    parts.push(r.switched ? `switched to ${this.sparse ? 'SNT-ASGD' : 'ASGD'}` : PHASE_NAME[r.phase]);
    this.line(parts.join(' | '));
  }

  /** A line that stays (clears the progress line first). */
  line(text: string): void {
    this.clear();
    this.out.write(text + '\n');
  }

  /** Removes the progress line, if one is shown. */
  clear(): void {
    if (this.drawn) {
      this.out.write('\r\x1b[K');
      this.drawn = false;
    }
  }

  private draw(text: string): void {
    const cols = this.out.columns || 120; // 0 when a pseudo-terminal has no size
    this.out.write('\r' + (text.length >= cols ? text.slice(0, cols - 1) : text) + '\x1b[K');
    this.drawn = true;
  }
}
