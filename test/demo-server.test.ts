// examples/browser/serve.mjs, the training page's static server: the cross-origin isolation
// headers on every response, content types, only dist/ and examples/ served, no way out of the
// package directory, GET/HEAD only. And it cannot be killed: aborted downloads leak no file
// descriptor, an unreadable file is refused, connections are bounded in number and time (these run
// the server in its own process, and count its open descriptors).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request, get as httpGet } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { startDemoServer } = await import(join(root, 'examples', 'browser', 'serve.mjs')) as {
  startDemoServer: (o: object) => Promise<{ server: import('node:http').Server; url: string }>;
};
const { server, url } = await startDemoServer({ port: 0, quiet: true });
const origin = new URL(url).origin;
test.after(() => { server.close(); });

/** A raw request (the path is sent as written, so `..` segments reach the server). */
function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/`, { method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the page and the library are served with COOP/COEP and the right types', async () => {
  const page = await get('/examples/browser/');
  assert.is(page.status, 200);
  assert.is(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.is(page.headers['cross-origin-opener-policy'], 'same-origin');
  assert.is(page.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.match(page.body, /<script type="module" src="app.js">/);
  const lib = await get('/dist/index.js');
  assert.is(lib.status, 200);
  assert.is(lib.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.is(lib.headers['cross-origin-embedder-policy'], 'require-corp');
  const head = await get('/examples/browser/worker.js', 'HEAD');
  assert.is(head.status, 200);
  assert.is(head.body, '');
  const home = await get('/');
  assert.is(home.status, 302);
  assert.is(home.headers.location, '/examples/browser/');
});

test('nothing outside dist/ and examples/, no escape from the package, GET and HEAD only', async () => {
  for (const path of ['/package.json', '/src/index.ts', '/dist/../package.json', '/dist/%2e%2e/package.json', '/examples/..%2f..%2fetc/passwd', '/../../etc/passwd', '/dist/no-such-file.js', '/dist/']) {
    const r = await get(path);
    assert.is(r.status, 404, `${path} → ${r.status}`);
    assert.is(r.headers['cross-origin-opener-policy'], 'same-origin');
  }
  assert.is((await get('/%E0%A4%A')).status, 400);
  assert.is((await get('/examples/browser/', 'POST')).status, 405);
});

// ---- the server in its own process ------------------------------------------------------------

const site = mkdtempSync(join(tmpdir(), 'selfish-rnn-demo-'));
chmodSync(site, 0o755);
for (const d of ['dist', 'examples']) mkdirSync(join(site, d));
const BIG = 4 << 20;
writeFileSync(join(site, 'dist', 'big.bin'), new Uint8Array(BIG).fill(7));
writeFileSync(join(site, 'examples', 'index.html'), '<p>page</p>');
writeFileSync(join(site, 'examples', 'secret.txt'), 'secret');
chmodSync(join(site, 'examples', 'secret.txt'), 0o000);
copyFileSync(join(root, 'examples', 'browser', 'serve.mjs'), join(site, 'serve.mjs'));
const children: ChildProcess[] = [];
test.after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(site, { recursive: true, force: true });
});

/** Starts serve.mjs in a child process (as an unprivileged user when we are root, so file modes apply). */
async function serverProcess(opts: Record<string, unknown> = {}): Promise<{ child: ChildProcess; origin: string; fds: () => number; alive: () => boolean }> {
  const code = `const { startDemoServer } = await import(${JSON.stringify(join(site, 'serve.mjs'))});
    const { url } = await startDemoServer({ port: 0, quiet: true, root: ${JSON.stringify(site + '/')}, ...${JSON.stringify(opts)} });
    console.log(url);`;
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: site, stdio: ['ignore', 'pipe', 'pipe'], ...asNobody });
  children.push(child);
  let exited = false;
  child.on('exit', () => { exited = true; });
  const url = await new Promise<string>((res, rej) => {
    let out = '', err = '';
    child.stdout!.on('data', (d) => { out += d; if (out.includes('\n')) res(out.trim()); });
    child.stderr!.on('data', (d) => { err += d; });
    child.on('exit', (c) => rej(new Error(`server exited (${c}): ${err}`)));
  });
  return { child, origin: new URL(url).origin, fds: () => readdirSync(`/proc/${child.pid}/fd`).length, alive: () => !exited };
}

function fetchStatus(origin: string, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((res, rej) => {
    httpGet(origin + path, (r) => {
      let n = 0;
      r.on('data', (c: Buffer) => { n += c.length; });
      r.on('end', () => res({ status: r.statusCode ?? 0, bytes: n }));
      r.on('error', rej);
    }).on('error', rej);
  });
}

/** Starts a download and aborts it as soon as the first bytes arrive. */
function abortedDownload(origin: string, path: string): Promise<void> {
  return new Promise((res) => {
    const req = httpGet(origin + path, (r) => {
      r.once('data', () => { req.destroy(); res(); });
    });
    req.on('error', () => res());
  });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('300 aborted downloads leave no open file behind; the server keeps serving', async () => {
  const s = await serverProcess();
  const before = s.fds();
  for (let k = 0; k < 300; k += 30) await Promise.all(Array.from({ length: 30 }, () => abortedDownload(s.origin, '/dist/big.bin')));
  await settle(500);
  const after = s.fds();
  assert.ok(after - before < 10, `${after - before} descriptors left open by 300 aborted downloads (before ${before}, after ${after})`);
  assert.ok(s.alive());
  const full = await fetchStatus(s.origin, '/dist/big.bin');
  assert.equal(full, { status: 200, bytes: BIG });
});

test('an unreadable file is refused (403), not a crash', async () => {
  const s = await serverProcess();
  assert.is((await fetchStatus(s.origin, '/examples/secret.txt')).status, 403);
  await settle(200);
  assert.ok(s.alive(), 'the server is still running');
  assert.is((await fetchStatus(s.origin, '/examples/index.html')).status, 200);
});

test('connections are bounded in number and in time; concurrent downloads complete', async () => {
  const s = await serverProcess({ maxConnections: 20, idleTimeoutMs: 1500 });
  const idle: Socket[] = [];
  for (let k = 0; k < 200; k++) {
    const sock = connect(Number(new URL(s.origin).port), '127.0.0.1');
    sock.on('error', () => {});
    idle.push(sock);
  }
  await settle(500);
  assert.ok(s.fds() < 60, `${s.fds()} descriptors with 200 idle connections (at most 20 are kept)`);
  await settle(2500);
  const open = idle.filter((c) => !c.destroyed && c.readyState === 'open').length;
  assert.is(open, 0, `${open} idle connections still open after the idle time`);
  idle.forEach((c) => c.destroy());
  const downloads = await Promise.all(Array.from({ length: 10 }, () => fetchStatus(s.origin, '/dist/big.bin')));
  for (const d of downloads) assert.equal(d, { status: 200, bytes: BIG });
  // Garbage instead of HTTP: refused, the server lives on.
  const junk = connect(Number(new URL(s.origin).port), '127.0.0.1');
  junk.on('error', () => {});
  junk.write('\x00\x01garbage\r\n\r\n');
  await settle(300);
  assert.ok(s.alive());
  assert.is((await fetchStatus(s.origin, '/examples/index.html')).status, 200);
});

test.run();
