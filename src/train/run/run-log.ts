// The run's record outside the loop: the JSON-lines log (`log.jsonl`, appended in order, one
// object per line with its time) and the SVG plot, both in the run's store.
//
// Writing them can fail mid-run (a full disk; the run directory deleted, renamed, replaced by a
// file or remounted read-only). The first failure is kept, reported once through `onFailure`, and
// every later line is dropped; nothing here ever rejects, so a failed append never surfaces as an
// unhandled error: the trainer decides (it stops at the next step boundary and saves what it can).
import { renderTrainingPlot, type PlotDensity, type PlotEpoch } from './plot.js';
import { RUN_FILES, type RunStore } from '../checkpoint/run-store.js';

export class RunLog {
  /** Lines are appended in order; this is the tail of that chain (it never rejects). */
  private pending: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  constructor(
    private readonly store: RunStore,
    private readonly onLog?: (entry: Record<string, unknown>) => void,
    private readonly onFailure?: (error: Error) => void,
  ) {}

  /** The first failed write of the log or the plot (a message naming the file and the cause), or null. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Queues a line (written in order; `flush` waits for it). Dropped once a write has failed. */
  write(entry: Record<string, unknown>): void {
    const line = JSON.stringify({ time: new Date().toISOString(), ...entry });
    this.onLog?.(entry);
    if (this.failure !== null) return;
    this.pending = this.pending.then(async () => {
      if (this.failure !== null) return;
      try {
        await this.store.append(RUN_FILES.log, line + '\n');
      } catch (e) {
        this.fail(RUN_FILES.log, e);
      }
    });
  }

  /** Writes a line and waits until every queued line is stored (or dropped). */
  async log(entry: Record<string, unknown>): Promise<void> {
    this.write(entry);
    await this.pending;
  }

  /** Waits for the queued lines. */
  flush(): Promise<void> {
    return this.pending;
  }

  /** Re-renders plot.svg from the epoch history and the density track (skipped once a write has failed). */
  async plot(history: readonly PlotEpoch[], density: readonly PlotDensity[], title: string): Promise<void> {
    if (this.failure !== null) return;
    try {
      await this.store.write(RUN_FILES.plot, new TextEncoder().encode(renderTrainingPlot(history, density, title)));
    } catch (e) {
      this.fail(RUN_FILES.plot, e);
    }
  }

  private fail(name: string, e: unknown): void {
    if (this.failure !== null) return;
    const msg = e instanceof Error ? e.message : String(e);
    this.failure = new Error(msg.startsWith('selfish-rnn: ') ? msg : `selfish-rnn: could not write ${this.store.describe(name)}: ${msg}`, { cause: e });
    this.onFailure?.(this.failure);
  }
}
