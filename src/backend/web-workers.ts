// The browser side of the worker pool: Web Workers running the self-contained pool worker script
// (src/backend/pool-worker-web.ts, bundled at build time). By default the script comes from a
// blob: URL of the embedded source, which works the same unbundled and in every bundler's output
// (nothing for a bundler to find or rewrite); setThreads(n, { workerUrl }) names a served copy of
// dist/pool-worker.js instead (e.g. where a Content-Security-Policy forbids blob: workers).
// A worker that cannot start is described by its URL and the reason, which a browser's error
// event does not give for a script that failed to load: the URL is fetched again to find out.
import { POOL_WORKER_SOURCE } from '../generated/pool-worker-source.js';
import type { WorkerInit } from './pool-protocol.js';

export interface WorkerHandle {
  terminate(): void;
}

/** What a starting worker reports: `failed` once it cannot start (or stopped), with the reason. */
export interface WorkerEvents {
  failed(reason: string): void;
}

/** Where Web Workers load the pool worker from: a URL, and how messages name it. */
export interface WorkerSource {
  url: string;
  /** The URL, or what it is for the built-in blob: URL. */
  label: string;
}

let builtIn: WorkerSource | null = null;

/**
 * The built-in worker: a blob: URL of the embedded script, made once and kept for the page's life
 * (workers of a later setThreads load it again).
 */
export function builtInWorkerSource(): WorkerSource {
  if (builtIn === null) {
    const url = URL.createObjectURL(new Blob([POOL_WORKER_SOURCE], { type: 'text/javascript' }));
    builtIn = { url, label: `the built-in pool worker (${url})` };
  }
  return builtIn;
}

/** A worker source for a URL given by the caller, resolved against the calling script's location. */
export function workerSourceAt(url: string | URL): WorkerSource {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let href: string;
  try {
    href = new URL(url, base).href;
  } catch {
    throw new TypeError(`selfish-rnn: setThreads: workerUrl ${JSON.stringify(String(url))} is not a URL${base ? ` (relative to ${base})` : ' (give an absolute URL: this script has no location to resolve it against)'}`);
  }
  return { url: href, label: href };
}

/** Why a worker script at `url` did not load, as far as fetching it again can tell. */
async function diagnose(url: string): Promise<string> {
  // The built-in script cannot be missing: what stops it is a policy (and fetching it is blocked too).
  if (url.startsWith('blob:')) {
    return 'this page may not start workers from blob: URLs (a Content-Security-Policy whose worker-src lacks blob:?): serve a copy of the package\'s dist/pool-worker.js and give its URL as setThreads(n, { workerUrl })';
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    return `the script cannot be fetched (${e instanceof Error ? e.message : String(e)})`;
  }
  if (!response.ok) return `fetching the script answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const type = response.headers.get('content-type') ?? '';
  if (!/javascript|ecmascript/i.test(type)) return `the script is served as ${type ? `"${type}"` : 'no content type'}, not JavaScript`;
  const coep = response.headers.get('cross-origin-embedder-policy');
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated && coep === null) {
    return 'the script is served without a Cross-Origin-Embedder-Policy header, which a cross-origin-isolated page\'s workers need (serve it with COEP require-corp like the page)';
  }
  return 'the script loads but the browser would not run it as a worker (a Content-Security-Policy worker-src rule, or an error in the script; the browser console tells)';
}

/** Starts one Web Worker on `source` and sends it the start-up message. */
export function startWebWorker(init: WorkerInit, source: WorkerSource, events: WorkerEvents): WorkerHandle {
  const WorkerCtor = (globalThis as unknown as { Worker?: new (u: string, o: { type: 'module' }) => Worker }).Worker;
  if (typeof WorkerCtor !== 'function') {
    events.failed('this engine has no Web Workers');
    return { terminate: () => {} };
  }
  let w: Worker;
  try {
    // type 'module': the script has no imports, but a module worker is what a strict
    // Content-Security-Policy and Deno accept.
    w = new WorkerCtor(source.url, { type: 'module' });
  } catch (e) {
    events.failed(e instanceof Error ? e.message : String(e));
    return { terminate: () => {} };
  }
  w.onerror = (e: ErrorEvent | Event) => {
    e.preventDefault?.();
    const message = (e as ErrorEvent).message;
    if (typeof message === 'string' && message !== '') events.failed(message);
    else void diagnose(source.url).then((why) => events.failed(why));
  };
  w.onmessage = (m: MessageEvent<{ error?: string }>) => { if (m.data?.error) events.failed(m.data.error); };
  w.postMessage(init);
  return { terminate: () => w.terminate() };
}
