// The training loop of Selfish-RNN main.py / awd-lstm-lm main.py, with checkpoints that resume
// bit-identically.
//
// One epoch:
//   for each BPTT batch (hidden state carried from batch to batch, reset to zeros each epoch):
//     forward, backward (measuring the absent positions' gradient for the dense clip norm, and for
//     SNFS capturing it densely for the engine's momentum),
//     NaN/∞ check of the loss, clip the global gradient norm (and check it), optimizer step
//     (lr × seq_len/bptt for AWD random lengths), engine.onStep
//   validation (on the averaged weights once averaging has started); best model saved
//   the optimizer phase rule (optimizer-phases.ts: NT trigger → (SNT-)ASGD, step decay, plateau, finetune stop)
//   engine.onStep at the epoch end (the topology update; skipped in the epoch of the switch and after the last)
//   log line, plot (run-log.ts), and the resumable checkpoint `last.ckpt`
// After the last epoch: the best model is evaluated on the test split (after a stop at maxSteps
// only when asked: TrainerOptions.test).
//
// Everything that influences the computation is in the checkpoint (see `TrainingState`: the
// run's progress as one object, run-state.ts, plus the state dicts of the optimizer phases, the
// engine and the generators), so a run stopped anywhere between two steps (Ctrl-C, --max-steps)
// and resumed computes exactly the same losses as one that never stopped.
import { batchify, getBatch, BpttIterator, type Batchified, type BpttSpan } from '../../data/batching.js';
import type { Corpus } from '../../data/corpus.js';
import { Vocabulary } from '../../data/vocab.js';
import { createModel, type LanguageModel, type LMState } from '../../models/index.js';
import { clipGradNorm } from '../../optim/clip-grad-norm.js';
import { globalRandom, Random } from '../../random.js';
import type { SparseEngineLike, UpdateReport } from '../../sparse/engine-api.js';
import { tidy } from '../../tensor.js';
import type { CheckpointTensor } from '../../io/checkpoint-format.js';
import { isSparseRun, sparsityOptions, type TrainConfig } from '../config.js';
import {
  asCheckpointError, buildModelFor, decodeLMCheckpoint, encodeLMCheckpoint, loadCheckpointWeights, modelFromCheckpoint, putWeights, type LMCheckpoint,
} from '../checkpoint/checkpoint.js';
import { checkCorpusFits } from './corpus-fit.js';
import { divergedLoss } from './divergence.js';
import { disposeState, evaluate, type EvalResult } from '../evaluate.js';
import { yieldToEventLoop } from './event-loop.js';
import { lmStep, type LMStepResult } from './lm-step.js';
import { OptimizerPhases } from './optimizer-phases.js';
import type { PlotDensity } from './plot.js';
import { RunLog } from './run-log.js';
import { emptyEpochAcc, freshProgress, type EpochRecord, type Phase, type RunProgress } from './run-state.js';
import { memoryStore, RUN_FILES, type RunStore } from '../checkpoint/run-store.js';
import { defaultSparsity } from './sparsity-factory.js';
import { RunFiles } from './run-files.js';
import { checkpointMeta, encodeLast, restoreRun, runDensity, type RunParts } from './training-state.js';
import { modelGateStats, pooledGateDensity } from '../weights.js';
import { TrainingDivergedError, type StartInfo, type TrainEvents, type TrainerOptions, type TrainingState, type TrainResult, type TrainStatus } from './trainer-types.js';

