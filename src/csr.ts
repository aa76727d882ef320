// CSRMatrix: a sparse weight matrix stored so that the missing entries cost nothing. It is a kind
// of tensor (its values are a Tensor leaf), so it lives beside src/tensor.ts, below the ops.
//
// Compressed Sparse Row (CSR) keeps only the nonzeros, row by row. For
//
//        col:  0    1    2    3
//   row 0   [  .   1.5   .   2.0 ]        rowPtr = [0, 2, 2, 3]      (rows + 1 entries)
//   row 1   [  .    .    .    .  ]        colIdx = [1, 3, 0]         (nnz entries)
//   row 2   [ 0.7   .    .    .  ]        values = [1.5, 2.0, 0.7]   (nnz entries)
//
// the nonzeros of row i sit in the *slots* s = rowPtr[i] .. rowPtr[i+1]-1: colIdx[s] is their
// column (ascending within a row) and values[s] their value. Row 1 is empty: rowPtr[1] = rowPtr[2].
// A slot is the identity of a nonzero: `values.grad[s]` is d(loss)/d(W[i, colIdx[s]]), and an
// optimizer keeps its state (momentum, averages) in arrays aligned to the slots.
//
// Contract:
//  - The topology (rows, cols, rowPtr, colIdx) of a CSRMatrix never changes. Dynamic sparse
//    training changes it with `rebuild`, which returns a NEW matrix plus a slot map telling, for
//    every new slot, which old slot it came from, so values and optimizer state can be carried over.
//  - The values are an ordinary Tensor of shape [nnz] (persistent, requiresGrad for a weight): the
//    autodiff engine sees an ordinary leaf and accumulates its gradient at the nonzeros only.
//    (`persistent: false` makes all the buffers part of the enclosing `tidy` scope instead.)
//  - All three arrays live in wasm memory (rowPtr an IntTensor, colIdx an IndexArray), so the
//    kernels in assembly/sparse.ts read them in place. `dispose()` frees everything, including
//    values.grad.
//  - Column indices are 16-bit (u16) when the matrix has at most 65,536 columns, 32-bit otherwise
//    (`colIdx.wide`); likewise the transposed index's row indices by the number of rows. A product
//    streams the matrix once, so 6 bytes per nonzero instead of 8 is less memory and less traffic;
//    the kernels come in both widths and give the same bits. Every built-in model's matrices fit
//    (a decoder has the vocabulary on its rows). Files keep i32 (`colIdx.toInt32Array()`).
//  - The values tensor can outlive the matrix as a stable parameter handle: `adoptValuesHandle(t)`
//    moves a new matrix's values into an existing tensor `t` (Tensor.replaceStorage), so whoever
//    holds `t` (a parameter list, an optimizer) now holds the new matrix's values. A matrix whose
//    values were moved on that way no longer owns them: it refuses to be used, and its `dispose()`
//    leaves the tensor alone.
//  - Entries present in the topology may hold the value 0 (a freshly grown weight does): a
//    structural nonzero is "a weight that exists", not "a weight that is not zero".
import { IndexArray, IntTensor, Tensor, U16_INDEX_LIMIT, shapeString } from './tensor.js';
import { globalRandom, type Random } from './random.js';

/** Tests and benchmarks only: see forceWideIndices. */
let wideForced = false;

/**
 * Tests and benchmarks only: while on, new matrices (and transposed indices) store i32 indices
 * whatever their size, so the i32 kernels can be compared with the u16 ones on the same matrix and
 * a training run repeated with the storage of before. Returns the previous setting.
 */
export function forceWideIndices(on: boolean): boolean {
  const prev = wideForced;
  wideForced = on;
  return prev;
}

/** Whether indices below `extent` need 32 bits. */
function wideIndices(extent: number): boolean {
  return wideForced || extent > U16_INDEX_LIMIT;
}

export interface CSROptions {
  /** Whether the values are a trainable leaf (default true: a CSRMatrix is normally a weight). */
  requiresGrad?: boolean;
  /** Name for error messages and state dicts; copied by `rebuild`. */
  name?: string;
  /**
   * Default true: the matrix lives until `dispose()`, like a parameter. False makes its buffers
   * ordinary tensors of the enclosing `tidy` scope (a matrix built for one step, or in a test).
   */
  persistent?: boolean;
}

