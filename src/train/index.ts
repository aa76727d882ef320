// Training, evaluation, sampling, checkpoints and export (platform-neutral part; the run
// directory and checkpoint files are in ./files.ts, exported from 'selfish-rnn/node').
export { resolveTrainConfig, checkTrainConfig, isSparseRun, sparsityOptions, SPARSE_METHODS, OPTIMIZERS, CLIP_NORMS, TRAIN_DEFAULTS, TRAIN_FIELDS, MAX_BATCH, checkDataSpec } from './config.js';
export type { TrainConfig, TrainOptions, DataSpec, OptimizerName, ClipNorm, TrainFields } from './config.js';
export { RunFilesError, Trainer, TrainingDivergedError } from './run/trainer.js';
export type { TrainerOptions, TrainResult, TrainStatus, TrainEvents, StartInfo, StepInfo, EpochRecord, TrainingState, Phase } from './run/trainer.js';
export { evaluate, scoreStream, disposeState } from './evaluate.js';
export type { EvalResult, EvalOptions, ScoreOptions } from './evaluate.js';
export { sample, formatSample } from './generate.js';
export type { GenerateOptions } from './generate.js';
export {
  LM_CHECKPOINT_KIND, LM_CHECKPOINT_VERSION, encodeLMCheckpoint, decodeLMCheckpoint, modelFromCheckpoint, putWeights, loadCheckpointWeights,
} from './checkpoint/checkpoint.js';
export type { LMCheckpoint, LMCheckpointMeta, CheckpointRole, WeightLayout } from './checkpoint/checkpoint.js';
export { exportCheckpoint, exportSafetensors, checkpointToStateDict, moduleToStateDict } from './checkpoint/export.js';
export type { ExportOptions } from './checkpoint/export.js';
export { renderTrainingPlot } from './run/plot.js';
export type { PlotEpoch, PlotDensity } from './run/plot.js';
export { axisTicks, formatTick } from './run/axis-ticks.js';
export type { Axis, AxisTick, AxisTickOptions } from './run/axis-ticks.js';
export { memoryStore, RUN_FILES, truncateRunLog, carryOverRun } from './checkpoint/run-store.js';
export { checkCorpusFits } from './run/corpus-fit.js';
export { estimateTrainingMemory, checkTrainingMemory, WASM_MEMORY_LIMIT_BYTES } from './run/memory-estimate.js';
export type { MemoryEstimate } from './run/memory-estimate.js';
export { divergedLoss } from './run/divergence.js';
export type { RunStore } from './checkpoint/run-store.js';
export { defaultSparsity, engineSparsity } from './run/sparsity-factory.js';
export type { SparsityFactory, SparsityProvider } from './run/sparsity-factory.js';
export { weightSummaries, modelGateStats, maskedDensity, pooledGateDensity, replaceWeight, weightSlot, sparseValues } from './weights.js';
export type { WeightSummary } from './weights.js';
export { trainingStateBytes } from './state-bytes.js';
export type { TrainingStateBytes } from './state-bytes.js';
export { runStudy, runName, topologyUpdates, trainingFlops, studyRunConfig, configDifferences, STUDY_RUNS, STUDY_BASE } from './study/study.js';
export type { StudyOptions, StudyResult, StudyRun, TopologyUpdate } from './study/study.js';
export { renderStudyReport, linePlot } from './study/study-report.js';
export type { StudyReport, StudyReportOptions, PublishedFigure, EpochTiming, TopologyDistanceRow } from './study/study-report.js';
export { yieldToEventLoop } from './run/event-loop.js';
export { importSafetensors } from './checkpoint/import.js';
export type { ImportOptions, ImportResult, ImportedWeight } from './checkpoint/import.js';
export { saveCheckpoint, loadCheckpoint, loadWeights, MODULE_CHECKPOINT_KIND, type ModuleCheckpoint } from './checkpoint/module-checkpoint.js';
export { lmStep, type LMStepOptions, type LMStepResult } from './run/lm-step.js';
