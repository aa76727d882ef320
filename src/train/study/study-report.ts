// The study's report: a Markdown page (table per method and seed, spread, FLOPs, wall time, the
// claims checked) and SVG plots (validation curves, per-gate density of Selfish-RNN, topology
// distances). Pure functions of the study results, so a partial study renders too.
import type { StudyResult } from './study.js';
import { axisTicks } from '../run/axis-ticks.js';

export interface StudyReport {
  markdown: string;
  /** File name → SVG text. */
  svgs: Record<string, string>;
}

export interface TopologyDistanceRow { a: string; b: string; distance: number }

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22'];
const fmt = (v: number | null, d = 2) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(d));

/**
 * A plain line plot: series of (x, y) points, linear axes with round, non-overlapping tick labels
 * (axis-ticks.ts, as the run's plot.svg), legend on the right, as wide as its longest label.
 */
export function linePlot(title: string, xLabel: string, yLabel: string, series: { label: string; points: [number, number][] }[]): string {
  const CHAR = 6.2; // px per character of 11 px sans-serif, roughly
  const longest = series.reduce((m, s) => Math.max(m, s.label.length), 0);
  const H = 340, L = 60, T = 30, B = 45, R = Math.max(110, Math.ceil(40 + CHAR * longest)), W = L + 430 + R;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const min = (v: number[], start: number) => v.reduce((m, x) => Math.min(m, x), start), max = (v: number[], start: number) => v.reduce((m, x) => Math.max(m, x), start);
  const y0 = min(ys, Infinity), y1 = max(ys, -Infinity);
  const xAxis = axisTicks(min(xs, 0), max(xs, 1), { length: W - L - R, labelExtent: (label) => CHAR * label.length });
  const yAxis = axisTicks(Number.isFinite(y0) ? y0 : 0, Number.isFinite(y1) ? y1 : 1, { length: H - T - B });
  const { lo: x0, hi: x1 } = xAxis, { lo, hi } = yAxis;
  const sx = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y: number) => T + (1 - (y - lo) / (hi - lo || 1)) * (H - T - B);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`, `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`];
  for (const t of xAxis.ticks) out.push(`<text x="${sx(t.value).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${esc(t.label)}</text>`);
  for (const t of yAxis.ticks) {
    out.push(`<text x="${L - 4}" y="${(sy(t.value) + 4).toFixed(1)}" text-anchor="end">${esc(t.label)}</text>`);
    out.push(`<line x1="${L}" y1="${sy(t.value).toFixed(1)}" x2="${W - R}" y2="${sy(t.value).toFixed(1)}" stroke="#eee"/>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (p.length > 0) out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<line x1="${W - R + 10}" y1="${T + 14 * i}" x2="${W - R + 28}" y2="${T + 14 * i}" stroke="${c}" stroke-width="2"/><text x="${W - R + 32}" y="${T + 14 * i + 4}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function meanSpread(v: number[]): { mean: number; spread: number | null } | null {
  if (v.length === 0) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  // One seed has no spread (shown as "—", never as 0).
  return { mean, spread: v.length > 1 ? v.reduce((m, x) => Math.max(m, x), -Infinity) - v.reduce((m, x) => Math.min(m, x), Infinity) : null };
}

/** A published figure the report sets beside one of its runs. */
export interface PublishedFigure {
  /** The run it is compared with, e.g. 'dense-s1'. */
  run: string;
  what: string;
  valid?: number;
  test?: number;
  /** Relative tolerance the reproduction must meet on the test figure (e.g. 0.03). */
  tolerance: number;
}

/** Seconds per epoch of a method at the report's time-to-perplexity set-up (measured apart, see the notes). */
export interface EpochTiming {
  label: string;
  /** Which run's validation curve it times ('dense-s1', …), or an external curve. */
  run?: string;
  /** Validation perplexity per epoch for a curve that is not a study run (PyTorch). */
  valPpl?: number[];
  testPpl?: number;
  secondsPerEpoch: number;
}

export interface StudyReportOptions {
  notes?: string[];
  published?: PublishedFigure[];
  timings?: { setup: string; curves: EpochTiming[] };
}

/**
 * The verdict on "a ≤ b" (lower perplexity is better): it holds or fails only when the difference
 * exceeds the noise, the larger of the two methods' seed spreads, or when a method ran one seed,
 * the largest spread any method of the study showed (said so in the text); with no spread in the
 * whole study, it is not judged.
 */
function verdict(a: { mean: number; spread: number | null }, b: { mean: number; spread: number | null }, studyNoise: number | null): { word: string; noise: string } {
  const known = [a.spread, b.spread].filter((v): v is number => v !== null);
  const noise = known.length === 2 ? Math.max(...known) : studyNoise !== null ? Math.max(studyNoise, ...known) : known.length > 0 ? Math.max(...known) : null;
  const how = known.length === 2 ? `the larger seed spread, ${fmt(noise)}` : noise !== null ? `the study's largest seed spread, ${fmt(noise)}, as one method has a single seed` : 'no seed spread measured';
  // No method has a second seed yet: no difference, however large, can be told from noise.
  if (noise === null) return { word: 'not judged yet (single seeds)', noise: how };
  const d = b.mean - a.mean;
  if (Math.abs(d) <= noise) return { word: 'not distinguished', noise: how };
  return { word: d > 0 ? 'holds' : 'does not hold', noise: how };
}

/** Renders the report from the results, the topology distances and the commands that made it. */
export function renderStudyReport(results: StudyResult[], distances: TopologyDistanceRow[], commands: string[], opts: StudyReportOptions = {}): StudyReport {
  const lines: string[] = ['# Reproduction study: sparse training methods at one density', ''];
  for (const n of opts.notes ?? []) lines.push(n, '');
  const dense = results.find((r) => r.method === 'dense' && r.finished);
  const denseFlops = dense?.flops ?? null;

  if ((opts.published ?? []).length > 0) {
    lines.push('## A published number, reproduced', '', '| run | what | valid ppl (ours / published) | test ppl (ours / published) | test difference | within | wall time |', '|---|---|---|---|---|---|---|');
    for (const p of opts.published!) {
      const r = results.find((x) => x.name === p.run);
      const diff = r?.testPpl != null && p.test !== undefined ? (r.testPpl - p.test) / p.test : null;
      const ok = diff === null ? 'not finished' : Math.abs(diff) <= p.tolerance ? `**yes** (±${(100 * p.tolerance).toFixed(0)}%)` : `**no** (±${(100 * p.tolerance).toFixed(0)}%)`;
      lines.push(`| ${p.run} | ${p.what} | ${fmt(r?.valPpl ?? null)} / ${fmt(p.valid ?? null)} | ${fmt(r?.testPpl ?? null)} / ${fmt(p.test ?? null)} | ${diff === null ? '—' : `${diff >= 0 ? '+' : ''}${(100 * diff).toFixed(1)}%`} | ${ok} | ${r ? clockText(r.seconds) : '—'} |`);
    }
    lines.push('');
  }

  lines.push('## Runs', '', '| run | method | seed | finished | epochs | density | val ppl | test ppl | wall time | training FLOPs (integrated) | FLOPs / dense |', '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const rel = denseFlops && Number.isFinite(r.flops) ? `${(r.flops / denseFlops).toFixed(2)}×` : '—';
    lines.push(`| ${r.name} | ${r.method} | ${r.seed} | ${r.finished ? 'yes' : 'no'} | ${r.history.length} | ${fmt(r.density, 3)} | ${fmt(r.valPpl)} | ${fmt(r.testPpl)} | ${clockText(r.seconds)} | ${Number.isFinite(r.flops) ? r.flops.toExponential(2) : '—'} | ${rel} |`);
  }
  const byMethod = new Map<string, StudyResult[]>();
  for (const r of results) if (r.testPpl !== null) byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r]);
  // The validation spread is shown beside the test spread (the claims use the test one): with two
  // seeds a spread is a single draw, and two seeds can agree on test by chance.
  lines.push('', '| method | finished runs | mean test ppl | seed spread of test ppl (max − min) | seed spread of valid ppl |', '|---|---|---|---|---|');
  const stat = new Map<string, { mean: number; spread: number | null }>();
  for (const [m, rs] of byMethod) {
    const s = meanSpread(rs.map((r) => r.testPpl!))!;
    const v = meanSpread(rs.filter((r) => r.valPpl !== null).map((r) => r.valPpl!));
    stat.set(m, s);
    lines.push(`| ${m} | ${rs.length} | ${fmt(s.mean)} | ${fmt(s.spread)} | ${fmt(v?.spread ?? null)} |`);
  }
  const spreads = [...stat.values()].map((s) => s.spread).filter((v): v is number => v !== null);
  const studyNoise = spreads.length > 0 ? Math.max(...spreads) : null;
  lines.push('', '## The paper\'s claims at this scale', '',
    'A claim holds (or fails) only when the difference of the mean test perplexities exceeds the noise: the larger seed spread of the two methods, or, where a method ran one seed, the largest seed spread in the study; otherwise the two are "not distinguished". While no method has a second seed there is no noise to measure, and no claim is judged.' +
    (byMethod.size > 0 && Math.max(...[...byMethod.values()].map((rs) => rs.length)) === 2 ? ' Each spread here is the difference of two seeds, a single draw of the noise: it can fall well below it when the two seeds agree by chance (compare the validation spread).' : ''), '');
  const claim = (text: string, a: string, b: string) => {
    const x = stat.get(a), y = stat.get(b);
    if (!x || !y) { lines.push(`- ${text}: not measured (no finished run of ${!x ? a : b}).`); return; }
    const v = verdict(x, y, studyNoise);
    // Said in words: a bare signed difference (b − a) read as "a is better by" when negative.
    const d = y.mean - x.mean;
    const by = d === 0 ? 'equal' : `${a} ${fmt(Math.abs(d))} ${d > 0 ? 'lower' : 'higher'}`;
    lines.push(`- ${text}: **${v.word}** (${a} ${fmt(x.mean)} vs ${b} ${fmt(y.mean)}: ${by}; noise: ${v.noise}).`);
  };
  claim('Selfish-RNN ≤ SET', 'selfish', 'set');
  claim('Selfish-RNN ≤ RigL', 'selfish', 'rigl');
  claim('Selfish-RNN ≤ static sparse', 'selfish', 'static');
  claim('Selfish-RNN ≤ gradual magnitude pruning', 'selfish', 'gmp');
  claim('SET ≤ static sparse', 'set', 'static');
  claim('Selfish-RNN at density 0.33 ≤ dense (the paper: sparse matches or beats dense)', 'selfish', 'dense');

  if (opts.timings && opts.timings.curves.length > 0) {
    // Equal quality: the time each curve needs to reach the perplexity that every curve reaches (the
    // worst of their bests), which is what faster sparse epochs must buy back.
    const curves = opts.timings.curves.map((c) => {
      const vals = curveOf(c, results);
      return { c, vals, best: vals.length > 0 ? Math.min(...vals) : null };
    });
    const bests = curves.map((x) => x.best).filter((v): v is number => v !== null);
    const target = bests.length > 0 ? Math.max(...bests) : null;
    lines.push('', '## Time to perplexity', '', opts.timings.setup, '',
      `| curve | seconds per epoch | best valid ppl | test ppl | time to the best valid ppl | time to valid ppl ≤ ${fmt(target)} (reached by every curve) |`, '|---|---|---|---|---|---|');
    for (const { c, vals, best } of curves) {
      const at = best === null ? null : (vals.indexOf(best) + 1) * c.secondsPerEpoch;
      const reach = target === null ? -1 : vals.findIndex((v) => v <= target);
      const test = c.testPpl ?? results.find((r) => r.name === c.run)?.testPpl ?? null;
      lines.push(`| ${c.label} | ${c.secondsPerEpoch.toFixed(0)} | ${fmt(best)} | ${fmt(test)} | ${at === null ? '—' : clockText(at)} | ${reach < 0 ? '—' : `${clockText((reach + 1) * c.secondsPerEpoch)} (epoch ${reach + 1})`} |`);
    }
  }
  if (distances.length > 0) {
    lines.push('', '## Topology distance (NNSTD-style, 0 = identical, 1 = disjoint)', '', '| a | b | distance |', '|---|---|---|');
    for (const d of distances) lines.push(`| ${d.a} | ${d.b} | ${d.distance.toFixed(4)} |`);
  }
  const dyn = results.filter((r) => r.updates.length > 0);
  if (dyn.length > 0) {
    lines.push('', '## Topology over time', '',
      'At an update a fraction of every sparse tensor\'s nonzeros is removed and as many are regrown. "Removed" counts every pruned weight; "changed" leaves out the weights regrown where they were just pruned (revived in place: value and optimizer state untouched), i.e. it counts the weights that really changed. Gradual pruning removes without regrowing.', '',
      '| run | updates | removed at the first update | changed at the first | removed at the last | changed at the last | all removed / nonzeros | all changed / nonzeros |', '|---|---|---|---|---|---|---|---|');
    for (const r of dyn) {
      const first = r.updates[0]!, last = r.updates[r.updates.length - 1]!;
      const total = r.updates.reduce((a, u) => a + u.replaced, 0), changed = r.updates.reduce((a, u) => a + u.changed, 0);
      lines.push(`| ${r.name} | ${r.updates.length} | ${fmt(first.replaced, 3)} | ${fmt(first.changed, 3)} | ${fmt(last.replaced, 3)} | ${fmt(last.changed, 3)} | ${fmt(total, 2)} | ${fmt(changed, 2)} |`);
    }
  }
  lines.push('', '## Plots', '', '![validation perplexity](study-valid.svg)', '');
  if (opts.timings && opts.timings.curves.length > 0) lines.push('![time to perplexity](study-time.svg)', '');
  lines.push('![per-gate density of Selfish-RNN](study-gates.svg)', '', '![topology change per update](study-topology.svg)', '');
  lines.push('## Commands', '', '```', ...commands, '```', '');
  const svgs: Record<string, string> = {
    'study-valid.svg': linePlot('Validation perplexity', 'epoch', 'perplexity', results.map((r) => ({ label: r.name, points: r.history.map((h) => [h.epoch, h.valPpl] as [number, number]) }))),
  };
  if (opts.timings && opts.timings.curves.length > 0) {
    svgs['study-time.svg'] = linePlot('Validation perplexity against wall-clock time', 'seconds', 'perplexity', opts.timings.curves.map((c) => ({
      label: c.label, points: curveOf(c, results).map((v, i) => [(i + 1) * c.secondsPerEpoch, v] as [number, number]),
    })));
  }
  // Per-gate density of the recurrent matrices over the run: at every topology update when the
  // log has them (the paper's redistribution), else at every epoch end.
  const selfish = results.find((r) => r.method === 'selfish' && (r.updates.some((u) => Object.keys(u.gates).length > 0) || r.history.some((h) => h.gates)));
  const perUpdate = (selfish?.updates ?? []).filter((u) => Object.keys(u.gates).length > 0);
  const stepsPerEpoch = selfish?.history[0]?.step ?? 0;
  const gateSeries: { label: string; points: [number, number][] }[] = [];
  const gateNames = Object.keys(perUpdate[0]?.gates ?? selfish?.history.find((h) => h.gates)?.gates ?? { i: 0, f: 0, g: 0, o: 0 });
  for (const g of gateNames) {
    gateSeries.push({
      label: `gate ${g}`,
      points: perUpdate.length > 0 && stepsPerEpoch > 0
        ? perUpdate.map((u) => [u.step / stepsPerEpoch, u.gates[g]!] as [number, number])
        : (selfish?.history ?? []).filter((h) => h.gates && g in h.gates).map((h) => [h.epoch, h.gates![g]!] as [number, number]),
    });
  }
  svgs['study-gates.svg'] = linePlot(`Per-gate density of the recurrent matrices (${selfish?.name ?? 'no selfish run'})`, 'epoch', 'density', gateSeries);
  // Topology change over time: the fraction of nonzeros replaced at each update, per dynamic run.
  const dynamic = results.filter((r) => r.updates.length > 0);
  svgs['study-topology.svg'] = linePlot('Topology change per update (weights that really changed / nonzeros)', 'epoch', 'fraction changed', dynamic.map((r) => {
    const spe = r.history[0]?.step ?? 0;
    return { label: r.name, points: r.updates.map((u) => [spe > 0 ? u.step / spe : u.step, u.changed] as [number, number]) };
  }));
  return { markdown: lines.join('\n'), svgs };
}

/** The validation perplexities per epoch of a timed curve: its own, or its study run's. */
function curveOf(c: EpochTiming, results: StudyResult[]): number[] {
  return c.valPpl ?? results.find((r) => r.name === c.run)?.history.map((h) => h.valPpl) ?? [];
}

/** Seconds → "1 h 02 min" / "12 min 30 s". */
function clockText(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '—';
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = Math.round(seconds % 60);
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}
