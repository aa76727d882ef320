// A run's files on the way out: last.ckpt and best.ckpt written only with finite weights, the
// plot after each resumable checkpoint, and what happens when a write fails (full disk, the run
// directory deleted, renamed, replaced by a file, read-only): the run stops at a step boundary,
// saves what can still be saved, and says in one message which file failed, why, and where the
// last good state is. The trainer owns the training; this owns where its state last landed.
import type { LanguageModel } from '../../models/index.js';
import { RUN_FILES, type RunStore } from '../checkpoint/run-store.js';
import type { RunLog } from './run-log.js';
import { RunFilesError, TrainingDivergedError } from './trainer-types.js';

/** What the files need from the run at the moment they are written. */
export interface RunFilesSource {
  model: LanguageModel;
  /** The global step and 1-based epoch now. */
  step(): number;
  epoch(): number;
  /** The bytes of last.ckpt and best.ckpt (see training-state.ts). */
  lastBytes(): Uint8Array;
  bestBytes(averaged: boolean): Uint8Array;
  /** Writes the run's plot. */
  plot(): Promise<void>;
}

export class RunFiles {
  /** The last last.ckpt written by this run (its description), and its step. */
  lastSaved: string | null = null;
  savedStep = 0;

  constructor(readonly store: RunStore, private readonly runLog: RunLog, private readonly src: RunFilesSource, private readonly resumed: boolean, resumedStep = 0) {
    this.savedStep = resumedStep;
  }

  /** Writes last.ckpt and the plot; a failed write ends the run with a RunFilesError. */
  async saveLast(): Promise<void> {
    await this.stoppingOnWriteError(() => this.writeLast());
  }

  /** Writes best.ckpt (the averaged weights when `averaged`); a failed write ends the run. */
  async saveBest(averaged: boolean): Promise<void> {
    await this.checkWeightsFinite(RUN_FILES.best);
    const bytes = this.src.bestBytes(averaged);
    await this.stoppingOnWriteError(() => this.store.write(RUN_FILES.best, bytes));
  }

  /** Where the last good training state is, for messages. */
  lastGood(): string {
    if (this.lastSaved !== null) return `the last good checkpoint is ${this.lastSaved} (step ${this.savedStep})`;
    if (this.resumed) return `the checkpoint this run resumed from (step ${this.savedStep}) is intact`;
    return 'no checkpoint had been saved yet';
  }

  /** Stops the run if its log or plot could not be written (after saving the checkpoint if possible). */
  async stopIfFailed(): Promise<void> {
    if (this.runLog.failed !== null) await this.runFilesFailed(this.runLog.failed);
  }

  /** Writes last.ckpt, then the plot. Non-finite weights are never saved: that is a divergence. */
  private async writeLast(): Promise<void> {
    await this.checkWeightsFinite(RUN_FILES.last);
    await this.store.write(RUN_FILES.last, this.src.lastBytes());
    this.lastSaved = this.store.describe(RUN_FILES.last);
    this.savedStep = this.src.step();
    await this.src.plot();
  }

  /** Runs a checkpoint write; its failure ends the run with a RunFilesError saying where the last good state is. */
  private async stoppingOnWriteError(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (e) {
      if (e instanceof TrainingDivergedError) throw e;
      const msg = (e instanceof Error ? e.message : String(e)).replace(/[.;]?$/, '');
      throw new RunFilesError(`${msg.startsWith('selfish-rnn: ') ? msg : `selfish-rnn: ${msg}`}; training stopped at step ${this.src.step()}: ${this.lastGood()}.`, this.src.step(), null);
    }
  }

  /**
   * Throws TrainingDivergedError when a weight is NaN or infinite. A step whose loss and gradient
   * norm were finite can still overflow the weights (a huge learning rate); the next step's loss
   * would say so, but a stop or --max-steps right after it would save them over a good checkpoint.
   */
  private async checkWeightsFinite(which: string): Promise<void> {
    for (const [name, t] of this.src.model.namedParameters()) {
      const d = t.data;
      for (let i = 0; i < d.length; i++) {
        if (Number.isFinite(d[i]!)) continue;
        const step = this.src.step(), epoch = this.src.epoch();
        await this.runLog.log({ event: 'diverged', step, epoch, what: `weight ${name}`, value: String(d[i]) });
        throw new TrainingDivergedError(
          `selfish-rnn: training diverged by step ${step}: weight ${name}[${i}] is ${d[i]} (the updates overflowed), so ${which} was not saved; ${this.lastGood()}. Try a smaller --lr or --clip.`,
          step, epoch, this.lastSaved,
        );
      }
    }
  }

  /** The log or the plot could not be written: save the checkpoint if possible, then stop with a message that says what happened. */
  private async runFilesFailed(failure: Error): Promise<never> {
    const step = this.src.step();
    let saved: string | null = null, saveError: string | null = null;
    if (this.lastSaved !== null && this.savedStep === step) saved = this.lastSaved; // saved at this very step already
    else if (step > 0 || this.resumed) {
      try {
        await this.writeLast();
        saved = this.lastSaved;
      } catch (e) {
        if (e instanceof TrainingDivergedError) throw e;
        saveError = (e instanceof Error ? e.message : String(e)).replace(/^selfish-rnn: /, '');
      }
    }
    const msg = failure.message.replace(/[.;]?$/, '');
    const state = saved !== null ? `the checkpoint at the stop is saved: ${saved} (continue with selfish-rnn train --resume ${saved})`
      : saveError !== null ? `the checkpoint could not be saved either (${saveError}); ${this.lastGood()}`
      : 'nothing had been trained yet';
    throw new RunFilesError(`${msg}; training stopped at step ${step}: ${state}.`, step, saved);
  }
}
