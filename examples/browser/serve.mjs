#!/usr/bin/env node
// A dependency-free static server for the training page (`npm run demo`, or
// `node node_modules/selfish-rnn/examples/browser/serve.mjs` in a project that installed the
// package). It serves the package's dist/ and examples/ only, with the two headers that make the
// page cross-origin isolated (COOP same-origin + COEP require-corp), which browsers require before
// they give a page SharedArrayBuffer and so multi-threaded WebAssembly.
//   node examples/browser/serve.mjs [--port 8080] [--host 127.0.0.1]
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVED = ['dist', 'examples'];
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.ts': 'text/plain; charset=utf-8',
};
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Starts the server; resolves with it and its URL once it listens (port 0 picks a free port). */
export function startDemoServer({ port = 8080, host = '127.0.0.1', root = ROOT, quiet = false } = {}) {
  const server = createServer((req, res) => {
    const send = (status, text) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...ISOLATION });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (path === '/' || path === '/examples/browser') {
      res.writeHead(302, { Location: '/examples/browser/', ...ISOLATION });
      return res.end();
    }
    const file = normalize(join(root, path.endsWith('/') ? path + 'index.html' : path));
    const top = file.slice(root.length).split(sep).filter(Boolean)[0];
    if (!file.startsWith(root) || !SERVED.includes(top)) return send(404, 'not found\n');
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return send(404, 'not found\n');
    }
    if (!stat.isFile()) return send(404, 'not found\n');
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cache-Control': 'no-cache',
      ...ISOLATION,
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      const url = `http://${host}:${actual}/examples/browser/`;
      if (!quiet) console.log(`selfish-rnn training page: ${url}  (Ctrl-C to stop)`);
      resolve({ server, url });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const arg = (name, fallback) => {
    const k = process.argv.indexOf(`--${name}`);
    return k > 0 && process.argv[k + 1] !== undefined ? process.argv[k + 1] : fallback;
  };
  const port = Number(arg('port', process.env.PORT ?? 8080));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.mjs: --port must be an integer in [0, 65535], got ${arg('port')}`);
    process.exit(2);
  }
  startDemoServer({ port, host: arg('host', '127.0.0.1') }).catch((e) => {
    console.error(`serve.mjs: cannot listen: ${e.message}${e.code === 'EADDRINUSE' ? ' (give another --port)' : ''}`);
    process.exit(1);
  });
}
