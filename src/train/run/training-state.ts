// A run's 'last' checkpoint: everything that influences the computation, written between two
// steps and read back so the run continues bit-identically. The trainer hands over its parts
// (model, optimizer phases, engine, data iterator, generators) and its progress (run-state.ts);
// these functions put them into one checkpoint and take them back out.
import type { BpttIterator } from '../../data/batching.js';
import type { Vocabulary } from '../../data/vocab.js';
import type { CheckpointTensor } from '../../io/checkpoint-format.js';
import { disposeState, stateTensors, type LanguageModel, type LMState } from '../../models/index.js';
import type { OptimizerStateDict } from '../../optim/optimizer.js';
import { globalRandom, type Random } from '../../random.js';
import type { SparseEngineLike } from '../../sparse/engine-api.js';
import {
  encodeLMCheckpoint, getArrays, putArrays, putWeights, LM_CHECKPOINT_KIND, LM_CHECKPOINT_VERSION, type LMCheckpoint, type LMCheckpointMeta,
} from '../checkpoint/checkpoint.js';
import type { TrainConfig } from '../config.js';
import type { OptimizerPhases } from './optimizer-phases.js';
import { copyProgress, freshProgress, type RunProgress } from './run-state.js';
import type { TrainingState } from './trainer-types.js';
import { gateRecord, maskedDensity } from '../weights.js';

/** The parts of a run whose state a checkpoint holds. */
export interface RunParts {
  config: TrainConfig;
  vocab: Vocabulary;
  model: LanguageModel;
  phases: OptimizerPhases;
  engine: SparseEngineLike | null;
  engineName: string | null;
  iterator: BpttIterator;
  modelRng: Random;
  dataRng: Random;
}

/** The density of the run's sparse weights (the engine's, else the model's masks). */
export function runDensity(parts: RunParts): number {
  return parts.engine ? parts.engine.density() : maskedDensity(parts.model);
}

/** The meta of a checkpoint of the run ('last' with the training state, 'best' without). */
export function checkpointMeta(
  parts: RunParts, progress: RunProgress, role: 'last' | 'best', weightsKind: 'raw' | 'averaged', weights: LMCheckpointMeta['weights'], training: TrainingState | null,
): LMCheckpointMeta {
  return {
    kind: LM_CHECKPOINT_KIND, version: LM_CHECKPOINT_VERSION, role, weights_kind: weightsKind, config: parts.config, vocab: parts.vocab.toJSON(),
    weights,
    summary: {
      epoch: parts.iterator.position.epoch, step: progress.globalStep, valLoss: role === 'best' ? progress.bestValLoss : progress.lastValLoss,
      density: runDensity(parts), phase: parts.phases.phase, engine: parts.engineName ?? 'none',
    },
    training,
  };
}

/** The bytes of the run's 'last' checkpoint: weights, optimizer and engine state, carried hidden state, generators, position, progress. */
export function encodeLast(parts: RunParts, hidden: LMState | null, progress: RunProgress, times: { epochSeconds: number; elapsedSeconds: number }): Uint8Array {
  const tensors: Record<string, CheckpointTensor> = {};
  const weights = putWeights(parts.model, tensors);
  const phases = parts.phases.stateDict();
  putArrays(tensors, 'optim/', phases.arrays);
  let engine: TrainingState['engine'] = null;
  if (parts.engine) {
    const es = parts.engine.stateDict();
    putArrays(tensors, 'engine/', es.arrays);
    engine = { name: parts.engineName ?? 'engine', meta: es.meta };
  }
  // The carried state, every named tensor of every layer ('state/<layer>.<name>').
  for (const [key, t] of stateTensors(hidden ?? [])) tensors[`state/${key}`] = { dtype: 'f32', shape: [...t.shape], data: t.toArray() };
  const training: TrainingState = {
    ...progress,
    epochAcc: { ...progress.epochAcc, seconds: times.epochSeconds },
    ...phases.meta,
    position: parts.iterator.position,
    rng: { model: parts.modelRng.getState(), data: parts.dataRng.getState(), global: globalRandom.getState() },
    engine,
    hiddenLayers: hidden?.length ?? 0,
    elapsedSeconds: times.elapsedSeconds,
  };
  return encodeLMCheckpoint(checkpointMeta(parts, progress, 'last', 'raw', weights, training), tensors);
}

/**
 * Puts a 'last' checkpoint's state back into the run's parts (the model's weights are loaded
 * before, when the engine is created); returns the progress, the time already spent and the
 * carried hidden state.
 */
export function restoreRun(parts: RunParts, ckpt: LMCheckpoint<TrainingState>): { progress: RunProgress; elapsedBefore: number; savedStep: number; hidden: LMState | null } {
  const t = ckpt.meta.training!;
  if (parts.engine) {
    if (t.engine === null) throw new TypeError('selfish-rnn: the checkpoint has no sparse-engine state but this run uses an engine');
    parts.engine.loadStateDict({ meta: t.engine.meta, arrays: getArrays(ckpt.tensors, 'engine/') });
    const want = ckpt.meta.summary.density, got = parts.engine.density();
    if (Math.abs(want - got) > 1e-9) throw new Error(`selfish-rnn: after loading the checkpoint the engine reports density ${got}, the checkpoint says ${want}: the engine does not see the loaded sparse weights`);
  }
  parts.phases.loadStateDict(t, getArrays(ckpt.tensors, 'optim/') as OptimizerStateDict['arrays']);
  parts.modelRng.setState(t.rng.model);
  parts.dataRng.setState(t.rng.data);
  globalRandom.setState(t.rng.global);
  parts.iterator.position = t.position;
  // The rest of TrainingState is the run's progress, taken back as one object.
  const { position: _p, phase: _ph, optimizer: _o, trigger: _t, plateau: _pl, rng: _r, engine: _e, hiddenLayers: _h, elapsedSeconds: _s, ...rest } = t;
  const progress = copyProgress({ ...freshProgress(), ...rest });
  // gateRecord: checkpoints written before gate names stored [i, f, g, o] arrays.
  progress.history = progress.history.map((e) => ({ ...e, gates: gateRecord(e.gates) }));
  progress.densityTrack = progress.densityTrack.map((d) => ({ ...d, gates: gateRecord(d.gates) }));
  let hidden: LMState | null = null;
  if (t.hiddenLayers > 0) {
    const state = parts.model.initState(parts.config.batchSize);
    try {
      for (const [key, tensor] of stateTensors(state)) {
        const src = ckpt.tensors[`state/${key}`];
        if (src === undefined || src.data.length !== tensor.size) throw new Error(`selfish-rnn: the checkpoint's hidden state 'state/${key}' is missing or has the wrong size`);
        tensor.data.set(src.data as Float32Array);
      }
    } catch (e) {
      disposeState(state); // not yet the trainer's, so its dispose() would not free it
      throw e;
    }
    hidden = state;
  }
  return { progress, elapsedBefore: t.elapsedSeconds, savedStep: t.globalStep, hidden };
}