/** Coordinate lists: entry k is (row[k], col[k]) with value value[k] (0 when value is omitted). */
export interface Coords {
  row: ArrayLike<number>;
  col: ArrayLike<number>;
  value?: ArrayLike<number>;
}

/** Which entries of a dense matrix to keep: a mask (nonzero = keep) or a predicate. */
export type KeepRule = Tensor | ArrayLike<number | boolean> | ((value: number, row: number, col: number) => boolean);

/** The transposed index (CSC) of a matrix: built once per topology, for the gather form of Wᵀ·G. */
export interface TransposedIndex {
  /** cols + 1 entries: the nonzeros of column j are entries colPtr[j] .. colPtr[j+1]-1. */
  readonly colPtr: IntTensor;
  /** Row of each entry (ascending within a column): u16 when the matrix has ≤ 65,536 rows. */
  readonly rowIdx: IndexArray;
  /** CSR slot of each entry, so the values stay in CSR order and need no copy. */
  readonly slotOf: IntTensor;
}

/** The result of a topology change. */
export interface Rebuilt {
  matrix: CSRMatrix;
  /** For each slot of the new matrix, the old slot it came from, or −1 for a new entry (value 0). */
  oldSlotOf: Int32Array;
}

export class CSRMatrix {
  readonly rows: number;
  readonly cols: number;
  /** rows + 1 slot offsets; row i owns slots rowPtr[i] .. rowPtr[i+1]-1. */
  readonly rowPtr: IntTensor;
  /** Column of every slot, ascending within each row: u16 when cols ≤ 65,536, else i32 (`colIdx.wide`). */
  readonly colIdx: IndexArray;
  private valuesTensor: Tensor;
  /** The values' storageVersion while this matrix owns their storage. */
  private valuesVersion: number;
  private transposed: TransposedIndex | null = null;
  private disposed = false;
  private readonly persistent: boolean;

  /**
   * Adopts already-built arrays (they become owned by the matrix). Use the static constructors;
   * this one does not validate (see `fromParts` for validated raw arrays).
   */
  private constructor(rows: number, cols: number, rowPtr: IntTensor, colIdx: IndexArray, values: Tensor, persistent: boolean) {
    this.persistent = persistent;
    this.rows = rows;
    this.cols = cols;
    this.rowPtr = rowPtr;
    this.colIdx = colIdx;
    this.valuesTensor = values;
    this.valuesVersion = values.storageVersion;
  }

  /** Value of every slot: a Tensor of shape [nnz] (persistent unless the matrix is not), the autodiff leaf. */
  get values(): Tensor {
    return this.valuesTensor;
  }

  /**
   * Makes `handle` this matrix's values: it takes over the values' storage (its own storage and
   * gradient are freed; see Tensor.replaceStorage) and keeps its identity, so a parameter list or an
   * optimizer that holds `handle` follows the weight. `handle` must be a leaf no live matrix uses
   * (a dense weight being made sparse, or the values of a matrix this one replaces, which is then
   * disposed). The sparse engine uses it at every topology change.
   */
  adoptValuesHandle(handle: Tensor): void {
    this.assertLive();
    if (!(handle instanceof Tensor)) throw new TypeError('selfish-rnn: CSRMatrix.adoptValuesHandle expects a Tensor');
    if (handle === this.valuesTensor) return;
    const name = this.name;
    handle.replaceStorage(this.valuesTensor);
    if (handle.name === undefined && name !== undefined) handle.name = name;
    this.valuesTensor = handle;
    this.valuesVersion = handle.storageVersion;
  }

  /** Number of stored entries (structural nonzeros). */
  get nnz(): number {
    return this.values.size;
  }

  /**
   * Bytes of the matrix's own arrays in wasm memory: values (4 per nonzero), column indices (2 or 4)
   * and row pointers (4 per row + 4). Not counted: the values' gradient and the transposed index,
   * which a threaded run builds for the gather form of Wᵀ·G (6–8 bytes per nonzero + 4 per column).
   */
  get storageBytes(): number {
    return 4 * this.nnz + this.colIdx.bytes + 4 * (this.rows + 1);
  }

