// The one place that decides which sparse-training engine `--method` runs on.
//
// The engine (src/sparse/engine.ts, `createSparsity(model, opts)`) is written separately against
// the contract in src/sparse/engine-api.ts. Until it exists, the interim engine
// (./interim-engine.ts) stands in: the module is imported dynamically, and only "module not found"
// for that exact file falls back, so a broken engine is an error, not a silent fallback.
// Once src/sparse/engine.ts has landed, this file can become
//   import { createSparsity } from '../sparse/engine.js';
//   export const defaultSparsity = async (): Promise<SparsityProvider> => ({ name: 'sparse engine', create: createSparsity });
// and interim-engine.ts can be deleted.
//
// The trainer's expectations of an engine, beyond the interface (documented here because resume
// depends on them): the engine sparsifies the model it is given in its constructor/factory; it
// reads the current weights from the model's slots (Module.namedWeights) rather than caching
// CSRMatrix objects, because on --resume the trainer creates the engine, then puts the
// checkpoint's CSR matrices into the slots, then calls loadStateDict; and it calls
// optimizer.remapParam for every values tensor it replaces.
import type { Module } from '../nn/module.js';
import type { SparseEngineLike, SparsityOptions } from '../sparse/engine-api.js';
import { InterimSparsity } from './interim-engine.js';

export type SparsityFactory = (model: Module, opts: SparsityOptions) => SparseEngineLike;

export interface SparsityProvider {
  /** Shown in run output and checkpoints: which engine trained the model. */
  name: string;
  create: SparsityFactory;
}

/** The interim engine, also usable directly (tests, or to compare against the real engine). */
export const interimSparsity: SparsityProvider = {
  name: 'interim engine (src/train/interim-engine.ts; src/sparse/engine.ts not built)',
  create: (model, opts) => new InterimSparsity(model, opts),
};

let resolved: Promise<SparsityProvider> | null = null;

/** The sparse engine of this build: src/sparse/engine.ts when present, else the interim one. */
export function defaultSparsity(): Promise<SparsityProvider> {
  return (resolved ??= (async () => {
    const url = new URL('../sparse/engine.js', import.meta.url).href;
    let mod: { createSparsity?: unknown };
    try {
      mod = await import(url);
    } catch (e) {
      if (isMissingModule(e, url)) return interimSparsity;
      throw e;
    }
    if (typeof mod.createSparsity !== 'function') throw new TypeError(`selfish-rnn: ${url} does not export createSparsity(model, opts)`);
    return { name: 'sparse engine (src/sparse/engine.ts)', create: mod.createSparsity as SparsityFactory };
  })());
}

function isMissingModule(e: unknown, url: string): boolean {
  const err = e as { code?: string; message?: string };
  const msg = String(err?.message ?? '');
  // The missing module must be engine.js itself (quoted), not something engine.js imports.
  // Node: "Cannot find module '/…/sparse/engine.js' imported from …"; Deno: 'Module not found "file:///…/engine.js".'
  const path = decodeURIComponent(new URL(url).pathname);
  return (err?.code === 'ERR_MODULE_NOT_FOUND' || /module not found/i.test(msg)) && (msg.includes(`'${path}'`) || msg.includes(`"${url}"`));
}
