// The density below which a sparse model has no weight left in its smallest recurrent matrix:
// `train` and `bench` refuse it alike (such a model computes nothing).
import type { LMConfig } from '../models/index.js';
import { grouped, UsageError } from './format.js';

/** Refuses a density whose expected weight count in the smallest recurrent matrix is below one. */
export function refuseEmptyDensity(lm: Pick<LMConfig, 'emsize' | 'nhid' | 'nhidlast'>, density: number): void {
  // Every family's recurrent matrices have at least `hidden` rows and min(emsize, hidden) columns.
  const hidden = Math.min(lm.nhid, lm.nhidlast > 0 ? lm.nhidlast : lm.nhid);
  const smallest = hidden * Math.min(lm.emsize, lm.nhid, hidden);
  if (density * smallest < 1) {
    throw new UsageError(`--density ${density} leaves no weight in the smallest recurrent matrix (${grouped(smallest)} weights × ${density} < 1); give --density ${(1 / smallest).toPrecision(2)} or more`);
  }
}
