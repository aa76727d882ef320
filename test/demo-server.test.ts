// examples/browser/serve.mjs, the training page's static server: the cross-origin isolation
// headers on every response, content types, only dist/ and examples/ served, no way out of the
// package directory, GET/HEAD only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
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

test.run();
