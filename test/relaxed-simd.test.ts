// The opt-in relaxed-SIMD kernels (f32x4.relaxed_madd). scripts/run-tests.mjs runs this file with
// node --experimental-wasm-relaxed-simd on Node < 22, so the relaxed builds validate here. Checked:
// switching keeps every tensor; the relaxed kernels match the TypeScript reference and their thread
// shares give the single call's bits (the cases of test/threads.test.ts); training is bit-identical
// across thread counts and stays within rounding of the standard build; and the CLI flag refuses
// clearly where the engine lacks relaxed SIMD.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildSupported, engineSparsity, getRelaxedSimd, memoryStore, relaxedSimdUnavailableReason, resolveTrainConfig,
  setRelaxedSimd, setThreads, Tensor, Trainer, kernels, type TrainOptions,
} from '../src/index.js';
import { rawKernels } from '../src/backend/wasm.js';
import { forceSplitForTests } from '../src/backend/threads.js';
import { loadDefaultCorpus } from '../src/node.js';
import { registerParallelKernelTests } from './helpers/parallel-kernel-cases.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const full = loadDefaultCorpus({ maxVocab: 300 });
const corpus = { vocab: full.vocab, train: full.train.slice(0, 4_000), valid: full.valid.slice(0, 500), test: full.test.slice(0, 500) };
// A topology update at the end of each epoch; SNT-ASGD from epoch 2 on.
const RUN: TrainOptions = {
  model: 'lstm-small', lm: { emsize: 20, nhid: 23, dropout: 0.2 }, method: 'selfish', density: 0.4, deathRate: 0.5,
  epochs: 2, nonmono: 50, asgdEpoch: 1, lr: 20, batchSize: 10, bptt: 20,
};

async function losses(threads: number): Promise<number[]> {
  assert.is(await setThreads(threads), threads);
  const out: number[] = [];
  const trainer = await Trainer.create({
    config: resolveTrainConfig(RUN, corpus.vocab.size), corpus, store: memoryStore(), sparsity: engineSparsity, logInterval: 1000,
    events: { onStep: (s) => out.push(s.loss) },
  });
  try { await trainer.run(); } finally { trainer.dispose(); }
  return out;
}

// Before switching: the standard build's losses, and a tensor that must survive the switch.
assert.ok(buildSupported('threads-relaxed') && buildSupported('simd-relaxed'), `relaxed SIMD validates here (${relaxedSimdUnavailableReason()})`);
const standardLosses = await losses(1);
const kept = new Tensor([1000], { persistent: true });
for (let i = 0; i < 1000; i++) kept.data[i] = Math.sin(i) * 1e3;
const keptBefore = Float32Array.from(kept.data);
const gemmBefore = rawKernels.gemm_nn;
await setRelaxedSimd(true);

test('switching to relaxed SIMD keeps the tensors and replaces the kernels', () => {
  assert.ok(getRelaxedSimd());
  assert.ok(rawKernels.gemm_nn !== gemmBefore && kernels.gemm_nn === rawKernels.gemm_nn);
  assert.equal(Array.from(kept.data), Array.from(keptBefore));
});

registerParallelKernelTests('relaxed SIMD');

test('training with relaxed SIMD: the same bits on 1, 2 and 3 threads, within rounding of the standard build', async () => {
  forceSplitForTests(true);
  try {
    const one = await losses(1), two = await losses(2), three = await losses(3);
    assert.ok(one.length > 30, `${one.length} steps`);
    for (const [other, n] of [[two, 2], [three, 3]] as const) {
      const i = one.findIndex((x, k) => !Object.is(x, other[k]));
      assert.is(i, -1, `${n} threads, step ${i + 1}: ${one[i]} vs ${other[i]}`);
    }
    assert.is(one.length, standardLosses.length);
    const worst = Math.max(...one.map((x, k) => Math.abs(x - standardLosses[k]!) / Math.abs(standardLosses[k]!)));
    assert.ok(worst < 1e-3, `relaxed vs standard: max relative loss difference ${worst}`);
  } finally {
    forceSplitForTests(false);
    await setThreads(1);
  }
});

test('back to the standard kernels, and setRelaxedSimd validates its argument', async () => {
  await setRelaxedSimd(false);
  assert.ok(!getRelaxedSimd());
  let threw = false;
  try { await setRelaxedSimd('yes' as unknown as boolean); } catch (e) { threw = e instanceof TypeError; }
  assert.ok(threw);
  assert.equal(await losses(1), standardLosses, 'the standard kernels give the standard bits again');
});

test('--relaxed-simd without engine support is a usage error naming the fix (with support, it runs)', () => {
  const major = Number(process.versions.node.split('.')[0]);
  const r = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'bench', '--model', 'lstm-small', '--emsize', '8', '--nhid', '8', '--steps', '1', '--relaxed-simd', '--json'], { encoding: 'utf8' });
  if (major < 22) {
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, /--relaxed-simd: .*--experimental-wasm-relaxed-simd/);
  } else {
    assert.is(r.status, 0, r.stderr);
    assert.is(JSON.parse(r.stdout.trim().split('\n').pop()!).relaxedSimd, true);
  }
});

test.run();
