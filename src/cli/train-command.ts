// `selfish-rnn train`: the official repository's flags (main.py), plus run management (--save,
// --resume, --finetune, --max-steps). Flags without a value keep the recipe's default, which
// `--help` shows; values are checked before any data is read (exit code 2 on a bad one).
/// <reference types="node" />
import { MAX_VOCAB } from '../models/index.js';
import { applyThreads, RELAXED_SIMD_OPTION, THREADS_OPTION } from './threads-option.js';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Args, Argv } from 'yargs';
import type { Corpus } from '../data/corpus.js';
import { modelFamilies, modelNames, modelRecipe } from '../models/index.js';
import { isSparseRun, resolveTrainConfig, TRAIN_DEFAULTS, TRAIN_FIELDS, type TrainConfig, type TrainOptions } from '../train/config.js';
import type { LMCheckpoint } from '../train/checkpoint/checkpoint.js';
import { modelFromCheckpoint, decodeLMCheckpoint } from '../train/checkpoint/checkpoint.js';
import { checkCorpusFits } from '../train/run/corpus-fit.js';
import { corpusFor, describeData, directoryStore, loadLMCheckpoint } from '../train/checkpoint/files.js';
import { formatSample, sample } from '../train/generate.js';
import { checkTrainingMemory } from '../train/run/memory-estimate.js';
import { carryOverRun, RUN_FILES, truncateRunLog } from '../train/checkpoint/run-store.js';
import { Trainer, TrainingDivergedError, type TrainingState, type TrainResult } from '../train/run/trainer.js';
import { fieldFlagNames, fieldOptionsFrom, modelFieldFlags, withFieldFlags } from './config-flags.js';
import { bool, grouped, int, ppl, str, UsageError } from './format.js';
import { ProgressReporter } from './progress.js';
import { prepareSaveDir } from './run-dir.js';
import { checkFreshRunDir, defaultRunDir, lockRunDir } from './run-lock.js';
import { refuseEmptyDensity } from './density-check.js';
import { forOutput, type Output, type OutputLostListener } from './safe-output.js';

type Spec = Parameters<Argv['option']>[1];

/** The run's own flags (the training options and model fields come from their declarations: config-flags.ts). */
export function runFlags(): [string, Spec][] {
  return [
    ['model', { type: 'string', choices: modelNames(), defaultDescription: TRAIN_DEFAULTS.model, describe: 'named model with the training recipe of the command it reproduces (`selfish-rnn models` lists them with their sources); explicit flags override it', group: 'Run:' }],
    ['data', { type: 'string', defaultDescription: 'built-in Moby-Dick corpus', describe: 'PTB or WikiText-2 directory (train.txt/valid.txt/test.txt or wiki.*.tokens), a text file, or a directory of .txt files', group: 'Run:' }],
    ['max-vocab', { type: 'number', defaultDescription: String(TRAIN_DEFAULTS.builtinMaxVocab), describe: 'vocabulary cap for text corpora (the most frequent training words; the rest is <unk>)', group: 'Run:' }],
    ['save', { type: 'string', defaultDescription: 'runs/<model>-<method>-<time>', describe: 'run directory: last.ckpt, best.ckpt, log.jsonl, plot.svg', group: 'Run:' }],
    ['resume', { type: 'string', defaultDescription: 'none', describe: 'continue a run from its last.ckpt (or run directory), bit-identically', group: 'Run:' }],
    ['finetune', { type: 'string', defaultDescription: 'none', describe: 'AWD-style finetuning of a best.ckpt: ASGD from the start, fixed topology, non-monotone stop', group: 'Run:' }],
    ['max-steps', { type: 'number', defaultDescription: 'no limit', describe: 'stop after this many steps in total (with a resumable checkpoint)', group: 'Run:' }],
    ['log-interval', { type: 'number', defaultDescription: '200', describe: 'steps between log lines (plain output and log.jsonl)', group: 'Run:' }],
    ['test', { type: 'boolean', defaultDescription: 'when the run finishes its epochs', describe: 'end with a pass over the test split (--test also after --max-steps; --no-test never)', group: 'Run:' }],
    ['json', { type: 'boolean', defaultDescription: 'false', describe: 'print the result as one JSON object on stdout (progress goes to stderr)', group: 'Run:' }],
    ['sparse', { type: 'boolean', defaultDescription: 'false', describe: `train sparse: --method selfish unless --method is given (what runs anyway, except with a recipe of a dense command: ${denseRecipeModels().join(', ')}); the official main.py's --sparse`, group: 'Sparse training:' }],
  ];
}

