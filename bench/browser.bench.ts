// Training throughput in the browser page (examples/browser/, a Web Worker in headless Chromium)
// against Node, same model, same corpus, same steps, in one run: tokens/s as the trainer reports
// them (training tokens over the epoch's wall-clock time, yields to the event loop included).
// The runs alternate Node, page, Node, page… so a burst of load from other jobs hits both alike;
// each configuration keeps its best run. Needs Chromium (SELFISH_RNN_CHROMIUM or /usr/bin/chromium).
//   npm run bench -- browser        (BROWSER_BENCH_STEPS=150, BROWSER_BENCH_ROUNDS=2)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCorpus, memoryStore, resolveTrainConfig, simdSupported, Trainer } from '../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const browserPath = [process.env.SELFISH_RNN_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p && existsSync(p));
if (!browserPath) {
  console.error('browser bench: no Chromium found (install Debian\'s chromium or set SELFISH_RNN_CHROMIUM)');
  process.exit(1);
}
const STEPS = Number(process.env.BROWSER_BENCH_STEPS ?? 150);
const ROUNDS = Number(process.env.BROWSER_BENCH_ROUNDS ?? 2);
const VOCAB = 2000;
const CONFIGS = [
  { hidden: 64, method: 'selfish', density: 0.33 },
  { hidden: 200, method: 'selfish', density: 0.33 },
  { hidden: 200, method: 'dense', density: 1 },
] as const;
const common = { corpus: 'builtin', maxVocab: VOCAB, epochs: 1, batchSize: 20, bptt: 35, seed: 1, updateEvery: 0, sampleEvery: 0, maxSteps: STEPS };

const corpus = await defaultCorpus({ maxVocab: VOCAB });

async function nodeRun(c: (typeof CONFIGS)[number]): Promise<number> {
  const config = resolveTrainConfig({
    model: 'zaremba-small', lm: { emsize: c.hidden, nhid: c.hidden, nlayers: 2, dropout: 0 }, data: { source: 'builtin', maxVocab: VOCAB },
    method: c.method, density: c.density, updateEvery: 0, epochs: 1, batchSize: 20, bptt: 35, seed: 1,
  }, corpus.vocab.size);
  let tps = 0;
  const trainer = await Trainer.create({ config, corpus, store: memoryStore(), maxSteps: STEPS, events: { onStep: (s) => { tps = s.tokensPerSecond; } } });
  await trainer.run();
  trainer.dispose();
  return tps;
}

const { chromium } = await import('playwright-core');
const { startDemoServer } = await import(join(root, 'examples', 'browser', 'serve.mjs')) as { startDemoServer: (o: object) => Promise<{ server: import('node:http').Server; url: string }> };
const { server, url } = await startDemoServer({ port: 0, quiet: true });
const profile = mkdtempSync(join(tmpdir(), 'selfish-rnn-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: browserPath, headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const rows: { model: string; node: number; page: number; ratio: number }[] = [];
let ready: { simd: boolean; threads: number | null; crossOriginIsolated: boolean } | null = null;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  ready = await page.evaluate(() => (window as any).selfishDemo.ready);
  const pageRun = async (c: (typeof CONFIGS)[number]): Promise<number> => {
    await page.evaluate((o) => (window as any).selfishDemo.train(o), { ...common, ...c });
    const steps = await page.evaluate(() => (window as any).selfishDemo.state.steps as { step: number; tokensPerSecond: number }[]);
    const last = steps[steps.length - 1]!;
    if (last.step !== STEPS) throw new Error(`the page stopped at step ${last.step}`);
    return last.tokensPerSecond;
  };
  for (const c of CONFIGS) {
    let node = 0, web = 0;
    for (let r = 0; r < ROUNDS; r++) {
      node = Math.max(node, await nodeRun(c));
      web = Math.max(web, await pageRun(c));
    }
    rows.push({ model: `2×${c.hidden} ${c.method}${c.method === 'dense' ? '' : ` ${c.density}`}`, node, page: web, ratio: web / node });
  }
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}

console.log(`browser vs Node: ${STEPS} training steps of batch 20×35 on the built-in corpus (vocabulary ${VOCAB}), best of ${ROUNDS} alternating runs; ` +
  `Node SIMD ${simdSupported}, page ${JSON.stringify(ready)}`);
console.log('| model | Node tokens/s | page (worker) tokens/s | page / Node |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.model} | ${Math.round(r.node)} | ${Math.round(r.page)} | ${r.ratio.toFixed(2)} |`);
console.log(JSON.stringify({ suite: 'browser', steps: STEPS, rows: rows.map((r) => ({ ...r, node: Math.round(r.node), page: Math.round(r.page), ratio: Number(r.ratio.toFixed(3)) })) }));
