// The selfish-rnn checkpoint format: named little-endian arrays plus a JSON header, in one
// self-describing, versioned, checksummed file. Platform-neutral (Uint8Array in, Uint8Array out);
// reading and writing files is src/io/atomic-file.ts's job (Node/Deno only).
//
// Layout (all integers little-endian):
//   offset  size  field
//        0     8  magic "SRNNCKPT"
//        8     4  u32 format version (CHECKPOINT_FORMAT_VERSION)
//       12     4  u32 header length H in bytes
//       16     8  u64 total file length in bytes
//       24     4  u32 CRC-32 of the header bytes
//       28     4  u32 CRC-32 of bytes 0..27 (this preamble)
//       32     H  header: UTF-8 JSON {format, version, meta, tensors}
//         ...     zero padding up to a multiple of 16: the data section starts there (dataStart)
//                 tensor data, in header order, each entry starting at a multiple of 16 from
//                 dataStart, zero padding between entries, nothing after the last one.
// header.tensors[name] = {dtype: 'f32'|'i32'|'u8', shape, offset (from dataStart), byteLength, crc32}.
// The magic and version come first and are checked first, so a later version may change the rest.
// Every byte is covered: preamble and header by their CRCs, tensor data by per-tensor CRCs,
// padding by being required to be zero.

import { csrArraysProblem } from '../csr.js';
import { crc32 } from './crc32.js';
import { littleEndianBytes, readLittleEndian } from './little-endian.js';
import { shapeProduct } from './shape.js';

export const CHECKPOINT_MAGIC = 'SRNNCKPT';
export const CHECKPOINT_FORMAT_NAME = 'selfish-rnn-checkpoint';
/** The format version this build writes, and the newest it reads. */
export const CHECKPOINT_FORMAT_VERSION = 1;
/** Alignment of the data section and of every tensor within it (16 bytes: one v128). */
export const CHECKPOINT_ALIGNMENT = 16;
const PREAMBLE_BYTES = 32;
const MAGIC_BYTES = new TextEncoder().encode(CHECKPOINT_MAGIC);

export type CheckpointDType = 'f32' | 'i32' | 'u8';
export type CheckpointArray = Float32Array | Int32Array | Uint8Array;

export interface CheckpointTensor {
  dtype: CheckpointDType;
  /** Row-major shape; the product of its dimensions is data.length ([] is a scalar). */
  shape: readonly number[];
  data: CheckpointArray;
}

export interface CheckpointContents<M = unknown> {
  /**
   * Anything JSON can hold exactly: config, vocabulary, RNG state, training position, and
   * `kind` (a string such as 'selfish-rnn/lm' that decodeCheckpoint's `expect.kind` checks).
   * Non-finite numbers, typed arrays, Maps, class instances and cycles are refused rather than
   * silently mangled by JSON; object properties whose value is undefined are left out.
   */
  meta: M;
  tensors: Record<string, CheckpointTensor>;
}

/** One entry of the header's tensor table. */
export interface CheckpointTensorRecord {
  dtype: CheckpointDType;
  shape: number[];
  /** Byte offset from the start of the data section; a multiple of CHECKPOINT_ALIGNMENT. */
  offset: number;
  byteLength: number;
  /** CRC-32 of the tensor's little-endian bytes. */
  crc32: number;
}

export interface CheckpointHeader<M = unknown> {
  format: typeof CHECKPOINT_FORMAT_NAME;
  version: number;
  meta: M;
  tensors: Record<string, CheckpointTensorRecord>;
}

export interface DecodeCheckpointOptions {
  /** Refuse the checkpoint unless it is of this kind (its meta.kind). */
  expect?: { kind?: string };
  /** What to call the bytes in error messages, e.g. the file path. Default 'checkpoint'. */
  source?: string;
}

export type CheckpointErrorCode =
  | 'not-a-checkpoint' | 'unsupported-version' | 'truncated' | 'trailing-bytes' | 'corrupt-header'
  | 'corrupt-tensor' | 'shape-mismatch' | 'kind-mismatch' | 'missing-tensor' | 'invalid-csr'
  /** Checksums fine, contents inconsistent (src/train/checkpoint/checkpoint-check.ts): meta, values, training state. */
  | 'invalid-meta' | 'invalid-values' | 'invalid-state'
  /** The checkpoint's model family is not registered (a plugin's family: load the plugin first). */
  | 'unknown-family';