/** The models whose recipe trains dense (the commands they reproduce are dense): --sparse matters for them. */
function denseRecipeModels(): string[] {
  return modelNames().filter((m) => modelRecipe(m).method === 'dense');
}

/** Flags that may be given with --resume (they do not change the computation). */
const RESUME_FLAGS = new Set(['resume', 'save', 'data', 'max-steps', 'log-interval', 'test', 'json', 'threads', 'relaxed-simd']);

export function trainBuilder(y: Argv): Argv {
  let out = y.usage(`selfish-rnn train [options]\n\nTrain a (sparse) recurrent language model (${modelFamilies().map((f) => f.title).join(', ')}). Ctrl-C (or SIGTERM, SIGHUP) saves a checkpoint; --resume continues it.`);
  for (const [name, spec] of runFlags()) out = out.option(name, spec);
  out = withFieldFlags(out);
  out = out.option('threads', { ...THREADS_OPTION, group: 'Run:' });
  out = out.option('relaxed-simd', { ...RELAXED_SIMD_OPTION, group: 'Run:' });
  return out
    .example('selfish-rnn train', 'Selfish-RNN at density 0.33 (lstm-small) on the built-in corpus')
    .example('selfish-rnn train --method dense', 'the same model, dense')
    .example('selfish-rnn train --max-steps 200', 'a quick check: 200 steps, validation, no test pass (--test adds it)')
    .example('selfish-rnn train --model selfish-lstm --data data/ptb', "the Selfish-RNN README's stacked-LSTM command on PTB (the model's recipe)")
    .example('selfish-rnn train --model selfish-rhn --data data/ptb', "the paper's RHN on PTB (the model's recipe)")
    .example('selfish-rnn train --model selfish-onlstm --data data/ptb', "the paper's ON-LSTM on PTB (the model's recipe)")
    .example('selfish-rnn train --resume runs/my-run', 'continue an interrupted run');
}

/** The flags actually given, by their kebab-case names. */
function givenFlags(a: Args): string[] {
  return [...runFlags().map(([n]) => n), ...fieldFlagNames()].filter((n) => a[n] !== undefined);
}

/** TrainOptions from the flags (values not given stay undefined: the recipe or the default decides). */
export function trainOptionsFrom(a: Args, model = str(a, 'model') ?? TRAIN_DEFAULTS.model): TrainOptions {
  const o = fieldOptionsFrom(a, model);
  if (str(a, 'model') !== undefined) o.model = model;
  // --sparse: Selfish-RNN unless --method says otherwise. No --method and no --sparse: the
  // model's recipe decides (zaremba-small is dense), else the default (selfish, TRAIN_FIELDS).
  if (bool(a, 'sparse')) {
    if (o.method === 'dense') throw new UsageError('--sparse contradicts --method dense');
    o.method ??= 'selfish';
  }
  return o;
}

/** Checks option values without data: RangeErrors become usage errors. */
function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new UsageError((e as Error).message.replace(/^selfish-rnn: /, ''));
    throw e;
  }
}

/** Loads the corpus; what is wrong with the data (missing, empty, binary, too large) is a usage error. */
function loadCorpus(spec: Parameters<typeof corpusFor>[0]): Corpus {
  try {
    return corpusFor(spec);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('selfish-rnn: ')) throw new UsageError(e.message.replace(/^selfish-rnn: /, ''));
    throw e;
  }
}

/**
 * Refuses a density that leaves no weight in the smallest recurrent matrix (its expected count under
 * the uniform initialisation is below one): such a run trains nothing.
 */
function checkDensityLeavesWeights(config: TrainConfig): void {
  if (isSparseRun(config)) refuseEmptyDensity(config.lm, config.density);
}

