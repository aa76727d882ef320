// The training loop of Selfish-RNN main.py / awd-lstm-lm main.py, with checkpoints that resume
// bit-identically.
//
// One epoch:
//   for each BPTT batch (hidden state carried from batch to batch, reset to zeros each epoch):
//     forward, backward, NaN/∞ check of the loss, clip the global gradient norm (and check it),
//     optimizer step (lr × seq_len/bptt for AWD random lengths), engine.afterStep
//   validation (on the averaged weights once averaging has started); best model saved
//   SGD phase: the non-monotone trigger may switch to SNT-ASGD (sparse) / ASGD (dense);
//   Adam: ReduceLROnPlateau; finetuning: the same rule stops the run
//   engine.endOfEpoch (the topology update; skipped in the epoch of the switch and after the last)
//   log line, plot, and the resumable checkpoint `last.ckpt`
// After the last epoch: the best model is evaluated on the test split.
//
// Everything that influences the computation is in the checkpoint (see `TrainingState`), and
// every random draw comes from a generator whose state is saved, so a run stopped anywhere
// between two steps (Ctrl-C, --max-steps) and resumed computes exactly the same losses as one
// that never stopped.
import { batchify, getBatch, BpttIterator, type Batchified, type BpttPosition, type BpttSpan } from '../data/batching.js';
import type { Corpus } from '../data/corpus.js';
import { Vocabulary } from '../data/vocab.js';
import { createModel, type LanguageModel, type LMState } from '../models/index.js';
import { Adam } from '../optim/adam.js';
import { ASGD } from '../optim/asgd.js';
import { clipGradNorm } from '../optim/clip-grad-norm.js';
import { beginDenseGradNorm, type DenseGradNormProbe } from '../ops/dense-grad-norm.js';
import { NonMonotoneTrigger, type NonMonotoneTriggerState } from '../optim/nt-trigger.js';
import type { Optimizer, OptimizerStateDict, OptimizerStateMeta } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { SNTASGD } from '../optim/snt-asgd.js';
import { globalRandom, Random } from '../random.js';
import type { SparseEngineLike, UpdateReport } from '../sparse/engine-api.js';
import { keep, tidy } from '../tensor.js';
import type { CheckpointTensor } from '../io/checkpoint-format.js';
import { isSparseRun, sparsityOptions, type TrainConfig } from './config.js';
import {
  decodeLMCheckpoint, encodeLMCheckpoint, getArrays, loadWeights, modelFromCheckpoint, putArrays, putWeights,
  LM_CHECKPOINT_KIND, LM_CHECKPOINT_VERSION, type LMCheckpoint, type LMCheckpointMeta,
} from './checkpoint.js';
import { disposeState, evaluate, type EvalResult } from './evaluate.js';
import { ReduceLROnPlateau, type PlateauState } from './plateau.js';
import { renderTrainingPlot, type PlotDensity } from './plot.js';
import { memoryStore, RUN_FILES, type RunStore } from './run-store.js';
import { defaultSparsity, type SparsityProvider } from './sparsity-factory.js';
import { maskedDensity, modelGateStats, pooledGateDensity, sparseValues } from './weights.js';

export type Phase = 'sgd' | 'asgd' | 'adam';

export interface EpochRecord {
  epoch: number;
  /** Global step count at the end of the epoch. */
  step: number;
  trainLoss: number;
  trainPpl: number;
  valLoss: number;
  valPpl: number;
  /** Whether this epoch's model became the best one. */
  best: boolean;
  /** Optimizer phase after the epoch (after a switch). */
  phase: Phase;
  /** True in the epoch the optimizer switched to (SNT-)ASGD. */
  switched: boolean;
  lr: number;
  /** Density of the sparse weights after the epoch's topology update. */
  density: number;
  /** Pooled [i, f, g, o] density of the LSTM matrices, or null. */
  gates: [number, number, number, number] | null;
  /** Death rate of the epoch's topology update, or null when there was none. */
  deathRate: number | null;
  removed: number | null;
  grown: number | null;
  /** Wall-clock seconds of the epoch (training + evaluation). */
  seconds: number;
  /** Fraction of the epoch's steps whose pre-clip gradient norm exceeded --clip. */
  clipFraction?: number;
}

export interface StartInfo {
  resumed: boolean;
  epoch: number;
  step: number;
  epochs: number;
  batchesPerEpoch: number;
  totalSteps: number;
  parameters: number;
  density: number;
  engine: string | null;
  phase: Phase;
  config: TrainConfig;
}

export interface StepInfo {
  epoch: number;
  /** 1-based batch index within the epoch, and the batches per epoch (estimated for random lengths). */
  batch: number;
  batches: number;
  step: number;
  loss: number;
  nll: number;
  ppl: number;
  lr: number;
  gradNorm: number;
  tokensPerSecond: number;
  /** Estimated seconds to the end of the epoch. */
  etaSeconds: number;
  phase: Phase;
}

