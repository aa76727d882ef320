// The run's plot, as a self-contained SVG string (no dependency): training and validation
// perplexity per epoch (log scale, the switch to averaging marked), and the density of each gate
// the model reports (LSTM i, f, g, o; GRU r, z, n; …, pooled over all gated matrices) and overall
// after every topology update. Ticks come from axisTicks (round values, labels that do not
// overlap). Any value may arrive here (NaN, ±Infinity, 1e308 from a diverging run): values that
// cannot be drawn are left out, and the axes are computed on what remains.
import { axisTicks } from './axis-ticks.js';

export interface PlotEpoch {
  epoch: number;
  trainPpl: number;
  valPpl: number;
  /** True in the epoch the optimizer switched to (SNT-)ASGD. */
  switched?: boolean;
}

export interface PlotDensity {
  /** Epoch (fractional for intra-epoch updates) at which the topology was measured. */
  epoch: number;
  density: number;
  /** Pooled density per gate name, or null without gated matrices. */
  gates: Record<string, number> | null;
}

interface Series {
  label: string;
  color: string;
  points: [number, number][];
  dash?: boolean;
}

const W = 760, PANEL_H = 300, MARGIN = { left: 70, right: 150, top: 40, bottom: 45 };
/** The labels' font size, and the width of one of its characters (digits of a sans-serif face are ~0.56 em). */
const FONT_PX = 12, CHAR_PX = 7;
const GATE_COLORS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02'];

/** The SVG document (see the header). */
export function renderTrainingPlot(epochs: readonly PlotEpoch[], density: readonly PlotDensity[], title = 'selfish-rnn training'): string {
  const parts: string[] = [];
  const height = 2 * PANEL_H + 30;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  const pplSeries: Series[] = [
    { label: 'train ppl', color: '#1f77b4', points: epochs.filter((e) => Number.isFinite(e.trainPpl)).map((e) => [e.epoch, e.trainPpl]) },
    { label: 'valid ppl', color: '#ff7f0e', points: epochs.filter((e) => Number.isFinite(e.valPpl)).map((e) => [e.epoch, e.valPpl]) },
  ];
  const marks = epochs.filter((e) => e.switched).map((e) => ({ x: e.epoch, label: 'ASGD' }));
  parts.push(chart(pplSeries, { top: 20, title: 'Perplexity', xLabel: 'epoch', log: true, marks }));
  const densSeries: Series[] = [];
  const gateNames = [...new Set(density.flatMap((d) => Object.keys(d.gates ?? {})))];
  gateNames.forEach((g, k) => densSeries.push({
    label: `gate ${g}`, color: GATE_COLORS[k % GATE_COLORS.length]!,
    points: density.filter((d) => d.gates?.[g] !== undefined).map((d) => [d.epoch, d.gates![g]!]),
  }));
  densSeries.push({ label: 'all sparse', color: '#333333', dash: true, points: density.map((d) => [d.epoch, d.density]) });
  parts.push(chart(densSeries, { top: 20 + PANEL_H + 10, title: 'Density of the recurrent gates (pooled over layers)', xLabel: 'epoch', log: false, marks: [] }));
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function chart(series: Series[], o: { top: number; title: string; xLabel: string; log: boolean; marks: { x: number; label: string }[] }): string {
  const x0 = MARGIN.left, x1 = W - MARGIN.right, y0 = o.top + MARGIN.top, y1 = o.top + PANEL_H - MARGIN.bottom;
  const out: string[] = [`<g>`, `<text x="${x0}" y="${o.top + 26}" font-size="13" font-weight="bold">${escapeXml(o.title)}</text>`];
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.log || y > 0));
  out.push(`<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#999"/>`);
  if (pts.length === 0) {
    out.push(`<text x="${(x0 + x1) / 2}" y="${(y0 + y1) / 2}" text-anchor="middle" fill="#777">no data yet</text>`, '</g>');
    return out.join('\n');
  }
  let [ymin, ymax] = finiteSpan(...extent(pts.map((p) => p[1])));
  if (!o.log) {
    const pad = (ymax - ymin) * 0.08;
    ymin = ymin >= 0 ? Math.max(0, ymin - pad) : ymin - pad;
    ymax = ymax + pad;
  }
  const yAxis = axisTicks(ymin, ymax, { log: o.log, length: y1 - y0, labelExtent: () => FONT_PX + 2 });
  const [xlo, xhi] = extent(pts.map((p) => p[0]));
  const xAxis = axisTicks(xlo, xhi, { integer: true, length: x1 - x0, labelExtent: (label) => label.length * CHAR_PX + 8 });
  const f = o.log ? Math.log10 : (v: number) => v;
  const fy0 = f(yAxis.lo), fy1 = f(yAxis.hi), xmin = xAxis.lo, xmax = xAxis.hi;
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const sx = (x: number) => x0 + ((clamp(x, xmin, xmax) - xmin) / (xmax - xmin)) * (x1 - x0);
  const sy = (y: number) => y1 - ((clamp(f(y), fy0, fy1) - fy0) / (fy1 - fy0)) * (y1 - y0);
  for (const t of yAxis.ticks) {
    const y = (y1 - t.offset).toFixed(1);
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" class="y-tick">${escapeXml(t.label)}</text>`);
  }
  for (const t of xAxis.ticks) {
    const x = (x0 + t.offset).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${y1}" y2="${y1 + 5}" stroke="#999"/>`);
    out.push(`<text x="${x}" y="${y1 + 18}" text-anchor="middle" class="x-tick">${escapeXml(t.label)}</text>`);
  }
  out.push(`<text x="${(x0 + x1) / 2}" y="${y1 + 36}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  for (const m of o.marks) {
    const x = sx(m.x).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y1}" stroke="#888" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x}" y="${y0 - 4}" text-anchor="middle" fill="#555">${escapeXml(m.label)}</text>`);
  }
  series.forEach((s, k) => {
    const ok = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.log || y > 0));
    if (ok.length > 0) {
      const d = ok.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="6 4"' : ''}/>`);
      for (const [x, y] of ok) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
    const ly = y0 + 10 + k * 18;
    out.push(`<line x1="${x1 + 12}" x2="${x1 + 34}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${x1 + 40}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/**
 * [lo, hi] with room for the padding of a linear axis: a diverging run can put 1e308 and −1e308
 * on the same axis, and their span (and so the padding) would not be a finite number.
 */
function finiteSpan(lo: number, hi: number): [number, number] {
  const limit = Number.MAX_VALUE / 4;
  return [Math.min(Math.max(lo, -limit), limit), Math.min(Math.max(hi, -limit), limit)];
}

function extent(v: number[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
  return [lo, hi];
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
