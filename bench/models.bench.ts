// Training-step throughput of the language models: forward + backward + SGD update, in tokens/s
// (T·B tokens per step), dense against every weight matrix at lower densities (CSR, real sparse
// kernels), with the batch size and BPTT length of each configuration and the PTB vocabulary
// (10,000). For reference, PyTorch 1.13 on a 2-core x86 CPU trains dense zaremba-small at about
// 7,200 tokens/s and zaremba-medium at about 1,700 tokens/s (issue #4).
//
// Densities: dense, 0.33, and the paper's 0.1 (zaremba-medium), 0.45 (awd-lstm-mos-ptb), 0.472
// (selfish-rhn) and 0.45 (selfish-onlstm).
// Threads: every core by default, THREADS=n to choose (the count is in the JSON line).
// RELAXED_SIMD=1: the relaxed-SIMD kernels (see bench/relaxed.bench.ts; in the JSON line).
//
// Run: npm run bench -- models   (or: npm run build && node build/bench/models.bench.js)
// Optional: MODELS=zaremba-small,zaremba-medium to run a subset.
// Last line: {"suite":"models","threads":n,"tokens_per_s":{"zaremba-small":{"1":t,"0.33":t},...,"selfish-rhn":{"1":t,"0.472":t},...}}
import { Bench } from 'tinybench';
import { availableCores, getRelaxedSimd, getThreads, memoryStats, setRelaxedSimd, setThreads, simdSupported } from '../src/index.js';
import { benchStep, threadsFromEnv } from './lm-step.js';
import { printJsonLine } from './common.js';

const VOCAB = 10_000;
/**
 * Dense, the headline 0.33, and each model's paper density: 0.1 for zaremba-medium, 0.45 for the
 * MoS, the published 0.472 (RHN) and 0.45 (ON-LSTM) for the Selfish-RNN networks.
 */
const DENSITIES: Record<string, number[]> = {
  'zaremba-small': [1, 0.33],
  'zaremba-medium': [1, 0.33, 0.1],
  'awd-lstm-mos-ptb': [1, 0.33, 0.45],
  'selfish-rhn': [1, 0.472],
  'selfish-onlstm': [1, 0.45],
};
const NAMES = (process.env.MODELS ?? 'zaremba-small,zaremba-medium,awd-lstm-mos-ptb,selfish-rhn,selfish-onlstm').split(',');
if (process.env.RELAXED_SIMD === '1') await setRelaxedSimd(true);
const threads = await setThreads(threadsFromEnv(await availableCores()));

const results: Record<string, Record<string, number>> = {};
const rows: Record<string, string | number>[] = [];

for (const name of NAMES) {
  results[name] = {};
  for (const d of DENSITIES[name] ?? [1, 0.33]) {
    const lm = benchStep(name, d, VOCAB);
    const big = name.startsWith('awd') || name.includes('large') || name.startsWith('selfish-');
    // The protocol of bench/pytorch/lm_step.py: the mean of 20 steps after 3 warm-up steps (6 after
    // 2 for the large models), so the two sides' figures compare. (One warm-up step is not enough:
    // the first steps grow memory and build lazy indexes.)
    const bench = new Bench({ time: 0, iterations: big ? 6 : 20, warmupIterations: big ? 2 : 3, warmupTime: 0 });
    bench.add(`${name} d=${d}`, lm.step);
    await bench.warmup();
    await bench.run();
    const ms = bench.tasks[0]!.result!.mean;
    const tps = lm.tokens / (ms / 1000);
    results[name]![String(d)] = Math.round(tps);
    rows.push({
      model: name, density: d, tokens: lm.tokens, params: lm.params, 'step ms': ms.toFixed(0), 'tokens/s': Math.round(tps),
      'vs dense': d === 1 ? '1.00×' : `${(tps / results[name]!['1']!).toFixed(2)}×`, 'wasm MiB': (memoryStats().memoryBytes / 2 ** 20).toFixed(0),
    });
    lm.dispose();
  }
}

console.log(`\nmodels: training step (forward + backward + clip + SGD), vocab ${VOCAB}, ${simdSupported ? (getRelaxedSimd() ? 'relaxed SIMD' : 'SIMD') : 'scalar'} build, ${getThreads()} thread(s)`);
console.table(rows);
printJsonLine({ suite: 'models', threads, relaxedSimd: getRelaxedSimd(), tokens_per_s: results });
