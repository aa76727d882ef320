// `selfish-rnn bench`: a quick throughput check. A few training steps (forward, backward, clip,
// SGD step) of a chosen model at a chosen density on random tokens; prints tokens/s.
// For the kernel-level suites and their recorded results see bench/ and bench/RESULTS.md.
/// <reference types="node" />
import { getRelaxedSimd } from '../backend/kernel-build.js';
import { applyThreads, describeThreads, RELAXED_SIMD_OPTION, THREADS_OPTION } from './threads-option.js';
import type { Args, Argv } from 'yargs';
import { simdSupported } from '../backend/wasm.js';
import { memoryStats } from '../backend/memory.js';
import { createModel, disposeState, modelConfig, modelFamily, modelNames, modelRecipe, type AnyModelConfig, type LMState } from '../models/index.js';
import { TRAIN_FIELDS } from '../train/config.js';
import { lmStep } from '../train/run/lm-step.js';
import { fieldOptionsFrom, withFieldFlags } from './config-flags.js';
import { SGD } from '../optim/sgd.js';
import { Random } from '../random.js';
import { IntTensor } from '../tensor.js';
import { defaultSparsity } from '../train/run/sparsity-factory.js';
import { checkTrainingMemory } from '../train/run/memory-estimate.js';
import { maskedDensity } from '../train/weights.js';
import { refuseEmptyDensity } from './density-check.js';
import { grouped, int, num, str, UsageError } from './format.js';
import type { CliIO } from './train-command.js';

export function benchBuilder(y: Argv): Argv {
  return withFieldFlags(y, { model: true })
    .option('model', { type: 'string', choices: modelNames(), default: 'zaremba-small', describe: 'model configuration' })
    .option('density', { type: 'number', default: 0.33, describe: 'density of the weight matrices (1 = dense)' })
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
  const name = str(a, 'model')!;
  const overrides: Record<string, unknown> = { ...fieldOptionsFrom(a, name).lm, vocab: int(a, 'vocab', 2)! };
  if (modelFamily(modelConfig(name).kind).fields.dropout !== undefined) overrides.dropout = 0;
  let cfg: AnyModelConfig;
  try {
    cfg = modelConfig(name, overrides);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^selfish-rnn: /, ''));
  }
  // Batch and sequence length: the flags, else the model's recipe, else the defaults.
  const recipe = modelRecipe(name);
  const B = int(a, 'batch-size', 1, TRAIN_FIELDS.batchSize.max) ?? Number(recipe.batchSize ?? TRAIN_FIELDS.batchSize.default);
  const T = int(a, 'bptt', 1, TRAIN_FIELDS.bptt.max) ?? Number(recipe.bptt ?? TRAIN_FIELDS.bptt.default);
  if (density < 1) refuseEmptyDensity(cfg, density);
  // The same estimate train uses: sizes that cannot fit are refused at once, not after minutes of allocation.
  try {
    checkTrainingMemory({ batchSize: B, bptt: T, evalBatchSize: B, testBatchSize: B, density, lm: cfg }, cfg.vocab);
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
  const ids = new Int32Array((T + 1) * B);
  for (let k = 0; k < ids.length; k++) ids[k] = rng.int(cfg.vocab);
  const opt = new SGD(model.parameters(), { lr: 0.1 });
  const input = new IntTensor(ids.subarray(0, T * B), [T, B], { persistent: true }), target = new IntTensor(ids.subarray(B), [T * B], { persistent: true });
  let state: LMState = model.initState(B);
  const times: number[] = [];
  try {
    // The training step the trainer runs (src/train/run/lm-step.ts), clip 0.25 on the active weights' norm.
    for (let s = 0; s < warmup + steps; s++) {
      const t0 = performance.now();
      const r = lmStep(model, input, target, state, { optimizer: opt, clip: 0.25, step: s + 1, epoch: 1 });
      disposeState(state);
      state = r.state;
      if (s >= warmup) times.push((performance.now() - t0) / 1000);
    }
  } finally {
    disposeState(state);
    input.dispose();
    target.dispose();
  }
  const mean = times.reduce((x, y) => x + y, 0) / times.length;
  const result = {
    model: name, kind: cfg.kind, config: cfg, vocab: cfg.vocab, batchSize: B, bptt: T,
    density: maskedDensity(model), steps, msPerStep: mean * 1000, tokensPerSecond: (T * B) / mean, bestTokensPerSecond: (T * B) / times.reduce((x, y) => Math.min(x, y), Infinity),
    simd: simdSupported, relaxedSimd: getRelaxedSimd(), threads, engine: engineName, wasmMemoryBytes: memoryStats().memoryBytes,
  };
  opt.dispose();
  model.dispose();
  if (a.json) {
    io.stdout.write(JSON.stringify(result) + '\n');
  } else {
    io.stdout.write(`${name} (${modelFamily(cfg.kind).describe(cfg)}, vocab ${grouped(cfg.vocab)}) at density ${result.density.toFixed(3)}, batch ${B}×${T}: ` +
      `${grouped(result.tokensPerSecond)} tokens/s (${result.msPerStep.toFixed(1)} ms/step, mean of ${steps}; best ${grouped(result.bestTokensPerSecond)} tokens/s), ` +
      `${describeThreads()}, ${(result.wasmMemoryBytes / 2 ** 20).toFixed(0)} MiB wasm memory\n`);
  }
  return 0;
}