/** Why a checkpoint was refused; `code` for programs, `tensor` names the entry when one is at fault. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(readonly code: CheckpointErrorCode, message: string, readonly tensor?: string) {
    super(`selfish-rnn: ${message}`);
  }
}

const DTYPE_BYTES: Record<CheckpointDType, number> = { f32: 4, i32: 4, u8: 1 };
const DTYPE_ARRAY = { f32: Float32Array, i32: Int32Array, u8: Uint8Array } as const;

// ---------------------------------------------------------------------------------------------
// Encoding

/** The largest checkpoint this build writes and reads: the longest Uint8Array (2^32 bytes = 4 GiB). */
export const MAX_CHECKPOINT_BYTES = 2 ** 32;

/**
 * Serialises `meta` and `tensors` into one checkpoint file's bytes. Tensors keep their key order.
 * A checkpoint larger than `maxBytes` (default MAX_CHECKPOINT_BYTES) is refused: it could not be read back.
 */
export function encodeCheckpoint(contents: CheckpointContents, options: { maxBytes?: number } = {}): Uint8Array {
  const meta = contents.meta === undefined ? null : contents.meta;
  checkJsonValue(meta, 'meta', new Set());
  const table: Record<string, CheckpointTensorRecord> = {};
  const payloads: { at: number; bytes: Uint8Array }[] = [];
  let cursor = 0;
  for (const name of Object.keys(contents.tensors)) {
    const t = contents.tensors[name]!;
    checkTensorForEncoding(name, t);
    const bytes = littleEndianBytes(t.data);
    const offset = alignUp(cursor);
    setOwn(table, name, { dtype: t.dtype, shape: [...t.shape], offset, byteLength: bytes.length, crc32: crc32(bytes) });
    payloads.push({ at: offset, bytes });
    cursor = offset + bytes.length;
  }
  const header: CheckpointHeader = { format: CHECKPOINT_FORMAT_NAME, version: CHECKPOINT_FORMAT_VERSION, meta, tensors: table };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  if (headerBytes.length > 0xffffffff) throw new RangeError(`selfish-rnn: checkpoint header is ${headerBytes.length} bytes; the format allows at most 4 GiB`);
  const dataStart = alignUp(PREAMBLE_BYTES + headerBytes.length);
  const total = dataStart + cursor;
  const max = options.maxBytes ?? MAX_CHECKPOINT_BYTES;
  if (total > max) throw new RangeError(`selfish-rnn: the checkpoint would be ${total} bytes, more than the ${max} bytes selfish-rnn can read back; nothing was written`);

  const out = new Uint8Array(total); // zero-filled, so all padding is zero
  const view = new DataView(out.buffer);
  out.set(MAGIC_BYTES, 0);
  view.setUint32(8, CHECKPOINT_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  view.setUint32(16, total % 2 ** 32, true);
  view.setUint32(20, Math.floor(total / 2 ** 32), true);
  view.setUint32(24, crc32(headerBytes), true);
  view.setUint32(28, crc32(out.subarray(0, 28)), true);
  out.set(headerBytes, PREAMBLE_BYTES);
  for (const p of payloads) out.set(p.bytes, dataStart + p.at);
  return out;
}

function checkTensorForEncoding(name: string, t: CheckpointTensor): void {
  if (name === '') throw new TypeError('selfish-rnn: checkpoint tensor names must not be empty');
  const where = `checkpoint tensor '${name}'`;
  if (t === null || typeof t !== 'object') throw new TypeError(`selfish-rnn: ${where} must be {dtype, shape, data}, got ${describe(t)}`);
  if (!Object.hasOwn(DTYPE_ARRAY, t.dtype)) throw new TypeError(`selfish-rnn: ${where} has dtype '${t.dtype}'; checkpoints store 'f32', 'i32' or 'u8'`);
  const Ctor = DTYPE_ARRAY[t.dtype];
  if (!(t.data instanceof Ctor)) throw new TypeError(`selfish-rnn: ${where} has dtype '${t.dtype}' and needs a ${Ctor.name}, got ${describe(t.data)}`);
  const size = shapeProduct(t.shape);
  if (size === null) throw new RangeError(`selfish-rnn: ${where} has invalid shape ${JSON.stringify(t.shape)}; dimensions must be non-negative integers`);
  if (size !== t.data.length) throw new RangeError(`selfish-rnn: ${where} has shape [${t.shape.join(', ')}] (${size} elements) but ${t.data.length} data elements`);
}

/** Refuses values that JSON would drop or change silently, naming where they are. */
function checkJsonValue(v: unknown, path: string, ancestors: Set<object>): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`selfish-rnn: checkpoint ${path} is ${v}, which JSON cannot hold (store it as a string or null)`);
    return;
  }
  if (typeof v !== 'object') throw new TypeError(`selfish-rnn: checkpoint ${path} is ${describe(v)}, which JSON cannot hold`);
  if (ancestors.has(v)) throw new TypeError(`selfish-rnn: checkpoint ${path} refers back to itself (a cycle)`);
  ancestors.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (v[i] === undefined) throw new TypeError(`selfish-rnn: checkpoint ${path}[${i}] is undefined, which JSON would turn into null`);
      checkJsonValue(v[i], `${path}[${i}]`, ancestors);
    }
  } else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      const hint = ArrayBuffer.isView(v) ? '; store arrays as tensors, or convert with Array.from' : '';
      throw new TypeError(`selfish-rnn: checkpoint ${path} is ${describe(v)}, not a plain object or array${hint}`);
    }
    for (const [k, x] of Object.entries(v)) if (x !== undefined) checkJsonValue(x, `${path}.${k}`, ancestors);
  }
  ancestors.delete(v);
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface CheckpointHeaderInfo<M = unknown> {
  version: number;
  meta: M;
  tensors: Record<string, CheckpointTensorRecord>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

/**
 * Checks the preamble, size and header of a checkpoint and returns the header, without reading
 * tensor data (for tools that list a checkpoint's contents). Throws CheckpointError.
 */
export function readCheckpointHeader<M = unknown>(bytes: Uint8Array, options: DecodeCheckpointOptions = {}): CheckpointHeaderInfo<M> {
  const src = options.source ?? 'checkpoint';
  const n = bytes.length;
  const magicPart = Math.min(n, MAGIC_BYTES.length);
  for (let i = 0; i < magicPart; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) {
      throw new CheckpointError('not-a-checkpoint', `${src} is not a selfish-rnn checkpoint (it does not start with "${CHECKPOINT_MAGIC}"; first bytes: ${hexPreview(bytes)})`);
    }
  }
  if (n < 12) throw new CheckpointError('truncated', `${src} is truncated: ${n} bytes, a checkpoint has at least ${PREAMBLE_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    const why = version > CHECKPOINT_FORMAT_VERSION ? 'it was written by a newer selfish-rnn; upgrade to read it' : 'no selfish-rnn release wrote this version';
    throw new CheckpointError('unsupported-version', `${src} has checkpoint format version ${version}, but this build of selfish-rnn reads version ${CHECKPOINT_FORMAT_VERSION} (${why})`);
  }
  if (n < PREAMBLE_BYTES) throw new CheckpointError('truncated', `${src} is truncated: ${n} bytes, a checkpoint has at least ${PREAMBLE_BYTES}`);
  if (crc32(bytes.subarray(0, 28)) !== view.getUint32(28, true)) {
    throw new CheckpointError('corrupt-header', `${src} is corrupt: its preamble (bytes 0-27: sizes and header checksum) fails its CRC-32 check`);
  }
  const headerLength = view.getUint32(12, true);
  const total = view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32;
  if (n < total) throw new CheckpointError('truncated', `${src} is truncated: expected ${total} bytes, got ${n} (${total - n} missing)`);
  if (n > total) throw new CheckpointError('trailing-bytes', `${src} has ${n - total} unexpected bytes after its end: expected ${total} bytes, got ${n}`);
  const dataStart = alignUp(PREAMBLE_BYTES + headerLength);
  if (dataStart > total) throw new CheckpointError('corrupt-header', `${src} is corrupt: its header (${headerLength} bytes) does not fit in ${total} bytes`);

  const headerBytes = bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength);
  if (crc32(headerBytes) !== view.getUint32(24, true)) throw new CheckpointError('corrupt-header', `${src} is corrupt: its JSON header fails its CRC-32 check`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new CheckpointError('corrupt-header', `${src} is corrupt: its header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  const h = header as Partial<CheckpointHeader>;
  const bad = (what: string) => new CheckpointError('corrupt-header', `${src} is corrupt: header ${what}`);
  if (!isPlainObject(h)) throw bad('is not a JSON object');
  if (h.format !== CHECKPOINT_FORMAT_NAME) throw bad(`names format ${JSON.stringify(h.format)}, expected "${CHECKPOINT_FORMAT_NAME}"`);
  if (h.version !== version) throw bad(`says version ${JSON.stringify(h.version)} but the preamble says ${version}`);
  if (!('meta' in h)) throw bad('has no meta');
  if (!isPlainObject(h.tensors)) throw bad('has no tensor table');

  let cursor = 0;
  const dataLength = total - dataStart;
  for (const [name, rec] of Object.entries(h.tensors)) {
    checkRecord(src, name, rec, cursor, dataLength);
    checkZero(bytes, dataStart + cursor, dataStart + rec.offset, src, `the padding before tensor '${name}'`);
    cursor = rec.offset + rec.byteLength;
  }
  if (cursor !== dataLength) throw bad(`accounts for ${cursor} data bytes but the file has ${dataLength}`);
  checkZero(bytes, PREAMBLE_BYTES + headerLength, dataStart, src, 'the padding after the header');
  return { version, meta: h.meta as M, tensors: h.tensors, dataStart };
}

function checkRecord(src: string, name: string, rec: CheckpointTensorRecord, cursor: number, dataLength: number): void {
  const bad = (what: string, code: CheckpointErrorCode = 'corrupt-header') => new CheckpointError(code, `${src} is corrupt: tensor '${name}' ${what}`, name);
  if (!isPlainObject(rec)) throw bad('has no valid table entry');
  if (!Object.hasOwn(DTYPE_BYTES, rec.dtype)) throw bad(`has unknown dtype ${JSON.stringify(rec.dtype)}`);
  const size = Array.isArray(rec.shape) ? shapeProduct(rec.shape) : null;
  if (size === null) throw bad(`has invalid shape ${JSON.stringify(rec.shape)}`);
  for (const k of ['offset', 'byteLength', 'crc32'] as const) {
    if (!Number.isSafeInteger(rec[k]) || rec[k] < 0) throw bad(`has invalid ${k} ${JSON.stringify(rec[k])}`);
  }
  const expected = size * DTYPE_BYTES[rec.dtype];
  if (rec.byteLength !== expected) {
    throw bad(`has shape [${rec.shape.join(', ')}] of ${rec.dtype} (${expected} bytes) but byteLength ${rec.byteLength}`, 'shape-mismatch');
  }
  if (rec.offset !== alignUp(cursor)) throw bad(`starts at data offset ${rec.offset}, expected ${alignUp(cursor)} (entries are consecutive and ${CHECKPOINT_ALIGNMENT}-byte aligned)`);
  if (rec.offset + rec.byteLength > dataLength) throw bad(`ends at data offset ${rec.offset + rec.byteLength}, past the end of the data (${dataLength} bytes)`);
}

/**
 * Reads a checkpoint: checks magic, version, size, all checksums, the tensor table and
 * (with `expect.kind`) the kind, then copies every tensor into a fresh typed array.
 * Throws CheckpointError naming the problem (and the tensor, when one is at fault).
 */
export function decodeCheckpoint<M = unknown>(bytes: Uint8Array, options: DecodeCheckpointOptions = {}): CheckpointContents<M> {
  const src = options.source ?? 'checkpoint';
  const header = readCheckpointHeader<M>(bytes, options);
  const wanted = options.expect?.kind;
  if (wanted !== undefined) {
    const kind = isPlainObject(header.meta) ? (header.meta as { kind?: unknown }).kind : undefined;
    if (typeof kind !== 'string') throw new CheckpointError('kind-mismatch', `${src} does not say what kind of checkpoint it is (no meta.kind), expected a '${wanted}' checkpoint`);
    if (kind !== wanted) throw new CheckpointError('kind-mismatch', `${src} is a '${kind}' checkpoint, expected a '${wanted}' checkpoint`);
  }
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [name, rec] of Object.entries(header.tensors)) {
    const start = header.dataStart + rec.offset;
    const raw = bytes.subarray(start, start + rec.byteLength);
    if (crc32(raw) !== rec.crc32) {
      throw new CheckpointError('corrupt-tensor', `${src} is corrupt: the data of tensor '${name}' (${rec.dtype} [${rec.shape.join(', ')}], file bytes ${start}-${start + rec.byteLength - 1}) fails its CRC-32 check`, name);
    }
    const data = readLittleEndian(raw, new DTYPE_ARRAY[rec.dtype](rec.byteLength / DTYPE_BYTES[rec.dtype]));
    setOwn(tensors, name, { dtype: rec.dtype, shape: rec.shape, data });
  }
  return { meta: header.meta, tensors };
}

