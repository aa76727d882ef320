// The training page: the controls, the curves and the samples. Training, sampling and checkpoint
// files are the worker's job (worker.js); this file only talks to it. `window.selfishDemo` is the
// same interface as a promise API, used by the buttons and by the browser test
// (test/browser.test.ts).
import { axisTicks } from '../../dist/train/run/axis-ticks.js';

const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });

// gates: [{ step, gates: { name: density } }], names as the model reports them (LSTM i, f, g, o;
// GRU r, z, n; a family of the user's its own); kind: the model family ('stacked', 'gru', …).
// noGates: the model has no gated matrices (pooledGateDensity gave null).
const state = { ready: null, kind: null, noGates: false, steps: [], epochs: [], gates: [], samples: [], running: false, lastCheckpoint: null };
const waiting = new Map(); // request type → { resolve, reject }

function request(type, msg = {}, transfer = []) {
  if (waiting.has(type)) return Promise.reject(new Error(`a '${type}' request is already running`));
  return new Promise((resolve, reject) => {
    waiting.set(type, { resolve, reject });
    worker.postMessage({ type, ...msg }, transfer);
  });
}

function settle(type, value, error) {
  const w = waiting.get(type);
  if (!w) return;
  waiting.delete(type);
  error ? w.reject(error) : w.resolve(value);
}

let readyResolve;
const ready = new Promise((r) => { readyResolve = r; });

worker.onmessage = ({ data: m }) => {
  switch (m.type) {
    case 'ready':
      state.ready = m;
      $('platform').textContent = `WebAssembly SIMD ${m.simd ? 'on' : 'off (scalar kernels)'} · ` +
        `${m.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated (no threads: serve with npm run demo)'} · ` +
        `${m.threads > 1 ? `${m.threads} threads` : `one thread${m.whyNoThreads ? ` (${m.whyNoThreads})` : ''}`} · ${m.hardwareConcurrency} logical cores`;
      readyResolve(m);
      break;
    case 'start':
      state.steps = []; state.epochs = []; state.kind = m.info.kind; state.noGates = !m.gates;
      state.gates = m.gates ? [{ step: m.info.step, gates: m.gates }] : [];
      status(`training ${m.info.model}: ${m.info.parameters.toLocaleString()} weights, vocabulary ${m.info.vocab}, ${m.info.trainTokens.toLocaleString()} training tokens`);
      draw();
      break;
    case 'step': {
      const s = m.step;
      state.steps.push({ step: s.step, ppl: s.ppl, nll: s.nll, tokensPerSecond: s.tokensPerSecond });
      if (m.gates) state.gates.push({ step: s.step, gates: m.gates });
      $('speed').textContent = `epoch ${s.epoch}, batch ${s.batch}/${s.batches}, step ${s.step}: train ppl ${s.ppl.toFixed(1)}, ${Math.round(s.tokensPerSecond).toLocaleString()} tokens/s, lr ${s.lr}`;
      draw();
      break;
    }
    case 'epoch':
      state.epochs.push(m.record);
      // The gates after the epoch's topology update, at the epoch's last step.
      if (m.record.gates) {
        if (state.gates.at(-1)?.step === m.record.step) state.gates.pop();
        state.gates.push({ step: m.record.step, gates: m.record.gates });
      }
      draw();
      // record.epoch counts from 1: the epoch just completed.
      status(`epoch ${m.record.epoch}: validation ppl ${fmt(m.record.valPpl)}${m.record.best ? ' (best)' : ''}`);
      break;
    case 'eval':
      status(`evaluating on ${m.split}: ${m.done}/${m.total}`);
      break;
    case 'sample': {
      state.samples.push(m);
      const p = document.createElement('p');
      p.innerHTML = `<b>${m.step === null ? 'on request' : `step ${m.step}`}:</b> `;
      p.append(m.text);
      $('text').prepend(p);
      settle('generate', m.text);
      break;
    }
    case 'done':
      // A run stopped inside an epoch still reports the current model's validation perplexity.
      if (m.result.valPpl != null && !state.epochs.some((r) => r.step === m.result.steps)) state.epochs.push({ step: m.result.steps, valPpl: m.result.valPpl });
      // The gates as the run leaves them (an epoch's end can change the topology after its last step).
      if (m.gates) {
        if (state.gates.at(-1)?.step === m.result.steps) state.gates.pop();
        state.gates.push({ step: m.result.steps, gates: m.gates });
      }
      draw();
      running(false);
      settle('resume', m.result);
      status(`${DONE[m.result.status] ?? m.result.status}: ${m.result.epochs} epoch${m.result.epochs === 1 ? '' : 's'} completed, ${m.result.steps.toLocaleString()} steps; ` +
        `validation ppl ${fmt(m.result.valPpl)}, test ppl ${fmt(m.result.testPpl)}`);
      settle('train', m.result);
      break;
    case 'checkpoint':
      state.lastCheckpoint = m;
      settle('save', { ...m, bytes: new Uint8Array(m.bytes) });
      break;
    case 'loaded':
      status(`loaded ${m.name}: ${m.role} checkpoint, ${m.model}, ${m.config.method} at density ${m.summary.density.toFixed(3)}, epoch ${m.summary.epoch}, step ${m.summary.step}` +
        (m.valid ? `; validation ppl ${m.valid.ppl.toFixed(1)} on ${m.valid.tokens} tokens` : ''));
      $('generate').disabled = false;
      $('resume').disabled = m.role !== 'last';
      state.kind = m.config.lm.kind; state.noGates = !m.gates;
      state.gates = m.gates ? [{ step: m.summary.step, gates: m.gates }] : [];
      draw();
      settle('load', m);
      break;
    case 'text':
      status(`${m.name}: ${m.chars.toLocaleString()} characters`);
      settle('text', m);
      break;
    case 'error':
      status(m.message, true);
      if (m.request === 'train' || m.request === 'resume') running(false);
      settle(m.request, undefined, new Error(m.message));
      break;
  }
};
worker.onerror = (e) => status(`worker failed: ${e.message}`, true);

