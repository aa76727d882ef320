// Language models: the family declarations (each file holds a model and its family) and the registry.
export { modelConfig, modelNames, modelPreset, modelRecipe, createModel, modelFamily, modelFamilies, registerModelFamily, registerFamiliesFrom, addFamilyGuard } from './registry.js';
export { defineModelFamily, isModelFamily, familyConfig, checkModelFields, CONFIG_BASE_KEYS, MAX_VOCAB } from './family.js';
export type { ModelFamily, ModelPreset, ModelConfig, ModelConfigBase, AnyModelConfig, TrainingRecipe, WeightShape } from './family.js';
export { commonFields, MAX_WIDTH } from './common-fields.js';
export { rnnLMSizesFromStateDict, rnnLMWeightShapes, zarembaRecipe } from './torch-rnn-lm.js';
export { SoftmaxLanguageModel, type SoftmaxHead } from './softmax-lm.js';
export type { LanguageModel, LMOutput, LMState } from './language-model.js';
export { createStepper, checkStepIds, LogProbsStepper, SoftmaxStepHead, EmbeddingStep, type Stepper, type StepperOptions } from './stepper.js';
export { expectState, keepState, disposeState, stateTensors, checkModelConfig, checkForwardArgs, type LayerState } from './language-model.js';
export { gateBlocks, lstmGateLayout, gateLayoutOf, type GateBlock, type GateLayout, type GateLayoutSource } from './gate-layout.js';
export { StackedLSTMModel, stackedLstm } from './stacked-lstm.js';
export { AwdLstmMosModel, awdLstmMos } from './awd-lstm-mos.js';
export { RHNModel, rhn } from './rhn.js';
export { ONLSTMModel, onlstm } from './onlstm.js';
