// setThreads' options and its fallback when workers cannot start, in this process: bad options are
// refused with a TypeError naming them; when the pool's workers cannot start (here: Web Workers
// forced in Node, which has none), setThreads resolves with 1, the kernels stay single-threaded,
// and threadsUnavailableReason() names the worker script and why, until a start works again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getThreads, kernels, setThreads, threadsUnavailableReason } from '../src/index.js';
import { rawKernels } from '../src/backend/wasm.js';
import { setWorkerFlavorForTests } from '../src/backend/pool.js';

test('setThreads refuses bad options with a TypeError that names them', async () => {
  const cases: [unknown, RegExp][] = [
    [null, /options must be an object/],
    ['x', /options must be an object/],
    [{ workerURL: 'a.js' }, /unknown option "workerURL"/],
    [{ workerUrl: 42 }, /workerUrl must be a string or a URL, got number/],
    [{ workerUrl: null }, /workerUrl must be a string or a URL, got null/],
  ];
  for (const [options, message] of cases) {
    let error: unknown = null;
    try {
      await setThreads(2, options as never);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof TypeError, `setThreads(2, ${JSON.stringify(options)}) must reject with a TypeError, got ${String(error)}`);
    assert.match((error as Error).message, message);
  }
  assert.is(getThreads(), 1, 'a refused call changes nothing');
});

test('with Web Workers, a workerUrl that cannot be resolved is refused at once', async () => {
  setWorkerFlavorForTests('web');
  try {
    let error: unknown = null;
    try {
      await setThreads(2, { workerUrl: 'pool-worker.js' }); // relative, and Node has no location
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof TypeError);
    assert.match((error as Error).message, /workerUrl "pool-worker\.js" is not a URL \(give an absolute URL/);
  } finally {
    setWorkerFlavorForTests('auto');
  }
});

test('workers that cannot start: setThreads resolves with 1 and the reason names the worker; a later start works', async () => {
  setWorkerFlavorForTests('web');
  try {
    assert.is(await setThreads(2), 1);
    assert.is(getThreads(), 1);
    assert.is(kernels.gemm_nn, rawKernels.gemm_nn, 'the kernels stay single-threaded');
    assert.match(threadsUnavailableReason() ?? '', /^worker thread 1 failed to start from the built-in pool worker \(blob:.*\): this engine has no Web Workers$/);
  } finally {
    setWorkerFlavorForTests('auto');
  }
  assert.is(await setThreads(2), 2, 'node:worker_threads start');
  assert.is(threadsUnavailableReason(), null, 'a start that works clears the reason');
  assert.is.not(kernels.gemm_nn, rawKernels.gemm_nn, 'the dispatchers are in place');
  // Under node:worker_threads the worker URL is not used (the package's own file is): still 2.
  assert.is(await setThreads(2, { workerUrl: 'https://example.invalid/pool-worker.js' }), 2);
  assert.is(await setThreads(1, { workerUrl: undefined }), 1);
});

test.run();
