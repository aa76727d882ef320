// `selfish-rnn eval | generate | info | export`: commands that read one checkpoint.
/// <reference types="node" />
import { applyThreads, RELAXED_SIMD_OPTION, THREADS_OPTION } from './threads-option.js';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import type { Args, Argv } from 'yargs';
import type { Corpus } from '../data/corpus.js';
import type { Vocabulary } from '../data/vocab.js';
import { removeStaleTemporaries, writeFileAtomic } from '../io/atomic-file.js';
import { modelFromCheckpoint, type LMCheckpoint } from '../train/checkpoint/checkpoint.js';
import { corpusFor, loadLMCheckpoint } from '../train/checkpoint/files.js';
import { evaluate, scoreStream } from '../train/evaluate.js';
import { exportCheckpoint } from '../train/checkpoint/export.js';
import { formatSample, sample } from '../train/generate.js';
import { RUN_FILES } from '../train/checkpoint/run-store.js';
import type { TrainingState } from '../train/run/trainer.js';
import { modelGateStats, weightSummaries } from '../train/weights.js';
import { trainingStateBytes, type TrainingStateBytes } from '../train/state-bytes.js';
import { phaseOptimizer, type Phase } from '../train/run/optimizer-phases.js';
import { flagOf } from '../config/fields.js';
import { modelFamily } from '../models/index.js';
import { EvalProgress } from './eval-progress.js';
import { bytes, grouped, int, num, ppl, str, UsageError } from './format.js';
import { forOutput } from './safe-output.js';
import { checkpointPath, dataSpec, type CliIO } from './train-command.js';

const ckptArg = (y: Argv, what: string) => y.positional('checkpoint', { type: 'string', describe: `${what} (a .ckpt file, or a run directory: its best.ckpt, else its last.ckpt with a note)` });

/** The checkpoint a command reads: a run directory without best.ckpt (stopped early) gives its last.ckpt, with a note on stderr. */
function readablePath(a: Args, io: CliIO): string {
  return checkpointPath(String(a.checkpoint), RUN_FILES.best, (note) => io.stderr.write(`selfish-rnn: note: ${note}\n`));
}

// ---- eval --------------------------------------------------------------------------------------

