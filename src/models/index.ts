// Building a language model from a configuration.
import { globalRandom, type Random } from '../random.js';
import { AwdLstmMosModel } from './awd-lstm-mos.js';
import { modelConfig, type LMConfig } from './configs.js';
import type { LanguageModel } from './language-model.js';
import { StackedLSTMModel } from './stacked-lstm.js';
import { RHNModel } from './rhn.js';
import { ONLSTMModel } from './onlstm.js';

export { modelConfig, MODEL_NAMES } from './configs.js';
export type { LMConfig } from './configs.js';
export type { LanguageModel, LMOutput, LMState } from './language-model.js';
export { StackedLSTMModel } from './stacked-lstm.js';
export { AwdLstmMosModel } from './awd-lstm-mos.js';
export { RHNModel } from './rhn.js';
export { ONLSTMModel } from './onlstm.js';
export { expectState, type LayerState } from './language-model.js';
export { gateBlocks, lstmGateLayout, gateLayoutOf, type GateBlock, type GateLayout, type GateLayoutSource } from './gate-layout.js';

/** A model from a configuration object, or from a configuration name plus overrides. */
export function createModel(config: LMConfig | string, overrides: Partial<LMConfig> = {}, rng: Random = globalRandom): LanguageModel {
  const cfg = typeof config === 'string' ? modelConfig(config, overrides) : { ...config, ...overrides };
  switch (cfg.kind) {
    case 'awd-mos':
      return new AwdLstmMosModel(cfg, rng);
    case 'rhn':
      return new RHNModel(cfg, rng);
    case 'onlstm':
      return new ONLSTMModel(cfg, rng);
    default:
      return new StackedLSTMModel(cfg, rng);
  }
}
