// The allocator for tensor storage inside the wasm linear memory.
//
// Blocks are rounded up to size classes (8 classes per power of two, multiples of 16 bytes, so at
// most 12.5% waste) and tile the region [base, top) with no gaps. A freed block is merged at once
// with free neighbours (boundary tags kept in JS maps), and a free run that ends at the top is
// given back to the top. A request takes a free block of its own class if there is one, else the
// smallest larger free block (split; the rest stays free), else fresh bytes at the top.
// Why merge: with random sequence lengths (the AWD default) every step allocates a different mix
// of sizes. With exact-size free lists alone the blocks of one step could not serve the next and
// the heap grew to ~10× the live bytes; merged, a step's freed memory becomes one region again
// that the next step's shapes are cut from, whatever they are, so memory stays flat.
//
// Every size is checked before the heap is touched: a size that is not a safe non-negative
// integer, or that cannot fit in the memory's maximum, is refused with a RangeError (an Infinity
// size once gave every later tensor the same address). A free that does not match a live block
// (twice, or with another size) is refused too.
//
// Memory is grown with `memory.grow`, which detaches every existing view: always go through
// `f32()` / `i32()` / `u16()` / `u8()`, which re-derive the views when the buffer has changed.
import { kernels } from './wasm.js';

const ALIGN = 16; // v128 loads are fastest on 16-byte boundaries
const PAGE = 65536;
/** The kernel module's maximum memory (asconfig.json maximumMemory: 65536 pages = 4 GiB). */
export const MAX_MEMORY_BYTES = 65536 * PAGE;

/** Rounds a byte count up to its size class (a multiple of 16; classes ≤ 12.5% apart above 128). */
export function sizeClass(bytes: number): number {
  if (bytes <= 128) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const step = 2 ** floorLog2(bytes) / 8;
  return Math.ceil(bytes / step) * step;
}

/** ⌊log2 n⌋ for n ≥ 1 (exact: Math.log2 can round up just below a power of two). */
function floorLog2(n: number): number {
  if (n < 2 ** 32) return 31 - Math.clz32(n);
  let e = Math.floor(Math.log2(n));
  if (2 ** e > n) e--;
  return e;
}

/**
 * Index of the largest class ≤ `size` (a multiple of 16): 16…128 → 0…7, then eight classes per
 * power of two (2^e + k·2^e/8 → 7 + 8(e − 7) + k). Lists of free blocks are indexed by it, so
 * every block in list i is at least class i's size.
 */
export function classIndex(size: number): number {
  if (size <= 128) return size / ALIGN - 1;
  const e = floorLog2(size);
  const k = Math.floor((size - 2 ** e) / (2 ** e / 8));
  return 7 + 8 * (e - 7) + k;
}
const CLASSES = 8 + 8 * 27; // every size up to 2^34

class Heap {
  private top: number;
  private readonly base: number;
  /** Free blocks by class index (of the largest class ≤ their size), and each one's place in its list. */
  private readonly lists: number[][] = Array.from({ length: CLASSES }, () => []);
  private readonly freePos = new Map<number, number>();
  /** Free blocks: start → size and end → start (the boundary tags that merging needs). */
  private readonly freeSize = new Map<number, number>();
  private readonly freeEndToStart = new Map<number, number>();
  /** Bit i set when list i is non-empty, so the search for a fitting block skips empty classes. */
  private readonly nonEmpty = new Uint32Array(Math.ceil(CLASSES / 32));
  /** Blocks handed out: start → size, so a wrong or repeated free is caught, not silently corrupting. */
  private readonly used = new Map<number, number>();
  private buffer: ArrayBuffer | null = null;
  private f32View = new Float32Array(0);
  private i32View = new Int32Array(0);
  private u8View = new Uint8Array(0);
  private u16View = new Uint16Array(0);
  /** Bytes in blocks currently handed out (size-class rounded). */
  liveBytes = 0;
  /** Highest liveBytes ever seen. */
  peakBytes = 0;
  /** liveBytes may not exceed this (see withAllocationLimit). */
  private liveLimit = Infinity;
  /** When set, every block handed out is filled with this byte (see setHeapPoison). */
  poison: number | null = null;

