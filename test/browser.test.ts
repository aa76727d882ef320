// The training page (examples/browser/) in a real browser: headless Chromium driven with
// playwright-core opens the page served by examples/browser/serve.mjs, trains a few dozen steps in
// the page's worker, and the test checks that the loss falls, that the SIMD kernels (and threads,
// where the page offers them) are in use, that generation works, and that checkpoints cross
// between page and Node with the same weights, perplexity and samples, both ways (one saved in
// the page is read in Node; one written by the CLI is loaded in the page, and resumed there to the
// same weights as the CLI's own --resume; a PyTorch model imported with the CLI samples the same
// text in the page as in Node). A second test trains two epochs on a small text and reads the
// page's charts back (the data each canvas was given and the tick labels it drew, recorded in its
// data-chart attribute, and the canvas pixels themselves): finite values, a gate series per gate
// the model reports, labels that do not overlap, a status line that counts the epochs, and a form
// that stays clear of the charts at 1280, 1024 and 768 px wide.
//
// The browser: $SELFISH_RNN_CHROMIUM (then only that), else Debian's /usr/bin/chromium (apt-get install chromium;
// .ci/run installs it), chromium-browser or google-chrome. Where none is found the test says so
// and passes, except under CI=true, where a missing browser is a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipped } from './helpers/skip.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from '../src/index.js';
import {
  crc32, decodeCheckpoint, decodeLMCheckpoint, defaultCorpus, evaluate, formatSample, isSparse, modelFromCheckpoint, modelGateStats,
  pooledGateDensity, registerFamiliesFrom, sample, type LanguageModel,
} from '../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// SELFISH_RNN_CHROMIUM, when set, is the only candidate (set it to a missing path to see the skip).
const CANDIDATES = process.env.SELFISH_RNN_CHROMIUM ? [process.env.SELFISH_RNN_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VOCAB = 2000;

/** The worker's fingerprint (examples/browser/worker.js), computed the same way in Node. */
function fingerprint(model: LanguageModel): Record<string, number> {
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out: Record<string, number> = {};
  for (const [name, w] of model.namedWeights()) {
    out[name] = isSparse(w)
      ? crc32(bytes(w.colIdx.data), crc32(bytes(w.rowPtr.data), crc32(bytes(w.values.toArray()))))
      : crc32(bytes(w.toArray()));
  }
  return out;
}

/** What a chart of the page drew (examples/browser/app.js records it in the canvas' data-chart). */
interface ChartRecord {
  series: { name: string; color: string; points: [number | null, number | null][] }[];
  yTicks: { value: number; label: string; box: [number, number, number, number] }[];
  xTicks: { value: number; label: string; box: [number, number, number, number] }[];
  width: number;
  height: number;
}

type Page = import('playwright-core').Page;

/** Both charts' records, and per series how many canvas pixels have its colour (read from the canvas). */
function readCharts(page: Page): Promise<Record<'ppl' | 'gates', ChartRecord & { inked: Record<string, number>; cssWidth: number }>> {
  return page.evaluate(() => {
    const out: Record<string, unknown> = {};
    for (const id of ['ppl', 'gates']) {
      const canvas = document.getElementById(id) as HTMLCanvasElement;
      const record = JSON.parse(canvas.dataset.chart ?? 'null');
      const inked: Record<string, number> = {};
      if (record) {
        // Each pixel goes to the nearest of the series' colours, the white ground and the greys of
        // frame, grid and labels (antialiased edges blend a line with what is under it).
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        const rgb = (hex: string) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
        const palette = [...record.series.map((s: { color: string }) => rgb(s.color)), ...['#ffffff', '#e8e8e8', '#dddddd', '#bbbbbb', '#888888', '#555555'].map(rgb)];
        const counts = new Array(palette.length).fill(0);
        for (let i = 0; i < px.length; i += 4) {
          if (px[i + 3] === 0) continue;
          let best = -1, bestD = 120;
          palette.forEach((c, k) => {
            const d = Math.abs(px[i]! - c[0]!) + Math.abs(px[i + 1]! - c[1]!) + Math.abs(px[i + 2]! - c[2]!);
            if (d < bestD) { best = k; bestD = d; }
          });
          if (best >= 0) counts[best]++;
        }
        record.series.forEach((s: { name: string }, k: number) => { inked[s.name] = counts[k]; });
      }
      out[id] = { ...record, inked, cssWidth: canvas.clientWidth };
    }
    return out as never;
  });
}

const overlap = (a: readonly number[], b: readonly number[]) => a[0]! < b[0]! + b[2]! && b[0]! < a[0]! + a[2]! && a[1]! < b[1]! + b[3]! && b[1]! < a[1]! + a[3]!;

/** Every point finite (y > 0 on the log chart), every series drawn, and tick labels readable, distinct, inside the canvas and apart. */
function checkChart(name: string, c: ChartRecord & { inked: Record<string, number>; cssWidth: number }, log: boolean): void {
  assert.ok(c.series && c.series.length > 0, `${name}: the chart has series`);
  assert.is(c.width, c.cssWidth, `${name}: drawn at the canvas' current width`);
  for (const s of c.series) {
    assert.ok(s.points.length > 0, `${name}: series ${s.name} is not empty`);
    for (const [x, y] of s.points) {
      assert.ok(typeof x === 'number' && Number.isFinite(x), `${name}: series ${s.name} has x ${x}`);
      assert.ok(typeof y === 'number' && Number.isFinite(y) && (!log || y > 0), `${name}: series ${s.name} has y ${y} at x ${x}`);
    }
    assert.ok(c.inked[s.name]! > 20, `${name}: series ${s.name} is drawn on the canvas (${c.inked[s.name]} pixels of ${s.color})`);
  }
  for (const axis of ['yTicks', 'xTicks'] as const) {
    const ticks = c[axis];
    assert.ok(ticks.length >= 2, `${name}: ${axis} has ${ticks.length} labels: ${JSON.stringify(ticks)}`);
    const labels = ticks.map((t) => t.label);
    assert.is(new Set(labels).size, labels.length, `${name}: distinct ${axis} labels ${labels}`);
    for (const t of ticks) {
      assert.ok(Number.isFinite(t.value) && /^-?[\d,.]+[kM]?$|^-?[\d.]+e-?\d+$/.test(t.label), `${name}: ${axis} label ${JSON.stringify(t.label)}`);
      const [x, y, w, h] = t.box;
      assert.ok(x >= 0 && y >= 0 && x + w <= c.width + 0.5 && y + h <= c.height + 0.5, `${name}: label ${t.label} inside the canvas: ${t.box}`);
    }
    for (let i = 1; i < ticks.length; i++) assert.not.ok(overlap(ticks[i - 1]!.box, ticks[i]!.box), `${name}: labels ${labels[i - 1]} and ${labels[i]} overlap`);
  }
}

/** The viewport widths the layout is checked at (a laptop, an old 4:3 screen, a narrow window). */
const WIDTHS = [[1280, 800], [1024, 768], [768, 900]] as const;

/** Lines of words from a fixed 300-word vocabulary (Zipf-like), ~15k tokens: an epoch is ~70 steps of 10 × 20. */
function smallText(): string {
  let s = 1;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const lines: string[] = [];
  for (let l = 0; l < 1500; l++) {
    const n = 5 + Math.floor(rnd() * 10);
    lines.push(Array.from({ length: n }, () => `w${Math.floor(rnd() ** 2 * 300)}`).join(' '));
  }
  return lines.join('\n');
}

const browserPath = CANDIDATES.find((p) => existsSync(p));
type Playwright = typeof import('playwright-core');
let playwright: Playwright | null = null;
try {
  playwright = await import('playwright-core');
} catch (e) {
  console.log(`  note: playwright-core cannot be imported (${(e as Error).message}); run npm install`);
}

if (!browserPath || !playwright) {
  const why = !browserPath ? `no Chromium found (looked for ${CANDIDATES.join(', ')}; install Debian's chromium or set SELFISH_RNN_CHROMIUM)` : 'playwright-core is missing';
  test('browser test', () => {
    if (process.env.CI) assert.unreachable(`the browser test cannot run under CI: ${why}`);
    skipped('the browser test (the training page in Chromium)', why);
  });
} else {
  const pw = playwright;
  test('the training page trains in Chromium (SIMD, worker), samples, and its checkpoints match Node bit for bit', async () => {
    const { startDemoServer } = await import(join(root, 'examples', 'browser', 'serve.mjs')) as { startDemoServer: (o: object) => Promise<{ server: import('node:http').Server; url: string }> };
    const { server, url } = await startDemoServer({ port: 0, quiet: true });
    const profile = mkdtempSync(join(tmpdir(), 'selfish-rnn-chromium-'));
    const errors: string[] = [];
    const context = await pw.chromium.launchPersistentContext(profile, { executablePath: browserPath, headless: true, args: FLAGS });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(url);
      /** Loads checkpoint bytes in the page (sent as base64: page.evaluate takes JSON values). */
      const loadInPage = (bytes: Buffer, name: string) => page.evaluate(([b64, file]) => {
        const bin = atob(b64!);
        const u8 = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
        return (window as any).selfishDemo.load(u8, file);
      }, [bytes.toString('base64'), name]);
      const ready = await page.evaluate(() => (window as any).selfishDemo.ready);
      console.log(`  ${await context.browser()?.version() ?? 'chromium'}: ${JSON.stringify(ready)}`);
      assert.is(ready.simd, true, 'the page uses the SIMD kernels');
      assert.is(ready.crossOriginIsolated, true, 'the demo server makes the page cross-origin isolated (COOP/COEP)');
      // The page is cross-origin isolated and trains in a worker, so threads are offered: every core is used.
      assert.is(ready.whyNoThreads, null, `threads unavailable: ${ready.whyNoThreads}`);
      assert.is(ready.threads, ready.hardwareConcurrency, 'the worker uses a thread per core');

      // Train 40 steps of a 2×64 Selfish-RNN LSTM at density 0.33 on the built-in corpus.
      const steps = 40;
      const result = await page.evaluate((o) => (window as any).selfishDemo.train(o), {
        corpus: 'builtin', hidden: 64, method: 'selfish', density: 0.33, updateEvery: 0, maxVocab: VOCAB, epochs: 1,
        maxSteps: steps, batchSize: 20, bptt: 35, seed: 7, sampleEvery: 0,
      });
      assert.is(result.status, 'max-steps');
      assert.is(result.steps, steps);
      const log = await page.evaluate(() => (window as any).selfishDemo.state.steps as { step: number; nll: number; tokensPerSecond: number }[]);
      const first = log[0]!, last = log[log.length - 1]!;
      console.log(`  page: step ${first.step} loss ${first.nll.toFixed(3)} → step ${last.step} loss ${last.nll.toFixed(3)}, ${Math.round(last.tokensPerSecond)} tokens/s`);
      assert.is(last.step, steps);
      assert.ok(first.nll > Math.log(VOCAB) - 0.5, `the first loss ${first.nll} is near ln V`);
      assert.ok(last.nll < first.nll - 1, `the loss fell by more than 1 nat over ${steps} steps: ${first.nll} → ${last.nll}`);

      const text: string = await page.evaluate(() => (window as any).selfishDemo.generate({ words: 25, seed: 3 }));
      assert.ok(text.split(/\s+/).length >= 10, `generated text: ${text}`);

      // The page's checkpoint, read in Node: same weights, same validation loss, same sample.
      const saved = await page.evaluate(async () => {
        const s = await (window as any).selfishDemo.save({ evaluate: true });
        let bin = '';
        for (let i = 0; i < s.bytes.length; i += 0x8000) bin += String.fromCharCode(...s.bytes.subarray(i, i + 0x8000));
        return { b64: btoa(bin), fingerprint: s.fingerprint, valid: s.valid };
      });
      const bytes = new Uint8Array(Buffer.from(saved.b64, 'base64'));
      const ckpt = decodeLMCheckpoint(bytes, 'page checkpoint');
      assert.is(ckpt.meta.role, 'last');
      assert.is(ckpt.meta.config.method, 'selfish');
      const { model, vocab, config } = modelFromCheckpoint(ckpt, 'page checkpoint');
      try {
        assert.equal(fingerprint(model), saved.fingerprint, 'weights in Node = weights in the page');
        const corpus = await defaultCorpus({ maxVocab: VOCAB });
        const valid = await evaluate(model, corpus.valid.subarray(0, 20_000), { batchSize: 10, bptt: config.bptt });
        console.log(`  validation loss on 20,000 tokens: page ${saved.valid.loss}, Node ${valid.loss}`);
        assert.is(valid.loss, saved.valid.loss, 'the same validation loss to the last bit');
        assert.is(formatSample(sample(model, vocab, { words: 25, seed: 3 })), text, 'the same sample from the same seed');
      } finally {
        model.dispose();
      }

      // A checkpoint written by the CLI, loaded in the page.
      const dir = mkdtempSync(join(tmpdir(), 'selfish-rnn-browser-cli-'));
      try {
        const cli = spawnSync(process.execPath, [join(root, 'build', 'src', 'cli', 'main.js'), 'train', '--max-vocab', String(VOCAB), '--emsize', '16', '--nhid', '16', '--method', 'set', '--density', '0.5',
          '--batch-size', '10', '--bptt', '20', '--max-steps', '5', '--save', dir], { encoding: 'utf8', timeout: 120_000 });
        assert.is(cli.status, 0, cli.stderr);
        const file = readFileSync(join(dir, 'last.ckpt'));
        const fromCli = modelFromCheckpoint(decodeLMCheckpoint(new Uint8Array(file), 'cli checkpoint'), 'cli checkpoint');
        const expected = fingerprint(fromCli.model);
        fromCli.model.dispose();
        const loaded = await loadInPage(file, 'last.ckpt');
        assert.is(loaded.role, 'last');
        assert.equal(loaded.fingerprint, expected, 'the page reads the CLI checkpoint with the same weights');
        assert.ok(loaded.valid && Number.isFinite(loaded.valid.ppl), 'the page evaluates the CLI checkpoint on the built-in corpus');
        assert.ok(loaded.sample.split(/\s+/).length >= 10);

        // Resumed to step 10 in the page and by the CLI: the same weights, bit for bit.
        const resumed = await page.evaluate(() => (window as any).selfishDemo.resume({ maxSteps: 10, sampleEvery: 0 }));
        assert.is(resumed.steps, 10);
        const pageWeights = (await page.evaluate(() => (window as any).selfishDemo.save())).fingerprint;
        const cont = spawnSync(process.execPath, [join(root, 'build', 'src', 'cli', 'main.js'), 'train', '--resume', dir, '--max-steps', '10'], { encoding: 'utf8', timeout: 120_000 });
        assert.is(cont.status, 0, cont.stderr);
        const cliResumed = modelFromCheckpoint(decodeLMCheckpoint(new Uint8Array(readFileSync(join(dir, 'last.ckpt'))), 'cli checkpoint'), 'cli checkpoint');
        assert.equal(pageWeights, fingerprint(cliResumed.model), 'resumed in the page = resumed by the CLI');
        cliResumed.model.dispose();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      // A PyTorch model imported by the CLI (test/fixtures/import, see import.test.ts) loads and samples in the page.
      const imported = join(profile, 'imported.ckpt');
      const imp = spawnSync(process.execPath, [join(root, 'build', 'src', 'cli', 'main.js'), 'import', join(root, 'test', 'fixtures', 'import', 'stacked-lstm.safetensors'),
        '--data', join(root, 'test', 'fixtures', 'import'), '--out', imported], { encoding: 'utf8', timeout: 120_000 });
      assert.is(imp.status, 0, imp.stderr);
      const importedBytes = readFileSync(imported);
      const fromImport = modelFromCheckpoint(decodeLMCheckpoint(new Uint8Array(importedBytes), 'imported'), 'imported');
      const importedWeights = fingerprint(fromImport.model);
      const importedSample = formatSample(sample(fromImport.model, fromImport.vocab, { words: 40, seed: 1 }));
      fromImport.model.dispose();
      const loadedImport = await loadInPage(importedBytes, 'imported.ckpt');
      assert.is(loadedImport.role, 'model');
      assert.equal(loadedImport.fingerprint, importedWeights);
      assert.is(loadedImport.sample, importedSample, 'the same sample in the page and in Node');

      // A model family of the user's, from a module URL (the plugin contract of examples/custom-family.mjs).
      const fam = await page.evaluate((o) => (window as any).selfishDemo.train(o), {
        corpus: 'builtin', familyUrl: '/examples/custom-family.mjs', method: 'set', density: 0.5, updateEvery: 4, maxVocab: VOCAB, epochs: 1,
        maxSteps: 8, batchSize: 10, bptt: 20, seed: 3, sampleEvery: 0,
      });
      assert.is(fam.status, 'max-steps');
      assert.is(fam.steps, 8);
      const famCkpt = await page.evaluate(async () => {
        const s = await (window as any).selfishDemo.save();
        let bin = '';
        for (let i = 0; i < s.bytes.length; i += 0x8000) bin += String.fromCharCode(...s.bytes.subarray(i, i + 0x8000));
        return btoa(bin);
      });
      const famBytes = new Uint8Array(Buffer.from(famCkpt, 'base64'));
      const famMeta = decodeCheckpoint(famBytes, { source: 'page family checkpoint' }).meta as { config: { model: string; lm: { kind: string } } };
      assert.equal([famMeta.config.model, famMeta.config.lm.kind], ['mgu-small', 'mgu']);
      // The gate chart shows the family's own gates, ending at the densities Node reads from the saved weights.
      await registerFamiliesFrom(await import(join(root, 'examples', 'custom-family.mjs')), lib);
      const famModel = modelFromCheckpoint(decodeLMCheckpoint(famBytes, 'page family checkpoint'), 'page family checkpoint').model;
      const famGates = pooledGateDensity(modelGateStats(famModel))!;
      famModel.dispose();
      const famCharts = await readCharts(page);
      checkChart('gates (MGU family)', famCharts.gates, false);
      assert.equal(famCharts.gates.series.map((s) => s.name), Object.keys(famGates), 'a series per gate the family reports');
      for (const s of famCharts.gates.series) assert.is(s.points.at(-1)![1], famGates[s.name], `gate ${s.name}: the chart ends at the saved model's density`);

      assert.equal(errors, [], 'no errors in the page');
    } finally {
      await context.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  test('the page\'s charts hold finite values after each epoch, its status counts the epochs, and its form stays clear of the charts', async () => {
    const { startDemoServer } = await import(join(root, 'examples', 'browser', 'serve.mjs')) as { startDemoServer: (o: object) => Promise<{ server: import('node:http').Server; url: string }> };
    const { server, url } = await startDemoServer({ port: 0, quiet: true });
    const profile = mkdtempSync(join(tmpdir(), 'selfish-rnn-chromium-'));
    const errors: string[] = [];
    const context = await pw.chromium.launchPersistentContext(profile, { executablePath: browserPath, headless: true, args: FLAGS, viewport: { width: WIDTHS[0][0], height: WIDTHS[0][1] } });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(url);
      await page.evaluate(() => (window as any).selfishDemo.ready);
      // Every text the status line shows, in order, and the charts as they were after each epoch.
      await page.evaluate(() => {
        const w = window as any;
        w.statusLog = [];
        w.chartsAtEpoch = [];
        new MutationObserver((records) => {
          for (const r of records) for (const node of Array.from(r.addedNodes)) {
            const text = node.textContent!;
            w.statusLog.push(text);
            if (/^epoch \d+:/.test(text)) w.chartsAtEpoch.push(['ppl', 'gates'].map((id) => document.getElementById(id)!.dataset.chart));
          }
        }).observe(document.getElementById('status')!, { childList: true });
      });
      await page.evaluate((t) => (window as any).selfishDemo.setText('small.txt', t), smallText());
      const epochs = 2;
      const result = await page.evaluate((o) => (window as any).selfishDemo.train(o), {
        corpus: 'text', hidden: 64, method: 'selfish', density: 0.33, updateEvery: 0, maxVocab: VOCAB, epochs, maxSteps: 0,
        batchSize: 10, bptt: 20, seed: 5, sampleEvery: 0,
      });
      assert.is(result.status, 'completed');
      assert.is(result.epochs, epochs);

      // The status line names each epoch as it completes (1, 2: not 2, 3), and the end says how many.
      const statusLog: string[] = await page.evaluate(() => (window as any).statusLog);
      const epochLines = statusLog.filter((t) => /^epoch \d+:/.test(t));
      assert.equal(epochLines.map((t) => Number(/^epoch (\d+):/.exec(t)![1])), [1, 2], `status lines: ${JSON.stringify(statusLog)}`);
      for (const t of epochLines) assert.match(t, /validation ppl \d+\.\d/);
      assert.match(statusLog.at(-1)!, new RegExp(`^done: ${epochs} epochs completed, `), statusLog.at(-1));
      assert.match(await page.textContent('#speed') ?? '', new RegExp(`^epoch ${epochs}, batch (\\d+)/\\1,`), 'the step line ends at the last batch of the last epoch');

      // After each epoch, both charts held finite values, and the validation series a point per epoch so far.
      const atEpoch: [string, string][] = await page.evaluate(() => (window as any).chartsAtEpoch);
      assert.is(atEpoch.length, epochs);
      atEpoch.forEach(([ppl, gates], k) => {
        const p = JSON.parse(ppl) as ChartRecord, g = JSON.parse(gates) as ChartRecord;
        assert.is(p.series.find((s) => s.name === 'validation')!.points.length, k + 1, `validation points after epoch ${k + 1}`);
        for (const s of [...p.series, ...g.series]) {
          assert.ok(s.points.length > 0, `series ${s.name} after epoch ${k + 1} is not empty`);
          assert.ok(s.points.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y)), `series ${s.name} after epoch ${k + 1} is finite`);
        }
        assert.equal(g.series.map((s) => s.name), ['i', 'f', 'g', 'o'], 'the LSTM reports gates i, f, g, o');
      });

      // At the end: the gate chart ends at the densities Node reads from the saved model, with the model's gate names.
      const saved = await page.evaluate(async () => {
        const s = await (window as any).selfishDemo.save();
        let bin = '';
        for (let i = 0; i < s.bytes.length; i += 0x8000) bin += String.fromCharCode(...s.bytes.subarray(i, i + 0x8000));
        return btoa(bin);
      });
      const { model } = modelFromCheckpoint(decodeLMCheckpoint(new Uint8Array(Buffer.from(saved, 'base64')), 'page checkpoint'), 'page checkpoint');
      const expectedGates = pooledGateDensity(modelGateStats(model))!;
      model.dispose();
      const legend = await page.textContent('#gate-legend');
      assert.match(legend ?? '', /input \(i\).*forget \(f\).*cell \(g\).*output \(o\)/, `gate legend: ${legend}`);

      for (const [width, height] of WIDTHS) {
        await page.setViewportSize({ width, height });
        // The charts redraw at their new size on the next animation frame after the resize.
        await page.waitForFunction((w) => (document.getElementById('ppl') as HTMLCanvasElement).dataset.chart!.includes(`"width":${document.getElementById('ppl')!.clientWidth},`) && innerWidth === w, width);
        const charts = await readCharts(page);
        checkChart(`ppl at ${width} px`, charts.ppl, true);
        checkChart(`gates at ${width} px`, charts.gates, false);
        assert.equal(charts.gates.series.map((s) => s.name), Object.keys(expectedGates), 'a series per gate the model reports');
        for (const s of charts.gates.series) assert.is(s.points.at(-1)![1], expectedGates[s.name], `gate ${s.name}: the chart ends at the saved model's density`);
        assert.is(charts.ppl.series.find((s) => s.name === 'validation')!.points.length, epochs);
        assert.ok(charts.ppl.yTicks.length >= 3, `ppl at ${width} px: ${charts.ppl.yTicks.map((t) => t.label)}`);

        // No control of the form overlaps a chart, sticks out of the form, or makes the page scroll sideways.
        const layout = await page.evaluate(() => {
          const box = (e: Element) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
          const form = document.getElementById('controls')!;
          const controls = Array.from(form.querySelectorAll('label, select, input:not([type=file]), button, .buttons, #status'))
            .filter((e) => e.getBoundingClientRect().width > 0)
            .map((e) => ({ what: e.id || e.tagName.toLowerCase() + (e.textContent ? ` "${e.textContent.trim().slice(0, 20)}"` : ''), box: box(e) }));
          return {
            controls, form: box(form), charts: ['ppl', 'gates'].map((id) => ({ id, box: box(document.getElementById(id)!) })),
            scrollWidth: document.documentElement.scrollWidth, innerWidth,
          };
        });
        assert.ok(layout.controls.length >= 20, `${layout.controls.length} controls found`);
        assert.ok(layout.scrollWidth <= layout.innerWidth, `at ${width} px the page is ${layout.scrollWidth} px wide`);
        for (const c of layout.controls) {
          for (const chart of layout.charts) assert.not.ok(overlap(c.box, chart.box), `at ${width} px, ${c.what} ${c.box} overlaps the ${chart.id} chart ${chart.box}`);
          const [fx, , fw] = layout.form;
          assert.ok(c.box[0]! >= fx! - 0.5 && c.box[0]! + c.box[2]! <= fx! + fw! + 0.5, `at ${width} px, ${c.what} ${c.box} sticks out of the form ${layout.form}`);
        }
      }
      assert.equal(errors, [], 'no errors in the page');
    } finally {
      await context.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
}

test.run();