  /** nnz / (rows·cols); 0 for an empty shape. */
  get density(): number {
    return this.rows * this.cols === 0 ? 0 : this.nnz / (this.rows * this.cols);
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  get name(): string | undefined {
    return this.values.name;
  }

  /** Disposed, or its values were moved to another matrix (adoptValuesHandle). */
  get isDisposed(): boolean {
    return this.disposed || this.valuesTensor.storageVersion !== this.valuesVersion || this.valuesTensor.isDisposed;
  }

  // ---- construction -------------------------------------------------------------------------

  /**
   * Keeps the entries of a 2-D dense tensor selected by `keep` (default: the entries that are not
   * 0). Kept entries keep their value, even 0, so a mask alone fixes the topology.
   */
  static fromDense(dense: Tensor, keep?: KeepRule, opts: CSROptions = {}): CSRMatrix {
    dense.assertLive();
    if (dense.rank !== 2) throw new RangeError(`selfish-rnn: CSRMatrix.fromDense expects a 2-D tensor, got ${shapeString(dense.shape)}`);
    const [rows, cols] = dense.shape as [number, number];
    const d = dense.toArray();
    const kept = keepFlags(keep, d, rows, cols);
    const rowPtr = new Int32Array(rows + 1);
    let nnz = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) if (kept(i * cols + j)) nnz++;
      rowPtr[i + 1] = nnz;
    }
    const colIdx = new Int32Array(nnz), values = new Float32Array(nnz);
    let s = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        if (!kept(i * cols + j)) continue;
        colIdx[s] = j;
        values[s++] = d[i * cols + j]!;
      }
    }
    return CSRMatrix.adopt(rows, cols, rowPtr, colIdx, values, opts);
  }

  /**
   * Builds a matrix from coordinate lists in any order. Repeated coordinates are an error (they
   * would be ambiguous: summed? overwritten?); out-of-range coordinates too.
   */
  static fromCoords(shape: readonly [number, number], coords: Coords, opts: CSROptions = {}): CSRMatrix {
    const [rows, cols] = checkShape(shape, 'fromCoords');
    const n = coords.row.length;
    if (coords.col.length !== n || (coords.value !== undefined && coords.value.length !== n)) {
      throw new RangeError(
        `selfish-rnn: CSRMatrix.fromCoords: row, col and value lists must have the same length, got ${n}, ${coords.col.length}` +
          (coords.value !== undefined ? ` and ${coords.value.length}` : ''),
      );
    }
    const row = Int32Array.from(coords.row), col = Int32Array.from(coords.col);
    checkCoords(row, col, coords.row, coords.col, rows, cols, 'fromCoords');
    const order = sortByRowCol(row, col, rows, cols);
    rejectDuplicates(order, row, col, 'fromCoords');
    const rowPtr = new Int32Array(rows + 1);
    for (let k = 0; k < n; k++) rowPtr[row[k]! + 1]++;
    for (let i = 0; i < rows; i++) rowPtr[i + 1] += rowPtr[i]!;
    const colIdx = new Int32Array(n), values = new Float32Array(n);
    for (let s = 0; s < n; s++) {
      const k = order[s]!;
      colIdx[s] = col[k]!;
      values[s] = coords.value === undefined ? 0 : coords.value[k]!;
    }
    return CSRMatrix.adopt(rows, cols, rowPtr, colIdx, values, opts);
  }

  /**
   * Builds a matrix from raw CSR arrays (e.g. a checkpoint), validating them. When `values` is a
   * Tensor of shape [nnz] it is adopted as the matrix's values (and disposed with it); otherwise
   * the numbers are copied into a new values tensor.
   */
  static fromParts(
    shape: readonly [number, number],
    rowPtr: ArrayLike<number>,
    colIdx: ArrayLike<number>,
    values: Tensor | ArrayLike<number>,
    opts: CSROptions = {},
  ): CSRMatrix {
    const [rows, cols] = checkShape(shape, 'fromParts');
    const rp = Int32Array.from(rowPtr), ci = Int32Array.from(colIdx);
    const valueCount = values instanceof Tensor ? values.size : values.length;
    const problem = csrArraysProblem({ rows, cols, rowPtr: rp, colIdx: ci, nnz: valueCount });
    if (problem !== null) throw new RangeError(`selfish-rnn: CSRMatrix.fromParts: the matrix ${problem}`);
    const nnz = valueCount;
    if (values instanceof Tensor && values.rank !== 1) throw new RangeError(`selfish-rnn: CSRMatrix.fromParts: values must have shape [${nnz}] (nnz), got ${shapeString(values.shape)}`);
    if (values instanceof Tensor) {
      values.assertLive();
      const persistent = opts.persistent ?? true;
      return new CSRMatrix(rows, cols, new IntTensor(rp, [rows + 1], { persistent }), new IndexArray(ci, wideIndices(cols), { persistent }), values, persistent);
    }
    return CSRMatrix.adopt(rows, cols, rp, ci, Float32Array.from(values), opts);
  }

  /**
   * A random topology: every entry kept independently with probability `density` (Bernoulli, as
   * Selfish-RNN's "uniform" initialisation), kept values drawn by `init` (default N(0, 1)).
   * Draws row-major, one uniform per entry, then one `init` per kept entry.
   */
  static random(
    shape: readonly [number, number],
    density: number,
    opts: CSROptions & { rng?: Random; init?: (rng: Random) => number } = {},
  ): CSRMatrix {
    const [rows, cols] = checkShape(shape, 'random');
    if (!(density >= 0 && density <= 1)) throw new RangeError(`selfish-rnn: CSRMatrix.random: density must be in [0, 1], got ${density}`);
    const rng = opts.rng ?? globalRandom;
    const init = opts.init ?? ((r: Random) => r.normal());
    const rowPtr = new Int32Array(rows + 1);
    const cols32: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) if (rng.uniform() < density) cols32.push(j);
      rowPtr[i + 1] = cols32.length;
    }
    const values = new Float32Array(cols32.length);
    for (let s = 0; s < values.length; s++) values[s] = init(rng);
    return CSRMatrix.adopt(rows, cols, rowPtr, Int32Array.from(cols32), values, opts);
  }

  /** Copies validated JS arrays into wasm memory and wraps them. */
  private static adopt(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, opts: CSROptions): CSRMatrix {
    const persistent = opts.persistent ?? true;
    const v = new Tensor([values.length], { requiresGrad: opts.requiresGrad ?? true, persistent });
    v.data.set(values);
    if (opts.name !== undefined) v.name = opts.name;
    const rp = new IntTensor(rowPtr, [rows + 1], { persistent });
    const ci = new IndexArray(colIdx, wideIndices(cols), { persistent });
    return new CSRMatrix(rows, cols, rp, ci, v, persistent);
  }

  // ---- reading --------------------------------------------------------------------------------

  /** The dense rows×cols matrix (a new tensor; entries outside the topology are 0). */
  toDense(): Tensor {
    this.assertLive();
    const out = new Tensor([this.rows, this.cols]);
    const d = new Float32Array(this.rows * this.cols);
    const rp = this.rowPtr.data, ci = this.colIdx.data, v = this.values.data;
    for (let i = 0; i < this.rows; i++) {
      for (let s = rp[i]!; s < rp[i + 1]!; s++) d[i * this.cols + ci[s]!] = v[s]!;
    }
    out.data.set(d);
    return out;
  }

  /** Copies of the coordinate lists in slot order (row-major, columns ascending). */
  coords(): { row: Int32Array; col: Int32Array; value: Float32Array } {
    this.assertLive();
    return { row: this.rowOfSlots(), col: this.colIdx.toInt32Array(), value: this.values.toArray() };
  }

  /** The row of every slot (the inverse of rowPtr), as a new array. */
  rowOfSlots(): Int32Array {
    this.assertLive();
    const rp = this.rowPtr.data;
    const row = new Int32Array(this.nnz);
    for (let i = 0; i < this.rows; i++) row.fill(i, rp[i]!, rp[i + 1]!);
    return row;
  }

  /**
   * The transposed index (CSC), built on first use in O(nnz + cols) and kept until dispose: the
   * topology never changes, so it never goes stale. Used by the gather form of Wᵀ·G.
   */
  transposedIndex(): TransposedIndex {
    this.assertLive();
    if (this.transposed !== null) return this.transposed;
    const { rows, cols, nnz } = this;
    const rp = this.rowPtr.data.slice(), ci = this.colIdx.data.slice();
    const colPtr = new Int32Array(cols + 1);
    for (let s = 0; s < nnz; s++) colPtr[ci[s]! + 1]++;
    for (let j = 0; j < cols; j++) colPtr[j + 1] += colPtr[j]!;
    const next = colPtr.slice(0, cols);
    const rowIdx = new Int32Array(nnz), slotOf = new Int32Array(nnz);
    for (let i = 0; i < rows; i++) {
      for (let s = rp[i]!; s < rp[i + 1]!; s++) {
        const t = next[ci[s]!]!++;
        rowIdx[t] = i; // rows visited in ascending order, so ascending within each column
        slotOf[t] = s;
      }
    }
    this.transposed = {
      colPtr: new IntTensor(colPtr, [cols + 1], { persistent: this.persistent }),
      rowIdx: new IndexArray(rowIdx, wideIndices(rows), { persistent: this.persistent }),
      slotOf: new IntTensor(slotOf, [nnz], { persistent: this.persistent }),
    };
    return this.transposed;
  }

  // ---- topology change ------------------------------------------------------------------------

  /**
   * A new matrix without the slots `removed` and with the entries `added` (value 0), plus the slot
   * map old → new. Surviving entries keep their values. O(nnz + rows + cols + added): the added
   * coordinates are ordered by two counting sorts, then merged row by row with the survivors.
   * Errors: a removed slot out of range or listed twice; an added coordinate out of range, listed
   * twice, or already present and not removed. (Removing a slot and adding its coordinate back
   * is allowed: the entry restarts at 0, as a regrown weight does.) This matrix is left intact;
   * dispose it when done.
   */
  rebuild(removed: ArrayLike<number>, added: Pick<Coords, 'row' | 'col'>): Rebuilt {
    this.assertLive();
    const { rows, cols, nnz } = this;
    const what = `selfish-rnn: CSRMatrix.rebuild${this.name ? ` '${this.name}'` : ''}:`;

    const gone = new Uint8Array(nnz);
    for (let k = 0; k < removed.length; k++) {
      const s = removed[k]!;
      if (!Number.isInteger(s) || s < 0 || s >= nnz) throw new RangeError(`${what} removed slot ${s} (entry ${k}) is outside [0, ${nnz})`);
      if (gone[s]) throw new RangeError(`${what} slot ${s} is removed twice`);
      gone[s] = 1;
    }

    if (added.col.length !== added.row.length) {
      throw new RangeError(`${what} added row and col lists differ in length (${added.row.length} vs ${added.col.length})`);
    }
    const addRow = Int32Array.from(added.row), addCol = Int32Array.from(added.col);
    checkCoords(addRow, addCol, added.row, added.col, rows, cols, 'rebuild (added)');
    const order = sortByRowCol(addRow, addCol, rows, cols);
    rejectDuplicates(order, addRow, addCol, 'rebuild (added)');

    const oldPtr = this.rowPtr.data.slice(), oldCol = this.colIdx.data.slice(), oldVal = this.values.toArray();
    const newNnz = nnz - removed.length + addRow.length;
    const rowPtr = new Int32Array(rows + 1), colIdx = new Int32Array(newNnz), values = new Float32Array(newNnz);
    const oldSlotOf = new Int32Array(newNnz);
    let out = 0, a = 0; // next new slot, next added entry (in sorted order)
    for (let i = 0; i < rows; i++) {
      let s = oldPtr[i]!;
      const end = oldPtr[i + 1]!;
      // Merge two ascending column lists: the row's survivors and its added entries.
      for (;;) {
        while (s < end && gone[s]) s++;
        const addHere = a < order.length && addRow[order[a]!] === i;
        if (s >= end && !addHere) break;
        const cOld = s < end ? oldCol[s]! : Infinity;
        const cAdd = addHere ? addCol[order[a]!]! : Infinity;
        if (cOld === cAdd) throw new RangeError(`${what} added entry (${i}, ${cAdd}) is already present (slot ${s}) and not removed`);
        if (cOld < cAdd) {
          colIdx[out] = cOld;
          values[out] = oldVal[s]!;
          oldSlotOf[out++] = s++;
        } else {
          colIdx[out] = cAdd;
          values[out] = 0;
          oldSlotOf[out++] = -1;
          a++;
        }
      }
      rowPtr[i + 1] = out;
    }
    const matrix = CSRMatrix.adopt(rows, cols, rowPtr, colIdx, values, { requiresGrad: this.values.requiresGrad, name: this.name, persistent: this.persistent });
    return { matrix, oldSlotOf };
  }

  // ---- lifetime -------------------------------------------------------------------------------

  /** Frees the index arrays, the values, their gradient and the transposed index. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.rowPtr.dispose();
    this.colIdx.dispose();
    if (this.valuesTensor.storageVersion === this.valuesVersion) {
      this.valuesTensor.grad?.dispose();
      this.valuesTensor.grad = null;
      this.valuesTensor.dispose();
    }
    if (this.transposed !== null) {
      this.transposed.colPtr.dispose();
      this.transposed.rowIdx.dispose();
      this.transposed.slotOf.dispose();
      this.transposed = null;
    }
  }

  /** Throws if the matrix has been disposed (use-after-free guard). */
  assertLive(): void {
    const what = `selfish-rnn: CSRMatrix${this.name ? ` '${this.name}'` : ''} [${this.rows}, ${this.cols}]`;
    if (this.disposed) throw new Error(`${what} used after dispose()`);
    if (this.valuesTensor.storageVersion !== this.valuesVersion) throw new Error(`${what} used after its values were moved to another matrix (a topology update replaced it)`);
    this.valuesTensor.assertLive();
  }

  toString(): string {
    return `CSRMatrix([${this.rows}, ${this.cols}], nnz ${this.nnz}, density ${this.density.toFixed(3)})`;
  }
}

