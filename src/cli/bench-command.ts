// `selfish-rnn bench`: a quick throughput check. A few training steps (forward, backward, clip,
// SGD step) of a chosen model at a chosen density on random tokens; prints tokens/s.
// For the kernel-level suites and their recorded results see bench/ and bench/RESULTS.md.
/// <reference types="node" />
import { getRelaxedSimd } from '../backend/kernel-build.js';
import { applyThreads, describeThreads, RELAXED_SIMD_OPTION, THREADS_OPTION } from './threads-option.js';
import type { Args, Argv } from 'yargs';
import { simdSupported } from '../backend/wasm.js';
import { memoryStats } from '../backend/memory.js';
import { createModel, disposeState, keepState, modelConfig, MODEL_NAMES, type LMConfig, type LMState } from '../models/index.js';
import { clipGradNorm } from '../optim/clip-grad-norm.js';
import { SGD } from '../optim/sgd.js';
import { Random } from '../random.js';
import { IntTensor, tidy } from '../tensor.js';
import { defaultSparsity } from '../train/sparsity-factory.js';
import { checkTrainingMemory } from '../train/memory-estimate.js';
import { maskedDensity } from '../train/weights.js';
import { refuseEmptyDensity } from './density-check.js';
import { grouped, int, num, str, UsageError } from './format.js';
import type { CliIO } from './train-command.js';

export function benchBuilder(y: Argv): Argv {
  return y
    .option('model', { type: 'string', choices: MODEL_NAMES, default: 'zaremba-small', describe: 'model configuration' })
    .option('density', { type: 'number', default: 0.33, describe: 'density of the weight matrices (1 = dense)' })
    .option('emsize', { type: 'number', defaultDescription: "model's", describe: 'embedding size' })
    .option('nhid', { type: 'number', defaultDescription: "model's", describe: 'hidden size' })
    .option('nlayers', { type: 'number', defaultDescription: "model's", describe: 'LSTM layers' })
    .option('vocab', { type: 'number', default: 10000, describe: 'vocabulary size (PTB: 10000)' })
    .option('batch-size', { type: 'number', defaultDescription: "model's", describe: 'batch size' })
    .option('bptt', { type: 'number', defaultDescription: "model's", describe: 'sequence length' })
    .option('steps', { type: 'number', default: 5, describe: 'timed training steps' })
    .option('warmup', { type: 'number', default: 1, describe: 'untimed steps first' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
    .option('threads', THREADS_OPTION)
    .option('relaxed-simd', RELAXED_SIMD_OPTION);
}

export async function benchCommand(a: Args, io: CliIO): Promise<number> {
  const threads = await applyThreads(a);
  const density = num(a, 'density')!;
  if (!(density > 0 && density <= 1)) throw new UsageError(`--density must be in (0, 1], got ${density}`);
  const overrides: Partial<LMConfig> = { vocab: int(a, 'vocab', 2)!, dropout: 0 };
  for (const [flag, key] of [['emsize', 'emsize'], ['nhid', 'nhid'], ['nlayers', 'nlayers'], ['batch-size', 'batchSize'], ['bptt', 'bptt']] as const) {
    const v = int(a, flag, 1);
    if (v !== undefined) overrides[key] = v;
  }
  const name = str(a, 'model')!;
  let cfg: LMConfig;
  try {
    cfg = modelConfig(name, overrides);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^selfish-rnn: /, ''));
  }
  if (density < 1) refuseEmptyDensity(cfg, density);
  // The same estimate train uses: sizes that cannot fit are refused at once, not after minutes of allocation.
  try {
    checkTrainingMemory({ batchSize: cfg.batchSize, bptt: cfg.bptt, evalBatchSize: cfg.batchSize, testBatchSize: cfg.batchSize, density, maxSeqLenDelta: 0, randomBptt: false, lm: cfg }, cfg.vocab);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^selfish-rnn: /, ''));
  }
  const steps = int(a, 'steps', 1)!, warmup = int(a, 'warmup', 0)!;
  const rng = new Random(1);
  const model = createModel(cfg, {}, rng);
  let engineName = 'dense';
  if (density < 1) {
    const provider = await defaultSparsity();
    provider.create(model, { method: 'static', density, totalSteps: steps + warmup, seed: 2 });
    engineName = provider.name;
  }
  const B = cfg.batchSize, T = cfg.bptt;
  const ids = new Int32Array((T + 1) * B);
  for (let k = 0; k < ids.length; k++) ids[k] = rng.int(cfg.vocab);
  const opt = new SGD(model.parameters(), { lr: 0.1 });
  let state: LMState = model.initState(B);
  const times: number[] = [];
  try {
    for (let s = 0; s < warmup + steps; s++) {
      const t0 = performance.now();
      const r = tidy(() => {
        const out = model.forward(new IntTensor(ids.subarray(0, T * B), [T, B]), new IntTensor(ids.subarray(B), [T, B]), state);
        out.loss.backward();
        return out.state;
      });
      disposeState(state);
      state = keepState(r);
      clipGradNorm(model.parameters(), 0.25);
      opt.step();
      opt.zeroGrad();
      if (s >= warmup) times.push((performance.now() - t0) / 1000);
    }
  } finally {
    disposeState(state);
  }
  const mean = times.reduce((x, y) => x + y, 0) / times.length;
  const result = {
    model: name, kind: cfg.kind, emsize: cfg.emsize, nhid: cfg.nhid, nlayers: cfg.nlayers, vocab: cfg.vocab, batchSize: B, bptt: T,
    density: maskedDensity(model), steps, msPerStep: mean * 1000, tokensPerSecond: (T * B) / mean, bestTokensPerSecond: (T * B) / times.reduce((x, y) => Math.min(x, y), Infinity),
    simd: simdSupported, relaxedSimd: getRelaxedSimd(), threads, engine: engineName, wasmMemoryBytes: memoryStats().memoryBytes,
  };
  opt.dispose();
  model.dispose();
  if (a.json) {
    io.stdout.write(JSON.stringify(result) + '\n');
  } else {
    io.stdout.write(`${name} (${cfg.nlayers}×${cfg.nhid}, emsize ${cfg.emsize}, vocab ${grouped(cfg.vocab)}) at density ${result.density.toFixed(3)}, batch ${B}×${T}: ` +
      `${grouped(result.tokensPerSecond)} tokens/s (${result.msPerStep.toFixed(1)} ms/step, mean of ${steps}; best ${grouped(result.bestTokensPerSecond)} tokens/s), ` +
      `${describeThreads()}, ${(result.wasmMemoryBytes / 2 ** 20).toFixed(0)} MiB wasm memory\n`);
  }
  return 0;
}
