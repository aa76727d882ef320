// The package in a bundled web app, as a user's project meets it: the small app in
// test/fixtures/web-app (a page that trains in a Web Worker, importing 'selfish-rnn' by name from
// node_modules, here a link to this package and so its built dist/) is bundled with esbuild (the
// CLI's defaults: --bundle --platform=browser), Vite (`vite build`, no config) and webpack
// (`webpack --mode production`, no config), each of which must succeed without a warning (webpack
// may only give its generic asset-size hint: the kernels are embedded). Each output is served with
// the cross-origin isolation headers and opened in headless Chromium, where the worker must get a
// pool of 2 threads, train two steps to a finite loss on them, and, given a worker URL that does
// not load, get 1 thread and a reason that names the URL and the 404.
//
// The browser: as test/browser.test.ts ($SELFISH_RNN_CHROMIUM, else Debian's chromium); without
// one the page part is skipped with a note, except under CI=true, where that is a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const modules = join(root, 'node_modules');
const CANDIDATES = process.env.SELFISH_RNN_CHROMIUM ? [process.env.SELFISH_RNN_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browserPath = CANDIDATES.find((p) => existsSync(p));

/** A copy of the fixture app with node_modules/selfish-rnn linked to this package (its package.json and dist/). */
function makeApp(): string {
  const app = mkdtempSync(join(tmpdir(), 'selfish-rnn-web-app-'));
  cpSync(join(root, 'test', 'fixtures', 'web-app'), app, { recursive: true });
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(root, join(app, 'node_modules', 'selfish-rnn'), 'dir');
  return app;
}

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 300_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.map': 'application/json' };

/** Serves `dir` at / with the headers that make a page cross-origin isolated (as examples/browser/serve.mjs). */
function serve(dir: string): Promise<{ server: Server; url: string }> {
  const base = normalize(dir + sep);
  const server = createServer((req, res) => {
    void (async () => {
      const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = normalize(join(base, path.endsWith('/') ? path + 'index.html' : path));
      const handle = file.startsWith(base) ? await open(file, 'r').catch(() => null) : null;
      if (handle === null) {
        res.writeHead(404, { 'Content-Type': 'text/plain', ...headers });
        res.end('not found\n');
        return;
      }
      try {
        const body = await handle.readFile();
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
        res.end(body);
      } finally {
        await handle.close();
      }
    })().catch(() => res.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    resolve({ server, url: `http://127.0.0.1:${port}/` });
  }));
}

interface Report {
  error?: string;
  build: string;
  crossOriginIsolated: boolean;
  threads: number;
  reason: string | null;
  losses: number[];
  threadsAfterTraining: number;
  badUrl: { threads: number; reason: string | null; poolThreads: number };
}

/** Opens the bundled page in Chromium and returns the worker's report. */
async function runPage(dir: string, bundler: string): Promise<void> {
  if (!browserPath) {
    if (process.env.CI) assert.unreachable(`no Chromium under CI (looked for ${CANDIDATES.join(', ')})`);
    console.log(`  SKIPPED: the ${bundler} page did not run: no Chromium found (looked for ${CANDIDATES.join(', ')})`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const { server, url } = await serve(dir);
  const browser = await chromium.launch({ executablePath: browserPath, headless: true, args: FLAGS });
  const errors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as { report?: unknown }).report !== undefined, undefined, { timeout: 120_000 });
    const report = await page.evaluate(() => (window as unknown as { report: Report }).report);
    console.log(`  ${bundler}: ${JSON.stringify({ ...report, badUrl: undefined })}`);
    console.log(`  ${bundler}, bad worker URL: ${JSON.stringify(report.badUrl)}`);
    assert.is(report.error, undefined, report.error);
    assert.is(report.crossOriginIsolated, true, 'the served page is cross-origin isolated');
    assert.is(report.build, 'threads', 'the threaded kernel build is in use');
    assert.is(report.reason, null, `threads unavailable: ${report.reason}`);
    assert.is(report.threads, 2, 'setThreads(2) resolves with 2');
    assert.is(report.threadsAfterTraining, 2, 'the pool still has 2 threads after training');
    assert.is(report.losses.length, 2, 'two training steps');
    assert.ok(report.losses.every((l) => Number.isFinite(l) && l > 0), `finite losses: ${report.losses}`);
    assert.is(report.badUrl.threads, 1, 'a worker script that does not load: setThreads resolves with 1');
    assert.is(report.badUrl.poolThreads, 1);
    assert.match(report.badUrl.reason ?? '', new RegExp(`${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*no-such-pool-worker\\.js: fetching the script answered 404`));
    assert.equal(errors, [], 'no errors in the page');
  } finally {
    await browser.close();
    server.close();
  }
}

test('esbuild (--bundle --platform=browser, no other option): clean build, 2 threads in the page', async () => {
  const app = makeApp();
  try {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      absWorkingDir: app, entryPoints: ['src/classic.js', 'src/train-worker.js'], bundle: true, platform: 'browser', outdir: 'out', logLevel: 'silent',
    });
    const messages = await esbuild.formatMessages([...result.errors, ...result.warnings], { kind: 'warning' });
    assert.equal(messages, [], 'no errors or warnings');
    writeFileSync(join(app, 'out', 'index.html'), '<!doctype html><meta charset="utf-8"><p id="status">training…</p><script src="classic.js"></script>\n');
    await runPage(join(app, 'out'), 'esbuild');
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test('Vite (vite build, no config): clean build, 2 threads in the page', async () => {
  const app = makeApp();
  try {
    const r = run(process.execPath, [join(modules, 'vite', 'bin', 'vite.js'), 'build'], app);
    assert.is(r.status, 0, r.out);
    assert.not.match(r.out, /warn|\(!\)|error/i, `vite build printed a warning:\n${r.out}`);
    await runPage(join(app, 'dist'), 'Vite');
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test('webpack (webpack --mode production, no config): clean build, 2 threads in the page', async () => {
  const app = makeApp();
  try {
    const r = run(process.execPath, [join(modules, 'webpack-cli', 'bin', 'cli.js'), '--mode', 'production'], app);
    assert.is(r.status, 0, r.out);
    // Its one generic hint is allowed: assets over 244 KiB (the embedded kernels are ~400 kB).
    const warnings = r.out.split('\n').filter((l) => /^WARNING/.test(l) && !/^WARNING in (asset|entrypoint) size limit/.test(l));
    assert.equal(warnings, [], `webpack printed warnings:\n${r.out}`);
    assert.not.match(r.out, /^ERROR/m, r.out);
    writeFileSync(join(app, 'dist', 'index.html'), '<!doctype html><meta charset="utf-8"><p id="status">training…</p><script src="main.js"></script>\n');
    await runPage(join(app, 'dist'), 'webpack');
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test.run();