/**
 * Carries a slot-aligned array (an optimizer state, a gradient) over a topology change:
 * out[s] = old[oldSlotOf[s]], or `fill` for a new entry. Accepts a Tensor (returns a new
 * persistent Tensor) or a Float32Array (returns a new Float32Array).
 */
export function remapSlots(old: Tensor, oldSlotOf: Int32Array, fill?: number): Tensor;
export function remapSlots(old: Float32Array, oldSlotOf: Int32Array, fill?: number): Float32Array;
export function remapSlots(old: Tensor | Float32Array, oldSlotOf: Int32Array, fill = 0): Tensor | Float32Array {
  const src = old instanceof Tensor ? old.toArray() : old;
  const out = new Float32Array(oldSlotOf.length);
  for (let s = 0; s < out.length; s++) {
    const o = oldSlotOf[s]!;
    if (o >= src.length) throw new RangeError(`selfish-rnn: remapSlots: slot map refers to old slot ${o} but the array has ${src.length} entries`);
    out[s] = o < 0 ? fill : src[o]!;
  }
  if (!(old instanceof Tensor)) return out;
  const t = new Tensor([out.length], { persistent: true });
  t.data.set(out);
  return t;
}

// ---- helpers --------------------------------------------------------------------------------

function checkShape(shape: readonly [number, number], fn: string): [number, number] {
  const [rows, cols] = shape;
  if (shape.length !== 2 || !Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`selfish-rnn: CSRMatrix.${fn}: shape must be [rows, cols] with non-negative integers, got [${shape.join(', ')}]`);
  }
  return [rows, cols];
}