const fmt = (x) => (x == null ? '–' : x.toFixed(1));
const DONE = { completed: 'done', 'max-steps': 'stopped at the step limit', interrupted: 'stopped' };

function status(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}

function running(on) {
  state.running = on;
  $('train').disabled = on;
  $('resume').disabled = true;
  $('stop').disabled = !on;
  $('save').disabled = false;
  $('generate').disabled = false;
}

// ---- charts (a canvas line chart: no dependency) --------------------------------------------

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const FONT_PX = 11;
/** What the gate names of the library's families stand for, by family kind (other families show the names alone). */
const LSTM_GATES = { i: 'input', f: 'forget', g: 'cell', o: 'output' };
const GATE_MEANING = {
  stacked: LSTM_GATES, 'awd-mos': LSTM_GATES, gru: { r: 'reset', z: 'update', n: 'new' }, rhn: { H: 'transform', T: 'carry' },
  onlstm: { master_i: 'master input', master_f: 'master forget', ...LSTM_GATES },
};

/** [min, max] of an array (a loop: a long run has more points than Math.min(...v) takes as arguments). */
function extent(v) {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
  return [lo, hi];
}

/**
 * Draws a line chart at the canvas' CSS size (sharp at any device pixel ratio), with round ticks
 * whose labels do not overlap (axisTicks), and records what it was given and drew in
 * `canvas.dataset.chart` (JSON): each series' name, colour and points as given (a NaN reads back
 * as null), and each tick label with its box in CSS pixels. The browser test reads it back.
 */
