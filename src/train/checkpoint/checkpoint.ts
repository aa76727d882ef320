// Language-model checkpoints ('selfish-rnn/lm'): the module checkpoint (./module-checkpoint.ts:
// weights, optimizer and engine state) plus what a language-model run adds.
//
// One kind of file, three roles:
//   'last'   the complete training state, for --resume (raw weights, optimizer, engine, RNGs,
//            iterator position, carried hidden state, history, counters);
//   'best'   the best model so far (averaged weights once averaging has started), no training state;
//   'model'  weights only, written by library users (saveModel).
// Every role holds the run configuration and the vocabulary, so any of them can be evaluated,
// sampled from, inspected and exported on its own.
//
// Tensor names: 'model/<weight name>' for a dense weight, 'model/<weight name>.{values,col_idx,
// row_ptr}' for a CSR one (its shape in meta.weights); 'optim/<i>.<buffer>' for optimizer state;
// 'engine/<key>' for the sparse engine's arrays; 'state/<layer>.<name>' for the carried state (h, c for the LSTMs; s for the RHN).
// Platform-neutral (bytes in, bytes out); files: ./files.ts.
import {
  CheckpointError, decodeCheckpoint, encodeCheckpoint, type CheckpointContents, type CheckpointTensor,
} from '../../io/checkpoint-format.js';
import { AllocationLimitError, heap } from '../../backend/memory.js';
import { Vocabulary, type VocabularyJSON } from '../../data/vocab.js';
import { createModel, modelFamily, type LanguageModel } from '../../models/index.js';
import type { Module } from '../../nn/module.js';
import { Random } from '../../random.js';
import type { TrainConfig } from '../config.js';
import { checkLMCheckpointContents } from './checkpoint-check.js';
import { loadWeights, type WeightLayout } from './module-checkpoint.js';

export const LM_CHECKPOINT_KIND = 'selfish-rnn/lm';
/** Version of the meta layout below (the file format has its own version in src/io). */
export const LM_CHECKPOINT_VERSION = 1;

export type CheckpointRole = 'last' | 'best' | 'model';

export type { WeightLayout } from './module-checkpoint.js';
export { putWeights, putArrays, getArrays } from './module-checkpoint.js';

/** Copies an LM checkpoint's weights into `model` (see loadWeights: checked first, then applied). */
export function loadCheckpointWeights(model: Module, ckpt: LMCheckpoint, source = checkpointSource(ckpt)): void {
  loadWeights(model, { weights: ckpt.meta.weights, tensors: ckpt.tensors }, source);
}

export interface LMCheckpointMeta<T = unknown> {
  kind: typeof LM_CHECKPOINT_KIND;
  version: number;
  role: CheckpointRole;
  /** What the weights are: 'raw' training weights, or 'averaged' (ASGD's running average). */
  weights_kind: 'raw' | 'averaged';
  config: TrainConfig;
  vocab: VocabularyJSON;
  weights: Record<string, WeightLayout>;
  /** Short facts for `info` and for people reading the header. */
  summary: { epoch: number; step: number; valLoss: number | null; density: number; phase: string; engine: string };
  /** The full training state ('last' checkpoints only). */
  training: T | null;
}

export type LMCheckpoint<T = unknown> = CheckpointContents<LMCheckpointMeta<T>>;

/** Encodes a checkpoint after checking that its meta is complete. */
export function encodeLMCheckpoint(meta: LMCheckpointMeta, tensors: Record<string, CheckpointTensor>): Uint8Array {
  return encodeCheckpoint({ meta, tensors });
}

/**
 * Decodes and checks an 'selfish-rnn/lm' checkpoint: the file format's checks (magic, version,
 * CRCs, truncation), then kind and meta version. Errors are CheckpointErrors naming `source`.
 */
