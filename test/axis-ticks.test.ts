// Axis ticks (src/train/run/axis-ticks.ts), used by the run's plot.svg and the browser page's
// charts: round values, labels a person reads (1,330, 12.5k, 1e-6), distinct, inside the axis and
// never overlapping, for awkward ranges: a log axis within one decade, one over five decades, a
// single value, ranges a double can hardly tell apart. Then the SVG plot's own axes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { axisTicks, formatTick, renderTrainingPlot, type Axis, type AxisTickOptions } from '../src/index.js';

/** A label read back as a number: "1,330" → 1330, "12.5k" → 12500, "3M" → 3e6, "2e12" → 2e12. */
function parseLabel(label: string): number {
  const m = /^(-?[\d,]*\.?\d+(?:e-?\d+)?)([kM]?)$/.exec(label);
  if (!m) return NaN;
  return Number(m[1]!.replace(/,/g, '')) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1);
}

const VERTICAL = 14; // the default label extent: one line of 12 px text
const widthOf = (label: string) => label.length * 7 + 8;

/** Every property a tick set must have, whatever the range. */
function checkAxis(what: string, axis: Axis, lo: number, hi: number, o: AxisTickOptions & { length: number }): void {
  const extent = o.labelExtent ?? (() => VERTICAL);
  const { ticks } = axis;
  // Ends beyond what the axis takes are cut (see Axis.lo).
  const [lo0, hi0] = o.log ? [Math.max(lo, 1e-300), Math.min(hi, 1e300)] : [Math.max(lo, -Number.MAX_VALUE / 4), Math.min(hi, Number.MAX_VALUE / 4)];
  if (lo0 <= hi0) assert.ok(axis.lo <= lo0 && axis.hi >= hi0, `${what}: the axis [${axis.lo}, ${axis.hi}] covers [${lo}, ${hi}]`);
  const labels = ticks.map((t) => t.label);
  assert.is(new Set(labels).size, labels.length, `${what}: distinct labels ${labels}`);
  const f = o.log ? Math.log10 : (v: number) => v;
  ticks.forEach((t, k) => {
    assert.ok(t.value >= axis.lo && t.value <= axis.hi, `${what}: tick ${t.value} inside [${axis.lo}, ${axis.hi}]`);
    if (k > 0) assert.ok(t.value > ticks[k - 1]!.value, `${what}: ticks ascend`);
    if (o.integer) assert.ok(Number.isInteger(t.value), `${what}: whole-number tick ${t.value}`);
    assert.not.match(t.label, /NaN|Infinity|e\+|^$/, `${what}: label ${JSON.stringify(t.label)}`);
    const back = parseLabel(t.label);
    assert.ok(Math.abs(back - t.value) <= Math.abs(t.value) * 1e-9 + 1e-300, `${what}: label ${t.label} reads back as ${back}, the tick is ${t.value}`);
    const offset = ((f(t.value) - f(axis.lo)) / (f(axis.hi) - f(axis.lo))) * o.length;
    assert.ok(Math.abs(offset - t.offset) < 1e-6 * o.length, `${what}: tick ${t.label} at ${t.offset} px, its value puts it at ${offset}`);
    if (k > 0) {
      const prev = ticks[k - 1]!;
      const room = t.offset - prev.offset - (extent(prev.label) + extent(t.label)) / 2;
      assert.ok(room >= 0, `${what}: labels ${prev.label} and ${t.label} overlap by ${-room} px`);
    }
  });
}

const AWKWARD: [string, number, number][] = [
  ['the reported perplexity range', 110, 1330],
  ['within one decade', 114.2, 118.9],
  ['five decades', 1, 1e5],
  ['a single value', 117, 117],
  ['gate densities', 0.318, 0.368],
  ['a narrow span far from 0', 1e6, 1e6 + 3],
  ['just above 1', 1, 1 + 2 ** -52],
];

