// The one place that decides which sparse-training engine `--method` runs on: the topology
// engine of src/sparse/engine.ts (`createSparsity`), written against src/sparse/engine-api.ts.
//
// The trainer's expectations of an engine, beyond the interface (documented here because resume
// depends on them): the engine sparsifies the model it is given in its constructor/factory; it
// reads the current weights from the model's slots (Module.namedWeights) rather than caching
// CSRMatrix objects, because on --resume the trainer creates the engine, then puts the
// checkpoint's CSR matrices into the slots, then calls loadStateDict; and it calls
// optimizer.remapParam for every values tensor it replaces.
import type { Module } from '../../nn/module.js';
import type { SparseEngineLike, SparsityOptions } from '../../sparse/engine-api.js';
import { createSparsity } from '../../sparse/engine.js';

export type SparsityFactory = (model: Module, opts: SparsityOptions) => SparseEngineLike;

export interface SparsityProvider {
  /** Shown in run output and checkpoints: which engine trained the model. */
  name: string;
  create: SparsityFactory;
}

/** The topology engine of src/sparse/engine.ts. */
export const engineSparsity: SparsityProvider = { name: 'sparse engine (src/sparse/engine.ts)', create: createSparsity };

/** The sparse engine of this build (async so a provider could be loaded lazily). */
export function defaultSparsity(): Promise<SparsityProvider> {
  return Promise.resolve(engineSparsity);
}
