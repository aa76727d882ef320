// The allocator for tensor storage inside the wasm linear memory.
//
// Blocks are rounded up to size classes (8 classes per power of two, so at most 12.5% waste) and
// freed blocks go to a per-class free list for exact reuse. A training loop allocates the same
// sizes every step, so after the first step it is served entirely from the free lists and the
// memory stops growing. Memory is grown with `memory.grow`, which detaches every existing view:
// always go through `f32()` / `i32()`, which re-derive the views when the buffer has changed.
import { kernels } from './wasm.js';

const ALIGN = 16; // v128 loads are fastest on 16-byte boundaries
const PAGE = 65536;

/** Rounds a byte count up to its size class. */
export function sizeClass(bytes: number): number {
  if (bytes <= 64) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const pow = 2 ** Math.floor(Math.log2(bytes));
  const step = pow / 8;
  return Math.ceil(bytes / step) * step;
}

class Heap {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  private buffer: ArrayBuffer | null = null;
  private f32View = new Float32Array(0);
  private i32View = new Int32Array(0);
  private u8View = new Uint8Array(0);
  /** Bytes in blocks currently handed out (size-class rounded). */
  liveBytes = 0;
  /** Highest liveBytes ever seen. */
  peakBytes = 0;

  constructor(private readonly memory: WebAssembly.Memory, base: number) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
  }

  /** Allocates `bytes` (rounded up to a size class); contents are unspecified. */
  alloc(bytes: number): number {
    const size = sizeClass(bytes);
    const list = this.freeLists.get(size);
    let ptr: number;
    if (list !== undefined && list.length > 0) {
      ptr = list.pop()!;
    } else {
      ptr = this.top;
      const end = ptr + size;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        // Grow by at least 25% so growth events stay rare.
        const need = Math.ceil((end - have) / PAGE);
        const pages = Math.max(need, Math.ceil(have / PAGE / 4));
        try {
          this.memory.grow(pages);
        } catch {
          throw new RangeError(
            `selfish-rnn: out of wasm memory allocating ${bytes} bytes (heap ${have} bytes, live ${this.liveBytes} bytes)`,
          );
        }
      }
      this.top = end;
    }
    this.liveBytes += size;
    if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes;
    return ptr;
  }

  /** Returns a block obtained from `alloc(bytes)` with the same `bytes`. */
  free(ptr: number, bytes: number): void {
    const size = sizeClass(bytes);
    let list = this.freeLists.get(size);
    if (list === undefined) this.freeLists.set(size, (list = []));
    list.push(ptr);
    this.liveBytes -= size;
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

  /** A Uint8Array over the whole memory. Re-derived after growth. */
  u8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }
}

/** The process-wide heap in the kernel module's memory. */
export const heap = new Heap(kernels.memory, kernels.heap_base());

/** Memory statistics: live tensor bytes, the peak, and the wasm memory size. */
export function memoryStats(): { liveBytes: number; peakBytes: number; memoryBytes: number } {
  return { liveBytes: heap.liveBytes, peakBytes: heap.peakBytes, memoryBytes: heap.memoryBytes };
}