function chart(canvas, series, { log = false, yRange, empty = 'no data yet' } = {}) {
  const w = canvas.clientWidth, h = canvas.clientHeight, dpr = window.devicePixelRatio || 1;
  const record = { series: series.map((s) => ({ name: s.name, color: s.color, points: s.points })), yTicks: [], xTicks: [], width: w, height: h };
  canvas.dataset.chart = JSON.stringify(record);
  if (w === 0 || h === 0) return; // not laid out (hidden)
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  g.font = `${FONT_PX}px system-ui, sans-serif`;
  g.textBaseline = 'middle';
  // Points a scale cannot place are not drawn (the record above still shows them).
  const drawable = ([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!log || y > 0);
  const pts = series.flatMap((s) => s.points.filter(drawable));
  if (pts.length === 0) {
    g.fillStyle = '#888'; g.textAlign = 'center';
    g.fillText(empty, w / 2, h / 2);
    return;
  }
  const T = 8, B = 22, R = 12;
  let [ylo, yhi] = yRange ?? extent(pts.map((p) => p[1]));
  if (!yRange && log) { // 3 % of the span above and below, so no line runs along the frame
    const pad = (Math.log10(yhi) - Math.log10(ylo)) * 0.03;
    [ylo, yhi] = [ylo / 10 ** pad, yhi * 10 ** pad];
  }
  const yAxis = axisTicks(ylo, yhi, { log, length: h - T - B, labelExtent: () => FONT_PX + 3 });
  const L = Math.ceil(Math.max(16, ...yAxis.ticks.map((t) => g.measureText(t.label).width))) + 12;
  const [xlo, xhi] = extent(pts.map((p) => p[0]));
  const xAxis = axisTicks(xlo, xhi, { integer: true, length: w - L - R, labelExtent: (label) => g.measureText(label).width + 12 });
  const fy = log ? Math.log10 : (v) => v;
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const sx = (x) => L + ((clamp(x, xAxis.lo, xAxis.hi) - xAxis.lo) / (xAxis.hi - xAxis.lo)) * (w - L - R);
  const sy = (y) => h - B - ((clamp(fy(y), fy(yAxis.lo), fy(yAxis.hi)) - fy(yAxis.lo)) / (fy(yAxis.hi) - fy(yAxis.lo))) * (h - T - B);
  g.lineWidth = 1;
  g.strokeStyle = '#ddd';
  g.strokeRect(L + 0.5, T + 0.5, w - L - R, h - T - B);
  g.fillStyle = '#555';
  g.textAlign = 'right';
  for (const t of yAxis.ticks) {
    const y = Math.round(h - B - t.offset) + 0.5;
    g.strokeStyle = '#e8e8e8';
    g.beginPath(); g.moveTo(L, y); g.lineTo(w - R, y); g.stroke();
    g.fillText(t.label, L - 6, y);
    const tw = g.measureText(t.label).width;
    record.yTicks.push({ value: t.value, label: t.label, box: [L - 6 - tw, y - FONT_PX / 2, tw, FONT_PX] });
  }
  g.textAlign = 'left';
  for (const t of xAxis.ticks) {
    const x = Math.round(L + t.offset) + 0.5, tw = g.measureText(t.label).width;
    const left = clamp(x - tw / 2, 0, w - tw); // the last label stays inside the canvas
    g.strokeStyle = '#bbb';
    g.beginPath(); g.moveTo(x, h - B); g.lineTo(x, h - B + 4); g.stroke();
    g.fillText(t.label, left, h - B / 2 + 2);
    record.xTicks.push({ value: t.value, label: t.label, box: [left, h - B / 2 + 2 - FONT_PX / 2, tw, FONT_PX] });
  }
  const same = (a, b) => a.points.length === b.points.length && a.points.every((p, i) => p[0] === b.points[i][0] && p[1] === b.points[i][1]);
  series.forEach((s, k) => {
    const ok = s.points.filter(drawable);
    // A series that another one drawn later covers exactly (two gates at the same density) is drawn
    // wider underneath it, so both colours show.
    const covered = series.slice(k + 1).filter((t) => same(s, t)).length;
    g.strokeStyle = s.color; g.fillStyle = s.color; g.lineWidth = 1.5 + 2.5 * covered;
    g.beginPath();
    ok.forEach(([x, y], k) => (k ? g.lineTo(sx(x), sy(y)) : g.moveTo(sx(x), sy(y))));
    g.stroke();
    if (s.dots || ok.length === 1) for (const [x, y] of ok) { g.beginPath(); g.arc(sx(x), sy(y), 3 + 2.5 * covered, 0, 7); g.fill(); }
  });
  canvas.dataset.chart = JSON.stringify(record);
}

/** Gate names in the order the model reports them (the union over the recorded points). */
function gateNames() {
  const names = [];
  for (const p of state.gates) for (const name of Object.keys(p.gates)) if (!names.includes(name)) names.push(name);
  return names;
}

function drawGateLegend(names) {
  const meaning = GATE_MEANING[state.kind] ?? {};
  const legend = $('gate-legend');
  legend.replaceChildren();
  names.forEach((name, k) => {
    if (k > 0) legend.append(' · ');
    const span = document.createElement('span');
    span.style.color = COLORS[k % COLORS.length];
    span.textContent = meaning[name] ? `${meaning[name]} (${name})` : name;
    legend.append(span);
  });
  if (state.noGates) legend.textContent = 'none: this model has no gated matrices';
}

function draw() {
  chart($('ppl'), [
    { name: 'train', color: COLORS[0], points: state.steps.map((s) => [s.step, s.ppl]) },
    { name: 'validation', color: COLORS[1], points: state.epochs.map((r) => [r.step, r.valPpl]), dots: true },
  ], { log: true });
  const names = gateNames();
  drawGateLegend(names);
  // Gate densities move by a few hundredths: scale to their range (at least ±0.02 around it).
  const values = state.gates.flatMap((p) => Object.values(p.gates)).filter(Number.isFinite);
  let yRange;
  if (values.length > 0) {
    const [lo, hi] = extent(values), mid = (lo + hi) / 2, half = Math.max((hi - lo) / 2 + 0.005, 0.02);
    yRange = [mid - half, mid + half];
  }
  chart($('gates'), names.map((name, k) => ({
    name, color: COLORS[k % COLORS.length],
    points: state.gates.filter((p) => name in p.gates).map((p) => [p.step, p.gates[name]]),
  })), { yRange, empty: state.noGates ? 'this model has no gated matrices' : 'no data yet' });
}

// Redrawn at the new size when the window (and so the canvases) change width.
let redraw = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(redraw);
  redraw = requestAnimationFrame(draw);
}).observe($('curves'));