/** Maps the keep rule to "is flat index k kept?". */
function keepFlags(keep: KeepRule | undefined, d: Float32Array, rows: number, cols: number): (k: number) => boolean {
  if (keep === undefined) return (k) => d[k] !== 0;
  if (typeof keep === 'function') {
    const flags = new Uint8Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) flags[i * cols + j] = keep(d[i * cols + j]!, i, j) ? 1 : 0;
    return (k) => flags[k] === 1;
  }
  const m = keep instanceof Tensor ? keep.toArray() : keep;
  if (m.length !== rows * cols) {
    const got = keep instanceof Tensor ? shapeString(keep.shape) : `${m.length} entries`;
    throw new RangeError(`selfish-rnn: CSRMatrix.fromDense: mask must have ${rows * cols} entries (shape [${rows}, ${cols}]), got ${got}`);
  }
  return (k) => Boolean(m[k]);
}

/** Range check, naming the first offending entry. `origRow/origCol` are the caller's numbers (before i32 conversion). */
function checkCoords(row: Int32Array, col: Int32Array, origRow: ArrayLike<number>, origCol: ArrayLike<number>, rows: number, cols: number, fn: string): void {
  for (let k = 0; k < row.length; k++) {
    if (row[k] !== origRow[k] || row[k]! < 0 || row[k]! >= rows) {
      throw new RangeError(`selfish-rnn: CSRMatrix.${fn}: entry ${k} has row ${origRow[k]}, outside [0, ${rows})`);
    }
    if (col[k] !== origCol[k] || col[k]! < 0 || col[k]! >= cols) {
      throw new RangeError(`selfish-rnn: CSRMatrix.${fn}: entry ${k} has column ${origCol[k]}, outside [0, ${cols})`);
    }
  }
}

