// selfish-rnn public API. Importing this module loads the wasm kernels (top-level await);
// it imports no package at run time.
export { Tensor, IntTensor, tensor, zeros, ones, full, rand, randn, parameter, tidy, keep, shapeSize } from './tensor.js';
export type { Shape, CreateOptions } from './tensor.js';
export { noGrad, isGradEnabled } from './autograd/engine.js';
export { Random, globalRandom, manualSeed } from './random.js';
export { memoryStats } from './backend/memory.js';
export { simdSupported, kernels, loadBuild } from './backend/wasm.js';
export type { KernelExports } from './backend/wasm.js';
export { createReference } from './backend/reference.js';
export type { RefMemory, ReferenceKernels } from './backend/reference.js';
export { registeredOps, opTable } from './ops/registry.js';
export type { OpInfo } from './ops/registry.js';
export * from './ops/index.js';
export { CSRMatrix, remapSlots } from './sparse/csr.js';
export type { CSROptions, Coords, KeepRule, Rebuilt, TransposedIndex } from './sparse/csr.js';
