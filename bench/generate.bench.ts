// Generation at batch 1: `sample` (what `selfish-rnn generate` runs) on zaremba-medium (2×650,
// vocabulary 10,000), dense and at density 0.33 (every weight matrix CSR, static uniform
// topology, as bench/lm-step.ts), 1 thread, tokens/s. Each token streams every weight it touches
// once (the two LSTM layers' W_ih and W_hh, the decoder; the embedding's one row is negligible):
// `bytes_per_token` counts those weights and, for CSR, their column indices (16-bit where the
// matrix has ≤ 65,536 columns) and row pointers. The bound: a token cannot take less than the time
// to read those bytes once at the machine's read bandwidth, measured by stream_sum (wasm SIMD, best
// of several passes) over a buffer of the same size read again and again, as generation re-reads
// its weights every token (so the bytes come from the same cache level: this machine's L3 may hold
// a whole model). `stream_gb_per_s` is that bandwidth at the dense model's size, `stream_by_size`
// each variant's and 256 MiB's; `fraction_of_bound` = achieved tokens/s ÷ bound. The 0.33 model
// is also timed with 32-bit column indices (`index_bits`: the same model built again with the
// indices forced to i32), the effect of the narrower index.
// bench/pytorch/generate.py samples the same dense model token by token (run between our rounds,
// in its best set-up, 1 thread; PYTORCH=0 skips it).
//
// Run: npm run bench -- generate   (WORDS=n words per timed sample, default 40)
// Last line: {"suite":"generate","threads":1,"generate_tokens_per_s":{"zaremba-medium":{"1":t,"0.33":t}},
//   "bytes_per_token":{...},"stream_gb_per_s":x,"fraction_of_bound":{...},"index_bits":{"0.33":{"16":t,"32":t}}}
import {
  createModel, createSparsity, createStepper, kernels, modelConfig, Random, sample, setThreads, Tensor, Vocabulary, type LanguageModel,
} from '../src/index.js';
import { forceWideIndices } from '../src/csr.js';
import { bestTimes, formatTable, machineLine, printJsonLine, round, runPytorch, type BenchTask } from './common.js';

await setThreads(1);
const NAME = 'zaremba-medium', VOCAB = 10_000;
const WORDS = Number(process.env.WORDS ?? 40);
const vocab = new Vocabulary(Array.from({ length: VOCAB }, (_, i) => (i === 0 ? '<eos>' : `w${i}`)));

/** The model at `density`; `wideIndices`: CSR column indices stored as i32 even where u16 fits. */
function model(density: number, wideIndices = false): LanguageModel {
  const prev = forceWideIndices(wideIndices);
  try {
    const m = createModel(modelConfig(NAME, { vocab: VOCAB }), {}, new Random(1));
    if (density < 1) createSparsity(m, { method: 'static', density, totalSteps: 1, seed: 1 });
    return m;
  } finally {
    forceWideIndices(prev);
  }
}

/** Bytes of weights and indices a token reads: the stepper's products plus one embedding row. */
function bytesPerToken(m: LanguageModel): number {
  const s = createStepper(m);
  const b = (s.bytesPerStep ?? NaN) + 4 * Number(m.config.emsize);
  s.dispose();
  return b;
}

/** Read bandwidth in GB/s: stream_sum over `bytes`, best of `reps` passes (the first warms). */
function streamBandwidth(bytes: number, reps = 12): number {
  const n = Math.ceil(bytes / 64) * 16;
  bytes = n * 4;
  const buf = new Tensor([n], { persistent: true });
  kernels.fill(buf.ptr, 1, n);
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    kernels.stream_sum(buf.ptr, bytes / 4);
    best = Math.min(best, performance.now() - t0);
  }
  buf.dispose();
  return bytes / best / 1e6;
}

const dense = model(1), sparse = model(0.33), sparseWide = model(0.33, true);
const variants = [
  { key: '1', label: 'dense', m: dense },
  { key: '0.33', label: 'd = 0.33, 16-bit indices', m: sparse },
  { key: '0.33 (32-bit indices)', label: 'd = 0.33, 32-bit indices', m: sparseWide },
];
let seed = 0;
const tasks: BenchTask[] = variants.map((v) => ({
  name: v.key,
  fn: () => { sample(v.m, vocab, { words: WORDS, seed: ++seed }); },
  iterations: 3,
}));