/**
 * The permutation that orders entries by (row, col): a stable counting sort by column, then a
 * stable counting sort by row (least significant digit first). O(n + rows + cols), no comparisons.
 */
function sortByRowCol(row: Int32Array, col: Int32Array, rows: number, cols: number): Int32Array {
  const identity = new Int32Array(row.length);
  for (let k = 0; k < identity.length; k++) identity[k] = k;
  return countingSort(row, rows, countingSort(col, cols, identity));
}

function countingSort(key: Int32Array, range: number, order: Int32Array): Int32Array {
  const next = new Int32Array(range + 1);
  for (let t = 0; t < order.length; t++) next[key[order[t]!]! + 1]++;
  for (let r = 0; r < range; r++) next[r + 1] += next[r]!;
  const out = new Int32Array(order.length);
  for (let t = 0; t < order.length; t++) {
    const k = order[t]!;
    out[next[key[k]!]!++] = k;
  }
  return out;
}

/** After sorting, equal coordinates are adjacent. */
function rejectDuplicates(order: Int32Array, row: Int32Array, col: Int32Array, fn: string): void {
  for (let t = 1; t < order.length; t++) {
    const a = order[t - 1]!, b = order[t]!;
    if (row[a] === row[b] && col[a] === col[b]) {
      throw new RangeError(`selfish-rnn: CSRMatrix.${fn}: duplicate entry (${row[b]}, ${col[b]}) at positions ${Math.min(a, b)} and ${Math.max(a, b)}`);
    }
  }
}

