// The worker pool as a user meets it, in child processes: under Node and under Deno it starts,
// splits a product with the single-thread bits, reports a worker's trap as an error in the caller,
// and the process exits when the script ends (idle workers do not keep it alive). Under Deno with
// Web Workers (the browser path), setThreads' workerUrl. Also the CLI's --threads flag and its
// run header.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipped } from './helpers/skip.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const denoBin = join(root, 'node_modules', '.bin', 'deno');
const script = 'test/scripts/threads-pool.mjs';

function run(cmd: string, args: string[]) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }, timeout: 120_000 });
  return { status: r.status, signal: r.signal, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : ''), ms: Date.now() - t0 };
}

function check(r: ReturnType<typeof run>, threads: number): void {
  assert.is(r.signal, null, `the process was killed (${r.signal}) after ${r.ms} ms: it did not exit by itself`);
  assert.is(r.status, 0, r.err);
  const o = JSON.parse(r.out.trim().split('\n').pop()!);
  assert.is(o.build, 'threads', `threaded build in use (${o.reason})`);
  assert.is(o.threads, threads);
  assert.ok(o.same, 'the split product has the single-thread bits');
  assert.match(o.workerError, /^selfish-rnn: gemm_nn share 1 of 2 failed on worker thread 1: .*out of bounds/i);
}

test('Node: the pool starts, splits, reports a worker trap, and the process exits', () => {
  check(run(process.execPath, [script, '2']), 2);
});

test('Node: the pool starts from `node --input-type=module -e` (workers do not inherit the -e options)', () => {
  const code = `const m = await import(${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}); console.log(await m.setThreads(2)); await m.setThreads(1);`;
  const r = run(process.execPath, ['--input-type=module', '-e', code]);
  assert.is(r.status, 0, r.err);
  assert.is(r.out.trim(), '2');
});

test('Deno: the same script with Web Workers', () => {
  const probe = existsSync(denoBin) ? run(denoBin, ['--version']) : null;
  if (probe === null || probe.status !== 0) {
    skipped('Deno: the same script with Web Workers', `Deno is not available (${denoBin}); install the 'deno' dev dependency`);
    return;
  }
  check(run(denoBin, ['run', '--no-prompt', '--allow-read', script, '2']), 2);
});

test('Deno: the same script on the relaxed-SIMD kernels (Deno 2 has relaxed SIMD)', () => {
  const probe = existsSync(denoBin) ? run(denoBin, ['--version']) : null;
  if (probe === null || probe.status !== 0) {
    skipped('Deno: the same script on the relaxed-SIMD kernels', `Deno is not available (${denoBin}); install the 'deno' dev dependency`);
    return;
  }
  const r = run(denoBin, ['run', '--no-prompt', '--allow-read', script, '2', 'relaxed']);
  check(r, 2);
  assert.is(JSON.parse(r.out.trim().split('\n').pop()!).relaxed, true);
});

test('Deno: Web Workers (the browser path) run the same script', () => {
  const probe = existsSync(denoBin) ? run(denoBin, ['--version']) : null;
  if (probe === null || probe.status !== 0) return;
  check(run(denoBin, ['run', '--no-prompt', '--allow-read', script, '2', 'web']), 2);
});

test('Deno, Web Workers: setThreads(n, { workerUrl }) starts them from that script; one that does not load or never reports ready leaves 1 thread and a reason naming it', () => {
  const probe = existsSync(denoBin) ? run(denoBin, ['--version']) : null;
  if (probe === null || probe.status !== 0) return;
  const r = run(denoBin, ['run', '--no-prompt', '--allow-read', 'test/scripts/worker-url.mjs']);
  assert.is(r.status, 0, r.err);
  const o = JSON.parse(r.out.trim().split('\n').pop()!);
  assert.equal(o.good, { threads: 2, pool: 2, reason: null, same: true }, 'dist/pool-worker.js as workerUrl: 2 threads, the single-thread bits');
  assert.is(o.bad.threads, 1);
  assert.is(o.bad.pool, 1);
  assert.ok(o.bad.reason.startsWith(`worker thread 1 failed to start from ${o.badUrl}: `), o.bad.reason);
  assert.match(o.bad.reason, /not found/i);
  assert.is(o.idle.threads, 1);
  assert.is(o.idle.reason, `worker thread 1 failed to start from ${o.idleUrl}: it did not report ready within 1 s (is it the selfish-rnn pool worker, dist/pool-worker.js?)`);
  assert.equal(o.builtIn, { threads: 2, pool: 2, reason: null }, 'workerUrl: undefined goes back to the built-in worker');
});

test('CLI: --threads shows in the bench output and JSON; a bad value is a usage error', () => {
  const cli = 'dist/cli/main.js';
  const args = ['bench', '--model', 'zaremba-small', '--emsize', '16', '--nhid', '16', '--vocab', '50', '--batch-size', '4', '--bptt', '5', '--steps', '1', '--warmup', '0'];
  const text = run(process.execPath, [cli, ...args, '--threads', '2']);
  assert.is(text.status, 0, text.err);
  assert.match(text.out, /2 threads \(wasm SIMD, shared memory\)/);
  const json = run(process.execPath, [cli, ...args, '--threads', '3', '--json']);
  assert.is(json.status, 0, json.err);
  assert.is(JSON.parse(json.out).threads, 3);
  for (const bad of ['0', '1.5', 'x', '1000']) {
    const r = run(process.execPath, [cli, ...args, '--threads', bad]);
    assert.is(r.status, 2, `--threads ${bad}: ${r.err}`);
    assert.match(r.err, /--threads/);
  }
});

test.run();
