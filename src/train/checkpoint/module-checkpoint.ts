// Checkpoints of any Module, with its optimizer and sparse engine when it has them: what a user's
// own model and training loop save and resume with, and what the language-model checkpoint
// (./checkpoint.ts) is built on. One file holds the weights (dense as f32, sparse as CSR: the
// topology is part of the state), the optimizer's and the engine's state dicts, and a JSON `meta`
// of the caller's. Reading checks everything before anything is touched; loading replaces the
// model's weights (a sparse slot gets a new CSR matrix), so build the optimizer after loading the
// weights (or let the engine rebuild it) and then load the optimizer's state.
//
//   const bytes = saveCheckpoint({ model, optimizer, engine, meta: { epoch } });
//   const ckpt = loadCheckpoint(bytes);              // checked, nothing applied
//   loadWeights(model, ckpt);                         // weights and topology
//   engine?.loadStateDict(ckpt.engine!);              // schedule position, RNG, baselines
//   const optimizer = new SGD(model.parameters(), …); optimizer.loadStateDict(ckpt.optimizer!);
import {
  CheckpointError, decodeCheckpoint, encodeCheckpoint, getCSR, putCSR, type CheckpointTensor, type CSRInfo,
} from '../../io/checkpoint-format.js';
import { CSRMatrix } from '../../csr.js';
import { isSparse, type Module } from '../../nn/module.js';
import type { Optimizer, OptimizerStateDict } from '../../optim/optimizer.js';
import type { SparseEngineLike } from '../../sparse/engine-api.js';
import { Tensor } from '../../tensor.js';
import { checkWeightEntries } from './checkpoint-check.js';
import { replaceWeight } from '../weights.js';

export const MODULE_CHECKPOINT_KIND = 'selfish-rnn/module';
const MODULE_CHECKPOINT_VERSION = 1;

export type WeightLayout = { layout: 'dense'; shape: number[] } | CSRInfo;

type Arrays = Record<string, Float32Array | Int32Array | Uint8Array>;

/** What a module checkpoint holds once read (and checked). */
export interface ModuleCheckpoint<M = unknown> {
  meta: M;
  weights: Record<string, WeightLayout>;
  tensors: Record<string, CheckpointTensor>;
  optimizer: OptimizerStateDict | null;
  engine: { meta: unknown; arrays: Arrays } | null;
  source: string;
}

interface ModuleCheckpointMeta<M> {
  kind: typeof MODULE_CHECKPOINT_KIND;
  version: number;
  meta: M;
  weights: Record<string, WeightLayout>;
  optimizer: OptimizerStateDict['meta'] | null;
  engine: unknown;
}

/** The bytes of a checkpoint of `model` (and its optimizer, engine and a JSON meta of yours). */
export function saveCheckpoint<M = unknown>(parts: { model: Module; optimizer?: Optimizer | null; engine?: SparseEngineLike | null; meta?: M }): Uint8Array {
  const tensors: Record<string, CheckpointTensor> = {};
  const weights = putWeights(parts.model, tensors);
  let optimizer: OptimizerStateDict['meta'] | null = null, engine: unknown = null;
  if (parts.optimizer) {
    const sd = parts.optimizer.stateDict();
    optimizer = sd.meta;
    putArrays(tensors, 'optim/', sd.arrays);
  }
  if (parts.engine) {
    const es = parts.engine.stateDict();
    engine = es.meta;
    putArrays(tensors, 'engine/', es.arrays);
  }
  const meta: ModuleCheckpointMeta<M> = { kind: MODULE_CHECKPOINT_KIND, version: MODULE_CHECKPOINT_VERSION, meta: (parts.meta ?? null) as M, weights, optimizer, engine };
  return encodeCheckpoint({ meta, tensors });
}

/** Reads and checks a module checkpoint (format, checksums, weights' structure, finite values); applies nothing. */
export function loadCheckpoint<M = unknown>(bytes: Uint8Array, source = 'checkpoint'): ModuleCheckpoint<M> {
  const ckpt = decodeCheckpoint<ModuleCheckpointMeta<M>>(bytes, { source, expect: { kind: MODULE_CHECKPOINT_KIND } });
  const m = ckpt.meta;
  if (m.version !== MODULE_CHECKPOINT_VERSION) throw new CheckpointError('unsupported-version', `${source} is a module checkpoint of version ${JSON.stringify(m.version)}; this build reads version ${MODULE_CHECKPOINT_VERSION}`);
  checkWeightEntries(m.weights, ckpt.tensors, source);
  const optimizer = m.optimizer ? { meta: m.optimizer, arrays: getArrays(ckpt.tensors, 'optim/') as OptimizerStateDict['arrays'] } : null;
  const engine = m.engine ? { meta: m.engine, arrays: getArrays(ckpt.tensors, 'engine/') } : null;
  return { meta: m.meta, weights: m.weights, tensors: ckpt.tensors, optimizer, engine, source };
}