/** The --data argument as a DataSpec; a missing path is a usage error. */
export function dataSpec(path: string | undefined, maxVocab: number | undefined) {
  try {
    return describeData(path, maxVocab);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^selfish-rnn: /, ''));
  }
}

/**
 * A checkpoint path, or a run directory (then its `file`). A run stopped before its first
 * validation (e.g. by --max-steps) has last.ckpt but no best.ckpt: with `fallback`, its last.ckpt
 * is used and `fallback` is told a one-line note saying so; without, that is refused.
 */
export function checkpointPath(path: string, file: string, fallback?: (note: string) => void): string {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`no such checkpoint or run directory: ${full}`);
  if (statSync(full).isDirectory()) {
    const inside = join(full, file);
    if (!existsSync(inside)) {
      const last = join(full, RUN_FILES.last);
      if (file === RUN_FILES.best && existsSync(last)) {
        if (fallback) {
          fallback(`${full} has no ${file} yet (no validation has finished in this run, e.g. it stopped at --max-steps): using its ${RUN_FILES.last}, the weights where it stopped`);
          return regularFile(last);
        }
        throw new UsageError(`${full} has no ${file} yet (no validation has finished in this run, e.g. it stopped at --max-steps); give its ${RUN_FILES.last} instead: ${last}`);
      }
      throw new UsageError(`${full} is a directory without ${file}`);
    }
    return regularFile(inside);
  }
  return regularFile(full);
}

/** Refuses at once what is not a regular file (a FIFO would block the read forever, /dev/zero never ends). */
function regularFile(path: string): string {
  const st = statSync(path);
  if (!st.isFile()) throw new UsageError(`${path} is not a checkpoint file (it is ${st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file'})`);
  return path;
}

/**
 * The memory estimate (checkTrainingMemory) refuses what certainly cannot fit; a model just under
 * it can still run out of WebAssembly memory. That is still the configuration's fault: exit 2.
 */
function tooLarge(e: unknown): never {
  // A --data that is not the run's corpus (resume): the user's to fix.
  if (e instanceof RangeError && /^selfish-rnn: the corpus does not have the checkpoint's vocabulary/.test(e.message)) {
    throw new UsageError(e.message.replace(/^selfish-rnn: /, '').replace(/: resume with the same data$/, ': --data must give the corpus the run was trained on'));
  }
  if (e instanceof RangeError && /out of wasm memory/.test(e.message)) {
    throw new UsageError('this model does not fit in the WebAssembly memory (at most 4 GiB; it ran out while allocating its tensors): give smaller sizes');
  }
  throw e;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129, SIGPIPE: 141 };

export interface CliIO {
  stdout: Output;
  stderr: Output;
  /** Subscribes to the loss of stdout or stderr (a closed pipe or terminal, see safe-output.ts); returns the unsubscribe function. */
  onOutputLost?(listener: OutputLostListener): () => void;
}

