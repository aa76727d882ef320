// Batching for truncated backpropagation through time, as in pytorch/examples word_language_model
// and awd-lstm-lm / AWD-LSTM-MoS (`batchify`, `get_batch`, the training loop's bptt draw).
// Platform-neutral; batches are IntTensors in wasm memory.
import { IntTensor } from '../tensor.js';
import { globalRandom, type Random } from '../random.js';

/**
 * A token stream laid out for batching: `rows` × `batchSize`, row-major (time-major). Column b is
 * the contiguous slice ids[b·rows, (b+1)·rows) of the stream, so data[t·batchSize + b] =
 * ids[b·rows + t].
 */
export interface Batchified {
  readonly data: Int32Array;
  readonly rows: number;
  readonly batchSize: number;
}

/**
 * `batchify` of the reference: drops the last `ids.length mod batchSize` tokens, then lays the
 * stream out as `batchSize` columns of `rows = floor(ids.length / batchSize)` consecutive tokens
 * (`data.view(bsz, -1).t()`).
 */
export function batchify(ids: ArrayLike<number>, batchSize: number): Batchified {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`selfish-rnn: batchSize must be a positive integer, got ${batchSize}`);
  const rows = Math.floor(ids.length / batchSize);
  if (rows < 2) {
    throw new RangeError(`selfish-rnn: ${ids.length} tokens are too few for batch size ${batchSize}: each of the ${batchSize} columns needs at least 2 tokens (an input and its target)`);
  }
  const data = new Int32Array(rows * batchSize);
  for (let b = 0; b < batchSize; b++) {
    const off = b * rows;
    for (let t = 0; t < rows; t++) data[t * batchSize + b] = ids[off + t]!;
  }
  return { data, rows, batchSize };
}

/** The length of the batch at row i: seqLen, clipped so the targets stay inside the data. */
export function clippedSeqLen(source: Batchified, i: number, seqLen: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= source.rows - 1) {
    throw new RangeError(`selfish-rnn: batch start row ${i} is outside [0, ${source.rows - 1}) (the data has ${source.rows} rows; the last one is only a target)`);
  }
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new RangeError(`selfish-rnn: seqLen must be a positive integer, got ${seqLen}`);
  return Math.min(seqLen, source.rows - 1 - i);
}

export interface Batch {
  /** Rows i … i+seqLen−1: [seqLen, batchSize]. */
  input: IntTensor;
  /** The next token of each input: rows i+1 … i+seqLen, [seqLen, batchSize]. */
  target: IntTensor;
}

/**
 * `get_batch(source, i, seq_len)`: input rows [i, i+L) and target rows [i+1, i+L+1), with
 * L = min(seqLen, rows − 1 − i). The tensors belong to the caller (or the enclosing `tidy`).
 */
export function getBatch(source: Batchified, i: number, seqLen: number): Batch {
  const len = clippedSeqLen(source, i, seqLen);
  const B = source.batchSize;
  const input = new IntTensor(source.data.subarray(i * B, (i + len) * B), [len, B]);
  const target = new IntTensor(source.data.subarray((i + 1) * B, (i + 1 + len) * B), [len, B]);
  return { input, target };
}

export interface BpttOptions {
  /** Target sequence length (35 for the stacked LSTM, 70 for AWD-LSTM). */
  bptt: number;
  /**
   * AWD-LSTM's random lengths: with probability 0.95 the mean is bptt, else bptt/2; the length is
   * max(5, trunc(N(mean, 5))), capped at bptt + maxSeqLenDelta. Default false (fixed bptt, as in
   * pytorch/examples and the Selfish-RNN stacked-LSTM script).
   */
  variableLength?: boolean;
  /** Cap of the random length above bptt (AWD-LSTM-MoS: 40; Infinity = awd-lstm-lm, no cap). */
  maxSeqLenDelta?: number;
  /** Generator of the random lengths (default `globalRandom`). */
  rng?: Random;
}

/** Where a BPTT iterator is: save it with the generator's state to resume exactly. */
export interface BpttPosition {
  /** Completed passes over the data. */
  epoch: number;
  /** Start row of the next batch. */
  i: number;
}

