// Training throughput in the browser page (examples/browser/, a Web Worker in headless Chromium)
// against Node, same model, same corpus, same steps, in one run. Two figures:
//   - wall-clock tokens/s as the trainer reports them (training tokens over the epoch's elapsed
//     time, yields to the event loop included), of the longer run;
//   - training tokens per CPU-second: CPU time (user + system) of a run of 3·S steps minus that
//     of a run of S steps, over the 2·S·batch·bptt tokens in between, so start-up, compilation,
//     corpus loading and the final evaluation cancel out. Node: process.cpuUsage(); the page: the
//     CPU time of every Chromium process of this profile (/proc, Linux only). On a machine shared
//     with other jobs this is the steadier figure: waiting for a core costs wall time, not CPU.
// The runs alternate Node, page, Node, page… so a burst of load hits both alike.
// Needs Chromium (SELFISH_RNN_CHROMIUM or /usr/bin/chromium).
//   npm run bench -- browser        (BROWSER_BENCH_STEPS=S, default 50)
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCorpus, memoryStore, resolveTrainConfig, simdSupported, Trainer } from '../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const browserPath = [process.env.SELFISH_RNN_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p && existsSync(p));
if (!browserPath) {
  console.error('browser bench: no Chromium found (install Debian\'s chromium or set SELFISH_RNN_CHROMIUM)');
  process.exit(1);
}
const STEPS = Number(process.env.BROWSER_BENCH_STEPS ?? 50);
const VOCAB = 2000;
const BATCH = 20, BPTT = 35;
const CONFIGS = [
  { hidden: 64, method: 'selfish', density: 0.33 },
  { hidden: 200, method: 'selfish', density: 0.33 },
] as const;
type Config = (typeof CONFIGS)[number];
const common = { corpus: 'builtin', maxVocab: VOCAB, epochs: 1, batchSize: BATCH, bptt: BPTT, seed: 1, updateEvery: 0, sampleEvery: 0 };
const TICK = 100; // USER_HZ: /proc/<pid>/stat times are in 1/100 s on Linux

/** CPU seconds (user + system) of every process whose command line names `marker`. */
function cpuOfProcesses(marker: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / TICK;
}
const nodeCpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

const corpus = await defaultCorpus({ maxVocab: VOCAB });

async function nodeRun(c: Config, steps: number): Promise<number> {
  const config = resolveTrainConfig({
    model: 'zaremba-small', lm: { emsize: c.hidden, nhid: c.hidden, nlayers: 2, dropout: 0 }, data: { source: 'builtin', maxVocab: VOCAB },
    method: c.method, density: c.density, updateEvery: 0, epochs: 1, batchSize: BATCH, bptt: BPTT, seed: 1,
  }, corpus.vocab.size);
  let tps = 0;
  const trainer = await Trainer.create({ config, corpus, store: memoryStore(), maxSteps: steps, events: { onStep: (s) => { tps = s.tokensPerSecond; } } });
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
interface Row { model: string; node: number; page: number; ratio: number; nodeCpu: number; pageCpu: number; cpuRatio: number }
const rows: Row[] = [];
let yieldCost: { setTimeout: number; yieldToEventLoop: number } | null = null;
let ready: { simd: boolean; threads: number | null; crossOriginIsolated: boolean } | null = null;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  ready = await page.evaluate(() => (window as any).selfishDemo.ready);
  const pageRun = async (c: Config, steps: number): Promise<number> => {
    await page.evaluate((o) => (window as any).selfishDemo.train(o), { ...common, ...c, maxSteps: steps });
    const log = await page.evaluate(() => (window as any).selfishDemo.state.steps as { step: number; tokensPerSecond: number }[]);
    const last = log[log.length - 1]!;
    if (last.step !== steps) throw new Error(`the page stopped at step ${last.step}`);
    return last.tokensPerSecond;
  };
  // What one yield to the event loop costs in the page: the old setTimeout(0), which browsers
  // clamp to ≥ 4 ms once nested, against yieldToEventLoop (a MessageChannel message there).
  yieldCost = await page.evaluate(async () => {
    const { yieldToEventLoop } = await import('/dist/index.js' as string);
    const time = async (f: () => Promise<void>) => {
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) await f();
      return (performance.now() - t0) / 200;
    };
    return { setTimeout: await time(() => new Promise((r) => setTimeout(r, 0))), yieldToEventLoop: await time(yieldToEventLoop) };
  });
  const timed = async (cpu: () => number, run: () => Promise<number>) => {
    const c0 = cpu();
    const tps = await run();
    return { tps, cpu: cpu() - c0 };
  };
  const pageCpu = () => cpuOfProcesses(profile);
  for (const c of CONFIGS) {
    const nodeShort = await timed(nodeCpu, () => nodeRun(c, STEPS));
    const pageShort = await timed(pageCpu, () => pageRun(c, STEPS));
    const nodeLong = await timed(nodeCpu, () => nodeRun(c, 3 * STEPS));
    const pageLong = await timed(pageCpu, () => pageRun(c, 3 * STEPS));
    const tokens = 2 * STEPS * BATCH * BPTT;
    const nodeTpc = tokens / (nodeLong.cpu - nodeShort.cpu), pageTpc = tokens / (pageLong.cpu - pageShort.cpu);
    rows.push({
      model: `2×${c.hidden} ${c.method} ${c.density}`, node: nodeLong.tps, page: pageLong.tps, ratio: pageLong.tps / nodeLong.tps,
      nodeCpu: nodeTpc, pageCpu: pageTpc, cpuRatio: pageTpc / nodeTpc,
    });
  }
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}

console.log(`browser vs Node: training steps of batch ${BATCH}×${BPTT} on the built-in corpus (vocabulary ${VOCAB}); runs of ${STEPS} and ${3 * STEPS} steps, alternating; ` +
  `Node ${process.version} SIMD ${simdSupported}; page ${JSON.stringify(ready)}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('| model | Node tokens/s (wall) | page tokens/s (wall) | page / Node | Node tokens per CPU-s | page tokens per CPU-s | page / Node (CPU) |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.model} | ${Math.round(r.node)} | ${Math.round(r.page)} | ${r.ratio.toFixed(2)} | ${Math.round(r.nodeCpu)} | ${Math.round(r.pageCpu)} | ${r.cpuRatio.toFixed(2)} |`);
console.log(`one yield to the event loop in the page: setTimeout(0) ${yieldCost!.setTimeout.toFixed(3)} ms, yieldToEventLoop (MessageChannel) ${yieldCost!.yieldToEventLoop.toFixed(3)} ms (mean of 200)`);
const r3 = (x: number) => Number(x.toFixed(3));
console.log(JSON.stringify({ suite: 'browser', steps: STEPS, yieldMs: { setTimeout: r3(yieldCost!.setTimeout), yieldToEventLoop: r3(yieldCost!.yieldToEventLoop) }, rows: rows.map((r) => ({ model: r.model, node: Math.round(r.node), page: Math.round(r.page), ratio: r3(r.ratio), nodeCpu: Math.round(r.nodeCpu), pageCpu: Math.round(r.pageCpu), cpuRatio: r3(r.cpuRatio) })) }));