export interface TrainEvents {
  onStart?(info: StartInfo): void;
  onStep?(info: StepInfo): void;
  onEpoch?(record: EpochRecord): void;
  onUpdate?(report: UpdateReport): void;
  /** Progress of an evaluation ('valid' at the end of each epoch, 'test' at the end). */
  onEval?(split: 'valid' | 'test', done: number, total: number): void;
  /** Every line written to the JSON-lines log. */
  onLog?(entry: Record<string, unknown>): void;
}

export type TrainStatus = 'completed' | 'max-steps' | 'interrupted';

export interface TrainResult {
  status: TrainStatus;
  epochs: number;
  steps: number;
  bestEpoch: number | null;
  /** Validation and test of the best model (or of the current one when none was saved yet); null when interrupted. */
  valLoss: number | null;
  valPpl: number | null;
  testLoss: number | null;
  testPpl: number | null;
  history: EpochRecord[];
  /** Where the run's files are (store.describe). */
  files: { last: string; best: string | null; log: string; plot: string };
}

export interface TrainerOptions {
  /** The resolved configuration (ignored when resuming: the checkpoint's is used). */
  config?: TrainConfig;
  corpus: Corpus;
  /** Where checkpoints, log and plot go (default: in memory). */
  store?: RunStore;
  /** Which sparse engine to use (default: defaultSparsity()). */
  sparsity?: SparsityProvider;
  events?: TrainEvents;
  /** Stop (with a resumable checkpoint) once this many steps have been taken in total. */
  maxSteps?: number;
  /** Steps between 'step' log lines (default 200). */
  logInterval?: number;
  /** A 'last' checkpoint to continue from. */
  resume?: LMCheckpoint;
  /** Finetuning (config.finetune): the checkpoint whose weights to start from (normally best.ckpt). */
  initFrom?: LMCheckpoint;
}

/** The training state kept in a 'last' checkpoint's meta.training. */
export interface TrainingState {
  position: BpttPosition;
  globalStep: number;
  phase: Phase;
  optimizer: OptimizerStateMeta;
  trigger: NonMonotoneTriggerState;
  plateau: PlateauState | null;
  bestValLoss: number | null;
  bestEpoch: number | null;
  lastValLoss: number | null;
  epochAcc: Accumulator & { seconds: number };
  intervalAcc: Accumulator;
  lastSpan: { i: number; seqLen: number } | null;
  history: EpochRecord[];
  densityTrack: PlotDensity[];
  rng: { model: RngState; data: RngState; global: RngState };
  engine: { name: string; meta: unknown } | null;
  hiddenLayers: number;
  finished: boolean;
  elapsedSeconds: number;
}

type RngState = ReturnType<Random['getState']>;
interface Accumulator { nllSum: number; tokens: number; steps: number; /** steps whose norm exceeded the clip (absent in old checkpoints) */ clipped?: number }