// ---------------------------------------------------------------------------------------------
// CSR matrices: three entries `name.values` (f32 [nnz]), `name.col_idx` (i32 [nnz]) and
// `name.row_ptr` (i32 [rows + 1]); the dense shape goes in meta (putCSR returns it).

export interface CSRArrays {
  rows: number;
  cols: number;
  /** rows + 1 entries: row r holds entries rowPtr[r] .. rowPtr[r+1]-1. */
  rowPtr: Int32Array;
  colIdx: Int32Array;
  values: Float32Array;
}

/** What to keep in meta to read the matrix back with getCSR. */
export interface CSRInfo {
  layout: 'csr';
  rows: number;
  cols: number;
  nnz: number;
}

/** Adds a CSR matrix to `tensors` as three entries (arrays are referenced, not copied). */
export function putCSR(tensors: Record<string, CheckpointTensor>, name: string, csr: CSRArrays): CSRInfo {
  const problem = csrProblem(csr);
  if (problem !== null) throw new RangeError(`selfish-rnn: CSR matrix '${name}' ${problem}`);
  const nnz = csr.values.length;
  setOwn(tensors, `${name}.values`, { dtype: 'f32', shape: [nnz], data: csr.values });
  setOwn(tensors, `${name}.col_idx`, { dtype: 'i32', shape: [nnz], data: csr.colIdx });
  setOwn(tensors, `${name}.row_ptr`, { dtype: 'i32', shape: [csr.rows + 1], data: csr.rowPtr });
  return { layout: 'csr', rows: csr.rows, cols: csr.cols, nnz };
}

