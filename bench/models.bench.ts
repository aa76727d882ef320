// Training-step throughput of the language models: forward + backward + SGD update, in tokens/s
// (T·B tokens per step), dense against every weight matrix at lower densities (CSR, real sparse
// kernels), with the batch size and BPTT length of each configuration and the PTB vocabulary
// (10,000), and PyTorch's dense step of the same model (bench/pytorch/lm_step.py in its best CPU
// set-up, bench/pytorch/best-setup.sh) interleaved with ours: ROUNDS rounds (default 3), each
// running every configuration of ours and then PyTorch's; each figure is the best round. PyTorch's
// own figure moves by ±20% between runs on this machine, so only ratios from one such run mean
// anything; and PyTorch's OpenMP threads collapse when anything else runs: measure on an idle
// machine.
//
// Densities: dense, 0.33, and the paper's 0.1 (zaremba-medium), 0.45 (awd-lstm-mos-ptb), 0.472
// (selfish-rhn) and 0.45 (selfish-onlstm).
// Threads: every core by default, THREADS=n to choose (the count is in the JSON line; PyTorch
// gets the same). RELAXED_SIMD=1: the relaxed-SIMD kernels (see bench/relaxed.bench.ts).
// PYTORCH=0 skips PyTorch (it is skipped with a note when /usr/bin/python3 has no torch).
//
// Run: npm run bench -- models   (or: npm run build && node build/bench/models.bench.js)
// Optional: MODELS=zaremba-small,zaremba-medium to run a subset; ROUNDS=n.
// Last line: {"suite":"models","threads":n,"rounds":r,"tokens_per_s":{"zaremba-small":{"1":t,"0.33":t},...},
//             "pytorch_tokens_per_s":{"zaremba-small":t,...},"vs_pytorch":{"zaremba-small":{"1":r,"0.33":r},...}}
import { Bench } from 'tinybench';
import { availableCores, getRelaxedSimd, getThreads, memoryStats, setRelaxedSimd, setThreads, simdSupported } from '../src/index.js';
import { benchStep, threadsFromEnv } from './lm-step.js';
import { printJsonLine, runPytorch } from './common.js';

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
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const unknown = NAMES.filter((n) => !(n in DENSITIES));
if (unknown.length > 0) throw new Error(`models: unknown MODELS entry ${unknown.join(', ')}; known: ${Object.keys(DENSITIES).join(', ')}`);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`models: ROUNDS must be a positive integer, got ${process.env.ROUNDS}`);
if (process.env.RELAXED_SIMD === '1') await setRelaxedSimd(true);
const threads = await setThreads(threadsFromEnv(await availableCores()));
const big = (name: string) => name.startsWith('awd') || name.includes('large') || name.startsWith('selfish-');

/** Ours: one configuration's mean step time over a tinybench run, as tokens/s. */
async function ours(name: string, d: number): Promise<{ tps: number; tokens: number; params: number; wasmMiB: number }> {
  const lm = benchStep(name, d, VOCAB);
  // The protocol of bench/pytorch/lm_step.py: the mean of 20 steps after 3 warm-up steps (6 after
  // 2 for the large models), so the two sides' figures compare. (One warm-up step is not enough:
  // the first steps grow memory and build lazy indexes.)
  const bench = new Bench({ time: 0, iterations: big(name) ? 6 : 20, warmupIterations: big(name) ? 2 : 3, warmupTime: 0 });
  bench.add(`${name} d=${d}`, lm.step);
  await bench.warmup();
  await bench.run();
  const ms = bench.tasks[0]!.result!.mean;
  const out = { tps: lm.tokens / (ms / 1000), tokens: lm.tokens, params: lm.params, wasmMiB: memoryStats().memoryBytes / 2 ** 20 };
  lm.dispose();
  return out;
}

/** PyTorch: the same step, its best set-up, the same threads; tokens/s (mean of its steps). */
function pytorch(name: string): number | null {
  const steps = big(name) ? 6 : 20, warmup = big(name) ? 2 : 3;
  const last = runPytorch<{ tokens_per_s: Record<string, Record<string, number>> }>('models', 'lm_step.py',
    ['--models', name, '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup)]);
  return last?.tokens_per_s[name]?.['1'] ?? null;
}

const best: Record<string, Record<string, number>> = {};
const torchBest: Record<string, number> = {};
const info: Record<string, { tokens: number; params: number; wasmMiB: number }> = {};
for (let round = 1; round <= ROUNDS; round++) {
  for (const name of NAMES) {
    best[name] ??= {};
    for (const d of DENSITIES[name]!) {
      const m = await ours(name, d);
      best[name]![String(d)] = Math.max(best[name]![String(d)] ?? 0, m.tps);
      info[`${name} ${d}`] = m;
    }
    const p = pytorch(name);
    if (p !== null) torchBest[name] = Math.max(torchBest[name] ?? 0, p);
    const line = DENSITIES[name]!.map((d) => `${d}: ${Math.round(best[name]![String(d)]!)}`).join(', ');
    console.log(`round ${round}/${ROUNDS} ${name}: ours ${line}${p !== null ? `; PyTorch ${Math.round(p)}` : ''} tokens/s (best so far)`);
  }
}

const rows: Record<string, string | number>[] = [];
const tokensPerS: Record<string, Record<string, number>> = {};
const vsPytorch: Record<string, Record<string, number>> = {};
for (const name of NAMES) {
  tokensPerS[name] = {};
  for (const d of DENSITIES[name]!) {
    const tps = best[name]![String(d)]!, dense = best[name]!['1']!, torch = torchBest[name];
    tokensPerS[name]![String(d)] = Math.round(tps);
    if (torch) (vsPytorch[name] ??= {})[String(d)] = Number((tps / torch).toFixed(2));
    const m = info[`${name} ${d}`]!;
    rows.push({
      model: name, density: d, tokens: m.tokens, params: m.params, 'tokens/s': Math.round(tps),
      'vs dense': `${(tps / dense).toFixed(2)}×`, 'vs PyTorch': torch ? `${(tps / torch).toFixed(2)}×` : '', 'wasm MiB': m.wasmMiB.toFixed(0),
    });
  }
  if (torchBest[name]) rows.push({ model: name, density: 'PyTorch dense', tokens: '', params: '', 'tokens/s': Math.round(torchBest[name]!), 'vs dense': '', 'vs PyTorch': '1.00×', 'wasm MiB': '' });
}

console.log(`\nmodels: training step (forward + backward + clip + SGD), vocab ${VOCAB}, ${simdSupported ? (getRelaxedSimd() ? 'relaxed SIMD' : 'SIMD') : 'scalar'} build, ${getThreads()} thread(s), best of ${ROUNDS} interleaved round(s)`);
console.table(rows);
printJsonLine({
  suite: 'models', threads, rounds: ROUNDS, relaxedSimd: getRelaxedSimd(), tokens_per_s: tokensPerS,
  pytorch_tokens_per_s: Object.fromEntries(Object.entries(torchBest).map(([k, v]) => [k, Math.round(v)])), vs_pytorch: vsPytorch,
});
