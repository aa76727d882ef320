// The one WebAssembly module: every kernel family is re-exported from here.
// Kernels only take byte pointers and sizes; memory is owned and allocated by TypeScript
// (src/backend/memory.ts) above __heap_base.
export * from './gemm';
export * from './elementwise';
export * from './softmax';
export * from './gather';
export * from './lstm';
export * from './sparse';
export * from './mos';
export * from './mos-fm';
export * from './rhn';
export * from './onlstm';
export * from './inference';

/** First byte the TypeScript allocator may use. */
export function heap_base(): usize { return __heap_base; }

// Per-thread scratch regions (threaded build: each worker's instance gets its own).
export { set_scratch, scratch_bytes } from './scratch';
