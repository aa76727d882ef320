// The package in a bundled web app, as a user's project meets it: the small app in
// test/fixtures/web-app (a page that trains in a Web Worker, importing 'selfish-rnn' by name from
// node_modules, here a link to the unpacked `npm pack` tarball of this package) is bundled with esbuild (the
// CLI's defaults: --bundle --platform=browser), Vite (`vite build`, no config) and webpack
// (`webpack --mode production`, no config), each of which must succeed without a warning (webpack
// may only give its generic asset-size hint: the kernels are embedded). Each output is served with
// the cross-origin isolation headers and opened in headless Chromium, where the worker must get a
// pool of 2 threads, train two steps to a finite loss on them, and, given a worker URL that does
// not load, get 1 thread and a reason that names the URL and the 404. Last, a page whose
// Content-Security-Policy allows no blob: workers: the built-in worker cannot start (1 thread and
// the reason), and a served copy of dist/pool-worker.js given as workerUrl gives 2 threads.
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

/**
 * The package as a user installs it: `npm pack` of the built checkout (no scripts: the test run
 * built it), unpacked once; each app gets node_modules/selfish-rnn linked to that copy, so a file
 * missing from the package's `files` would fail here as it would for a user.
 */
let packed: string | null = null;
function packedPackage(): string {
  if (packed) return packed;
  const dir = mkdtempSync(join(tmpdir(), 'selfish-rnn-packed-'));
  const r = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir, '--offline', '--no-audit', '--no-fund'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  const tarball = join(dir, (JSON.parse(r.stdout) as { filename: string }[])[0]!.filename);
  const t = spawnSync('tar', ['xzf', tarball, '-C', dir], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`tar failed: ${t.stderr}`);
  packed = join(dir, 'package');
  return packed;
}

/** A copy of the fixture app with node_modules/selfish-rnn linked to the packed package. */
function makeApp(): string {
  const app = mkdtempSync(join(tmpdir(), 'selfish-rnn-web-app-'));
  cpSync(join(root, 'test', 'fixtures', 'web-app'), app, { recursive: true });
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(packedPackage(), join(app, 'node_modules', 'selfish-rnn'), 'dir');
  return app;
}

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 300_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.map': 'application/json' };

/** Serves `dir` at / with the headers that make a page cross-origin isolated (as examples/browser/serve.mjs), and `extra`. */
function serve(dir: string, extra: Record<string, string>): Promise<{ server: Server; url: string }> {
  const base = normalize(dir + sep);
  const server = createServer((req, res) => {
    void (async () => {
      const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin', ...extra };
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

/**
 * Serves `dir`, opens its index.html in Chromium and returns what the page's worker reported
 * (window.report) and the page's URL; null when no browser is found (outside CI).
 */
async function pageReport<R>(dir: string, label: string, headers: Record<string, string> = {}): Promise<{ report: R; url: string } | null> {
  if (!browserPath) {
    if (process.env.CI) assert.unreachable(`no Chromium under CI (looked for ${CANDIDATES.join(', ')})`);
    console.log(`  SKIPPED: the ${label} page did not run: no Chromium found (looked for ${CANDIDATES.join(', ')})`);
    return null;
  }
  const { chromium } = await import('playwright-core');
  const { server, url } = await serve(dir, headers);
  const browser = await chromium.launch({ executablePath: browserPath, headless: true, args: FLAGS });
  const errors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as { report?: unknown }).report !== undefined, undefined, { timeout: 120_000 });
    const report = await page.evaluate(() => (window as unknown as { report: R & { error?: string } }).report);
    console.log(`  ${label}: ${JSON.stringify(report)}`);
    assert.is(report.error, undefined, report.error);
    assert.equal(errors, [], 'no errors in the page');
    return { report, url };
  } finally {
    await browser.close();
    server.close();
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Opens the bundled training page and checks the worker's report. */
async function checkTrainingPage(dir: string, bundler: string): Promise<void> {
  const opened = await pageReport<Report>(dir, bundler);
  if (opened === null) return;
  const { report, url } = opened;
  assert.is(report.crossOriginIsolated, true, 'the served page is cross-origin isolated');
  assert.is(report.build, 'threads', 'the threaded kernel build is in use');
  assert.is(report.reason, null, `threads unavailable: ${report.reason}`);
  assert.is(report.threads, 2, 'setThreads(2) resolves with 2');
  assert.is(report.threadsAfterTraining, 2, 'the pool still has 2 threads after training');
  assert.is(report.losses.length, 2, 'two training steps');
  assert.ok(report.losses.every((l) => Number.isFinite(l) && l > 0), `finite losses: ${report.losses}`);
  assert.is(report.badUrl.threads, 1, 'a worker script that does not load: setThreads resolves with 1');
  assert.is(report.badUrl.poolThreads, 1);
  assert.match(report.badUrl.reason ?? '', new RegExp(`^worker thread 1 failed to start from ${escape(url)}(assets/)?no-such-pool-worker\\.js: fetching the script answered 404 Not Found$`));
}

/** Bundles `entries` of the app with esbuild's CLI defaults (and --platform=browser) into app/out; fails on any message. */
async function esbuildApp(app: string, entries: string[]): Promise<void> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ absWorkingDir: app, entryPoints: entries, bundle: true, platform: 'browser', outdir: 'out', logLevel: 'silent' });
  const messages = await esbuild.formatMessages([...result.errors, ...result.warnings], { kind: 'warning' });
  assert.equal(messages, [], 'no errors or warnings');
}

test('esbuild (--bundle --platform=browser, no other option): clean build, 2 threads in the page', async () => {
  const app = makeApp();
  try {
    await esbuildApp(app, ['src/classic.js', 'src/train-worker.js']);
    writeFileSync(join(app, 'out', 'index.html'), '<!doctype html><meta charset="utf-8"><p id="status">training…</p><script src="classic.js"></script>\n');
    await checkTrainingPage(join(app, 'out'), 'esbuild');
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
    await checkTrainingPage(join(app, 'dist'), 'Vite');
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
    await checkTrainingPage(join(app, 'dist'), 'webpack');
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test('a Content-Security-Policy without blob: workers: 1 thread and why; workerUrl to a served dist/pool-worker.js: 2 threads', async () => {
  const app = makeApp();
  try {
    await esbuildApp(app, ['src/strict-csp-page.js', 'src/strict-csp-worker.js']);
    writeFileSync(join(app, 'out', 'index.html'), '<!doctype html><meta charset="utf-8"><script src="strict-csp-page.js"></script>\n');
    cpSync(join(app, 'node_modules', 'selfish-rnn', 'dist', 'pool-worker.js'), join(app, 'out', 'pool-worker.js'));
    const opened = await pageReport<{ builtIn: { threads: number; reason: string | null }; served: { threads: number; reason: string | null; poolThreads: number } }>(
      join(app, 'out'), 'strict CSP', { 'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'" });
    if (opened === null) return;
    const { builtIn, served } = opened.report;
    assert.is(builtIn.threads, 1);
    assert.match(builtIn.reason ?? '', /^worker thread 1 failed to start from the built-in pool worker \(blob:.*\): this page may not start workers from blob: URLs .*setThreads\(n, \{ workerUrl \}\)$/);
    assert.equal(served, { threads: 2, reason: null, poolThreads: 2 });
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test.after(() => {
  if (packed) rmSync(join(packed, '..'), { recursive: true, force: true });
});

test.run();
