// EntryCounters (src/optim/entry-counters.ts) keeps per-entry step counts as a cohort per entry
// (2 bytes) instead of the count (4 bytes). Checked against a plain Int32Array of counts through
// random schedules of increments and topology remaps (survivors keep their count, new entries
// start at 0), through state-dict round trips, and past 65,535 live cohorts (the u32 fallback).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryCounters, Random } from '../src/index.js';

/** A random slot map from `oldSize` entries to `newSize`: each new entry continues a distinct old one or is new (−1). */
function slotMap(rng: Random, oldSize: number, newSize: number, keep: number): Int32Array {
  const order = Array.from({ length: oldSize }, (_, i) => i);
  for (let i = oldSize - 1; i > 0; i--) { const j = Math.floor(rng.uniform() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  const map = new Int32Array(newSize).fill(-1);
  let taken = 0;
  for (let j = 0; j < newSize; j++) if (rng.uniform() < keep && taken < oldSize) map[j] = order[taken++]!;
  return map;
}

test('counts equal a plain per-entry counter through increments and remaps', () => {
  const rng = new Random(7);
  let size = 37;
  let c = new EntryCounters(size), ref = new Int32Array(size);
  for (let round = 0; round < 60; round++) {
    const steps = Math.floor(rng.uniform() * 4);
    for (let s = 0; s < steps; s++) { c.incrementAll(); for (let j = 0; j < size; j++) ref[j]! += 1; }
    assert.equal(Array.from(c.toCounts()), Array.from(ref), `round ${round}`);
    const { cohorts, counts } = c.view();
    assert.equal(Array.from(cohorts, (k) => counts[k]), Array.from(ref), `view, round ${round}`);
    const newSize = 1 + Math.floor(rng.uniform() * 60);
    const map = slotMap(rng, size, newSize, [0, 0.5, 1][round % 3]!);
    c = c.remapped(map);
    ref = Int32Array.from(map, (k) => (k < 0 ? 0 : ref[k]!));
    size = newSize;
    assert.is(c.length, size);
    assert.equal(Array.from(c.toCounts()), Array.from(ref), `after remap ${round}`);
    assert.is(c.bytesPerEntry, 2);
    if (round % 5 === 0) { c = EntryCounters.fromCounts(c.toCounts()); assert.equal(Array.from(c.toCounts()), Array.from(ref), 'round trip'); }
  }
});

test('loaded counts (any values, negative included) read back and keep counting', () => {
  const counts = Int32Array.from([5, 0, 5, -3, 2 ** 31 - 10, 0, 7]);
  const c = EntryCounters.fromCounts(counts);
  assert.equal(Array.from(c.toCounts()), Array.from(counts));
  c.incrementAll(); c.incrementAll();
  assert.equal(Array.from(c.toCounts()), Array.from(counts, (v) => v + 2));
  assert.equal(Array.from(EntryCounters.fromCounts(new Int32Array(0)).toCounts()), []);
  assert.equal(Array.from(new EntryCounters(3).toCounts()), [0, 0, 0]);
});

test('more than 65,535 live cohorts widen to 4 bytes per entry and stay exact; few cohorts go back to 2', () => {
  const n = 70_000;
  const counts = Int32Array.from({ length: n }, (_, j) => j * 3);
  const c = EntryCounters.fromCounts(counts);
  assert.is(c.bytesPerEntry, 4);
  c.incrementAll();
  assert.equal(Array.from(c.toCounts()), Array.from(counts, (v) => v + 1));
  const all = c.remapped(Int32Array.from({ length: n }, (_, j) => n - 1 - j));
  assert.is(all.bytesPerEntry, 4);
  assert.equal(Array.from(all.toCounts()), Array.from(counts, (v) => v + 1).reverse());
  const few = all.remapped(Int32Array.from([-1, 5, -1, 5 + 1]));
  assert.is(few.bytesPerEntry, 2);
  assert.equal(Array.from(few.toCounts()), [0, (n - 6) * 3 + 1, 0, (n - 7) * 3 + 1]);
});

test.run();
