// Fuzz target: the training page's server (examples/browser/serve.mjs), in its own process on the
// loopback interface, over a small site (a 2 MB file, a page, an unreadable file when run as root).
// Each input is a burst of 1–30 concurrent clients doing one of: a GET or HEAD of a random path
// (real files, traversal, bad percent-encoding, huge or binary paths), a download aborted after
// its first bytes or before any, garbage instead of HTTP, a request that stops half-way through
// its headers, another method. Contract: the server never exits; every complete request gets one
// of its statuses (200, 302, 400, 403, 404, 405) within the time limit; a full download has every
// byte; after each burst the open descriptors come back to where they were (no leak), and they
// never exceed the connection bound by much.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../../../src/index.js';
import type { FuzzReport } from '../types.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIG = 2 << 20;
const MAX_CONNECTIONS = 32;
const IDLE_MS = 2000;
/** Time a single client may wait for an answer. */
const CLIENT_MS = 10_000;
const STATUSES = new Set([200, 302, 400, 403, 404, 405]);

const PATHS = [
  '/examples/browser/', '/examples/index.html', '/dist/big.bin', '/dist/small.js', '/examples/secret.txt', '/', '/examples/browser',
  '/dist/../package.json', '/dist/%2e%2e/%2e%2e/etc/passwd', '/%E0%A4%A', '/examples/%00', '/dist/', '/dist/no-such', '//dist//big.bin',
  '/examples/..%2f..%2fserve.mjs', '/dist/big.bin?x=1', '/dist/big.bin#frag', '/\u00e9', '/dist/' + 'a'.repeat(5000),
];

type Client = (port: number) => Promise<string | null>;

/** A GET/HEAD/other request; checks the status and, for a full GET of the big file, every byte. */
function requestClient(method: string, path: string, abortAfterFirstBytes: boolean): Client {
  return (port) => new Promise((resolve) => {
    let settled = false;
    const done = (problem: string | null) => { if (!settled) { settled = true; clearTimeout(timer); resolve(problem); } };
    let req: ReturnType<typeof request>;
    try {
      req = request({ host: '127.0.0.1', port, method, path, agent: false }, onResponse);
    } catch {
      return done(null); // a path Node's client will not send (unescaped characters): not the server's business
    }
    function onResponse(res: import('node:http').IncomingMessage): void {
      const status = res.statusCode ?? 0;
      if (!STATUSES.has(status)) done(`${method} ${path.slice(0, 60)}: status ${status}`);
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (abortAfterFirstBytes) { req.destroy(); done(null); }
      });
      res.on('end', () => done(method === 'GET' && status === 200 && path === '/dist/big.bin' && n !== BIG ? `GET big.bin: ${n} of ${BIG} bytes` : null));
      res.on('error', () => done(abortAfterFirstBytes ? null : `${method} ${path.slice(0, 60)}: response broken`));
    }
    req.on('error', (e) => done(abortAfterFirstBytes ? null : `${method} ${path.slice(0, 60)}: ${e.message}`));
    const timer = setTimeout(() => { req.destroy(); done(`${method} ${path.slice(0, 60)}: no answer within ${CLIENT_MS} ms`); }, CLIENT_MS);
    req.end();
  });
}

/** Raw bytes on a socket (garbage, or a request cut half-way through its headers), then gone. */
function rawClient(bytes: Uint8Array, holdMs: number): Client {
  return (port) => new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('connect', () => s.write(bytes));
    setTimeout(() => { s.destroy(); resolve(null); }, holdMs);
  });
}