/** Adds the model's weights (dense as f32, sparse as CSR) to `tensors`; returns their layouts. */
export function putWeights(model: Module, tensors: Record<string, CheckpointTensor>): Record<string, WeightLayout> {
  const layouts: Record<string, WeightLayout> = {};
  for (const [name, w] of model.namedWeights()) {
    if (isSparse(w)) {
      layouts[name] = putCSR(tensors, `model/${name}`, {
        rows: w.rows, cols: w.cols, rowPtr: w.rowPtr.data.slice(), colIdx: w.colIdx.toInt32Array(), values: w.values.toArray(),
      });
    } else {
      tensors[`model/${name}`] = { dtype: 'f32', shape: [...w.shape], data: w.toArray() };
      layouts[name] = { layout: 'dense', shape: [...w.shape] };
    }
  }
  return layouts;
}

/**
 * Copies the weights into `model`: dense weights by value, sparse ones as new CSR matrices in
 * their slots (the old weight is freed). Names and shapes must match exactly; everything is
 * checked before the first weight is written, so a refused file leaves the model as it was.
 */
export function loadWeights(model: Module, from: { weights: Record<string, WeightLayout>; tensors: Record<string, CheckpointTensor> }, source = 'checkpoint'): void {
  const { weights, tensors } = from;
  const own = new Map(model.namedWeights());
  const missing = [...own.keys()].filter((n) => !Object.hasOwn(weights, n));
  const extra = Object.keys(weights).filter((n) => !own.has(n));
  if (missing.length > 0 || extra.length > 0) {
    throw new CheckpointError('missing-tensor', `${source} does not fit the model: missing weights [${missing.join(', ')}], unexpected [${extra.join(', ')}]`);
  }
  // 1. Check every weight against the model and build the new sparse matrices.
  const plan: [string, () => void][] = [];
  const built: CSRMatrix[] = [];
  try {
    for (const [name, layout] of Object.entries(weights)) {
      const w = own.get(name)!;
      const shape = isSparse(w) ? [w.rows, w.cols] : [...w.shape];
      if (layout.layout === 'csr') {
        if (shape.length !== 2 || shape[0] !== layout.rows || shape[1] !== layout.cols) {
          throw new CheckpointError('shape-mismatch', `${source}: weight '${name}' is ${layout.rows}×${layout.cols} in the file but [${shape.join(', ')}] in the model`, name);
        }
        const a = getCSR(tensors, `model/${name}`, layout);
        let csr: CSRMatrix;
        try {
          csr = CSRMatrix.fromParts([a.rows, a.cols], a.rowPtr, a.colIdx, a.values, { name });
        } catch (e) {
          throw new CheckpointError('invalid-csr', `${source}: sparse weight '${name}' is malformed: ${(e as Error).message.replace(/^selfish-rnn: /, '')}`, name);
        }
        built.push(csr);
        plan.push([name, () => replaceWeight(model, name, csr)]);
      } else {
        const t = tensors[`model/${name}`];
        if (t === undefined) throw new CheckpointError('missing-tensor', `${source} has no tensor 'model/${name}'`, `model/${name}`);
        if (t.dtype !== 'f32' || t.shape.join() !== layout.shape.join() || layout.shape.join() !== shape.join()) {
          throw new CheckpointError('shape-mismatch', `${source}: weight '${name}' is ${t.dtype} [${t.shape.join(', ')}] in the file but [${shape.join(', ')}] in the model`, name);
        }
        plan.push([name, () => {
          if (isSparse(w)) {
            const dense = new Tensor(shape, { persistent: true, requiresGrad: true });
            dense.data.set(t.data as Float32Array);
            dense.name = name;
            replaceWeight(model, name, dense);
          } else {
            w.data.set(t.data as Float32Array);
          }
        }]);
      }
    }
  } catch (e) {
    for (const m of built) m.dispose();
    throw e;
  }
  // 2. Apply.
  for (const [, apply] of plan) apply();
}

/** Optimizer or engine arrays → checkpoint tensors under `prefix`. */
export function putArrays(tensors: Record<string, CheckpointTensor>, prefix: string, arrays: Arrays): void {
  for (const [k, a] of Object.entries(arrays)) {
    const dtype = a instanceof Float32Array ? 'f32' : a instanceof Int32Array ? 'i32' : 'u8';
    tensors[`${prefix}${k}`] = { dtype, shape: [a.length], data: a };
  }
}

/** The arrays stored under `prefix`, with the prefix removed. */
export function getArrays(tensors: Record<string, CheckpointTensor>, prefix: string): Arrays {
  const out: Arrays = {};
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t.data;
  return out;
}