export function evalBuilder(y: Argv): Argv {
  return ckptArg(y, 'checkpoint to evaluate')
    .option('data', { type: 'string', defaultDescription: "the checkpoint's training data", describe: 'corpus directory or text file' })
    .option('split', { type: 'string', choices: ['valid', 'test'], default: 'valid', describe: 'which split (test: the held-out score, for the number you report)' })
    .option('batch-size', { type: 'number', defaultDescription: "the run's eval batch size (valid) / test batch size (test)", describe: 'evaluation batch size' })
    .option('bptt', { type: 'number', defaultDescription: "the run's bptt", describe: 'chunk length' })
    .option('stream', { type: 'boolean', default: false, describe: 'score one token at a time through the inference path: batch size 1, the same loss up to float rounding' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
    .option('threads', THREADS_OPTION)
    .option('relaxed-simd', RELAXED_SIMD_OPTION);
}

export async function evalCommand(a: Args, io: CliIO): Promise<number> {
  await applyThreads(a);
  const path = readablePath(a, io);
  const batchArg = int(a, 'batch-size', 1), bpttArg = int(a, 'bptt', 1);
  const dataArg = str(a, 'data');
  const ckpt = await loadLMCheckpoint(path);
  const config = ckpt.meta.config;
  const spec = dataArg === undefined ? config.data : dataFor(dataArg, config.data);
  const split = a.split as 'valid' | 'test';
  const { model, vocab } = modelFromCheckpoint(ckpt, path);
  try {
    const ids = idsIn(corpusFor(spec), split, vocab);
    const stream = a.stream === true;
    if (stream && batchArg !== undefined && batchArg !== 1) throw new UsageError(`--stream scores batch 1; drop --batch-size ${batchArg}`);
    const batchSize = stream ? 1 : batchArg ?? (split === 'valid' ? config.evalBatchSize : config.testBatchSize);
    const bptt = bpttArg ?? config.bptt;
    if (Math.floor(ids.length / batchSize) < 2) {
      throw new UsageError(`the ${split} split has ${ids.length} tokens, too few for batch size ${batchSize}: give --batch-size ${Math.max(1, Math.floor(ids.length / 2))} or less`);
    }
    // Progress on stderr for a long pass (stdout keeps only the result).
    const progress = new EvalProgress(io.stderr);
    const r = stream
      ? await scoreStream(model, ids, { onProgress: (done, total) => progress.update(split, done, total, 'tokens') })
      : await evaluate(model, ids, { batchSize, bptt, onProgress: (done, total) => progress.update(split, done, total) });
    if (a.json) {
      io.stdout.write(JSON.stringify({ checkpoint: path, data: 'path' in spec ? spec.path : spec.source, split, loss: r.loss, ppl: r.ppl, tokens: r.tokens, batchSize, ...(stream ? { stream } : { bptt }), weights: ckpt.meta.weights_kind }) + '\n');
    } else {
      const how = stream ? 'streamed token by token' : `batch size ${batchSize}, bptt ${bptt}`;
      io.stdout.write(`${split} ppl ${ppl(r.ppl)} (loss ${r.loss.toFixed(4)} nats/token over ${grouped(r.tokens)} tokens, ${how}, ${ckpt.meta.weights_kind} weights)\n`);
    }
  } finally {
    model.dispose();
  }
  return 0;
}

/** --data for eval: same source kind rules as train; text corpora keep the run's vocabulary cap. */
function dataFor(path: string, runData: LMCheckpoint['meta']['config']['data']) {
  return dataSpec(path, 'maxVocab' in runData ? runData.maxVocab : undefined);
}

/** A split's ids in the checkpoint's vocabulary (words the checkpoint lacks become its <unk>). */
function idsIn(corpus: Corpus, split: 'valid' | 'test', vocab: Vocabulary): Int32Array {
  const ids = corpus[split];
  const same = corpus.vocab.size === vocab.size && corpus.vocab.list().every((w, i) => vocab.word(i) === w);
  if (same) return ids;
  const map = new Int32Array(corpus.vocab.size);
  corpus.vocab.list().forEach((w, i) => {
    if (!vocab.has(w) && vocab.unk === null) throw new Error(`selfish-rnn: the word ${JSON.stringify(w)} of the data is not in the checkpoint's vocabulary, which has no <unk>`);
    map[i] = vocab.id(w);
  });
  return ids.map((id) => map[id]!);
}

// ---- generate ----------------------------------------------------------------------------------

/** Bound on --words: a sample is read by a person; a million words is already a book shelf. */
const MAX_WORDS = 1_000_000;

export function generateBuilder(y: Argv): Argv {
  return ckptArg(y, 'checkpoint to sample from')
    .option('words', { type: 'number', default: 100, describe: `number of words to generate (at most ${MAX_WORDS.toLocaleString('en')})` })
    .option('temperature', { type: 'number', default: 1, describe: 'softmax temperature (> 0; lower is more conservative)' })
    .option('seed', { type: 'number', default: 0, describe: 'random seed of the draws' })
    .option('prompt', { type: 'string', defaultDescription: '<eos> (start of a line)', describe: 'text to continue' })
    .option('threads', THREADS_OPTION)
    .option('relaxed-simd', RELAXED_SIMD_OPTION);
}

export async function generateCommand(a: Args, io: CliIO): Promise<number> {
  await applyThreads(a);
  const path = readablePath(a, io);
  const words = int(a, 'words', 0, MAX_WORDS)!, seed = int(a, 'seed', 0)!, temperature = num(a, 'temperature')!;
  if (!(temperature > 0)) throw new UsageError(`--temperature must be > 0, got ${temperature}`);
  const { model, vocab } = modelFromCheckpoint(await loadLMCheckpoint(path), path);
  try {
    // The corpus's words are data: on a terminal, their control characters are shown, not obeyed.
    io.stdout.write(forOutput(io.stdout, formatSample(sample(model, vocab, { words, temperature, seed, prompt: str(a, 'prompt') }))) + '\n');
  } finally {
    model.dispose();
  }
  return 0;
}

// ---- info --------------------------------------------------------------------------------------

export function infoBuilder(y: Argv): Argv {
  return ckptArg(y, 'checkpoint to describe').option('json', { type: 'boolean', default: false, describe: 'print one JSON object' });
}

export async function infoCommand(a: Args, io: CliIO): Promise<number> {
  const path = readablePath(a, io);
  const ckpt = await loadLMCheckpoint<TrainingState>(path);
  const m = ckpt.meta, c = m.config;
  const { model } = modelFromCheckpoint(ckpt, path);
  // The optimizer of the phase the run was in (an imported or user-saved model has none known).
  const phase = (['sgd', 'asgd', 'adam'] as const).find((p) => p === (m.training?.phase ?? m.summary.phase)) ?? null;
  let weights, gates, memory: TrainingStateBytes & { phase: Phase | null };
  try {
    weights = weightSummaries(model);
    gates = modelGateStats(model);
    const optimizer = phase === null ? null : phaseOptimizer(c, model, phase);
    memory = { ...trainingStateBytes(model, optimizer), phase };
    optimizer?.dispose();
  } finally {
    model.dispose();
  }
  const total = weights.reduce((s, w) => s + w.size, 0), nonzero = weights.reduce((s, w) => s + w.nnz, 0);
  const t = m.training;
  const training = t === null ? null : {
    epoch: t.position.epoch, epochs: c.epochs, step: t.globalStep, phase: t.phase, finished: t.finished,
    bestValLoss: t.bestValLoss, bestValPpl: t.bestValLoss === null ? null : Math.exp(t.bestValLoss), bestEpoch: t.bestEpoch,
    lastValLoss: t.lastValLoss, switchedAtEpoch: t.history.find((h) => h.switched)?.epoch ?? null, engine: t.engine?.name ?? null,
    elapsedSeconds: t.elapsedSeconds, history: t.history.map((h) => ({ epoch: h.epoch, trainPpl: h.trainPpl, valPpl: h.valPpl, density: h.density, phase: h.phase })),
  };
  const info = {
    checkpoint: path, bytes: statSync(path).size, role: m.role, weights: m.weights_kind,
    model: { name: c.model, ...c.lm }, method: c.method, density: c.density, data: c.data,
    parameters: { total, nonzero, density: total === 0 ? 0 : nonzero / total },
    summary: m.summary, layers: weights, gates, training, memory, config: c,
  };
  if (a.json) {
    io.stdout.write(JSON.stringify(info) + '\n');
    return 0;
  }
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`${k.padEnd(12)} ${v}`);
  row('checkpoint', `${path} (${bytes(info.bytes)}): ${m.role === 'best' ? 'best model' : m.role === 'last' ? 'training state (resumable)' : 'model'}, ${m.weights_kind} weights`);
  row('model', `${c.model}: ${modelFamily(c.lm.kind).describe(c.lm)}, vocab ${grouped(c.lm.vocab)}`);
  // Every field of the family, from its declaration (so a plugin's fields show the same way).
  row('options', Object.keys(modelFamily(c.lm.kind).fields).map((k) => `${flagOf(k)} ${String(c.lm[k])}`).join(', '));
  row('training', `${c.method}${c.method !== 'dense' ? ` at density ${c.density} (${c.sparseInit} init, death rate ${c.deathRate})` : ''}, ${c.optimizer === 'adam' ? 'Adam' : c.finetune ? 'ASGD finetuning' : 'SGD → (SNT-)ASGD'}, lr ${c.lr}, ${c.epochs} epochs, batch ${c.batchSize}×${c.bptt}; data ${'path' in c.data ? c.data.path : 'built-in Moby-Dick'}`);
  row('parameters', `${grouped(total)} weights, ${grouped(nonzero)} exist (${(100 * info.parameters.density).toFixed(1)}%)`);
  const optimizerState = phase === null ? 'no optimizer known' : memory.optimizer > 0 ? `optimizer state of ${phase === 'asgd' ? '(SNT-)ASGD' : phase === 'adam' ? 'Adam' : 'SGD'} ${bytes(memory.optimizer)}` : 'plain SGD: no optimizer state';
  row('memory', `weights + optimizer state: ${bytes(memory.total)} (${memory.ratio.toFixed(2)}× dense, ${bytes(memory.dense.total)}; weights ${bytes(memory.weights)}, ${optimizerState})`);
  if (training) {
    row('state', `epoch ${training.epoch} of ${training.epochs}, step ${grouped(training.step)}, phase ${training.phase}${training.finished ? ' (finished)' : ''}; best valid ppl ${training.bestValPpl === null ? 'none yet (no validation finished)' : ppl(training.bestValPpl)}${training.bestEpoch !== null ? ` (epoch ${training.bestEpoch})` : ''}${training.switchedAtEpoch !== null ? `; averaging since epoch ${training.switchedAtEpoch}` : ''}`);
  } else {
    row('state', `saved after epoch ${m.summary.epoch} (step ${grouped(m.summary.step)}), valid ppl ${m.summary.valLoss === null ? 'n/a' : ppl(Math.exp(m.summary.valLoss))}`);
  }
  const nameWidth = Math.max(24, ...weights.map((w) => w.name.length));
  lines.push('', `${'weight'.padEnd(nameWidth)} ${'shape'.padEnd(13)} ${'exist'.padStart(11)} ${'density'.padStart(8)}   gate densities`);
  const gateOf = new Map(gates.map((g) => [g.name, g]));
  for (const w of weights) {
    const g = gateOf.get(w.name);
    lines.push(`${w.name.padEnd(nameWidth)} ${w.shape.join('×').padEnd(13)} ${grouped(w.nnz).padStart(11)} ${w.density.toFixed(3).padStart(8)}   ${g ? g.density.map((d, k) => `${g.gates[k]} ${d.toFixed(3)}`).join(' / ') : ''}${w.sparse ? '' : g ? '' : '(dense)'}`);
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

// ---- export ------------------------------------------------------------------------------------

export function exportBuilder(y: Argv): Argv {
  return ckptArg(y, 'checkpoint to export')
    .option('format', { type: 'string', choices: ['safetensors'], default: 'safetensors', describe: 'output format' })
    .option('out', { type: 'string', defaultDescription: 'the checkpoint with .safetensors instead of .ckpt (runs/X → runs/X/best.safetensors)', describe: 'output file' })
    .option('force', { type: 'boolean', default: false, describe: 'replace the output file if it exists (never replaced otherwise)' })
    .option('masks', { type: 'boolean', default: true, describe: 'write <name>.mask (BOOL) for every sparse weight (--no-masks to leave them out)' });
}

export async function exportCommand(a: Args, io: CliIO): Promise<number> {
  const path = readablePath(a, io);
  const outArg = str(a, 'out');
  // The default output sits next to the checkpoint, as import's does next to its input.
  const out = outArg ?? path.replace(/\.ckpt$/i, '') + '.safetensors';
  if (samePath(out, path)) throw new UsageError(`--out ${resolve(out)} is the checkpoint being exported; give another file name (the checkpoint is left as it is)`);
  if (existsSync(out) && a.force !== true) {
    throw new UsageError(`${resolve(out)} already exists${outArg === undefined ? ' (the default output: the checkpoint with .safetensors)' : ''}; give another --out, or --force to replace it`);
  }
  const ckpt = await loadLMCheckpoint(path);
  const data = exportCheckpoint(ckpt, { masks: a.masks !== false });
  const stale = removeStaleTemporaries(out);
  if (stale.length > 0) io.stdout.write(`removed ${stale.length} temporary file(s) an interrupted export left next to ${resolve(out)}: ${stale.join(', ')}\n`);
  await writeFileAtomic(out, data);
  const n = Object.keys(ckpt.meta.weights).length;
  io.stdout.write(`wrote ${resolve(out)} (${bytes(data.length)}; ${n} weights as dense F32, PyTorch names${a.masks !== false ? ', with .mask for sparse ones' : ''})\n`);
  return 0;
}

/** Whether two paths name the same file (same path after resolving symbolic links, or same inode). */
export function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      try {
        return join(realpathSync(dirname(resolve(p))), basename(p)); // a new file in an existing directory
      } catch {
        return resolve(p);
      }
    }
  };
  if (real(a) === real(b)) return true;
  try {
    const x = statSync(a), y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