/** Reads back a CSR matrix stored with putCSR, checking its structure. Throws CheckpointError. */
export function getCSR(tensors: Record<string, CheckpointTensor>, name: string, shape: { rows: number; cols: number; nnz?: number }): CSRArrays {
  const entry = (suffix: string, dtype: CheckpointDType): CheckpointArray => {
    const key = `${name}.${suffix}`;
    const t = Object.hasOwn(tensors, key) ? tensors[key] : undefined;
    if (t === undefined) throw new CheckpointError('missing-tensor', `checkpoint has no tensor '${key}' (part of CSR matrix '${name}')`, key);
    if (t.dtype !== dtype || t.shape.length !== 1) throw new CheckpointError('invalid-csr', `checkpoint tensor '${key}' is ${t.dtype} [${t.shape.join(', ')}], expected a 1-D ${dtype} array`, key);
    return t.data;
  };
  const csr: CSRArrays = {
    rows: shape.rows, cols: shape.cols,
    values: entry('values', 'f32') as Float32Array, colIdx: entry('col_idx', 'i32') as Int32Array, rowPtr: entry('row_ptr', 'i32') as Int32Array,
  };
  let problem = csrProblem(csr);
  if (problem === null && shape.nnz !== undefined && shape.nnz !== csr.values.length) problem = `has ${csr.values.length} stored values, but its meta says nnz = ${shape.nnz}`;
  if (problem !== null) throw new CheckpointError('invalid-csr', `checkpoint CSR matrix '${name}' ${problem}`, name);
  return csr;
}