export function decodeLMCheckpoint<T = unknown>(bytes: Uint8Array, source = 'checkpoint'): LMCheckpoint<T> {
  const ckpt = decodeCheckpoint<LMCheckpointMeta<T>>(bytes, { source, expect: { kind: LM_CHECKPOINT_KIND } });
  const m = ckpt.meta;
  if (m.version !== LM_CHECKPOINT_VERSION) {
    const why = typeof m.version === 'number' && m.version > LM_CHECKPOINT_VERSION ? 'it was written by a newer selfish-rnn; upgrade to read it' : 'no selfish-rnn release wrote this version';
    throw new CheckpointError('unsupported-version', `${source} is a '${LM_CHECKPOINT_KIND}' checkpoint of version ${JSON.stringify(m.version)}, but this build reads version ${LM_CHECKPOINT_VERSION} (${why})`);
  }
  checkLMCheckpointContents(m, ckpt.tensors, source);
  sources.set(ckpt, source);
  return ckpt;
}

// What each decoded checkpoint was called when it was read, for messages from later stages.
const sources = new WeakMap<object, string>();

/** The name a checkpoint was decoded under ('checkpoint' if unknown). */
export function checkpointSource(ckpt: LMCheckpoint): string {
  return sources.get(ckpt) ?? 'checkpoint';
}

/**
 * The (freshly initialised) model the checkpoint's configuration describes. It is built within a
 * memory budget derived from the weights the file holds, so a configuration that claims a far
 * larger model (emsize 10^7 beside small weights) is refused before it fills the memory, and any
 * failure to build is a CheckpointError naming the file.
 */
export function buildModelFor(ckpt: LMCheckpoint, rng: Random, source = checkpointSource(ckpt)): LanguageModel {
  const config = ckpt.meta.config;
  let values = 0;
  for (const w of Object.values(ckpt.meta.weights)) values += w.layout === 'csr' ? w.rows * w.cols : w.shape.reduce((a, b) => a * b, 1);
  // Construction holds the dense weights plus a temporary per weight; 3× plus a margin is ample.
  const budget = 3 * 4 * values + 4 * 2 ** 20;
  try {
    return heap.withAllocationLimit(budget, () => createModel({ ...config.lm, vocab: ckpt.meta.vocab.words.length }, {}, rng));
  } catch (e) {
    const lm = config.lm;
    if (e instanceof AllocationLimitError) {
      throw new CheckpointError('shape-mismatch', `${source} is invalid: its configuration (${modelFamily(lm.kind).describe(lm as never)}, vocab ${lm.vocab}) describes a model larger than the ${values} weights the file holds`);
    }
    throw new CheckpointError('invalid-meta', `${source} is invalid: its configuration cannot build a model: ${(e as Error).message.replace(/^selfish-rnn: /, '')}`);
  }
}

/** `e` as a CheckpointError about `ckpt` (errors from restoring a resumed run's state). */
export function asCheckpointError(e: unknown, ckpt: LMCheckpoint, what = 'cannot be resumed'): CheckpointError {
  const source = checkpointSource(ckpt);
  const message = String((e as Error)?.message ?? e).replace(/^selfish-rnn: /, '');
  if (e instanceof CheckpointError) return message.includes(source) ? e : new CheckpointError(e.code, `${source}: ${message}`, e.tensor);
  return new CheckpointError('invalid-state', `${source} ${what}: ${message}`);
}

/** A model (with the checkpoint's weights, sparse where they were) and its vocabulary. */
export function modelFromCheckpoint(ckpt: LMCheckpoint, source = checkpointSource(ckpt)): { model: LanguageModel; vocab: Vocabulary; config: TrainConfig } {
  const config = ckpt.meta.config;
  const vocab = Vocabulary.fromJSON(ckpt.meta.vocab);
  // Initial values are overwritten below; a fixed seed keeps construction cheap and deterministic.
  const model = buildModelFor(ckpt, new Random(config.seed), source);
  try {
    loadCheckpointWeights(model, ckpt, source);
  } catch (e) {
    model.dispose();
    throw e instanceof CheckpointError ? e : new CheckpointError('invalid-meta', `${source}: ${(e as Error).message.replace(/^selfish-rnn: /, '')}`);
  }
  return { model, vocab, config };
}

