// Tick marks and their labels for a chart axis, shared by the run's SVG plot (plot.ts) and the
// browser page's canvas charts (examples/browser/app.js imports the compiled file directly, so
// this file imports nothing).
//
// Candidates are round tick sets: for a log axis whole decades (every decade or every few), and
// 1-3, 1-2-5 and 1-2-3-5 per decade; for any axis the multiples of 1, 2, 2.5 or 5 × 10^k (the only
// choice a range inside one decade has, on a log axis too). Of the candidates whose labels do not
// collide at the axis' length in pixels, the one with the most ticks (at most `maxTicks`) wins;
// ties go to the decade sets, then to the coarser step. A log axis takes evenly spaced ticks only
// where no decade set gives three.

export interface AxisTickOptions {
  /** A log10 axis: both ends must then be positive. */
  log?: boolean;
  /** Only whole numbers (epochs, steps). */
  integer?: boolean;
  /** The axis' length in pixels (default 200). */
  length?: number;
  /** Pixels a label takes along the axis (default 14: one line of 12 px text on a vertical axis). */
  labelExtent?: (label: string) => number;
  /** Pixels kept free between two neighbouring labels (default 6). */
  gap?: number;
  /** At most this many ticks (default: one per 2.5 extents of a one-digit label, 2 to 10). */
  maxTicks?: number;
}

export interface AxisTick {
  value: number;
  label: string;
  /** Distance from the axis' low end in pixels (0 … length). */
  offset: number;
}

export interface Axis {
  /**
   * The axis' ends: the range asked for, widened when it was a single value or narrower than a
   * double can label, and cut to [1e-300, 1e300] on a log axis and ±Number.MAX_VALUE / 4 on a
   * linear one (values beyond are drawn at the edge).
   */
  lo: number;
  hi: number;
  ticks: AxisTick[];
}

// Within one power of ten, coarse to fine, but 2 before 2.5 (0.98, 1, 1.02 reads better than
// 0.975, 1, 1.025 when both give as many ticks).
const MULTIPLES = [5, 2, 2.5, 1];
const DECADE_SETS = [[1, 3], [1, 2, 5], [1, 2, 3, 5]];
const DECADE_STRIDES = [1, 2, 3, 5, 10, 20, 50, 100, 200];

/** Round ticks with readable, distinct labels that do not overlap (see the header). */
export function axisTicks(lo: number, hi: number, opts: AxisTickOptions = {}): Axis {
  const log = opts.log === true;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`axisTicks: the axis ends must be finite numbers, got [${lo}, ${hi}]`);
  if (lo > hi) throw new RangeError(`axisTicks: the low end ${lo} is above the high end ${hi}`);
  if (log && !(lo > 0)) throw new RangeError(`axisTicks: a log axis needs positive ends, got [${lo}, ${hi}]`);
  const length = opts.length ?? 200;
  if (!(length > 0) || !Number.isFinite(length)) throw new RangeError(`axisTicks: length must be a positive number of pixels, got ${length}`);
  const extent = opts.labelExtent ?? (() => 14);
  const gap = opts.gap ?? 6;
  const maxTicks = opts.maxTicks ?? Math.min(10, Math.max(2, Math.floor(length / (2.5 * extent('0')))));
  [lo, hi] = widen(lo, hi, log);

  const f = log ? Math.log10 : (v: number) => v;
  const f0 = f(lo), span = f(hi) - f0;
  const offsetOf = (v: number) => ((f(v) - f0) / span) * length;
  let best: AxisTick[] = [];
  const integer = opts.integer === true;
  let decadeTicks = -1; // the most ticks a decade set gave, once they are all tried
  for (const { values: found, decades } of candidates(lo, hi, log, integer, maxTicks)) {
    if (!decades && decadeTicks < 0) decadeTicks = best.length;
    // On a log axis, evenly spaced values bunch up at the top: only when no decade set gives three.
    if (log && decadeTicks >= 3) break;
    const values = integer ? found.filter(Number.isInteger) : found;
    if (values.length <= best.length || values.length > maxTicks) continue;
    const ticks = values.map((value) => ({ value, label: formatTick(value), offset: offsetOf(value) }));
    if (fits(ticks, extent, gap)) best = ticks;
  }
  return { lo, hi, ticks: best };
}

/** Whether neighbouring labels keep `gap` pixels apart, and every label is distinct. */
function fits(ticks: AxisTick[], extent: (label: string) => number, gap: number): boolean {
  if (new Set(ticks.map((t) => t.label)).size !== ticks.length) return false;
  for (let k = 1; k < ticks.length; k++) {
    const a = ticks[k - 1]!, b = ticks[k]!;
    if (b.offset - a.offset < (extent(a.label) + extent(b.label)) / 2 + gap) return false;
  }
  return true;
}

/**
 * A range a scale and its labels can be computed on: a single value (or a span below 1e-300) is
 * spread around itself (on a linear axis by 10 %, or by 0.5 around 0; on a log axis by a tenth
 * of a decade), a range narrower than 1e-7 of its magnitude (which labels could not tell apart) is
 * widened to that, and the ends are kept where the span stays finite.
 */