export async function trainCommand(a: Args, io: CliIO): Promise<number> {
  const json = a.json === true;
  const out = json ? io.stderr : io.stdout;
  const resumeArg = str(a, 'resume'), finetuneArg = str(a, 'finetune');
  if (resumeArg !== undefined && finetuneArg !== undefined) throw new UsageError('--resume and --finetune cannot be combined');
  const maxSteps = int(a, 'max-steps', 0);
  const logInterval = int(a, 'log-interval', 1) ?? 200;
  const test = bool(a, 'test');
  let config: TrainConfig, corpus: Corpus, saveDir: string;
  let resume: LMCheckpoint | undefined, initFrom: LMCheckpoint | undefined;
  let resumedFrom: string | undefined;

  if (resumeArg !== undefined) {
    const changed = givenFlags(a).filter((f) => !RESUME_FLAGS.has(f));
    if (changed.length > 0) {
      throw new UsageError(`${changed.map((f) => `--${f}`).join(', ')} cannot be given with --resume: a resumed run keeps its configuration (allowed: ${[...RESUME_FLAGS].map((f) => `--${f}`).join(', ')})`);
    }
    const path = checkpointPath(resumeArg, RUN_FILES.last);
    resume = await loadLMCheckpoint(path);
    config = resume.meta.config;
    resumedFrom = dirname(path);
    saveDir = str(a, 'save') ?? resumedFrom;
    if (resolve(saveDir) !== resolve(resumedFrom) && existsSync(join(saveDir, RUN_FILES.last))) {
      throw new UsageError(`${resolve(saveDir)} already holds another run (${RUN_FILES.last}); resume into it with --resume ${saveDir}, or choose another --save directory`);
    }
    const dataArg = str(a, 'data');
    if (dataArg !== undefined) {
      // The run's corpus moved (or this is another copy of it): the resume's vocabulary check guards that it is the same.
      config = { ...config, data: dataSpec(dataArg, 'maxVocab' in config.data ? config.data.maxVocab : undefined) };
      resume.meta.config = config;
    }
    try {
      corpus = loadCorpus(config.data);
    } catch (e) {
      if (dataArg === undefined && e instanceof UsageError && /not found/.test(e.message)) throw new UsageError(`${e.message}; if the run's corpus moved, give its new place with --data`);
      throw e;
    }
  } else {
    let opts: TrainOptions;
    if (finetuneArg !== undefined) {
      const path = checkpointPath(finetuneArg, RUN_FILES.best);
      initFrom = await loadLMCheckpoint(path);
      const base = initFrom.meta.config;
      // What fixes the model (its name, family fields, sparsity and data) comes from the checkpoint.
      const modelFlags = new Set(modelFieldFlags().map(([f]) => f));
      const structural = givenFlags(a).filter((f) => ['model', 'method', 'sparse', 'density', 'sparse-init', 'data', 'max-vocab'].includes(f) || modelFlags.has(f));
      if (structural.length > 0) throw new UsageError(`${structural.map((f) => `--${f}`).join(', ')} cannot be given with --finetune: the model comes from the checkpoint`);
      const { lm: _lm, method: _method, ...rest } = checked(() => trainOptionsFrom(a, base.model));
      opts = { ...base, ...rest, lm: { ...base.lm }, finetune: true };
      if (opts.optimizer === 'adam') {
        throw new UsageError(`--finetune ${finetuneArg}: that run trained with Adam, and finetuning runs averaged SGD; add --optimizer sgd and an SGD learning rate (--lr, e.g. ${modelRecipe(base.model).lr ?? TRAIN_FIELDS.lr.default})`);
      }
    } else {
      opts = checked(() => trainOptionsFrom(a));
    }
    const draft = checked(() => resolveTrainConfig(opts));
    // Sizes that cannot fit whatever the vocabulary are refused before any data is read.
    checked(() => checkTrainingMemory(draft, 3));
    checkDensityLeavesWeights(draft);
    const data = initFrom ? draft.data : dataSpec(str(a, 'data'), int(a, 'max-vocab', 3, MAX_VOCAB));
    corpus = loadCorpus(data);
    config = checked(() => resolveTrainConfig({ ...opts, lm: { ...opts.lm, vocab: 0 }, data }, corpus.vocab.size));
    saveDir = str(a, 'save') ?? (finetuneArg !== undefined ? join(dirname(checkpointPath(finetuneArg, RUN_FILES.best)), 'finetune') : defaultRunDir(config.model, config.method));
    checkFreshRunDir(saveDir);
  }

  // Everything that can be checked without allocating the model, before it is allocated.
  checked(() => checkCorpusFits(corpus, config));
  checked(() => checkTrainingMemory(config, corpus.vocab.size));
  const prepared = await prepareSaveDir(saveDir);
  // Held while this process trains there; checked again under the lock (another run may have started).
  const lock = lockRunDir(prepared.dir);
  if (!resume) checkFreshRunDir(prepared.dir);
  await applyThreads(a);
  const reporter = new ProgressReporter(out, isSparseRun(config), io.stderr);
  if (lock.tookOverFrom !== null) reporter.line(`took over the lock of process ${lock.tookOverFrom}, which no longer runs (${lock.path})`);
  if (prepared.removed.length > 0) reporter.line(`removed ${prepared.removed.length} temporary file(s) left in ${prepared.dir} by an interrupted save: ${prepared.removed.join(', ')}`);
  const store = directoryStore(saveDir);
  if (resume) {
    const step = (resume.meta.training as TrainingState | null)?.globalStep ?? 0;
    if (resumedFrom !== undefined && prepared.dir !== resolve(resumedFrom)) await carryOverRun(directoryStore(resumedFrom), store, step);
    else await truncateRunLog(store, step);
  }
  const trainer = await Trainer.create({ config, corpus, store, events: reporter, maxSteps, test, logInterval, resume, initFrom }).catch(tooLarge);
  const emptyGates = trainer.engine?.gateStats().filter((g) => g.nnz.some((n) => n === 0)).map((g) => g.name) ?? [];
  if (emptyGates.length > 0) reporter.line(`warning: at density ${config.density}, some LSTM gates start without any weight (${emptyGates.slice(0, 4).join(', ')}${emptyGates.length > 4 ? ', …' : ''})`);
  // Ctrl-C, `kill` (SIGTERM) and a closed terminal (SIGHUP) all stop after the current step and
  // save a checkpoint; a second signal exits at once. Exit code 128 + the signal's number. A signal
  // outranks a lost output seen just before it (the exit code and the logged reason both name it).
  let interrupts = 0, stopSignal: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      reporter.line(`second ${sig}: exiting without saving (the last saved checkpoint is intact)`);
      process.exit(SIGNAL_EXIT[sig]);
    }
    stopSignal = sig;
    reporter.line(`${sig === 'SIGINT' ? 'interrupt' : sig}: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)`);
    trainer.requestStop(sig, true);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  // A closed pipe or terminal stops the run like the signal it stands for (printing is off by then).
  const offOutputLost = io.onOutputLost?.((sig, why) => {
    stopSignal ??= sig;
    trainer.requestStop(why);
  });
  let result: TrainResult;
  try {
    result = await trainer.run();
  } catch (e) {
    reporter.clear();
    if (e instanceof TrainingDivergedError) {
      io.stderr.write(e.message + '\n');
      return 1;
    }
    return tooLarge(e);
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    offOutputLost?.();
    trainer.dispose();
  }

  if (result.status === 'interrupted') {
    reporter.line(`interrupted at epoch ${result.epochs + 1}, step ${grouped(result.steps)}; checkpoint saved: ${result.files.last}`);
    reporter.line(`continue with: selfish-rnn train --resume ${result.files.last}`);
    if (json) io.stdout.write(JSON.stringify({ status: result.status, steps: result.steps, epochs: result.epochs, files: result.files }) + '\n');
    return SIGNAL_EXIT[stopSignal ?? 'SIGINT'];
  }
  let text = '';
  const bestBytes = result.files.best !== null ? await store.read(RUN_FILES.best) : null;
  if (bestBytes !== null) {
    const { model, vocab } = modelFromCheckpoint(decodeLMCheckpoint(bestBytes, result.files.best!));
    try {
      text = formatSample(sample(model, vocab, { words: 40, seed: config.seed }));
    } finally {
      model.dispose();
    }
  }
  const which = result.bestEpoch !== null ? `best model (epoch ${result.bestEpoch})` : 'current model (no epoch completed yet)';
  const testText = result.testPpl !== null ? `test ppl ${ppl(result.testPpl)}` : test === false ? 'test split not evaluated (--no-test)' : 'test split not evaluated (the run stopped before its last epoch; --test evaluates it)';
  reporter.line(`${result.status === 'max-steps' ? `stopped after ${grouped(result.steps)} steps (--max-steps)` : `finished ${result.epochs} epochs`}; ${which}: valid ppl ${ppl(result.valPpl)}, ${testText}`);
  if (text !== '') reporter.line(`sample: ${forOutput(out, text.replace(/\n/g, ' / '))}`);
  reporter.line(`checkpoint: ${result.files.best ?? result.files.last}${result.files.best ? `  (resume state: ${result.files.last})` : ''}`);
  reporter.line(`log: ${result.files.log}`);
  reporter.line(`plot: ${result.files.plot}`);
  if (json) {
    io.stdout.write(JSON.stringify({
      status: result.status, epochs: result.epochs, steps: result.steps, bestEpoch: result.bestEpoch,
      valLoss: result.valLoss, valPpl: result.valPpl, testLoss: result.testLoss, testPpl: result.testPpl, sample: text, files: result.files,
    }) + '\n');
  }
  return 0;
}