test('awkward ranges on a 215 px vertical axis: several distinct, in-range, non-overlapping labels, log and linear', () => {
  for (const [what, lo, hi] of AWKWARD) {
    for (const log of [true, false]) {
      const o = { log, length: 215 };
      const axis = axisTicks(lo, hi, o);
      checkAxis(`${what} [${lo}, ${hi}] ${log ? 'log' : 'linear'}`, axis, lo, hi, o);
      assert.ok(axis.ticks.length >= 3, `${what} ${log ? 'log' : 'linear'}: ${axis.ticks.length} labels (${axis.ticks.map((t) => t.label)})`);
      assert.ok(axis.ticks.length <= 6, `${what}: at most one label per 35 px`);
    }
  }
});

test('the labels a person expects on the reported ranges', () => {
  const labels = (lo: number, hi: number, o: AxisTickOptions) => axisTicks(lo, hi, { length: 215, ...o }).ticks.map((t) => t.label);
  assert.equal(labels(1, 1e5, { log: true }), ['1', '10', '100', '1,000', '10k', '100k'], 'one tick a decade');
  assert.equal(labels(114.2, 118.9, { log: true }), ['115', '116', '117', '118'], 'within a decade: whole numbers');
  assert.equal(labels(110, 1330, { log: true }), ['200', '300', '500', '1,000']);
  assert.equal(labels(0.97, 1.03, {}), ['0.98', '1', '1.02']);
  assert.equal(labels(1, 1e12, { log: true }), ['1', '1,000', '1M', '1e9', '1e12'], 'every third decade');
  // A single value is spread around itself: 10 % on a linear axis, a tenth of a decade on a log one.
  const single = axisTicks(117, 117, { length: 215 });
  assert.ok(single.lo < 117 && single.hi > 117 && single.ticks.some((t) => t.value === 120));
  // Whole numbers only: epochs 1…8 on a 540 px axis, a single epoch as the one tick it is.
  assert.equal(labels(1, 8, { integer: true, length: 540, labelExtent: widthOf }), ['1', '2', '3', '4', '5', '6', '7', '8']);
  assert.equal(labels(1, 1, { integer: true, length: 540, labelExtent: widthOf }), ['1']);
});

test('formatTick writes values as a person does', () => {
  const cases: [number, string][] = [
    [0, '0'], [1, '1'], [0.025, '0.025'], [118, '118'], [1330, '1,330'], [-1500, '-1,500'], [9999.5, '9,999.5'], [12500, '12.5k'],
    [100000, '100k'], [3e6, '3M'], [2.5e12, '2.5e12'], [1e-6, '1e-6'], [0.30000000000000004, '0.3'], [1e300, '1e300'],
  ];
  for (const [v, s] of cases) assert.is(formatTick(v), s, `formatTick(${v})`);
});

test('horizontal axes: labels as wide as their text do not overlap, on any axis length', () => {
  for (const length of [60, 120, 300, 560, 1200]) {
    for (const [lo, hi] of [[0, 216], [1, 13], [0, 123456], [1, 1]] as const) {
      const o = { integer: true, length, labelExtent: widthOf };
      const axis = axisTicks(lo, hi, o);
      checkAxis(`x [${lo}, ${hi}] over ${length} px`, axis, lo, hi, o);
      assert.ok(axis.ticks.length >= 1);
      if (length >= 300 && lo !== hi) assert.ok(axis.ticks.length >= 3, `x [${lo}, ${hi}] over ${length} px: ${axis.ticks.map((t) => t.label)}`);
    }
  }
});

