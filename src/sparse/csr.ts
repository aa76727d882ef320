// The CSR matrix moved beside the tensor (src/csr.ts), below the ops that use it; this re-export
// keeps the old import path working.
export { CSRMatrix, remapSlots } from '../csr.js';
export type { CSROptions, Coords, KeepRule, Rebuilt, TransposedIndex } from '../csr.js';
