// The training page (examples/browser/) in a real browser: headless Chromium driven with
// playwright-core opens the page served by examples/browser/serve.mjs, trains a few dozen steps in
// the page's worker, and the test checks that the loss falls, that the SIMD kernels (and threads,
// where the page offers them) are in use, that generation works, and that checkpoints cross
// between page and Node with the same weights, perplexity and samples, both ways (one saved in
// the page is read in Node; one written by the CLI is loaded in the page, and resumed there to the
// same weights as the CLI's own --resume; a PyTorch model imported with the CLI samples the same
// text in the page as in Node).
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
import {
  crc32, decodeCheckpoint, decodeLMCheckpoint, defaultCorpus, evaluate, formatSample, isSparse, modelFromCheckpoint, sample,
  type LanguageModel,
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
      const famMeta = decodeCheckpoint(new Uint8Array(Buffer.from(famCkpt, 'base64')), { source: 'page family checkpoint' }).meta as { config: { model: string; lm: { kind: string } } };
      assert.equal([famMeta.config.model, famMeta.config.lm.kind], ['mgu-small', 'mgu']);

      assert.equal(errors, [], 'no errors in the page');
    } finally {
      await context.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
}

test.run();