  constructor(private readonly memory: WebAssembly.Memory, base: number, private readonly maxBytes = MAX_MEMORY_BYTES) {
    this.top = this.base = Math.ceil(base / ALIGN) * ALIGN;
  }

  /** Allocates `bytes` (rounded up to a size class); contents are unspecified. */
  alloc(bytes: number): number {
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(`selfish-rnn: cannot allocate ${String(bytes)} bytes: a size must be a non-negative integer`);
    }
    if (bytes > this.maxBytes - this.base) {
      throw new RangeError(`selfish-rnn: cannot allocate ${bytes} bytes: more than the ${this.maxBytes}-byte wasm memory can hold`);
    }
    const size = sizeClass(bytes);
    if (this.liveBytes + size > this.liveLimit) throw new AllocationLimitError(bytes, this.liveLimit);
    let ptr = this.takeFree(size);
    if (ptr < 0) ptr = this.takeTop(size, bytes);
    this.used.set(ptr, size);
    this.liveBytes += size;
    if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes;
    if (this.poison !== null) this.u8().fill(this.poison, ptr, ptr + size);
    return ptr;
  }

  /**
   * Runs fn with at most `extraBytes` more live bytes than now; an allocation beyond that throws
   * AllocationLimitError. For building something whose size is claimed by untrusted input (a
   * checkpoint's configuration) without first filling the memory with it.
   */
  withAllocationLimit<T>(extraBytes: number, fn: () => T): T {
    const saved = this.liveLimit;
    this.liveLimit = Math.min(saved, this.liveBytes + extraBytes);
    try {
      return fn();
    } finally {
      this.liveLimit = saved;
    }
  }

  /** Returns a block obtained from `alloc(bytes)` with the same `bytes`. */
  free(ptr: number, bytes: number): void {
    const size = sizeClass(bytes);
    if (this.used.get(ptr) !== size) {
      throw new Error(`selfish-rnn: heap.free(${ptr}, ${bytes}) does not match a live allocation (freed twice, or a wrong size)`);
    }
    this.used.delete(ptr);
    this.liveBytes -= size;
    let start = ptr, end = ptr + size;
    const before = this.freeEndToStart.get(start);
    if (before !== undefined) {
      this.removeFree(before);
      start = before;
    }
    const after = this.freeSize.get(end);
    if (after !== undefined) {
      this.removeFree(end);
      end += after;
    }
    if (end === this.top) this.top = start;
    else this.addFree(start, end - start);
  }

  /** Fresh bytes at the top, growing the memory when needed. */
  private takeTop(size: number, bytes: number): number {
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > this.maxBytes) {
      throw new RangeError(`selfish-rnn: out of wasm memory allocating ${bytes} bytes (heap ${have} bytes of at most ${this.maxBytes}, live ${this.liveBytes} bytes)`);
    }
    if (end > have) {
      // Grow by at least 25% so growth events stay rare (never past the maximum).
      const need = Math.ceil((end - have) / PAGE);
      const pages = Math.min(Math.max(need, Math.ceil(have / PAGE / 4)), (this.maxBytes - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        try {
          this.memory.grow(need); // the 25% margin may be what did not fit
        } catch {
          throw new RangeError(`selfish-rnn: out of wasm memory allocating ${bytes} bytes (heap ${have} bytes, live ${this.liveBytes} bytes)`);
        }
      }
    }
    this.top = end;
    return ptr;
  }

  /** A free block of at least `size` bytes, split to exactly `size`; -1 if none. */
  private takeFree(size: number): number {
    // Blocks in list c are ≥ the class size of c, which is `size` itself; later lists hold larger blocks.
    const c = this.firstNonEmpty(classIndex(size));
    if (c < 0) return -1;
    const list = this.lists[c]!;
    const ptr = list[list.length - 1]!;
    const blockSize = this.freeSize.get(ptr)!;
    this.removeFree(ptr);
    if (blockSize > size) this.addFree(ptr + size, blockSize - size);
    return ptr;
  }

  /** The first class index ≥ c with a free block, or -1. */
  private firstNonEmpty(c: number): number {
    for (let w = c >>> 5; w < this.nonEmpty.length; w++) {
      let bits = this.nonEmpty[w]!;
      if (w === c >>> 5) bits &= ~0 << (c & 31);
      if (bits !== 0) return w * 32 + (31 - Math.clz32(bits & -bits));
    }
    return -1;
  }

  private addFree(ptr: number, size: number): void {
    const c = classIndex(size);
    const list = this.lists[c]!;
    if (list.length === 0) this.nonEmpty[c >>> 5] |= 1 << (c & 31);
    this.freePos.set(ptr, list.length);
    list.push(ptr);
    this.freeSize.set(ptr, size);
    this.freeEndToStart.set(ptr + size, ptr);
  }

  private removeFree(ptr: number): void {
    const size = this.freeSize.get(ptr)!;
    const c = classIndex(size);
    const list = this.lists[c]!;
    const pos = this.freePos.get(ptr)!;
    const last = list.pop()!;
    if (last !== ptr) {
      list[pos] = last;
      this.freePos.set(last, pos);
    }
    if (list.length === 0) this.nonEmpty[c >>> 5] &= ~(1 << (c & 31));
    this.freePos.delete(ptr);
    this.freeSize.delete(ptr);
    this.freeEndToStart.delete(ptr + size);
  }

  /** Bytes between the heap's base and its top (handed out or free inside): what fragmentation inflates. */
  get heapBytes(): number {
    return this.top - this.base;
  }

  /** Total size of the wasm memory in bytes (what the tab or process actually holds). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    if (buf !== this.buffer) {
      this.buffer = buf;
      this.f32View = new Float32Array(buf);
      this.i32View = new Int32Array(buf);
      this.u8View = new Uint8Array(buf);
      this.u16View = new Uint16Array(buf);
    }
  }

  /** A Float32Array over the whole memory; index = byteOffset / 4. Re-derived after growth. */
  f32(): Float32Array {
    this.refresh();
    return this.f32View;
  }

  /** An Int32Array over the whole memory; index = byteOffset / 4. Re-derived after growth. */
  i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }

  /** A Uint16Array over the whole memory; index = byteOffset / 2. Re-derived after growth. */
  u16(): Uint16Array {
    this.refresh();
    return this.u16View;
  }

  /** A Uint8Array over the whole memory. Re-derived after growth. */
  u8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }
}