console.log(machineLine());
const bytes: Record<string, number> = {};
for (const v of variants) bytes[v.key] = bytesPerToken(v.m);
const stream: Record<string, number> = {};
for (const v of variants) stream[v.key] = streamBandwidth(bytes[v.key]!);
stream['256 MiB'] = streamBandwidth(256 << 20, 6);
// Rounds of ours and PyTorch's alternate; each side keeps its best.
const best = new Map<string, number>();
let torchBest: number | null = null;
for (let round = 0; round < 3; round++) {
  const b = await bestTimes(tasks, { rounds: 1, time: 100, warmupTime: 0, warmupIterations: 1 });
  for (const [k, v] of b) best.set(k, Math.min(best.get(k) ?? Infinity, v));
  // PyTorch's dense peer, run between our rounds so that load hits both sides alike.
  const p = runPytorch<{ generate_tokens_per_s: Record<string, Record<string, number>> }>('generate', 'generate.py', ['--threads', '1', '--words', '200', '--rounds', '3'])
    ?.generate_tokens_per_s[NAME]?.['1'] ?? null;
  if (p !== null) torchBest = Math.max(torchBest ?? 0, p);
}
const tps: Record<string, number> = {}, frac: Record<string, number> = {};
const rows: (string | number)[][] = [];
for (const v of variants) {
  const t = (WORDS * 1000) / best.get(v.key)!;
  const b = bytes[v.key]!, gbps = stream[v.key]!;
  const bound = (gbps * 1e9) / b; // tokens/s if every byte streamed at the measured bandwidth
  tps[v.key] = round(t, 1);
  frac[v.key] = round(t / bound, 3);
  rows.push([v.label, t.toFixed(1), (b / 1e6).toFixed(2), gbps.toFixed(2), bound.toFixed(0), ((t * b) / 1e9).toFixed(2), (t / bound).toFixed(3)]);
}
console.log(`\n${NAME}, vocabulary ${VOCAB}, batch 1, 1 thread, ${WORDS} words per sample; read bandwidth over 256 MiB: ${stream['256 MiB']!.toFixed(2)} GB/s`);
console.log(formatTable(['weights', 'tokens/s', 'MB/token', 'stream GB/s', 'bound tok/s', 'GB/s', 'of bound'], rows));
console.log(`\nd = 0.33 over dense: ${(tps['0.33']! / tps['1']!).toFixed(2)}×; 16-bit over 32-bit indices: ${(tps['0.33']! / tps['0.33 (32-bit indices)']!).toFixed(2)}×`);
if (torchBest !== null) console.log(`PyTorch dense (best set-up, 1 thread): ${torchBest.toFixed(1)} tokens/s; ours dense ${(tps['1']! / torchBest).toFixed(2)}×, d = 0.33 ${(tps['0.33']! / torchBest).toFixed(2)}× of it`);
dense.dispose();
sparse.dispose();
sparseWide.dispose();
printJsonLine({
  suite: 'generate',
  threads: 1,
  generate_tokens_per_s: { [NAME]: { '1': tps['1'], '0.33': tps['0.33'] } },
  pytorch_tokens_per_s: torchBest === null ? null : { [NAME]: round(torchBest, 1) },
  vs_pytorch: torchBest === null ? null : { [NAME]: { '1': round(tps['1']! / torchBest, 2), '0.33': round(tps['0.33']! / torchBest, 2) } },
  bytes_per_token: { [NAME]: { '1': bytes['1'], '0.33': bytes['0.33'] } },
  stream_gb_per_s: round(stream['1']!, 2),
  stream_by_size: Object.fromEntries(Object.entries(stream).map(([k, g]) => [k === '256 MiB' ? k : `${(bytes[k]! / 1e6).toFixed(1)} MB`, round(g, 2)])),
  fraction_of_bound: { [NAME]: { '1': frac['1'], '0.33': frac['0.33'] } },
  index_bits: { [NAME]: { '0.33': { '16': tps['0.33'], '32': tps['0.33 (32-bit indices)'] }, bytes_per_token: { '16': bytes['0.33'], '32': bytes['0.33 (32-bit indices)'] } } },
});