function widen(lo: number, hi: number, log: boolean): [number, number] {
  if (log) {
    // Kept inside [1e-300, 1e300], where a tenth of a decade either side is still a normal double.
    const a = Math.min(Math.max(Math.log10(lo), -300), 300), b = Math.min(Math.max(Math.log10(hi), -300), 300);
    if (b - a < 1e-7) { // a ratio below 1 + 2.3e-7: labels would need more digits than a tick can show
      const mid = (a + b) / 2, half = a === b ? 0.1 : 5e-8;
      return [10 ** (mid - half), 10 ** (mid + half)];
    }
    // The ends as given where they are in bounds (10 ** log10(5000) is not 5000).
    return [lo < 1e-300 ? 10 ** a : lo, hi > 1e300 ? 10 ** b : hi];
  }
  const limit = Number.MAX_VALUE / 4; // keeps hi − lo finite
  lo = Math.max(lo, -limit); hi = Math.min(hi, limit);
  const mag = Math.max(Math.abs(lo), Math.abs(hi));
  if (hi === lo || hi - lo < 1e-300) { // a single value, or as good as one (0 and 5e-324)
    const mid = lo / 2 + hi / 2, half = Math.abs(mid) > 1e-290 ? Math.abs(mid) * 0.1 : 0.5;
    return [mid - half, mid + half];
  }
  if (hi - lo < mag * 1e-7) {
    const mid = lo / 2 + hi / 2, half = mag * 5e-8;
    return [mid - half, mid + half];
  }
  return [lo, hi];
}

/** Candidate tick sets (decade sets first), each sorted ascending, each of at most `maxTicks` + 1 values. */
function* candidates(lo: number, hi: number, log: boolean, integer: boolean, maxTicks: number): Generator<{ values: number[]; decades: boolean }> {
  if (log) {
    const e0 = Math.ceil(Math.log10(lo) - 1e-9), e1 = Math.floor(Math.log10(hi) + 1e-9);
    for (const stride of DECADE_STRIDES) {
      const first = Math.ceil(e0 / stride) * stride;
      if ((e1 - first) / stride + 1 > maxTicks + 1) continue;
      const out: number[] = [];
      for (let e = first; e <= e1; e += stride) out.push(decade(1, e));
      yield { values: out.filter((v) => v >= lo && v <= hi), decades: true };
    }
    for (const set of DECADE_SETS) {
      if ((e1 - e0 + 2) * set.length > 4 * (maxTicks + 1)) continue; // far too many: skip before listing them
      const out: number[] = [];
      for (let e = e0 - 1; e <= e1 && out.length <= maxTicks; e++) for (const m of set) {
        const v = decade(m, e);
        if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) out.push(Math.min(Math.max(v, lo), hi));
      }
      yield { values: out, decades: true };
    }
  }
  // Multiples of a round step, coarse to fine, down to the first power of ten that gives too many.
  const span = hi - lo;
  for (let e = Math.ceil(Math.log10(span)); ; e--) {
    for (const m of MULTIPLES) {
      const step = decade(m, e);
      if (!Number.isFinite(step) || (integer && !Number.isInteger(step))) {
        if (step < 1) return; // no whole-number step is finer
        continue;
      }
      const k0 = Math.ceil(lo / step - 1e-9), k1 = Math.floor(hi / step + 1e-9);
      if (!(step > 0) || !Number.isFinite(k1 - k0)) return; // steps below what a double holds: nothing finer to try
      if (k1 - k0 + 1 > maxTicks) {
        if (m === 1) return;
        continue;
      }
      if (k1 < k0) continue;
      const out: number[] = [];
      for (let k = k0; k <= k1; k++) out.push(clean(k * step));
      yield { values: out.filter((v) => v >= lo - 1e-9 * span && v <= hi + 1e-9 * span).map((v) => Math.min(Math.max(v, lo), hi)), decades: false };
    }
  }
}

/** m × 10^e without the binary noise of the product (0.1 × 3 = 0.30000000000000004). */
function decade(m: number, e: number): number {
  return clean(e >= 0 ? m * 10 ** e : m / 10 ** -e);
}

function clean(v: number): number {
  return Number(v.toPrecision(12));
}

/**
 * A tick value as a person writes it, with as few digits as the value needs: 0.025, 118, 1,330,
 * 12.5k, 3M, 2e12, 1e-6.
 */
export function formatTick(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  let digits = 1;
  while (digits < 15 && Math.abs(Number(a.toPrecision(digits)) - a) > a * 1e-12) digits++;
  const r = Number(a.toPrecision(digits));
  if (r >= 1e9 || r < 1e-4) return sign + r.toExponential(digits - 1).replace('e+', 'e').replace(/\.?0+e/, 'e');
  if (r >= 1e6) return sign + String(Number((r / 1e6).toPrecision(digits))) + 'M';
  if (r >= 1e4) return sign + String(Number((r / 1e3).toPrecision(digits))) + 'k';
  const [whole, frac] = String(r).split('.');
  return sign + whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac ? '.' + frac : '');
}