/** The first structural problem of a CSR matrix (the types here, the structure by csrArraysProblem), or null. */
function csrProblem({ rows, cols, rowPtr, colIdx, values }: CSRArrays): string | null {
  if (!(rowPtr instanceof Int32Array) || !(colIdx instanceof Int32Array) || !(values instanceof Float32Array)) {
    return 'needs rowPtr and colIdx as Int32Array and values as Float32Array';
  }
  return csrArraysProblem({ rows, cols, rowPtr, colIdx, nnz: values.length });
}

// ---------------------------------------------------------------------------------------------

function alignUp(n: number): number {
  return Math.ceil(n / CHECKPOINT_ALIGNMENT) * CHECKPOINT_ALIGNMENT;
}


function checkZero(bytes: Uint8Array, from: number, to: number, src: string, what: string): void {
  for (let i = from; i < to; i++) {
    if (bytes[i] !== 0) throw new CheckpointError('corrupt-header', `${src} is corrupt: ${what} (file bytes ${from}-${to - 1}) is not zero at byte ${i}`);
  }
}

/** Defines an own property even for names like "__proto__", which plain assignment would not. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'null-prototype object'}`;
  if (typeof v === 'function') return 'a function';
  return `${typeof v} ${String(v)}`;
}

function hexPreview(bytes: Uint8Array): string {
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return head === '' ? '(empty)' : head;
}
