// The run's record outside the loop: the JSON-lines log (`log.jsonl`, appended in order, one
// object per line with its time) and the SVG plot, both in the run's store.
import { renderTrainingPlot, type PlotDensity, type PlotEpoch } from './plot.js';
import { RUN_FILES, type RunStore } from './run-store.js';

export class RunLog {
  /** Lines are appended in order; this is the tail of that chain. */
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly store: RunStore, private readonly onLog?: (entry: Record<string, unknown>) => void) {}

  /** Queues a line (written in order; `flush` waits for it). */
  write(entry: Record<string, unknown>): void {
    const line = JSON.stringify({ time: new Date().toISOString(), ...entry });
    this.onLog?.(entry);
    this.pending = this.pending.then(() => this.store.append(RUN_FILES.log, line + '\n'));
  }

  /** Writes a line and waits until every queued line is stored. */
  async log(entry: Record<string, unknown>): Promise<void> {
    this.write(entry);
    await this.pending;
  }

  /** Waits for the queued lines (errors included). */
  flush(): Promise<void> {
    return this.pending;
  }

  /** Re-renders plot.svg from the epoch history and the density track. */
  async plot(history: readonly PlotEpoch[], density: readonly PlotDensity[], title: string): Promise<void> {
    await this.store.write(RUN_FILES.plot, new TextEncoder().encode(renderTrainingPlot(history, density, title)));
  }
}
