// Per-entry step counters (SNT-ASGD's per-weight counters, sparse Adam's per-entry t), stored in
// 2 bytes per entry instead of 4.
//
// Every step adds 1 to every counter, and a topology update starts the new entries at 0 while the
// survivors keep theirs. So entries that became active at the same update always hold the same
// count: the counters take one value per cohort (the entries born together), and a counter is
//   count(j) = ticks − born[cohort[j]]
// with `ticks` the increments so far and `born[c]` the ticks when cohort c started. Storing the
// cohort (u16) instead of the count (i32) is what brings a sparse weight's training state under
// the dense one's at d = 0.33 (values 4 + column index 2 + average 4 + counter 2 bytes per nonzero,
// against 4 + 4 per dense weight). A step is O(1) (ticks += 1); reading a count is one lookup.
//
// Cohorts no entry refers to any more are dropped at every remap, so there are at most as many as
// topology updates with survivors; beyond 65,535 live cohorts (an update every step for that many
// steps) the cohort array widens to u32, so the counts stay exact whatever the schedule.
// Checkpoints store the counts themselves (Int32Array, as before this file existed).

const U16_COHORTS = 0xffff;

export class EntryCounters {
  private cohort: Uint16Array | Uint32Array;
  /** Per cohort: the ticks when its entries were at 0 (may be negative for loaded counts). */
  private born: number[];
  private ticks = 0;

  /** `size` counters at 0. */
  constructor(size: number) {
    this.cohort = new Uint16Array(size);
    this.born = [0];
  }

  /** Counters holding the given counts (a state dict's Int32Array). */
  static fromCounts(counts: Int32Array): EntryCounters {
    const c = new EntryCounters(0);
    const index = new Map<number, number>();
    const cohortOf = new Uint32Array(counts.length);
    c.born = [];
    for (let j = 0; j < counts.length; j++) {
      const v = counts[j]!;
      let k = index.get(v);
      if (k === undefined) { k = c.born.length; index.set(v, k); c.born.push(-v); }
      cohortOf[j] = k;
    }
    if (c.born.length === 0) c.born.push(0);
    c.cohort = c.born.length <= U16_COHORTS ? Uint16Array.from(cohortOf) : cohortOf;
    return c;
  }

  get length(): number {
    return this.cohort.length;
  }

  /** Bytes per entry as stored (2, or 4 once more than 65,535 cohorts are live). */
  get bytesPerEntry(): number {
    return this.cohort.BYTES_PER_ELEMENT;
  }

  /** Adds 1 to every counter. */
  incrementAll(): void {
    this.ticks += 1;
  }

  /** Entry j's count. */
  get(j: number): number {
    return this.ticks - this.born[this.cohort[j]!]!;
  }

  /**
   * For hot loops: each entry's cohort and each cohort's count, count(j) = counts[cohorts[j]].
   * Valid until the next incrementAll.
   */
  view(): { cohorts: Uint16Array | Uint32Array; counts: Float64Array } {
    const counts = new Float64Array(this.born.length);
    for (let c = 0; c < counts.length; c++) counts[c] = this.ticks - this.born[c]!;
    return { cohorts: this.cohort, counts };
  }

  /** The counts as an Int32Array (what a state dict stores). */
  toCounts(): Int32Array {
    const out = new Int32Array(this.cohort.length);
    for (let j = 0; j < out.length; j++) out[j] = this.get(j);
    return out;
  }

  /**
   * Counters for a new topology: entry j continues old entry oldSlotOf[j] (keeps its count) or,
   * for −1, starts at 0. Cohorts left without entries are dropped.
   */
  remapped(oldSlotOf: Int32Array): EntryCounters {
    const next = new EntryCounters(0);
    next.ticks = this.ticks;
    next.born = [];
    const renumber = new Map<number, number>();
    const cohortOf = new Uint32Array(oldSlotOf.length);
    let fresh = -1;
    for (let j = 0; j < oldSlotOf.length; j++) {
      const k = oldSlotOf[j]!;
      if (k < 0) {
        if (fresh < 0) { fresh = next.born.length; next.born.push(this.ticks); }
        cohortOf[j] = fresh;
        continue;
      }
      const old = this.cohort[k]!;
      let c = renumber.get(old);
      if (c === undefined) { c = next.born.length; renumber.set(old, c); next.born.push(this.born[old]!); }
      cohortOf[j] = c;
    }
    if (next.born.length === 0) next.born.push(this.ticks);
    next.cohort = next.born.length <= U16_COHORTS ? Uint16Array.from(cohortOf) : cohortOf;
    return next;
  }
}
