// The study's report: a Markdown page (table per method and seed, spread, FLOPs, wall time, the
// claims checked) and SVG plots (validation curves, per-gate density of Selfish-RNN, topology
// distances). Pure functions of the study results, so a partial study renders too.
import type { StudyResult } from './study.js';

export interface StudyReport {
  markdown: string;
  /** File name → SVG text. */
  svgs: Record<string, string>;
}

export interface TopologyDistanceRow { a: string; b: string; distance: number }

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22'];
const fmt = (v: number | null, d = 2) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(d));

/** A plain line plot: series of (x, y) points, linear axes with 5 ticks, legend on the right. */
export function linePlot(title: string, xLabel: string, yLabel: string, series: { label: string; points: [number, number][] }[]): string {
  const W = 640, H = 340, L = 60, R = 150, T = 30, B = 45;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const min = (v: number[], start: number) => v.reduce((m, x) => Math.min(m, x), start), max = (v: number[], start: number) => v.reduce((m, x) => Math.max(m, x), start);
  const x0 = min(xs, 0), x1 = max(xs, 1), y0 = min(ys, Infinity), y1 = max(ys, -Infinity);
  const [lo, hi] = Number.isFinite(y0) ? (y0 === y1 ? [y0 - 1, y1 + 1] : [y0, y1]) : [0, 1];
  const sx = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y: number) => T + (1 - (y - lo) / (hi - lo || 1)) * (H - T - B);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`, `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`];
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + ((x1 - x0) * i) / 4, yv = lo + ((hi - lo) * i) / 4;
    out.push(`<text x="${sx(xv)}" y="${H - B + 14}" text-anchor="middle">${+xv.toFixed(2)}</text>`);
    out.push(`<text x="${L - 4}" y="${sy(yv) + 4}" text-anchor="end">${+yv.toPrecision(4)}</text>`);
    out.push(`<line x1="${L}" y1="${sy(yv)}" x2="${W - R}" y2="${sy(yv)}" stroke="#eee"/>`);
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

function meanSpread(v: number[]): { mean: number; spread: number } | null {
  if (v.length === 0) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, spread: v.length > 1 ? v.reduce((m, x) => Math.max(m, x), -Infinity) - v.reduce((m, x) => Math.min(m, x), Infinity) : 0 };
}

/** Renders the report from the results, the topology distances and the commands that made it. */
export function renderStudyReport(results: StudyResult[], distances: TopologyDistanceRow[], commands: string[], notes: string[] = []): StudyReport {
  const lines: string[] = ['# Reproduction study: sparse training methods at one density', ''];
  for (const n of notes) lines.push(n, '');
  lines.push('| run | method | seed | finished | epochs | density | val ppl | test ppl | wall time (s) | training FLOPs (analytic) |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    lines.push(`| ${r.name} | ${r.method} | ${r.seed} | ${r.finished ? 'yes' : 'no'} | ${r.history.length} | ${fmt(r.density, 3)} | ${fmt(r.valPpl)} | ${fmt(r.testPpl)} | ${fmt(r.seconds, 0)} | ${r.flops.toExponential(2)} |`);
  }
  const byMethod = new Map<string, StudyResult[]>();
  for (const r of results) if (r.testPpl !== null) byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r]);
  lines.push('', '| method | runs | mean test ppl | spread (max − min) |', '|---|---|---|---|');
  const stat = new Map<string, { mean: number; spread: number }>();
  for (const [m, rs] of byMethod) {
    const s = meanSpread(rs.map((r) => r.testPpl!))!;
    stat.set(m, s);
    lines.push(`| ${m} | ${rs.length} | ${fmt(s.mean)} | ${fmt(s.spread)} |`);
  }
  lines.push('', '## The paper\'s claims at this scale', '');
  const claim = (text: string, a: string, b: string, ok: (x: number, y: number) => boolean) => {
    const x = stat.get(a), y = stat.get(b);
    if (!x || !y) { lines.push(`- ${text}: not measured (missing finished runs of ${!x ? a : b}).`); return; }
    lines.push(`- ${text}: **${ok(x.mean, y.mean) ? 'holds' : 'does not hold'}** (${a} ${fmt(x.mean)} vs ${b} ${fmt(y.mean)}; spreads ${fmt(x.spread)} and ${fmt(y.spread)}).`);
  };
  claim('Selfish-RNN ≤ SET at equal density', 'selfish', 'set', (a, b) => a <= b);
  claim('SET ≤ static sparse at equal density', 'set', 'static', (a, b) => a <= b);
  claim('sparse (Selfish-RNN, density 0.33) within 5% of dense', 'selfish', 'dense', (a, b) => a <= 1.05 * b);
  if (distances.length > 0) {
    lines.push('', '## Topology distance (NNSTD-style, 0 = identical, 1 = disjoint)', '', '| a | b | distance |', '|---|---|---|');
    for (const d of distances) lines.push(`| ${d.a} | ${d.b} | ${d.distance.toFixed(4)} |`);
  }
  const dyn = results.filter((r) => r.updates.length > 0);
  if (dyn.length > 0) {
    lines.push('', '## Topology over time', '', 'Each update removes a fraction of every sparse tensor\'s nonzeros and regrows as many; the Jaccard distance between the topologies before and after an update that replaces a fraction r is 2r / (1 + r).', '',
      '| run | updates | replaced at the first update | replaced at the last update | all replacements / nonzeros |', '|---|---|---|---|---|');
    for (const r of dyn) {
      const total = r.updates.reduce((a, u) => a + u.replaced, 0);
      lines.push(`| ${r.name} | ${r.updates.length} | ${fmt(r.updates[0]!.replaced, 3)} | ${fmt(r.updates[r.updates.length - 1]!.replaced, 3)} | ${fmt(total, 2)} |`);
    }
  }
  lines.push('', '## Plots', '', '![validation perplexity](study-valid.svg)', '', '![per-gate density of Selfish-RNN](study-gates.svg)', '', '![topology change per update](study-topology.svg)', '');
  lines.push('## Commands', '', '```', ...commands, '```', '');
  const svgs: Record<string, string> = {
    'study-valid.svg': linePlot('Validation perplexity', 'epoch', 'perplexity', results.map((r) => ({ label: r.name, points: r.history.map((h) => [h.epoch, h.valPpl] as [number, number]) }))),
  };
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
  svgs['study-topology.svg'] = linePlot('Topology change per update (nonzeros replaced / nonzeros)', 'epoch', 'fraction replaced', dynamic.map((r) => {
    const spe = r.history[0]?.step ?? 0;
    return { label: r.name, points: r.updates.map((u) => [spe > 0 ? u.step / spe : u.step, u.replaced] as [number, number]) };
  }));
  return { markdown: lines.join('\n'), svgs };
}
