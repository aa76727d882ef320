// Training-step throughput of the language models: forward + backward + SGD update, in tokens/s
// (T·B tokens per step), dense against every weight matrix at density 0.33 (the paper's RHN and
// ON-LSTM at their published densities 0.472 and 0.45) (CSR, real sparse kernels), with the batch
// size and BPTT length of each configuration and the PTB vocabulary
// (10,000). For reference, PyTorch 1.13 on a 2-core x86 CPU trains dense zaremba-small at about
// 7,200 tokens/s and zaremba-medium at about 1,700 tokens/s (issue #4).
//
// Run: npm run bench -- models   (or: npm run build && node build/bench/models.bench.js)
// Optional: MODELS=zaremba-small,zaremba-medium to run a subset.
// Last line: {"suite":"models","tokens_per_s":{"zaremba-small":{"1":t,"0.33":t},...,"selfish-rhn":{"1":t,"0.472":t},...}}
import { Bench } from 'tinybench';
import {
  clipGradNorm, createModel, createSparsity, disposeState, IntTensor, keepState, memoryStats, modelConfig, Random, SGD, simdSupported, tidy,
  type LanguageModel, type LMState,
} from '../src/index.js';

const VOCAB = 10_000;
/** Densities per model: dense and the paper's density for that network. */
const PAPER_DENSITY: Record<string, number> = { 'selfish-rhn': 0.472, 'selfish-onlstm': 0.45 };
const NAMES = (process.env.MODELS ?? 'zaremba-small,zaremba-medium,awd-lstm-mos-ptb,selfish-rhn,selfish-onlstm').split(',');

const results: Record<string, Record<string, number>> = {};
const rows: Record<string, string | number>[] = [];

for (const name of NAMES) {
  results[name] = {};
  const cfg = modelConfig(name, { vocab: VOCAB });
  const T = cfg.bptt, B = cfg.batchSize;
  for (const d of [1, PAPER_DENSITY[name] ?? 0.33]) {
    const rng = new Random(1);
    const model: LanguageModel = createModel(cfg, {}, rng);
    // Every weight matrix becomes CSR with exactly round(d·numel) uniformly placed nonzeros.
    if (d < 1) createSparsity(model, { method: 'static', density: d, totalSteps: 1, seed: 1 });
    const opt = new SGD(model.parameters(), { lr: 1, weightDecay: 1.2e-6 });
    const input = new IntTensor(Array.from({ length: T * B }, () => rng.int(VOCAB)), [T, B], { persistent: true });
    const target = new IntTensor(Array.from({ length: T * B }, () => rng.int(VOCAB)), [T * B], { persistent: true });
    let state: LMState = model.initState(B);
    const step = () => {
      const next = tidy(() => {
        const out = model.forward(input, target, state);
        out.loss.backward();
        return out.state;
      });
      disposeState(state);
      state = keepState(next);
      clipGradNorm(model.parameters(), 0.25);
      opt.step();
      opt.zeroGrad();
    };
    const big = name.startsWith('awd') || name.includes('large') || name.startsWith('selfish-');
    const bench = new Bench({ time: 0, iterations: big ? 2 : 5, warmupIterations: 1, warmupTime: 0 });
    bench.add(`${name} d=${d}`, step);
    await bench.warmup();
    await bench.run();
    const ms = bench.tasks[0]!.result!.mean;
    const tps = (T * B) / (ms / 1000);
    results[name]![String(d)] = Math.round(tps);
    rows.push({
      model: name, density: d, 'T×B': `${T}×${B}`, params: model.numParameters(), 'step ms': ms.toFixed(0), 'tokens/s': Math.round(tps),
      'vs dense': d === 1 ? '1.00×' : `${(tps / results[name]!['1']!).toFixed(2)}×`, 'wasm MiB': (memoryStats().memoryBytes / 2 ** 20).toFixed(0),
    });
    disposeState(state);
    input.dispose();
    target.dispose();
    opt.dispose();
    model.dispose();
  }
}

console.log(`\nmodels: training step (forward + backward + clip + SGD), vocab ${VOCAB}, ${simdSupported ? 'SIMD' : 'scalar'} build, single thread`);
console.table(rows);
console.log(JSON.stringify({ suite: 'models', tokens_per_s: results }));