export type { EpochRecord, Phase, RunProgress } from './run-state.js';
export type { StartInfo, StepInfo, TrainEvents, TrainStatus, TrainResult, TrainerOptions, TrainingState } from './trainer-types.js';
export { TrainingDivergedError, RunFilesError } from './trainer-types.js';

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now()) / 1000;

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
  private readonly test: boolean | undefined;
  private readonly logInterval: number;
  private readonly totalSteps: number;
  private readonly phases: OptimizerPhases;
  private hidden: LMState | null = null;
  /** Everything the loop accumulates (saved and restored as one object). */
  private p: RunProgress = freshProgress();
  private elapsedBefore = 0;
  private segmentStart = now();
  private epochSegmentStart = now();
  private stopReason: string | null = null;
  private resumed: boolean;
  private running = false;
  private readonly runLog: RunLog;
  private files!: RunFiles;

  private constructor(o: {
    config: TrainConfig; corpus: Corpus; store: RunStore; events: TrainEvents; engine: SparseEngineLike | null; engineName: string | null;
    model: LanguageModel; modelRng: Random; dataRng: Random; maxSteps?: number; test?: boolean; logInterval: number; resumed: boolean;
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
    this.test = o.test;
    this.logInterval = o.logInterval;
    this.resumed = o.resumed;
    const c = o.config;
    this.trainData = batchify(o.corpus.train, c.batchSize);
    this.iterator = new BpttIterator(this.trainData, { bptt: c.bptt, variableLength: c.randomBptt, maxSeqLenDelta: c.maxSeqLenDelta, rng: this.dataRng });
    this.totalSteps = c.epochs * this.iterator.batchesPerEpoch;
    this.phases = new OptimizerPhases(c, o.model);
    // A log or plot that cannot be written stops the run at the next step boundary (RunFiles.stopIfFailed).
    this.runLog = new RunLog(o.store, (e) => this.events.onLog?.(e), () => this.requestStop('the run files could not be written'));
    this.useFiles(0);
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
    checkCorpusFits(opts.corpus, config);
    if (config.finetune && !resume && !opts.initFrom) throw new TypeError('selfish-rnn: finetuning starts from a checkpoint (initFrom)');
    const master = new Random(config.seed);
    const modelRng = new Random(master.nextUint32());
    const dataRng = new Random(master.nextUint32());
    const engineSeed = master.nextUint32();
    const model = resume ? buildModelFor(resume, modelRng) : createModel(config.lm, {}, modelRng);
    const globalRngBefore = globalRandom.getState(); // restore() sets it: put it back if resuming fails
    let engine: SparseEngineLike | null = null, engineName: string | null = null;
    let trainer: Trainer | null = null;
    try {
      if (isSparseRun(config) && !config.finetune) {
        const provider = opts.sparsity ?? (await defaultSparsity());
        const batches = Math.ceil((Math.floor(opts.corpus.train.length / config.batchSize) - 1) / config.bptt); // = BpttIterator.batchesPerEpoch
        engine = provider.create(model, sparsityOptions(config, config.epochs * batches, engineSeed));
        engineName = provider.name;
      }
      if (resume) loadCheckpointWeights(model, resume, 'the checkpoint to resume');
      else if (config.finetune) loadCheckpointWeights(model, opts.initFrom!, 'the checkpoint to finetune');
      trainer = new Trainer({
        config, corpus: opts.corpus, store: opts.store ?? memoryStore(), events: opts.events ?? {}, engine, engineName,
        model, modelRng, dataRng, maxSteps: opts.maxSteps, test: opts.test, logInterval: opts.logInterval ?? 200, resumed: resume !== undefined,
      });
      if (resume) {
        const r = restoreRun(trainer.parts(), resume as LMCheckpoint<TrainingState>);
        Object.assign(trainer, { p: r.progress, elapsedBefore: r.elapsedBefore, hidden: r.hidden });
        trainer.useFiles(r.savedStep);
      }
    } catch (e) {
      if (trainer) trainer.dispose();
      else model.dispose();
      globalRandom.setState(globalRngBefore);
      throw resume ? asCheckpointError(e, resume) : e;
    }
    trainer.engine?.attachOptimizer(trainer.phases.optimizer);
    if (!resume) trainer.p.densityTrack.push(trainer.densityPoint(0));
    return trainer;
  }

  /**
   * Asks the run to stop at the next step boundary, saving a resumable checkpoint. The first reason
   * stands, unless `replace`: a signal outranks the lost output it caused (Ctrl-C kills the `tee`
   * too, and the failed write may be seen first).
   */
  requestStop(reason = 'interrupted', replace = false): void {
    if (replace) this.stopReason = reason;
    else this.stopReason ??= reason;
  }

  /** Current position: epochs completed, global step. */
  get progress(): { epoch: number; step: number; phase: Phase; finished: boolean } {
    return { epoch: this.iterator.position.epoch, step: this.p.globalStep, phase: this.phases.phase, finished: this.p.finished };
  }

  /** Trains until the configured epochs are done, maxSteps is reached or a stop is requested. */
  async run(): Promise<TrainResult> {
    if (this.running) throw new Error('selfish-rnn: Trainer.run is already running');
    this.running = true;
    try {
      this.segmentStart = now();
      this.epochSegmentStart = now();
      const start: StartInfo = {
        resumed: this.resumed, epoch: this.iterator.position.epoch, step: this.p.globalStep, epochs: this.config.epochs,
        batchesPerEpoch: this.iterator.batchesPerEpoch, totalSteps: this.totalSteps, parameters: this.model.numParameters(),
        density: this.density(), engine: this.engineName, phase: this.phases.phase, config: this.config,
      };
      await this.log({ event: this.resumed ? 'resume' : 'start', epoch: start.epoch, step: start.step, parameters: start.parameters, density: start.density, engine: start.engine, phase: start.phase, ...(this.resumed ? {} : { config: this.config }) });
      this.events.onStart?.(start);
      if (this.config.finetune && !this.resumed && this.p.bestValLoss === null) await this.startFinetune();
      let status: TrainStatus = 'completed';
      while (!this.p.finished) {
        await this.files.stopIfFailed();
        if (this.stopReason !== null) {
          await this.files.saveLast();
          await this.log({ event: 'interrupted', reason: this.stopReason, epoch: this.iterator.position.epoch, step: this.p.globalStep });
          return this.result('interrupted', null, null);
        }
        if (this.maxSteps !== undefined && this.p.globalStep >= this.maxSteps) {
          await this.files.saveLast();
          await this.log({ event: 'max-steps', step: this.p.globalStep });
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
      const final = await this.finalEvaluation(this.test ?? status === 'completed');
      await this.log({ event: 'end', status, step: this.p.globalStep, valLoss: final.val?.loss ?? null, valPpl: final.val?.ppl ?? null, testLoss: final.test?.loss ?? null, testPpl: final.test?.ppl ?? null });
      for (const [split, r] of [['validation', final.val], ['test', final.test]] as const) {
        if (r !== null && !Number.isFinite(r.loss)) {
          const which = this.p.bestEpoch !== null ? `the best model (epoch ${this.p.bestEpoch})` : 'the current model';
          throw new TrainingDivergedError(`selfish-rnn: training failed: the ${split} loss of ${which} is ${r.loss}, so its perplexity means nothing; the run's checkpoints are ${this.store.describe(RUN_FILES.last)}${this.p.bestEpoch !== null ? ` and ${this.store.describe(RUN_FILES.best)}` : ''}.`, this.p.globalStep, this.iterator.position.epoch, this.files.lastSaved);
        }
      }
      await this.files.stopIfFailed();
      return this.result(status, final.val, final.test);
    } catch (e) {
      await this.runLog.flush().catch(() => {}); // the 'diverged' line is on disk before the error surfaces
      throw e;
    } finally {
      this.running = false;
    }
  }

  /** The complete training state as checkpoint bytes (what `last.ckpt` holds). */
  checkpointBytes(): Uint8Array {
    return encodeLast(this.parts(), this.hidden, this.p, {
      epochSeconds: this.p.epochAcc.seconds + (now() - this.epochSegmentStart), elapsedSeconds: this.elapsedBefore + (now() - this.segmentStart),
    });
  }

  /** The run's files (./run-files.ts), which know the step of the checkpoint it resumed from. */
  private useFiles(resumedStep: number): void {
    this.files = new RunFiles(this.store, this.runLog, {
      model: this.model, step: () => this.p.globalStep, epoch: () => this.iterator.position.epoch + 1,
      lastBytes: () => this.checkpointBytes(), bestBytes: (averaged) => this.bestBytes(averaged), plot: () => this.writePlot(),
    }, this.resumed, resumedStep);
  }

  private bestBytes(averaged: boolean): Uint8Array {
    const tensors: Record<string, CheckpointTensor> = {};
    const weights = putWeights(this.model, tensors);
    return encodeLMCheckpoint(checkpointMeta(this.parts(), this.p, 'best', averaged ? 'averaged' : 'raw', weights, null), tensors);
  }

  /** What the checkpoint code reads and restores (./training-state.ts). */
  private parts(): RunParts {
    return { config: this.config, vocab: this.vocab, model: this.model, phases: this.phases, engine: this.engine, engineName: this.engineName, iterator: this.iterator, modelRng: this.modelRng, dataRng: this.dataRng };
  }

  /** Frees the model, the optimizer state and the carried hidden state. */
  dispose(): void {
    disposeState(this.hidden);
    this.hidden = null;
    this.phases.optimizer.dispose();
    this.model.dispose();
  }

  // ---- one step ------------------------------------------------------------------------------

  private trainStep(span: BpttSpan): void {
    const c = this.config, model = this.model;
    this.hidden ??= model.initState(c.batchSize);
    const step = this.p.globalStep + 1;
    const base = this.phases.optimizer.lr;
    const { input, target } = getBatch(this.trainData, span.i, span.seqLen);
    let r: LMStepResult;
    try {
      r = lmStep(model, input, target, this.hidden, {
        optimizer: this.phases.optimizer, clip: c.clip, clipNorm: c.clipNorm, engine: this.engine, lrScale: span.lrScale, step, epoch: span.epoch + 1,
        seed: c.seed, denseGradient: () => this.denseGradient(), onNonFinite: (what, value) => this.diverged(step, span, what, value),
      });
    } finally {
      input.dispose();
      target.dispose();
    }
    disposeState(this.hidden);
    this.hidden = r.state;
    const norm = r.gradNorm, clipped = r.clipped ? 1 : 0, absentSquares = r.absentSquares;
    this.p.globalStep = step;
    this.p.lastSpan = { i: span.i, seqLen: span.seqLen };
    if (r.report) this.onTopology(r.report, span.epoch + (this.p.epochAcc.steps + 1) / Math.max(1, this.iterator.batchesPerEpoch));

    for (const acc of [this.p.epochAcc, this.p.intervalAcc]) {
      acc.nllSum += r.nll * r.tokens;
      acc.tokens += r.tokens;
      acc.steps++;
      acc.clipped = (acc.clipped ?? 0) + clipped;
    }
    const epochSeconds = this.p.epochAcc.seconds + (now() - this.epochSegmentStart);
    const batches = Math.max(this.iterator.batchesPerEpoch, this.p.epochAcc.steps);
    const batch = c.randomBptt ? this.p.epochAcc.steps : Math.floor(span.i / c.bptt) + 1;
    const perBatch = epochSeconds / Math.max(1, this.p.epochAcc.steps);
    this.events.onStep?.({
      epoch: span.epoch + 1, batch, batches, step, loss: r.loss, nll: r.nll, ppl: Math.exp(r.nll), lr: base, gradNorm: norm,
      tokensPerSecond: this.p.epochAcc.tokens / Math.max(epochSeconds, 1e-9), etaSeconds: Math.max(0, batches - batch) * perBatch, phase: this.phases.phase,
    });
    if (step % this.logInterval === 0) {
      const a = this.p.intervalAcc, loss = a.nllSum / a.tokens;
      this.logSync({
        event: 'step', epoch: span.epoch + 1, step, batch, loss, ppl: Math.exp(loss), lr: base, gradNorm: norm, clipped: clipped === 1,
        ...(absentSquares > 0 ? { activeGradNorm: Math.sqrt(Math.max(0, norm * norm - absentSquares)) } : {}),
        clipFraction: (a.clipped ?? 0) / Math.max(1, a.steps), tokensPerSecond: this.p.epochAcc.tokens / Math.max(epochSeconds, 1e-9),
      });
      this.p.intervalAcc = { nllSum: 0, tokens: 0, steps: 0, clipped: 0 };
    }
  }

  private diverged(step: number, span: BpttSpan, what: string, value: number): never {
    const batch = this.config.randomBptt ? this.p.epochAcc.steps + 1 : Math.floor(span.i / this.config.bptt) + 1;
    const where = this.files.lastGood();
    const msg = `selfish-rnn: training diverged at step ${step} (epoch ${span.epoch + 1}, batch ${batch}): ${what} is ${value}. ` +
      `This step was not applied; ${where}. Try a smaller --lr or --clip.`;
    this.logSync({ event: 'diverged', step, epoch: span.epoch + 1, batch, what, value: String(value) });
    throw new TrainingDivergedError(msg, step, span.epoch + 1, this.files.lastSaved);
  }

  // ---- end of epoch --------------------------------------------------------------------------

  private async endEpoch(): Promise<void> {
    const c = this.config;
    const epoch = this.iterator.position.epoch; // just completed, 1-based
    disposeState(this.hidden);
    this.hidden = null;
    const trainLoss = this.p.epochAcc.tokens > 0 ? this.p.epochAcc.nllSum / this.p.epochAcc.tokens : NaN;
    let val: EvalResult;
    let best = false;
    const averaging = this.phases.swapAveraged();
    try {
      val = await this.evaluateSplit('valid', this.model);
      const why = divergedLoss(val.loss, this.vocab.size) ?? (Number.isNaN(trainLoss) ? null : divergedLoss(trainLoss, this.vocab.size)); // NaN: no step this epoch
      if (why !== null) {
        const what = divergedLoss(val.loss, this.vocab.size) !== null ? 'validation' : 'training';
        const where = this.files.lastGood();
        await this.log({ event: 'diverged', step: this.p.globalStep, epoch, what: `the ${what} loss`, value: String(what === 'validation' ? val.loss : trainLoss) });
        throw new TrainingDivergedError(`selfish-rnn: training diverged: the ${what} loss after epoch ${epoch} ${why}; ${where}. Try a smaller --lr or --clip.`, this.p.globalStep, epoch, this.files.lastSaved);
      }
      if (this.p.bestValLoss === null || val.loss < this.p.bestValLoss) {
        best = true;
        this.p.bestValLoss = val.loss;
        this.p.bestEpoch = epoch;
        await this.files.saveBest(averaging);
      }
    } finally {
      this.phases.swapBack(averaging);
    }
    this.p.lastValLoss = val.loss;
    // The optimizer's phase rule (NT trigger / step decay / plateau / finetune stop).
    const { switched, stop } = this.phases.endOfEpoch(val.loss, epoch);
    if (stop) this.p.finished = true;
    if (switched) this.engine?.attachOptimizer(this.phases.optimizer);
    let update: UpdateReport | null = null;
    if (this.engine && epoch < c.epochs) {
      update = this.engine.onStep({ step: this.p.globalStep, epoch, epochEnd: true, skip: switched, denseGradient: () => this.denseGradient() });
      for (const p of this.model.parameters()) p.zeroGrad();
      if (update) this.onTopology(update, epoch);
    }
    if (update === null) this.p.densityTrack.push(this.densityPoint(epoch));
    const record: EpochRecord = {
      epoch, step: this.p.globalStep, trainLoss, trainPpl: finitePpl(trainLoss), valLoss: val.loss, valPpl: finitePpl(val.loss), best, phase: this.phases.phase, switched,
      lr: this.phases.optimizer.lr, density: this.density(), gates: pooledGateDensity(this.gateStats()),
      deathRate: update?.deathRate ?? null,
      removed: update ? update.tensors.reduce((s, t) => s + t.removed, 0) : null,
      grown: update ? update.tensors.reduce((s, t) => s + t.grown, 0) : null,
      seconds: this.p.epochAcc.seconds + (now() - this.epochSegmentStart),
      clipFraction: (this.p.epochAcc.clipped ?? 0) / Math.max(1, this.p.epochAcc.steps),
    };
    this.p.history.push(record);
    this.p.epochAcc = emptyEpochAcc();
    this.epochSegmentStart = now();
    if (epoch >= c.epochs) this.p.finished = true;
    await this.log({ event: 'epoch', ...record });
    if (switched) await this.log({ event: 'switch', epoch, step: this.p.globalStep, optimizer: this.phases.optimizer.kind });
    await this.files.saveLast();
    this.events.onEpoch?.(record);
  }

  /**
   * The probe that measures the absent positions' gradient during this step's backward, so the
   * clip sees the dense norm (src/ops/dense-grad-norm.ts), and, for an engine that asks for the
   * step's dense gradient (SNFS), captures it; null for dense runs, and for --clip-norm active
   * unless the engine asks. Its sample is seeded by (seed, step): the same on resume, nothing to save.
   */
  /** One forward/backward pass on the epoch's last batch from a zero state (gradient growth at an update). */
  private denseGradient(): void {
    const span = this.p.lastSpan;
    if (span === null) return;
    for (const p of this.model.parameters()) p.zeroGrad();
    tidy(() => {
      const { input, target } = getBatch(this.trainData, span.i, span.seqLen);
      this.model.forward(input, target).loss.backward();
    });
    if (this.config.clip > 0) clipGradNorm(this.model.parameters(), this.config.clip);
  }

  private async startFinetune(): Promise<void> {
    // finetune.py: the starting point is the loaded model's validation loss, and it is the best so far.
    const val = await this.evaluateSplit('valid', this.model);
    this.p.bestValLoss = val.loss;
    this.p.lastValLoss = val.loss;
    this.p.bestEpoch = 0;
    await this.files.saveBest(false);
    await this.log({ event: 'finetune-start', valLoss: val.loss, valPpl: val.ppl });
  }

  /** Records a topology update; `x` is its position in epochs, for the plot. */
  private onTopology(report: UpdateReport, x: number): void {
    this.p.densityTrack.push({ epoch: x, density: report.density, gates: pooledGateDensity(report.gates) });
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

  /**
   * Validation and (when `test`) test of the best model if one was saved, else of the current
   * (averaged) weights.
   */
  private async finalEvaluation(test: boolean): Promise<{ val: EvalResult | null; test: EvalResult | null }> {
    const bytes = await this.store.read(RUN_FILES.best);
    if (bytes !== null) {
      const known = this.p.bestValLoss !== null ? { loss: this.p.bestValLoss, ppl: Math.exp(this.p.bestValLoss), tokens: 0 } : null;
      if (known !== null && !test) return { val: known, test: null }; // nothing to evaluate: no need to load the model
      const { model } = modelFromCheckpoint(decodeLMCheckpoint(bytes, this.store.describe(RUN_FILES.best)));
      try {
        const val = known ?? await this.evaluateSplit('valid', model);
        return { val, test: test ? await this.evaluateSplit('test', model) : null };
      } finally {
        model.dispose();
      }
    }
    const averaging = this.phases.swapAveraged();
    try {
      const val = await this.evaluateSplit('valid', this.model);
      return { val, test: test ? await this.evaluateSplit('test', this.model) : null };
    } finally {
      this.phases.swapBack(averaging);
    }
  }

  // ---- files -----------------------------------------------------------------------------------

  /** Writes last.ckpt (and refreshes the plot); a failed write stops the run (RunFilesError). */
  private async writePlot(): Promise<void> {
    await this.runLog.plot(this.p.history, this.p.densityTrack, `selfish-rnn: ${this.config.model}, ${this.config.method}${this.config.method !== 'dense' ? ` at density ${this.config.density}` : ''}`);
  }

  private logSync(entry: Record<string, unknown>): void {
    this.runLog.write(entry);
  }

  private log(entry: Record<string, unknown>): Promise<void> {
    return this.runLog.log(entry);
  }

  private async result(status: TrainStatus, val: EvalResult | null, test: EvalResult | null): Promise<TrainResult> {
    await this.runLog.flush();
    const hasBest = this.p.bestEpoch !== null;
    return {
      status, epochs: this.iterator.position.epoch, steps: this.p.globalStep, bestEpoch: this.p.bestEpoch,
      valLoss: val?.loss ?? null, valPpl: val?.ppl ?? null, testLoss: test?.loss ?? null, testPpl: test?.ppl ?? null,
      history: this.p.history.slice(),
      files: { last: this.store.describe(RUN_FILES.last), best: hasBest ? this.store.describe(RUN_FILES.best) : null, log: this.store.describe(RUN_FILES.log), plot: this.store.describe(RUN_FILES.plot) },
    };
  }

  // ---- state -----------------------------------------------------------------------------------

  private density(): number {
    return runDensity(this.parts());
  }

  private gateStats() {
    return this.engine ? this.engine.gateStats() : modelGateStats(this.model);
  }

  private densityPoint(epoch: number): PlotDensity {
    return { epoch, density: this.density(), gates: pooledGateDensity(this.gateStats()) };
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