// ---- the promise API (buttons and tests) ----------------------------------------------------

function formOptions() {
  const num = (id) => Number($(id).value);
  return {
    corpus: $('corpus').value, hidden: num('hidden'), method: $('method').value, density: num('density'),
    updateEvery: num('updateEvery'), maxVocab: num('maxVocab'), epochs: num('epochs'), maxSteps: num('maxSteps'),
    batchSize: num('batchSize'), bptt: num('bptt'), seed: num('seed'), sampleEvery: 200, familyUrl: $('familyUrl').value.trim() || undefined,
  };
}

window.selfishDemo = {
  ready,
  state,
  /** Trains with the form's options, overridden by `options`; resolves with the TrainResult. */
  train(options = {}) {
    running(true);
    return request('train', { options: { ...formOptions(), ...options } });
  },
  /** Continues a loaded last.ckpt (options: maxSteps); resolves with the TrainResult. */
  resume(options = {}) {
    running(true);
    return request('resume', { options: { maxSteps: 0, sampleEvery: 200, ...options } });
  },
  stop() { worker.postMessage({ type: 'stop' }); },
  /** The checkpoint of the current run (bytes), the weights' CRCs and optionally a validation loss. */
  save({ evaluate = false } = {}) { return request('save', { evaluate }); },
  load(bytes, name = 'checkpoint.ckpt') {
    const copy = new Uint8Array(bytes).slice();
    return request('load', { bytes: copy.buffer, name }, [copy.buffer]);
  },
  generate({ words = 40, seed = Date.now() % 100000 } = {}) { return request('generate', { words, seed }); },
  setText(name, text) { return request('text', { name, text }); },
};

// ---- buttons --------------------------------------------------------------------------------

const report = (p) => p.catch((e) => status(e.message, true));
$('train').onclick = () => report(window.selfishDemo.train());
$('stop').onclick = () => window.selfishDemo.stop();
$('resume').onclick = () => report(window.selfishDemo.resume({ maxSteps: Number($('maxSteps').value) }));
$('generate').onclick = () => report(window.selfishDemo.generate());
$('save').onclick = () => report(window.selfishDemo.save().then(({ bytes }) => {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  a.download = `selfish-rnn-${new Date().toISOString().replace(/[:.]/g, '-')}.ckpt`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}));
$('load').onchange = async (e) => {
  const f = e.target.files[0];
  if (f) report(window.selfishDemo.load(await f.arrayBuffer(), f.name));
  e.target.value = '';
};
$('corpus').onchange = () => { $('drop').style.display = $('corpus').value === 'text' ? 'block' : 'none'; };
async function useFile(f) {
  if (f) report(window.selfishDemo.setText(f.name, await f.text()));
}
$('file').onchange = (e) => useFile(e.target.files[0]);
const drop = $('drop');
drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
drop.ondragleave = () => drop.classList.remove('over');
drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove('over'); useFile(e.dataTransfer.files[0]); };
draw();
