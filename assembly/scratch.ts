// Per-thread scratch: the static buffers the kernels pack operands into (see assembly/README.md
// for the memory map). One region of SCRATCH_BYTES per thread: thread 0 (the calling thread, and
// the only one in the single-threaded builds) uses the static region below __heap_base; in the
// threaded build every worker's instance is pointed at its own region, allocated from the heap by
// the calling thread, with set_scratch. Globals are per instance, memory is shared: so the base
// lives in a global and the kernels read it at their entry.

/** Packed op(B) panel of the blocked GEMM (256 KiB). */
export const GEMM_PANEL_BYTES: i32 = 256 << 10;
/** Packed Aᵀ block of gemm_tn (128 KiB). */
export const GEMM_ABLOCK_BYTES: i32 = 128 << 10;
/** Packed operand panel of the large-N sparse kernels (256 KiB). */
export const SPARSE_PACK_BYTES: i32 = 256 << 10;
/** Column pointers of SpMMᵀ's transposed row block (64 KiB = 16384 columns). */
export const TBLOCK_PTR_BYTES: i32 = 64 << 10;
/** Rows + values of the transposed row block, also SDDMM's partial sums (256 KiB). */
export const TBLOCK_DATA_BYTES: i32 = 256 << 10;
/** SDDMM's four partial-sum vectors (64 bytes). */
export const SDDMM_SCRATCH_BYTES: i32 = 64;

// Offsets inside one region (all 64-byte aligned).
export const OFF_GEMM_PANEL: usize = 0;
export const OFF_GEMM_ABLOCK: usize = OFF_GEMM_PANEL + <usize>GEMM_PANEL_BYTES;
export const OFF_SPARSE_PACK: usize = OFF_GEMM_ABLOCK + <usize>GEMM_ABLOCK_BYTES;
export const OFF_TBLOCK_PTR: usize = OFF_SPARSE_PACK + <usize>SPARSE_PACK_BYTES;
export const OFF_TBLOCK_DATA: usize = OFF_TBLOCK_PTR + <usize>TBLOCK_PTR_BYTES;
export const OFF_SDDMM_SCRATCH: usize = OFF_TBLOCK_DATA + <usize>TBLOCK_DATA_BYTES;
/** Bytes of one thread's region. */
export const SCRATCH_BYTES: i32 = <i32>OFF_SDDMM_SCRATCH + SDDMM_SCRATCH_BYTES;

/** Thread 0's region, in static data (never handed out by the allocator). */
const STATIC_SCRATCH: usize = memory.data(SCRATCH_BYTES, 64);

/** This instance's region. */
export let scratchBase: usize = STATIC_SCRATCH;

/** Points this instance's kernels at the region [base, base + scratch_bytes()) (64-byte aligned). */
export function set_scratch(base: usize): void {
  scratchBase = base == 0 ? STATIC_SCRATCH : base;
}

/** Bytes of one thread's scratch region. */
export function scratch_bytes(): i32 {
  return SCRATCH_BYTES;
}

/** First and last+1 of `part`'s share of n units split into `parts` nearly equal contiguous ranges. */
@inline export function partLo(n: i32, part: i32, parts: i32): i32 {
  return <i32>((<i64>n * <i64>part) / <i64>parts);
}