test('any finite range, any length: the properties hold (seeded random ranges, and extremes)', () => {
  let s = 7;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const ranges: [number, number][] = [[0, 5e-324], [5e-324, 5e-324], [-1e308, 1e308], [1e-300, 1e300], [Number.MAX_VALUE, Number.MAX_VALUE], [-1, 0], [0, 0]];
  for (let i = 0; i < 400; i++) {
    const a = (rnd() - 0.3) * 10 ** Math.floor(rnd() * 12 - 4), b = a + Math.abs(a) * 10 ** (rnd() * 8 - 7) * (rnd() < 0.1 ? 0 : 1) + rnd() * 10 ** Math.floor(rnd() * 10 - 5);
    ranges.push([a, b]);
  }
  for (const [lo, hi] of ranges) {
    for (const log of [false, true]) {
      if (log && lo <= 0) continue;
      for (const integer of [false, true]) {
        const length = 40 + Math.floor(rnd() * 860);
        const o = { log, integer, length };
        const axis = axisTicks(lo, hi, o);
        checkAxis(`[${lo}, ${hi}] ${log ? 'log' : 'linear'}${integer ? ' integer' : ''} over ${length} px`, axis, lo, hi, o);
        if (!integer) assert.ok(axis.ticks.length >= 1, `[${lo}, ${hi}] ${log ? 'log' : 'linear'} over ${length} px has a tick`);
        if (!integer && length >= 100) assert.ok(axis.ticks.length >= 2, `[${lo}, ${hi}] ${log ? 'log' : 'linear'} over ${length} px: ${axis.ticks.map((t) => t.label)}`);
      }
    }
  }
});

test('bad ends are refused with a message naming them', () => {
  assert.throws(() => axisTicks(NaN, 1), /axis ends must be finite numbers, got \[NaN, 1\]/);
  assert.throws(() => axisTicks(1, Infinity), /finite/);
  assert.throws(() => axisTicks(2, 1), /low end 2 is above the high end 1/);
  assert.throws(() => axisTicks(0, 10, { log: true }), /log axis needs positive ends/);
  assert.throws(() => axisTicks(1, 10, { length: 0 }), /length must be a positive number of pixels/);
});

/** The y-axis labels of each panel of plot.svg, with their y positions. */
function yLabels(svg: string): { label: string; y: number }[][] {
  return svg.split('<g>').slice(1).map((panel) => [...panel.matchAll(/<text [^>]*y="([\d.]+)"[^>]*class="y-tick">([^<]*)<\/text>/g)].map((m) => ({ label: m[2]!, y: Number(m[1]) })));
}

test('plot.svg: several readable, apart perplexity labels for narrow, typical and wide ranges', () => {
  const runs: [string, [number, number][]][] = [
    ['within one decade', [[118.9, 116.1], [116.2, 114.9], [115.1, 114.2]]],
    ['the reported range', [[1330, 420], [300, 190], [150, 110]]],
    ['five decades', [[1e5, 3000], [40, 8], [3, 1]]],
    ['one epoch', [[250, 250]]],
    ['a diverging run', [[3.2e10, Number.MAX_VALUE]]],
  ];
  for (const [what, ppl] of runs) {
    const svg = renderTrainingPlot(ppl.map(([t, v], k) => ({ epoch: k + 1, trainPpl: t, valPpl: v })),
      ppl.map((_, k) => ({ epoch: k + 1, density: 0.33, gates: { i: 0.3 + k / 100, f: 0.34, g: 0.36 - k / 200, o: 0.33 } })));
    const [perplexity, density] = yLabels(svg);
    for (const [panel, labels] of [['perplexity', perplexity!], ['density', density!]] as const) {
      assert.ok(labels.length >= 3, `${what}, ${panel}: ${labels.length} labels (${labels.map((l) => l.label)})`);
      assert.is(new Set(labels.map((l) => l.label)).size, labels.length, `${what}, ${panel}: distinct labels`);
      for (const l of labels) assert.ok(Number.isFinite(parseLabel(l.label)), `${what}, ${panel}: label ${l.label}`);
      const ys = labels.map((l) => l.y).sort((a, b) => a - b);
      for (let k = 1; k < ys.length; k++) assert.ok(ys[k]! - ys[k - 1]! >= 14, `${what}, ${panel}: labels ${ys[k - 1]} and ${ys[k]} px apart`);
    }
  }
});

test.run();
