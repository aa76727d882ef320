// Training, evaluation, sampling, checkpoints and export (platform-neutral part; the run
// directory and checkpoint files are in ./files.ts, exported from 'selfish-rnn/node').
export { resolveTrainConfig, checkTrainConfig, isSparseRun, sparsityOptions, SPARSE_METHODS, OPTIMIZERS, CLIP_NORMS, TRAIN_DEFAULTS, TRAIN_FIELDS, MAX_BATCH, checkDataSpec } from './config.js';
export type { TrainConfig, TrainOptions, DataSpec, OptimizerName, ClipNorm, TrainFields } from './config.js';
export { RunFilesError, Trainer, TrainingDivergedError } from './trainer.js';
export type { TrainerOptions, TrainResult, TrainStatus, TrainEvents, StartInfo, StepInfo, EpochRecord, TrainingState, Phase } from './trainer.js';
export { evaluate, scoreStream, disposeState } from './evaluate.js';
export type { EvalResult, EvalOptions, ScoreOptions } from './evaluate.js';
export { sample, formatSample } from './generate.js';
export type { GenerateOptions } from './generate.js';
export {
  LM_CHECKPOINT_KIND, LM_CHECKPOINT_VERSION, encodeLMCheckpoint, decodeLMCheckpoint, modelFromCheckpoint, putWeights, loadCheckpointWeights,
} from './checkpoint.js';
export type { LMCheckpoint, LMCheckpointMeta, CheckpointRole, WeightLayout } from './checkpoint.js';
export { exportCheckpoint, exportSafetensors, checkpointToStateDict, moduleToStateDict } from './export.js';
export type { ExportOptions } from './export.js';
export { renderTrainingPlot } from './plot.js';
export type { PlotEpoch, PlotDensity } from './plot.js';
export { memoryStore, RUN_FILES, truncateRunLog, carryOverRun } from './run-store.js';
export { checkCorpusFits } from './corpus-fit.js';
export { estimateTrainingMemory, checkTrainingMemory, WASM_MEMORY_LIMIT_BYTES } from './memory-estimate.js';
export type { MemoryEstimate } from './memory-estimate.js';
export { divergedLoss } from './divergence.js';
export type { RunStore } from './run-store.js';
export { defaultSparsity, engineSparsity } from './sparsity-factory.js';
export type { SparsityFactory, SparsityProvider } from './sparsity-factory.js';
export { weightSummaries, modelGateStats, maskedDensity, pooledGateDensity, replaceWeight, weightSlot, sparseValues } from './weights.js';
export type { WeightSummary } from './weights.js';
export { runStudy, runName, topologyUpdates, trainingFlops, studyRunConfig, configDifferences, STUDY_RUNS, STUDY_BASE } from './study.js';
export type { StudyOptions, StudyResult, StudyRun, TopologyUpdate } from './study.js';
export { renderStudyReport, linePlot } from './study-report.js';
export type { StudyReport, StudyReportOptions, PublishedFigure, EpochTiming, TopologyDistanceRow } from './study-report.js';
export { yieldToEventLoop } from './event-loop.js';
export { importSafetensors } from './import.js';
export type { ImportOptions, ImportResult, ImportedWeight } from './import.js';
export { saveCheckpoint, loadCheckpoint, loadWeights, MODULE_CHECKPOINT_KIND, type ModuleCheckpoint } from './module-checkpoint.js';
export { lmStep, type LMStepOptions, type LMStepResult } from './lm-step.js';