/** A training run stopped because the loss or the gradient norm stopped being finite. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(message: string, readonly step: number, readonly epoch: number, readonly lastCheckpoint: string | null) {
    super(message);
  }
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now()) / 1000;
const yieldToEventLoop = (): Promise<void> => new Promise((r) => {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
  if (immediate) immediate(r);
  else setTimeout(r, 0);
});

export class Trainer {
  readonly config: TrainConfig;
  readonly model: LanguageModel;
  readonly vocab: Vocabulary;
  readonly engine: SparseEngineLike | null;
  readonly engineName: string | null;
  readonly store: RunStore;
  private readonly corpus: Corpus;
  private readonly events: TrainEvents;
  private readonly trainData: Batchified;
  private readonly iterator: BpttIterator;
  private readonly modelRng: Random;
  private readonly dataRng: Random;
  private readonly maxSteps: number | undefined;
  private readonly logInterval: number;
  private readonly totalSteps: number;
  private optimizer: Optimizer;
  private phase: Phase;
  private trigger: NonMonotoneTrigger;
  private plateau: ReduceLROnPlateau | null;
  private hidden: LMState | null = null;
  private globalStep = 0;
  private bestValLoss: number | null = null;
  private bestEpoch: number | null = null;
  private lastValLoss: number | null = null;
  private epochAcc: Accumulator & { seconds: number } = { nllSum: 0, tokens: 0, steps: 0, clipped: 0, seconds: 0 };
  private intervalAcc: Accumulator = { nllSum: 0, tokens: 0, steps: 0, clipped: 0 };
  private lastSpan: { i: number; seqLen: number } | null = null;
  private history: EpochRecord[] = [];
  private densityTrack: PlotDensity[] = [];
  private finished = false;
  private elapsedBefore = 0;
  private segmentStart = now();
  private epochSegmentStart = now();
  private stopReason: string | null = null;
  private resumed: boolean;
  private lastSaved: string | null = null;
  private savedStep = 0;
  private running = false;
  /** Log lines are appended in order; this is the tail of that chain. */
  private pendingLog: Promise<void> = Promise.resolve();

  private constructor(o: {
    config: TrainConfig; corpus: Corpus; store: RunStore; events: TrainEvents; engine: SparseEngineLike | null; engineName: string | null;
    model: LanguageModel; modelRng: Random; dataRng: Random; maxSteps?: number; logInterval: number; resumed: boolean;
  }) {
    this.config = o.config;
    this.corpus = o.corpus;
    this.vocab = o.corpus.vocab;
    this.store = o.store;
    this.events = o.events;
    this.engine = o.engine;
    this.engineName = o.engineName;
    this.model = o.model;
    this.modelRng = o.modelRng;
    this.dataRng = o.dataRng;
    this.maxSteps = o.maxSteps;
    this.logInterval = o.logInterval;
    this.resumed = o.resumed;
    const c = o.config;
    this.trainData = batchify(o.corpus.train, c.batchSize);
    this.iterator = new BpttIterator(this.trainData, { bptt: c.bptt, variableLength: c.randomBptt, maxSeqLenDelta: c.maxSeqLenDelta, rng: this.dataRng });
    this.totalSteps = c.epochs * this.iterator.batchesPerEpoch;
    this.phase = c.finetune ? 'asgd' : c.optimizer === 'adam' ? 'adam' : 'sgd';
    this.optimizer = this.newOptimizer(this.phase);
    this.trigger = new NonMonotoneTrigger(c.nonmono);
    this.plateau = this.phase === 'adam' ? new ReduceLROnPlateau(0.5, 2, 0) : null;
  }

  /** Builds the model, the sparse engine and the optimizer (and restores a checkpoint's state). */
  static async create(opts: TrainerOptions): Promise<Trainer> {
    const resume = opts.resume;
    let config = resume ? resume.meta.config : opts.config;
    if (config === undefined) throw new TypeError('selfish-rnn: Trainer.create needs a config (or a checkpoint to resume)');
    if (resume) {
      if (resume.meta.role !== 'last' || resume.meta.training === null) throw new TypeError(`selfish-rnn: only a 'last' checkpoint (with training state) can be resumed; this one is a '${resume.meta.role}' checkpoint`);
      checkSameVocabulary(opts.corpus.vocab, Vocabulary.fromJSON(resume.meta.vocab));
    }
    if (config.lm.vocab !== opts.corpus.vocab.size) {
      if (resume || config.lm.vocab !== 0) throw new RangeError(`selfish-rnn: the model's vocabulary has ${config.lm.vocab} words but the corpus has ${opts.corpus.vocab.size}`);
      config = { ...config, lm: { ...config.lm, vocab: opts.corpus.vocab.size } };
    }
    if (config.finetune && !resume && !opts.initFrom) throw new TypeError('selfish-rnn: finetuning starts from a checkpoint (initFrom)');
    const master = new Random(config.seed);
    const modelRng = new Random(master.nextUint32());
    const dataRng = new Random(master.nextUint32());
    const engineSeed = master.nextUint32();
    const model = createModel(config.lm, {}, modelRng);
    let engine: SparseEngineLike | null = null, engineName: string | null = null;
    let trainer: Trainer | null = null;
    try {
      if (isSparseRun(config) && !config.finetune) {
        const provider = opts.sparsity ?? (await defaultSparsity());
        const batches = Math.ceil((Math.floor(opts.corpus.train.length / config.batchSize) - 1) / config.bptt); // = BpttIterator.batchesPerEpoch
        engine = provider.create(model, sparsityOptions(config, config.epochs * batches, engineSeed));
        engineName = provider.name;
      }
      if (resume) loadWeights(model, resume, 'the checkpoint to resume');
      else if (config.finetune) loadWeights(model, opts.initFrom!, 'the checkpoint to finetune');
      trainer = new Trainer({
        config, corpus: opts.corpus, store: opts.store ?? memoryStore(), events: opts.events ?? {}, engine, engineName,
        model, modelRng, dataRng, maxSteps: opts.maxSteps, logInterval: opts.logInterval ?? 200, resumed: resume !== undefined,
      });
      if (resume) trainer.restore(resume as LMCheckpoint<TrainingState>);
    } catch (e) {
      if (trainer) trainer.dispose();
      else model.dispose();
      throw e;
    }
    trainer.engine?.attachOptimizer(trainer.optimizer);
    if (!resume) trainer.densityTrack.push(trainer.densityPoint(0));
    return trainer;
  }

  /** Asks the run to stop at the next step boundary, saving a resumable checkpoint. */
  requestStop(reason = 'interrupted'): void {
    this.stopReason ??= reason;
  }

  /** Current position: epochs completed, global step. */
  get progress(): { epoch: number; step: number; phase: Phase; finished: boolean } {
    return { epoch: this.iterator.position.epoch, step: this.globalStep, phase: this.phase, finished: this.finished };
  }

  /** Trains until the configured epochs are done, maxSteps is reached or a stop is requested. */
  async run(): Promise<TrainResult> {
    if (this.running) throw new Error('selfish-rnn: Trainer.run is already running');
    this.running = true;
    try {
      this.segmentStart = now();
      this.epochSegmentStart = now();
      const start: StartInfo = {
        resumed: this.resumed, epoch: this.iterator.position.epoch, step: this.globalStep, epochs: this.config.epochs,
        batchesPerEpoch: this.iterator.batchesPerEpoch, totalSteps: this.totalSteps, parameters: this.model.numParameters(),
        density: this.density(), engine: this.engineName, phase: this.phase, config: this.config,
      };
      await this.log({ event: this.resumed ? 'resume' : 'start', epoch: start.epoch, step: start.step, parameters: start.parameters, density: start.density, engine: start.engine, phase: start.phase, ...(this.resumed ? {} : { config: this.config }) });
      this.events.onStart?.(start);
      if (this.config.finetune && !this.resumed && this.bestValLoss === null) await this.startFinetune();
      let status: TrainStatus = 'completed';
      while (!this.finished) {
        if (this.stopReason !== null) {
          await this.saveLast();
          await this.log({ event: 'interrupted', reason: this.stopReason, epoch: this.iterator.position.epoch, step: this.globalStep });
          return this.result('interrupted', null, null);
        }
        if (this.maxSteps !== undefined && this.globalStep >= this.maxSteps) {
          await this.saveLast();
          await this.log({ event: 'max-steps', step: this.globalStep });
          status = 'max-steps';
          break;
        }
        const span = this.iterator.nextSpan();
        if (span === null) {
          await this.endEpoch();
          continue;
        }
        this.trainStep(span);
        await yieldToEventLoop();
      }
      const final = await this.finalEvaluation();
      await this.log({ event: 'end', status, step: this.globalStep, valLoss: final.val?.loss ?? null, valPpl: final.val?.ppl ?? null, testLoss: final.test?.loss ?? null, testPpl: final.test?.ppl ?? null });
      return this.result(status, final.val, final.test);
    } catch (e) {
      await this.pendingLog.catch(() => {}); // the 'diverged' line is on disk before the error surfaces
      throw e;
    } finally {
      this.running = false;
    }
  }

  /** The complete training state as checkpoint bytes (what `last.ckpt` holds). */
  checkpointBytes(): Uint8Array {
    const tensors: Record<string, CheckpointTensor> = {};
    const weights = putWeights(this.model, tensors);
    const od = this.optimizer.stateDict();
    putArrays(tensors, 'optim/', od.arrays);
    let engine: TrainingState['engine'] = null;
    if (this.engine) {
      const es = this.engine.stateDict();
      putArrays(tensors, 'engine/', es.arrays);
      engine = { name: this.engineName ?? 'engine', meta: es.meta };
    }
    this.hidden?.forEach((s, l) => {
      tensors[`state/${l}.h`] = { dtype: 'f32', shape: [...s.h.shape], data: s.h.toArray() };
      tensors[`state/${l}.c`] = { dtype: 'f32', shape: [...s.c.shape], data: s.c.toArray() };
    });
    const training: TrainingState = {
      position: this.iterator.position,
      globalStep: this.globalStep,
      phase: this.phase,
      optimizer: od.meta,
      trigger: this.trigger.stateDict(),
      plateau: this.plateau?.stateDict() ?? null,
      bestValLoss: this.bestValLoss,
      bestEpoch: this.bestEpoch,
      lastValLoss: this.lastValLoss,
      epochAcc: { ...this.epochAcc, seconds: this.epochAcc.seconds + (now() - this.epochSegmentStart) },
      intervalAcc: { ...this.intervalAcc },
      lastSpan: this.lastSpan,
      history: this.history,
      densityTrack: this.densityTrack,
      rng: { model: this.modelRng.getState(), data: this.dataRng.getState(), global: globalRandom.getState() },
      engine,
      hiddenLayers: this.hidden?.length ?? 0,
      finished: this.finished,
      elapsedSeconds: this.elapsedBefore + (now() - this.segmentStart),
    };
    return encodeLMCheckpoint(this.meta('last', 'raw', weights, training), tensors);
  }

  /** Frees the model, the optimizer state and the carried hidden state. */
  dispose(): void {
    disposeState(this.hidden);
    this.hidden = null;
    this.optimizer.dispose();
    this.model.dispose();
  }

  // ---- one step ------------------------------------------------------------------------------

  private trainStep(span: BpttSpan): void {
    const c = this.config, model = this.model;
    this.hidden ??= model.initState(c.batchSize);
    const state = this.hidden;
    const step = this.globalStep + 1;
    const probe = this.denseNormProbe(step);
    let absentSquares = 0;
    let r: { loss: number; nll: number; tokens: number; state: LMState };
    try {
      r = tidy(() => {
        const { input, target } = getBatch(this.trainData, span.i, span.seqLen);
        const out = model.forward(input, target, state);
        out.loss.backward();
        return { loss: out.loss.item(), nll: out.nll.item(), tokens: input.size, state: out.state };
      });
      if (probe) absentSquares = probe.finish().absentSquares;
    } finally {
      probe?.dispose();
    }
    disposeState(this.hidden);
    this.hidden = r.state.map((s) => ({ h: keep(s.h), c: keep(s.c) }));
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.nll)) this.diverged(step, span, 'the loss', Number.isFinite(r.loss) ? r.nll : r.loss);
    const params = model.parameters();
    // Pre-clip norm: of the dense gradient (absent positions included) unless --clip-norm active.
    const norm = clipGradNorm(params, c.clip > 0 ? c.clip : Infinity, absentSquares);
    if (!Number.isFinite(norm)) this.diverged(step, span, 'the gradient norm', norm);
    const clipped = c.clip > 0 && norm > c.clip ? 1 : 0;
    const opt = this.optimizer, base = opt.lr;
    if (span.lrScale !== 1) opt.lr = base * span.lrScale;
    opt.step();
    opt.lr = base;
    this.globalStep = step;
    this.lastSpan = { i: span.i, seqLen: span.seqLen };
    const report = this.engine?.onStep({ step, epoch: span.epoch + 1, denseGradient: () => this.denseGradient() }) ?? null;
    for (const p of model.parameters()) p.zeroGrad();
    if (report) this.onTopology(report, span.epoch + (this.epochAcc.steps + 1) / Math.max(1, this.iterator.batchesPerEpoch));

    for (const acc of [this.epochAcc, this.intervalAcc]) {
      acc.nllSum += r.nll * r.tokens;
      acc.tokens += r.tokens;
      acc.steps++;
      acc.clipped = (acc.clipped ?? 0) + clipped;
    }
    const epochSeconds = this.epochAcc.seconds + (now() - this.epochSegmentStart);
    const batches = Math.max(this.iterator.batchesPerEpoch, this.epochAcc.steps);
    const batch = c.randomBptt ? this.epochAcc.steps : Math.floor(span.i / c.bptt) + 1;
    const perBatch = epochSeconds / Math.max(1, this.epochAcc.steps);
    this.events.onStep?.({
      epoch: span.epoch + 1, batch, batches, step, loss: r.loss, nll: r.nll, ppl: Math.exp(r.nll), lr: base, gradNorm: norm,
      tokensPerSecond: this.epochAcc.tokens / Math.max(epochSeconds, 1e-9), etaSeconds: Math.max(0, batches - batch) * perBatch, phase: this.phase,
    });
    if (step % this.logInterval === 0) {
      const a = this.intervalAcc, loss = a.nllSum / a.tokens;
      this.logSync({
        event: 'step', epoch: span.epoch + 1, step, batch, loss, ppl: Math.exp(loss), lr: base, gradNorm: norm, clipped: clipped === 1,
        ...(probe ? { activeGradNorm: Math.sqrt(Math.max(0, norm * norm - absentSquares)) } : {}),
        clipFraction: (a.clipped ?? 0) / Math.max(1, a.steps), tokensPerSecond: this.epochAcc.tokens / Math.max(epochSeconds, 1e-9),
      });
      this.intervalAcc = { nllSum: 0, tokens: 0, steps: 0, clipped: 0 };
    }
  }

  private diverged(step: number, span: BpttSpan, what: string, value: number): never {
    const batch = this.config.randomBptt ? this.epochAcc.steps + 1 : Math.floor(span.i / this.config.bptt) + 1;
    const where = this.lastSaved ? `the last good checkpoint is ${this.lastSaved} (step ${this.savedStep})` : 'no checkpoint had been saved yet';
    const msg = `selfish-rnn: training diverged at step ${step} (epoch ${span.epoch + 1}, batch ${batch}): ${what} is ${value}. ` +
      `This step was not applied; ${where}. Try a smaller --lr or --clip.`;
    this.logSync({ event: 'diverged', step, epoch: span.epoch + 1, batch, what, value: String(value) });
    throw new TrainingDivergedError(msg, step, span.epoch + 1, this.lastSaved);
  }

  // ---- end of epoch --------------------------------------------------------------------------

  private async endEpoch(): Promise<void> {
    const c = this.config;
    const epoch = this.iterator.position.epoch; // just completed, 1-based
    disposeState(this.hidden);
    this.hidden = null;
    const trainLoss = this.epochAcc.tokens > 0 ? this.epochAcc.nllSum / this.epochAcc.tokens : NaN;
    const averaging = this.phase === 'asgd';
    let val: EvalResult;
    let best = false;
    if (averaging) (this.optimizer as ASGD).swapAveraged();
    try {
      val = await this.evaluateSplit('valid', this.model);
      if (!Number.isFinite(val.loss)) {
        const where = this.lastSaved ? `the last good checkpoint is ${this.lastSaved}` : 'no checkpoint had been saved yet';
        throw new TrainingDivergedError(`selfish-rnn: training diverged: the validation loss after epoch ${epoch} is ${val.loss}; ${where}. Try a smaller --lr or --clip.`, this.globalStep, epoch, this.lastSaved);
      }
      if (this.bestValLoss === null || val.loss < this.bestValLoss) {
        best = true;
        this.bestValLoss = val.loss;
        this.bestEpoch = epoch;
        await this.saveBest(averaging);
      }
    } finally {
      if (averaging) (this.optimizer as ASGD).swapBack();
    }
    this.lastValLoss = val.loss;
    let switched = false;
    if (c.finetune) {
      if (this.trigger.observe(val.loss)) this.finished = true;
    } else if (this.phase === 'sgd' && (c.lrDecay ?? 1) < 1) {
      // Zaremba et al.: plain SGD, lr constant for lrDecayAfter epochs then × lrDecay per epoch.
      this.optimizer.lr = c.lr * c.lrDecay! ** Math.max(0, epoch + 1 - (c.lrDecayAfter ?? 0));
    } else if (this.phase === 'sgd') {
      // The NT trigger, or the forced switch epoch (--asgd-epoch) for short runs.
      const fired = this.trigger.observe(val.loss);
      if (fired || ((c.asgdEpoch ?? 0) > 0 && epoch >= c.asgdEpoch)) {
        this.switchToAveraging();
        switched = true;
      }
    } else if (this.phase === 'adam') {
      const lr = this.plateau!.step(val.loss, this.optimizer.lr);
      if (lr !== null) this.optimizer.lr = lr;
    }
    let update: UpdateReport | null = null;
    if (this.engine && epoch < c.epochs) {
      update = this.engine.onStep({ step: this.globalStep, epoch, epochEnd: true, skip: switched, denseGradient: () => this.denseGradient() });
      for (const p of this.model.parameters()) p.zeroGrad();
      if (update) this.onTopology(update, epoch);
    }
    if (update === null) this.densityTrack.push(this.densityPoint(epoch));
    const record: EpochRecord = {
      epoch, step: this.globalStep, trainLoss, trainPpl: finitePpl(trainLoss), valLoss: val.loss, valPpl: finitePpl(val.loss), best, phase: this.phase, switched,
      lr: this.optimizer.lr, density: this.density(), gates: pooledGateDensity(this.gateStats()),
      deathRate: update?.deathRate ?? null,
      removed: update ? update.tensors.reduce((s, t) => s + t.removed, 0) : null,
      grown: update ? update.tensors.reduce((s, t) => s + t.grown, 0) : null,
      seconds: this.epochAcc.seconds + (now() - this.epochSegmentStart),
      clipFraction: (this.epochAcc.clipped ?? 0) / Math.max(1, this.epochAcc.steps),
    };
    this.history.push(record);
    this.epochAcc = { nllSum: 0, tokens: 0, steps: 0, clipped: 0, seconds: 0 };
    this.epochSegmentStart = now();
    if (epoch >= c.epochs) this.finished = true;
    await this.log({ event: 'epoch', ...record });
    if (switched) await this.log({ event: 'switch', epoch, step: this.globalStep, optimizer: this.optimizer.kind });
    await this.saveLast();
    this.events.onEpoch?.(record);
  }

  /**
   * The probe that measures the absent positions' gradient during this step's backward, so the
   * clip sees the dense norm (src/ops/dense-grad-norm.ts); null for dense runs and --clip-norm active.
   * Its sample is seeded by (seed, step): the same on resume, nothing to save.
   */
  private denseNormProbe(step: number): DenseGradNormProbe | null {
    const mode = this.config.clipNorm ?? 'active';
    if (mode === 'active' || sparseValues(this.model).length === 0) return null;
    return beginDenseGradNorm({ mode: mode === 'dense-exact' ? 'exact' : 'sampled', seed: (Math.imul(this.config.seed, 0x9e3779b1) ^ step) >>> 0 });
  }

  /** One forward/backward pass on the epoch's last batch from a zero state (gradient-based growth). */
  private denseGradient(): void {
    const span = this.lastSpan;
    if (span === null) return;
    for (const p of this.model.parameters()) p.zeroGrad();
    tidy(() => {
      const { input, target } = getBatch(this.trainData, span.i, span.seqLen);
      this.model.forward(input, target).loss.backward();
    });
    if (this.config.clip > 0) clipGradNorm(this.model.parameters(), this.config.clip);
  }

  private switchToAveraging(): void {
    const next = this.newOptimizer('asgd');
    this.optimizer.dispose();
    this.optimizer = next;
    this.phase = 'asgd';
    this.engine?.attachOptimizer(next);
  }

  private newOptimizer(phase: Phase): Optimizer {
    const c = this.config, params = this.model.parameters();
    // Sparse values count Adam steps per entry, so a regrown weight starts like a fresh parameter.
    if (phase === 'adam') return new Adam(params, { lr: c.lr, betas: [0, 0.999], eps: 1e-9, weightDecay: c.wdecay, sparse: sparseValues(this.model) });
    if (phase === 'sgd') return new SGD(params, { lr: c.lr, weightDecay: c.wdecay });
    const sparse = sparseValues(this.model);
    const o = { lr: c.lr, t0: 0, lambd: 0, weightDecay: c.wdecay };
    return sparse.length > 0 ? new SNTASGD(params, { ...o, sparse }) : new ASGD(params, o);
  }

  private async startFinetune(): Promise<void> {
    // finetune.py: the starting point is the loaded model's validation loss, and it is the best so far.
    const val = await this.evaluateSplit('valid', this.model);
    this.bestValLoss = val.loss;
    this.lastValLoss = val.loss;
    this.bestEpoch = 0;
    await this.saveBest(false);
    await this.log({ event: 'finetune-start', valLoss: val.loss, valPpl: val.ppl });
  }

  /** Records a topology update; `x` is its position in epochs, for the plot. */
  private onTopology(report: UpdateReport, x: number): void {
    this.densityTrack.push({ epoch: x, density: report.density, gates: pooledGateDensity(report.gates) });
    this.logSync({ event: 'topology', ...report });
    this.events.onUpdate?.(report);
  }

  // ---- evaluation ----------------------------------------------------------------------------

  private evaluateSplit(split: 'valid' | 'test', model: LanguageModel): Promise<EvalResult> {
    const c = this.config;
    const batchSize = split === 'valid' ? c.evalBatchSize : c.testBatchSize;
    return evaluate(model, this.corpus[split], {
      batchSize, bptt: c.bptt,
      onProgress: async (done, total) => { this.events.onEval?.(split, done, total); await yieldToEventLoop(); },
    });
  }

  /** Validation and test of the best model if one was saved, else of the current (averaged) weights. */
  private async finalEvaluation(): Promise<{ val: EvalResult | null; test: EvalResult | null }> {
    const bytes = await this.store.read(RUN_FILES.best);
    if (bytes !== null) {
      const { model } = modelFromCheckpoint(decodeLMCheckpoint(bytes, this.store.describe(RUN_FILES.best)));
      try {
        const val = this.bestValLoss !== null ? { loss: this.bestValLoss, ppl: Math.exp(this.bestValLoss), tokens: 0 } : await this.evaluateSplit('valid', model);
        return { val, test: await this.evaluateSplit('test', model) };
      } finally {
        model.dispose();
      }
    }
    const averaging = this.phase === 'asgd';
    if (averaging) (this.optimizer as ASGD).swapAveraged();
    try {
      return { val: await this.evaluateSplit('valid', this.model), test: await this.evaluateSplit('test', this.model) };
    } finally {
      if (averaging) (this.optimizer as ASGD).swapBack();
    }
  }

  // ---- files -----------------------------------------------------------------------------------

  /** Writes last.ckpt (and refreshes the plot). */
  private async saveLast(): Promise<void> {
    await this.writePlot();
    await this.store.write(RUN_FILES.last, this.checkpointBytes());
    this.lastSaved = this.store.describe(RUN_FILES.last);
    this.savedStep = this.globalStep;
  }

  private async saveBest(averaged: boolean): Promise<void> {
    const tensors: Record<string, CheckpointTensor> = {};
    const weights = putWeights(this.model, tensors);
    const meta = this.meta('best', averaged ? 'averaged' : 'raw', weights, null);
    await this.store.write(RUN_FILES.best, encodeLMCheckpoint(meta, tensors));
  }

  private meta(role: 'last' | 'best', weightsKind: 'raw' | 'averaged', weights: LMCheckpointMeta['weights'], training: TrainingState | null): LMCheckpointMeta {
    return {
      kind: LM_CHECKPOINT_KIND, version: LM_CHECKPOINT_VERSION, role, weights_kind: weightsKind, config: this.config, vocab: this.vocab.toJSON(),
      weights,
      summary: { epoch: this.iterator.position.epoch, step: this.globalStep, valLoss: role === 'best' ? this.bestValLoss : this.lastValLoss, density: this.density(), phase: this.phase, engine: this.engineName ?? 'none' },
      training,
    };
  }

  private async writePlot(): Promise<void> {
    const svg = renderTrainingPlot(this.history, this.densityTrack, `selfish-rnn: ${this.config.model}, ${this.config.method}${this.config.method !== 'dense' ? ` at density ${this.config.density}` : ''}`);
    await this.store.write(RUN_FILES.plot, new TextEncoder().encode(svg));
  }

  private logSync(entry: Record<string, unknown>): void {
    const line = JSON.stringify({ time: new Date().toISOString(), ...entry });
    this.events.onLog?.(entry);
    this.pendingLog = this.pendingLog.then(() => this.store.append(RUN_FILES.log, line + '\n'));
  }

  private async log(entry: Record<string, unknown>): Promise<void> {
    this.logSync(entry);
    await this.pendingLog;
  }

  private async result(status: TrainStatus, val: EvalResult | null, test: EvalResult | null): Promise<TrainResult> {
    await this.pendingLog;
    const hasBest = this.bestEpoch !== null;
    return {
      status, epochs: this.iterator.position.epoch, steps: this.globalStep, bestEpoch: this.bestEpoch,
      valLoss: val?.loss ?? null, valPpl: val?.ppl ?? null, testLoss: test?.loss ?? null, testPpl: test?.ppl ?? null,
      history: this.history.slice(),
      files: { last: this.store.describe(RUN_FILES.last), best: hasBest ? this.store.describe(RUN_FILES.best) : null, log: this.store.describe(RUN_FILES.log), plot: this.store.describe(RUN_FILES.plot) },
    };
  }

  // ---- state -----------------------------------------------------------------------------------

  private density(): number {
    return this.engine ? this.engine.density() : maskedDensity(this.model);
  }

  private gateStats() {
    return this.engine ? this.engine.gateStats() : modelGateStats(this.model);
  }

  private densityPoint(epoch: number): PlotDensity {
    return { epoch, density: this.density(), gates: pooledGateDensity(this.gateStats()) };
  }

  private restore(ckpt: LMCheckpoint<TrainingState>): void {
    const t = ckpt.meta.training!;
    if (this.engine) {
      if (t.engine === null) throw new TypeError('selfish-rnn: the checkpoint has no sparse-engine state but this run uses an engine');
      this.engine.loadStateDict({ meta: t.engine.meta, arrays: getArrays(ckpt.tensors, 'engine/') });
      const want = ckpt.meta.summary.density, got = this.engine.density();
      if (Math.abs(want - got) > 1e-9) throw new Error(`selfish-rnn: after loading the checkpoint the engine reports density ${got}, the checkpoint says ${want}: the engine does not see the loaded sparse weights`);
    }
    if (t.phase !== this.phase) {
      this.optimizer.dispose();
      this.phase = t.phase;
      this.optimizer = this.newOptimizer(t.phase);
    }
    this.optimizer.loadStateDict({ meta: t.optimizer, arrays: getArrays(ckpt.tensors, 'optim/') as OptimizerStateDict['arrays'] });
    this.trigger.loadStateDict(t.trigger);
    if (t.plateau) {
      this.plateau ??= new ReduceLROnPlateau(0.5, 2, 0);
      this.plateau.loadStateDict(t.plateau);
    }
    this.modelRng.setState(t.rng.model);
    this.dataRng.setState(t.rng.data);
    globalRandom.setState(t.rng.global);
    this.iterator.position = t.position;
    this.globalStep = t.globalStep;
    this.bestValLoss = t.bestValLoss;
    this.bestEpoch = t.bestEpoch;
    this.lastValLoss = t.lastValLoss;
    this.epochAcc = { ...t.epochAcc };
    this.intervalAcc = { ...t.intervalAcc };
    this.lastSpan = t.lastSpan;
    this.history = t.history.slice();
    this.densityTrack = t.densityTrack.slice();
    this.finished = t.finished;
    this.elapsedBefore = t.elapsedSeconds;
    if (t.hiddenLayers > 0) {
      const state = this.model.initState(this.config.batchSize);
      state.forEach((s, l) => {
        for (const k of ['h', 'c'] as const) {
          const src = ckpt.tensors[`state/${l}.${k}`];
          if (src === undefined || src.data.length !== s[k].size) throw new Error(`selfish-rnn: the checkpoint's hidden state 'state/${l}.${k}' is missing or has the wrong size`);
          s[k].data.set(src.data as Float32Array);
        }
      });
      this.hidden = state;
    }
  }
}

/** exp(loss), capped at the largest double: records go into JSON, which has no Infinity. */
function finitePpl(loss: number): number {
  return Math.min(Math.exp(loss), Number.MAX_VALUE);
}

function checkSameVocabulary(corpus: Vocabulary, ckpt: Vocabulary): void {
  const a = corpus.list(), b = ckpt.list();
  if (a.length !== b.length || a.some((w, i) => w !== b[i])) {
    const i = a.findIndex((w, k) => w !== b[k]);
    throw new RangeError(`selfish-rnn: the corpus does not have the checkpoint's vocabulary (${a.length} vs ${b.length} words; first difference at id ${i < 0 ? Math.min(a.length, b.length) : i}): resume with the same data`);
  }
}