export interface BpttSpan {
  epoch: number;
  /** Start row. */
  i: number;
  /** Rows in this batch (the drawn length, clipped at the end of the data). */
  seqLen: number;
  /**
   * Learning-rate multiplier of this batch: drawn length / bptt (AWD scales the lr by it, so
   * shorter sequences take smaller steps); 1 for fixed lengths.
   */
  lrScale: number;
}

export interface BpttBatch extends BpttSpan, Batch {}

/**
 * Walks a batchified stream in BPTT windows, epoch after epoch. `next()` returns the next batch, or
 * null once at the end of each epoch (after which the next epoch starts at row 0).
 *
 * Fixed lengths: windows start at 0, bptt, 2·bptt, … while i < rows − 1 (pytorch/examples).
 * Variable lengths: the AWD loop `while i < rows − 1 − 1`, drawing the length before each batch.
 * All randomness comes from `rng`, so restoring `position` together with the generator's state
 * (`Random.getState()`) reproduces the remaining batches exactly.
 */
export class BpttIterator {
  readonly source: Batchified;
  readonly bptt: number;
  readonly variableLength: boolean;
  readonly maxSeqLenDelta: number;
  readonly rng: Random;
  private pos: BpttPosition = { epoch: 0, i: 0 };

  constructor(source: Batchified, opts: BpttOptions) {
    if (!Number.isInteger(opts.bptt) || opts.bptt < 1) throw new RangeError(`selfish-rnn: bptt must be a positive integer, got ${opts.bptt}`);
    const delta = opts.maxSeqLenDelta ?? 40;
    if (!(delta >= 0)) throw new RangeError(`selfish-rnn: maxSeqLenDelta must be ≥ 0 (or Infinity), got ${delta}`);
    this.source = source;
    this.bptt = opts.bptt;
    this.variableLength = opts.variableLength ?? false;
    this.maxSeqLenDelta = delta;
    this.rng = opts.rng ?? globalRandom;
  }

  get position(): BpttPosition {
    return { ...this.pos };
  }

  set position(p: BpttPosition) {
    if (!Number.isInteger(p?.epoch) || p.epoch < 0 || !Number.isInteger(p.i) || p.i < 0) {
      throw new RangeError(`selfish-rnn: invalid BPTT position ${JSON.stringify(p)}`);
    }
    this.pos = { epoch: p.epoch, i: p.i };
  }

  /** Number of batches in an epoch (exact for fixed lengths; the bptt-based estimate otherwise). */
  get batchesPerEpoch(): number {
    return Math.ceil((this.source.rows - 1) / this.bptt);
  }

  /** The length of the next window, drawn as in the AWD training loop. */
  private drawSeqLen(): number {
    if (!this.variableLength) return this.bptt;
    const mean = this.rng.uniform() < 0.95 ? this.bptt : this.bptt / 2;
    const len = Math.max(5, Math.trunc(mean + 5 * this.rng.normal()));
    return Math.min(len, this.bptt + this.maxSeqLenDelta);
  }

  /** The next window without building tensors, or null at the end of an epoch. */
  nextSpan(): BpttSpan | null {
    const end = this.variableLength ? this.source.rows - 2 : this.source.rows - 1;
    if (this.pos.i >= end) {
      this.pos = { epoch: this.pos.epoch + 1, i: 0 };
      return null;
    }
    const drawn = this.drawSeqLen();
    const i = this.pos.i;
    const span = { epoch: this.pos.epoch, i, seqLen: clippedSeqLen(this.source, i, drawn), lrScale: drawn / this.bptt };
    this.pos = { epoch: this.pos.epoch, i: i + drawn };
    return span;
  }

  /** The next batch (tensors owned by the caller), or null at the end of an epoch. */
  next(): BpttBatch | null {
    const span = this.nextSpan();
    return span && { ...span, ...getBatch(this.source, span.i, span.seqLen) };
  }

  /** The remaining batches of the current epoch. Dispose each batch's tensors (or use `tidy`). */
  *batches(): Generator<BpttBatch, void, undefined> {
    for (let b = this.next(); b !== null; b = this.next()) yield b;
  }
}