function pick<T>(rng: Random, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

function randomClient(rng: Random): { client: Client; what: string } {
  const r = rng.int(10);
  if (r < 4) {
    const path = rng.uniform() < 0.8 ? pick(rng, PATHS) : '/' + Array.from({ length: rng.int(40) }, () => String.fromCharCode(33 + rng.int(94))).join('');
    const method = pick(rng, ['GET', 'GET', 'HEAD']);
    return { client: requestClient(method, path, false), what: `${method} ${path.slice(0, 40)}` };
  }
  if (r < 7) return { client: requestClient('GET', '/dist/big.bin', true), what: 'aborted download' };
  if (r === 7) return { client: requestClient(pick(rng, ['POST', 'PUT', 'DELETE', 'OPTIONS']), pick(rng, PATHS), false), what: 'other method' };
  if (r === 8) return { client: rawClient(Uint8Array.from({ length: 1 + rng.int(400) }, () => rng.int(256)), 100 + rng.int(300)), what: 'garbage' };
  return { client: rawClient(new TextEncoder().encode('GET /dist/big.bin HTTP/1.1\r\nHost: x\r\nX-Slow: '), 100 + rng.int(600)), what: 'half a header' };
}

async function startServer(site: string): Promise<{ child: ChildProcess; port: number; fds: () => number; exited: () => string | null }> {
  const code = `const { startDemoServer } = await import(${JSON.stringify(join(site, 'serve.mjs'))});
    const { url } = await startDemoServer({ port: 0, host: '127.0.0.1', quiet: true, root: ${JSON.stringify(site + '/')}, maxConnections: ${MAX_CONNECTIONS}, idleTimeoutMs: ${IDLE_MS} });
    console.log(url);`;
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: site, stdio: ['ignore', 'pipe', 'pipe'], ...asNobody });
  let exit: string | null = null, err = '';
  child.stderr!.on('data', (d) => { if (err.length < 4000) err += d; });
  child.on('exit', (c, s) => { exit = `exited (${c ?? s}): ${err.slice(-500)}`; });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += d; if (out.includes('\n')) res(out.trim()); });
    child.on('exit', () => rej(new Error(`demo server did not start: ${exit}`)));
  });
  return { child, port: Number(new URL(url).port), fds: () => readdirSync(`/proc/${child.pid}/fd`).length, exited: () => exit };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const target = {
  name: 'demo-server',
  async run(iterations: number, seed: number): Promise<FuzzReport> {
    const report: FuzzReport = { name: 'demo-server', iterations: 0, accepted: 0, refused: 0, failures: [] };
    const rng = new Random(seed);
    const site = mkdtempSync(join(tmpdir(), 'selfish-rnn-fuzz-demo-'));
    chmodSync(site, 0o755);
    for (const d of ['dist', 'examples']) mkdirSync(join(site, d));
    writeFileSync(join(site, 'dist', 'big.bin'), new Uint8Array(BIG).fill(1));
    writeFileSync(join(site, 'dist', 'small.js'), 'export {};\n');
    writeFileSync(join(site, 'examples', 'index.html'), '<p>page</p>');
    writeFileSync(join(site, 'examples', 'secret.txt'), 'secret');
    chmodSync(join(site, 'examples', 'secret.txt'), 0o000);
    copyFileSync(join(ROOT, 'examples', 'browser', 'serve.mjs'), join(site, 'serve.mjs'));
    const server = await startServer(site);
    try {
      await settle(200);
      const baseline = server.fds();
      for (let i = 0; i < iterations; i++) {
        const n = 1 + rng.int(30);
        const clients = Array.from({ length: n }, () => randomClient(rng));
        report.iterations++;
        let peak = 0;
        const poll = setInterval(() => { try { peak = Math.max(peak, server.fds()); } catch { /* gone */ } }, 5);
        const problems = (await Promise.all(clients.map((c) => c.client(server.port)))).filter((p): p is string => p !== null);
        clearInterval(poll);
        const what = `#${i} ${n} clients (${clients.map((c) => c.what).slice(0, 6).join(', ')}${n > 6 ? ', …' : ''})`;
        if (server.exited() !== null) { report.failures.push(`${what}: the server ${server.exited()}`); break; }
        // Connections the server dropped at its bound may give a client an error; only a crash or
        // a wrong answer to a request it accepted counts. Time bounds: each client has CLIENT_MS.
        const wrong = problems.filter((p) => !/ECONNRESET|socket hang up|EPIPE/.test(p));
        if (wrong.length > 0) report.failures.push(`${what}: ${wrong.slice(0, 3).join('; ')}`);
        if (peak > baseline + 2 * MAX_CONNECTIONS + 16) report.failures.push(`${what}: ${peak} descriptors open at once (baseline ${baseline}, at most ${MAX_CONNECTIONS} connections)`);
        // Every descriptor of the burst is closed once its connections are gone (idle ones by the idle time).
        let now = server.fds();
        for (let t = 0; t < IDLE_MS + 3000 && now > baseline + 2; t += 100) { await settle(100); now = server.fds(); }
        if (now > baseline + 2) report.failures.push(`${what}: ${now - baseline} descriptors still open after the burst (leak)`);
        if (wrong.length === 0 && problems.length === 0) report.accepted++;
        else report.refused++; // some connections were dropped at the bound, as they should be
      }
    } finally {
      server.child.kill('SIGKILL');
      rmSync(site, { recursive: true, force: true });
    }
    return report;
  },
};
