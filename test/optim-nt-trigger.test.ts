// The NT-ASGD non-monotone trigger: awd-lstm-lm's main.py rule
//   fire ⟺ len(history) > nonmono and L > min(history[:-nonmono]);  then history.append(L)
// on crafted loss sequences, including the boundaries len == nonmono and L == min.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NonMonotoneTrigger } from '../src/index.js';

function run(trigger: NonMonotoneTrigger, losses: number[]): boolean[] {
  return losses.map((l) => trigger.observe(l));
}

test('nonmono = 2: no decision before more than 2 losses, equality does not fire, then fires', () => {
  const t = new NonMonotoneTrigger(2);
  // 10 is the worst loss so far but len(history) == 2 == nonmono: not yet
  assert.equal(run(t, [5, 4, 10]), [false, false, false]);
  // history [5, 4, 10]: min(history[:-2]) = 5, and 5 > 5 is false
  assert.is(t.observe(5), false);
  // history [5, 4, 10, 5]: min([5, 4]) = 4 < 4.5
  assert.is(t.observe(4.5), true);
  assert.ok(t.fired);
  assert.is(t.firedAt, 4);
  // irreversible, and nothing more is recorded
  assert.equal(run(t, [100, 0]), [false, false]);
  assert.equal([...t.losses], [5, 4, 10, 5, 4.5]);
});

test('nonmono = 5: compares with the best loss EXCLUDING the last 5, not with the last 5', () => {
  const t = new NonMonotoneTrigger(5);
  assert.is(t.nonmono, 5);
  // len == 5 on the 6th loss: no decision even though it is the best so far
  assert.equal(run(t, [10, 9, 8, 7, 6, 5.5]), [false, false, false, false, false, false]);
  // 9.5 is worse than all of the last 5 (the paper's typo would fire), but not worse than
  // min(history[:-5]) = min([10]) = 10
  assert.is(t.observe(9.5), false);
  // min(history[:-5]) = min([10, 9]) = 9: equal, no switch
  assert.is(t.observe(9), false);
  // min([10, 9, 8]) = 8 < 8.5
  assert.is(t.observe(8.5), true);
  assert.is(t.firedAt, 8);
});

test('a steadily improving run never fires', () => {
  const t = new NonMonotoneTrigger(5);
  assert.ok(run(t, Array.from({ length: 50 }, (_, i) => 100 / (i + 1))).every((f) => !f));
  assert.not.ok(t.fired);
});

test('NaN losses behave as in Python (comparisons false; min keeps a leading NaN)', () => {
  const t = new NonMonotoneTrigger(2);
  assert.equal(run(t, [NaN, 3, 2]), [false, false, false]);
  assert.is(t.observe(4), false, '4 > min([NaN]) = NaN is false');
  assert.is(t.observe(3.5), false, 'Python min([nan, 3]) is nan');
  assert.is(t.observe(NaN), false);
  const u = new NonMonotoneTrigger(2);
  assert.equal(run(u, [3, NaN, 2, 4]), [false, false, false, true], 'min([3]) = 3 < 4');
});

test('the trigger state round-trips through JSON, including non-finite losses', () => {
  const t = new NonMonotoneTrigger(2);
  run(t, [Infinity, 7, NaN, 6]);
  const json = JSON.stringify(t.stateDict());
  const u = new NonMonotoneTrigger(2);
  u.loadStateDict(JSON.parse(json));
  assert.equal(Object.is(u.losses[0], Infinity) && Number.isNaN(u.losses[2]), true);
  assert.equal(u.losses.length, 4);
  // both continue identically: history [Inf, 7, NaN, 6] → min([Inf, 7]) = 7
  for (const l of [6.5, 7.5, 1]) assert.is(u.observe(l), t.observe(l), `loss ${l}`);
  assert.is(u.firedAt, t.firedAt);
  assert.is(u.firedAt, 5);
  const fired = new NonMonotoneTrigger(2);
  fired.loadStateDict(JSON.parse(JSON.stringify(u.stateDict())));
  assert.ok(fired.fired);
  assert.is(fired.observe(1000), false);
});

test('the trigger refuses bad settings and states', () => {
  assert.throws(() => new NonMonotoneTrigger(0), /integer ≥ 1, got 0/);
  assert.throws(() => new NonMonotoneTrigger(2.5), /integer ≥ 1, got 2.5/);
  const t = new NonMonotoneTrigger(3);
  assert.throws(() => t.loadStateDict({ nonmono: 5, history: [], firedAt: null }), /nonmono is 3, the state has 5/);
  assert.throws(() => t.loadStateDict({ nonmono: 3, history: [1, 'oops'], firedAt: null }), /history\[1\] = "oops" is not a loss/);
  assert.throws(() => t.loadStateDict({ nonmono: 3, history: [1], firedAt: 1 }), /firedAt 1 does not index the 1 losses/);
  assert.throws(() => t.observe('1' as unknown as number), /expects a number/);
});

test.run();