/**
 * The first structural problem of CSR arrays, or null when they are well-formed: a valid shape,
 * rows + 1 row pointers rising from 0 to nnz, one in-range column index per value, strictly
 * ascending within each row. The one check of CSR structure (CSRMatrix.fromParts, the checkpoint
 * format's reader and the checkpoint contents check all use it), phrased to follow "the matrix …".
 */
export function csrArraysProblem(a: { rows: number; cols: number; rowPtr: ArrayLike<number>; colIdx: ArrayLike<number>; nnz: number }): string | null {
  const { rows, cols, rowPtr, colIdx, nnz } = a;
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0) return `has invalid shape ${rows}×${cols}`;
  if (rowPtr.length !== rows + 1) return `(${rows}×${cols}) needs ${rows + 1} row pointers, got ${rowPtr.length}`;
  if (rowPtr[0] !== 0) return `has rowPtr[0] = ${rowPtr[0]}, expected 0`;
  for (let r = 0; r < rows; r++) {
    if (rowPtr[r + 1]! < rowPtr[r]!) return `has decreasing row pointers at row ${r} (${rowPtr[r]} → ${rowPtr[r + 1]})`;
  }
  if (rowPtr[rows] !== nnz) return `has ${nnz} values but rowPtr[${rows}] = ${rowPtr[rows]}`;
  if (colIdx.length !== nnz) return `has ${nnz} values but ${colIdx.length} column indices`;
  for (let r = 0; r < rows; r++) {
    for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) {
      const c = colIdx[k]!;
      if (!(c >= 0 && c < cols)) return `has column index ${c} at entry ${k} (row ${r}), outside [0, ${cols})`;
      if (k > rowPtr[r]! && c <= colIdx[k - 1]!) return `has columns ${colIdx[k - 1]} then ${c} in row ${r} (entry ${k}); they must be strictly ascending`;
    }
  }
  return null;
}
