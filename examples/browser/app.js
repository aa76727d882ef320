// The training page: the controls, the curves and the samples. Training, sampling and checkpoint
// files are the worker's job (worker.js); this file only talks to it. `window.selfishDemo` is the
// same interface as a promise API, used by the buttons and by the browser test
// (test/browser.test.ts).
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });

const state = { ready: null, steps: [], epochs: [], gates: [], samples: [], running: false, lastCheckpoint: null };
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
      state.steps = []; state.epochs = []; state.gates = m.gates ? [{ step: 0, gates: m.gates }] : [];
      status(`training ${m.info.parameters.toLocaleString()} weights, vocabulary ${m.info.vocab}, ${m.info.trainTokens.toLocaleString()} training tokens`);
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
      status(`epoch ${m.record.epoch + 1}: validation ppl ${m.record.valPpl.toFixed(1)}${m.record.best ? ' (best)' : ''}`);
      draw();
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
      draw();
      running(false);
      settle('resume', m.result);
      status(`${m.result.status}: ${m.result.steps} steps, validation ppl ${fmt(m.result.valPpl)}, test ppl ${fmt(m.result.testPpl)}`);
      settle('train', m.result);
      break;
    case 'checkpoint':
      state.lastCheckpoint = m;
      settle('save', { ...m, bytes: new Uint8Array(m.bytes) });
      break;
    case 'loaded':
      status(`loaded ${m.name}: ${m.role} checkpoint, ${m.config.lm.nlayers}×${m.config.lm.nhid} LSTM, ${m.config.method} at density ${m.summary.density.toFixed(3)}, epoch ${m.summary.epoch}, step ${m.summary.step}` +
        (m.valid ? `; validation ppl ${m.valid.ppl.toFixed(1)} on ${m.valid.tokens} tokens` : ''));
      $('generate').disabled = false;
      $('resume').disabled = m.role !== 'last';
      if (m.gates) { state.gates = [{ step: m.summary.step, gates: m.gates }]; draw(); }
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

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

function chart(canvas, series, { log = false, yMin, yMax } = {}) {
  const g = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height, L = 48, B = 20;
  g.clearRect(0, 0, W, H);
  const pts = series.flatMap((s) => s.points);
  if (pts.length === 0) return;
  const f = (y) => (log ? Math.log(y) : y);
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => f(p[1]));
  const x0 = 0, x1 = Math.max(1, ...xs);
  const y0 = yMin ?? Math.min(...ys), y1 = yMax ?? Math.max(...ys);
  const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - 8);
  const sy = (y) => H - B - ((f(y) - y0) / (y1 - y0 || 1)) * (H - B - 8);
  g.strokeStyle = '#ccc'; g.fillStyle = '#666'; g.font = '11px system-ui';
  for (let k = 0; k <= 4; k++) {
    const v = y0 + ((y1 - y0) * k) / 4, y = H - B - ((H - B - 8) * k) / 4;
    g.beginPath(); g.moveTo(L, y); g.lineTo(W - 8, y); g.stroke();
    g.fillText((log ? Math.exp(v) : v).toPrecision(3), 2, y + 4);
  }
  g.fillText(`step ${x1}`, W - 60, H - 4);
  for (const s of series) {
    g.strokeStyle = s.color; g.fillStyle = s.color; g.lineWidth = 1.5;
    g.beginPath();
    s.points.forEach(([x, y], k) => (k ? g.lineTo(sx(x), sy(y)) : g.moveTo(sx(x), sy(y))));
    g.stroke();
    if (s.dots) for (const [x, y] of s.points) { g.beginPath(); g.arc(sx(x), sy(y), 3, 0, 7); g.fill(); }
  }
}

function draw() {
  chart($('ppl'), [
    { color: COLORS[0], points: state.steps.map((s) => [s.step, s.ppl]) },
    { color: COLORS[1], points: state.epochs.map((r) => [r.step, r.valPpl]), dots: true },
  ], { log: true });
  // Gate densities move by a few hundredths: scale to their range (at least ±0.02 around it).
  const all = state.gates.flatMap((p) => p.gates);
  const lo = Math.min(...all), hi = Math.max(...all), mid = (lo + hi) / 2, half = Math.max((hi - lo) / 2 + 0.005, 0.02);
  chart($('gates'), [0, 1, 2, 3].map((g) => ({ color: COLORS[g], points: state.gates.map((p) => [p.step, p.gates[g]]) })), { yMin: mid - half, yMax: mid + half });
}

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