/** An allocation refused by Heap.withAllocationLimit. */
export class AllocationLimitError extends RangeError {
  override name = 'AllocationLimitError';
  constructor(readonly bytes: number, readonly limit: number) {
    super(`selfish-rnn: allocating ${bytes} bytes would exceed the allowed ${limit} live bytes`);
  }
}

/** The process-wide heap in the kernel module's memory. */
export const heap = new Heap(kernels.memory, kernels.heap_base());

/**
 * A debugging aid: while set, every allocation is filled with `byte` (0xff reads as NaN in float32
 * and -1 in int32), so code that reads memory it never wrote gives other results than with a
 * fresh heap. The fuzz harness judges every input with and without it. null turns it off.
 */
export function setHeapPoison(byte: number | null): void {
  if (byte !== null && !(Number.isInteger(byte) && byte >= 0 && byte <= 255)) throw new RangeError(`selfish-rnn: setHeapPoison needs a byte (0…255) or null, got ${String(byte)}`);
  heap.poison = byte;
}

/** Memory statistics: live tensor bytes, the peak, the heap's extent and the wasm memory size. */
export function memoryStats(): { liveBytes: number; peakBytes: number; heapBytes: number; memoryBytes: number } {
  return { liveBytes: heap.liveBytes, peakBytes: heap.peakBytes, heapBytes: heap.heapBytes, memoryBytes: heap.memoryBytes };
}
