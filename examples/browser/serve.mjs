#!/usr/bin/env node
// A dependency-free static server for the training page (`npm run demo`, or
// `node node_modules/selfish-rnn/examples/browser/serve.mjs` in a project that installed the
// package). It serves the package's dist/ and examples/ only, with the two headers that make the
// page cross-origin isolated (COOP same-origin + COEP require-corp), which browsers require before
// they give a page SharedArrayBuffer and so multi-threaded WebAssembly.
//   node examples/browser/serve.mjs [--port 8080] [--host 127.0.0.1]
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';
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

/**
 * Bounds that keep the server alive whatever its clients do: at most `maxConnections` sockets at a
 * time (more are closed at once), and a socket that sends no complete request within
 * `idleTimeoutMs`, or stays idle that long, is closed. Every file is streamed from an open handle
 * that is closed when the response ends, fails or is aborted by the client.
 */
export const DEMO_SERVER_LIMITS = { maxConnections: 64, idleTimeoutMs: 30_000 };

/** Starts the server; resolves with it and its URL once it listens (port 0 picks a free port). */
export function startDemoServer({ port = 8080, host = '127.0.0.1', root = ROOT, quiet = false, maxConnections = DEMO_SERVER_LIMITS.maxConnections, idleTimeoutMs = DEMO_SERVER_LIMITS.idleTimeoutMs } = {}) {
  const warn = (msg) => { if (!quiet) console.error(`serve.mjs: ${msg}`); };
  const server = createServer((req, res) => {
    serve(req, res).catch((e) => {
      warn(`${req.url}: ${e.message}`);
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  const send = (res, status, text) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...ISOLATION });
    res.end(text);
  };
  const serve = async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad request\n');
    }
    if (path === '/' || path === '/examples/browser') {
      res.writeHead(302, { Location: '/examples/browser/', ...ISOLATION });
      return res.end();
    }
    const file = normalize(join(root, path.endsWith('/') ? path + 'index.html' : path));
    const top = file.slice(root.length).split(sep).filter(Boolean)[0];
    if (!file.startsWith(root) || !SERVED.includes(top)) return send(res, 404, 'not found\n');
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (e) {
      return e.code === 'EACCES' || e.code === 'EPERM' ? send(res, 403, 'forbidden\n') : send(res, 404, 'not found\n');
    }
    let stat;
    try {
      stat = await handle.stat();
    } catch (e) {
      await handle.close().catch(() => {});
      throw e;
    }
    if (!stat.isFile() || req.destroyed) {
      await handle.close().catch(() => {});
      return req.destroyed ? undefined : send(res, 404, 'not found\n');
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cache-Control': 'no-cache',
      ...ISOLATION,
    });
    if (req.method === 'HEAD' || stat.size === 0) {
      await handle.close().catch(() => {});
      return res.end();
    }
    // The handle closes itself when the stream ends or is destroyed; pipeline destroys the stream
    // when the client goes away and the response when the file cannot be read.
    const stream = handle.createReadStream({ start: 0, end: stat.size - 1, autoClose: true });
    pipeline(stream, res, (err) => {
      if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') warn(`${path}: ${err.message}`);
    });
  };
  server.maxConnections = maxConnections;
  server.headersTimeout = Math.min(idleTimeoutMs, 60_000);
  server.requestTimeout = idleTimeoutMs;
  server.keepAliveTimeout = Math.min(5_000, idleTimeoutMs);
  server.setTimeout(idleTimeoutMs, (socket) => socket.destroy());
  server.on('clientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // After start, an error (e.g. EMFILE when accepting) is reported, never fatal.
      server.on('error', (e) => warn(e.message));
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
