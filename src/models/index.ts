// Language models: the families (each file holds a model and its ModelSpec) and the registry.
export { modelConfig, MODEL_NAMES, createModel, modelSpec, modelSpecs } from './registry.js';
export type { LMConfig } from './configs.js';
export type { ModelSpec } from './model-spec.js';
export type { LanguageModel, LMOutput, LMState } from './language-model.js';
export { expectState, keepState, disposeState, stateTensors, type LayerState } from './language-model.js';
export { gateBlocks, lstmGateLayout, gateLayoutOf, type GateBlock, type GateLayout, type GateLayoutSource } from './gate-layout.js';
export { StackedLSTMModel } from './stacked-lstm.js';
export { AwdLstmMosModel } from './awd-lstm-mos.js';
export { RHNModel } from './rhn.js';
export { ONLSTMModel } from './onlstm.js';
