// What a model family tells the rest of the library (trainer, checkpoints, export, evaluation,
// sampling, `info`, the CLI): one ModelSpec per family, declared in the family's own file and
// listed once in src/models/registry.ts. Nothing outside those files names a family.
import type { Random } from '../random.js';
import type { LMConfig } from './configs.js';
import type { LanguageModel } from './language-model.js';

export interface ModelSpec {
  /** The family id, `LMConfig.kind` of its configurations. */
  readonly kind: string;
  /** Human name, for progress lines and `info` ("stacked LSTM", "RHN", …). */
  readonly title: string;
  /** Named configurations (presets) of this family, with every field set. */
  readonly presets: Readonly<Record<string, LMConfig>>;
  /** Builds the model (weights initialised as the reference code does, from `rng`). */
  create(config: LMConfig, rng: Random): LanguageModel;
  /** Derived fields fixed after overrides are applied (e.g. the last layer's width of a tied model). */
  normalize?(config: LMConfig): void;
  /** Names of the tensors of one layer's recurrent state, e.g. ['h', 'c'] or ['s']. */
  readonly stateNames: readonly string[];
  /** One line on the architecture, for `info` and progress output. */
  describe(config: LMConfig): string;
  /** Training defaults of the family's recipe that are not model fields. */
  readonly training?: {
    /** AWD-style random BPTT lengths (AWD-LSTM, MoS, ON-LSTM scripts). */
    randomBptt?: boolean;
    /** Evaluation batch of the validation split (Selfish-RNN main.py: 20; AWD-style scripts: 10). */
    evalBatchSize?: number;
    /** Evaluation batch of the test split (AWD-style scripts use 1). */
    testBatchSize?: number;
  };
  /**
   * PyTorch state_dict names of the official implementation for an export: every parameter's
   * own name (ours follow PyTorch's module tree), plus the second name a tied weight has there
   * (as [alias, source] pairs: `load_state_dict` wants both).
   */
  tiedAliases(config: LMConfig): readonly [alias: string, source: string][];
  /**
   * For `import`: the sizes (vocab, emsize, nhid, …) of a model of this family read off a
   * state_dict's tensor shapes (our PyTorch names), or null when the names are not this family's.
   */
  sizesFromStateDict?(shapes: ReadonlyMap<string, readonly number[]>): Partial<LMConfig> | null;
}
