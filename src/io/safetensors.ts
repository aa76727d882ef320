// safetensors export (and a strict reader for tests), following huggingface/safetensors' format
// as written by its reference Rust implementation (`safetensors::tensor::serialize`, which
// `safetensors.torch.save_file` and `safetensors.numpy.save_file` call). Platform-neutral.
//
// File layout:
//   8 bytes   N, unsigned 64-bit little-endian: the byte size of the header
//   N bytes   UTF-8 JSON object: {"__metadata__": {string: string}, name: {"dtype": "F32",
//             "shape": [..], "data_offsets": [begin, end]}, ...}; begin/end are byte offsets
//             into the data buffer (which starts right after the header), end exclusive.
//             "__metadata__" is optional and may only map strings to strings.
//   rest      the data buffer: every tensor's bytes, row-major, little-endian.
// What the reference writer does and encodeSafetensors copies:
//   - tensors are sorted by dtype, largest first (F32, I32, then U8, BOOL), then by name (byte
//     order of the UTF-8), and laid out contiguously from offset 0, so each tensor is aligned to
//     its element size;
//   - the JSON is compact (serde_json), "__metadata__" first, then tensors in that order, each as
//     {"dtype","shape","data_offsets"}; it is padded with spaces to a multiple of 8 bytes, so the
//     data buffer starts 8-aligned.
// What the reference reader checks and decodeSafetensors checks too: N ≤ 100,000,000; the header
// fits in the file, is UTF-8 JSON and starts with '{'; tensors sorted by offset are contiguous from
// 0 with no gap or overlap; end - begin = prod(shape) × dtype size; the last end is exactly the
// end of the file. It is stricter in refusing unknown fields in a tensor entry and unknown dtypes.
// Not detected: a name repeated in the JSON (JSON.parse keeps the last one; the layout checks
// usually fail then anyway, as one tensor's bytes are left unaccounted for).

import { nameList, quoted } from './quote.js';
import { crc32 } from './crc32.js';
import { littleEndianBytes, readLittleEndian } from './little-endian.js';
import { shapeProduct } from './shape.js';

export type SafetensorsDType = 'F32' | 'I32' | 'U8' | 'BOOL';

export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: readonly number[];
  /** Float32Array for F32, Int32Array for I32, Uint8Array for U8 and BOOL (0 or 1 only). */
  data: Float32Array | Int32Array | Uint8Array;
}

/** The reference implementation's limit on N (MAX_HEADER_SIZE in safetensors/src/tensor.rs). */
export const SAFETENSORS_MAX_HEADER_SIZE = 100_000_000;

// Element sizes of every dtype the format defines (whole-byte ones), to validate any file.
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
// The reference's Dtype enum order, which its writer sorts by (descending).
const DTYPE_ORDER = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
const WRITE_ARRAY = { F32: Float32Array, I32: Int32Array, U8: Uint8Array, BOOL: Uint8Array } as const;

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
  constructor(message: string, readonly tensor?: string) {
    super(`selfish-rnn: ${message}`);
  }
}

/**
 * Integrity check of our exports: `__metadata__[SAFETENSORS_CHECKSUM_KEY]` = "crc32:" + 8 hex digits,
 * the CRC-32 of a canonical form of everything else: every other metadata entry (sorted by key)
 * and every tensor (sorted by name) with its dtype, shape and bytes, each string and byte run
 * preceded by its length (u32 little-endian). Independent of JSON formatting and layout, so it
 * covers tensor names and metadata (configuration, vocabulary), which the format itself does not
 * protect. Other readers ignore it (metadata is free-form); decodeSafetensors verifies it, and
 * insists on it in files that carry any other "selfish-rnn." key (so one flipped bit in the key
 * itself cannot switch the check off).
 */
export const SAFETENSORS_CHECKSUM_KEY = 'selfish-rnn.checksum';

function canonicalChecksum(metadata: Record<string, string> | null, tensors: { name: string; dtype: string; shape: readonly number[]; bytes: Uint8Array }[]): string {
  const utf8 = new TextEncoder();
  let crc = 0;
  const put = (b: Uint8Array) => {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b.length, true);
    crc = crc32(b, crc32(len, crc));
  };
  const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const meta = Object.keys(metadata ?? {}).filter((k) => k !== SAFETENSORS_CHECKSUM_KEY).sort(byKey);
  put(utf8.encode(`metadata:${meta.length}`));
  for (const k of meta) {
    put(utf8.encode(k));
    put(utf8.encode(metadata![k]!));
  }
  put(utf8.encode(`tensors:${tensors.length}`));
  for (const t of [...tensors].sort((a, b) => byKey(a.name, b.name))) {
    put(utf8.encode(t.name));
    put(utf8.encode(`${t.dtype}[${t.shape.join(',')}]`));
    put(t.bytes);
  }
  return `crc32:${crc.toString(16).padStart(8, '0')}`;
}

export interface EncodeSafetensorsOptions {
  /** Add SAFETENSORS_CHECKSUM_KEY to the metadata (default false; the exports set it). */
  checksum?: boolean;
}

/** Serialises tensors (and optional string metadata) into the bytes of a .safetensors file. */
export function encodeSafetensors(tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>, options: EncodeSafetensorsOptions = {}): Uint8Array {
  if (options.checksum) {
    const entries = Object.entries(tensors).map(([name, t]) => {
      checkTensor(name, t);
      return { name, dtype: t.dtype, shape: t.shape, bytes: littleEndianBytes(t.data) };
    });
    metadata = { ...(metadata ?? {}) };
    delete metadata[SAFETENSORS_CHECKSUM_KEY];
    metadata[SAFETENSORS_CHECKSUM_KEY] = canonicalChecksum(metadata, entries);
  }
  const utf8 = new TextEncoder();
  const entries = Object.keys(tensors).map((name) => {
    checkText(name, 'tensor name');
    checkTensor(name, tensors[name]!);
    return { name, nameBytes: utf8.encode(name), tensor: tensors[name]! };
  });
  entries.sort((a, b) => DTYPE_ORDER.indexOf(b.tensor.dtype) - DTYPE_ORDER.indexOf(a.tensor.dtype) || compareBytes(a.nameBytes, b.nameBytes));

  // Built as text rather than with JSON.stringify on an object so the key order is certain.
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new TypeError('selfish-rnn: safetensors metadata must be an object of strings');
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`selfish-rnn: safetensors metadata values must be strings; '${k}' is ${typeof v}`);
      checkText(k, 'metadata key');
      checkText(v, `metadata value of '${k}'`);
    }
    parts.push(`"__metadata__":${JSON.stringify(Object.fromEntries(Object.entries(metadata)))}`);
  }
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const { name, tensor } of entries) {
    const bytes = littleEndianBytes(tensor.data);
    parts.push(`${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${offset + bytes.length}]}`);
    payloads.push(bytes);
    offset += bytes.length;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const headerSize = Math.ceil(json.length / 8) * 8;
  if (headerSize > SAFETENSORS_MAX_HEADER_SIZE) throw new RangeError(`selfish-rnn: safetensors header would be ${headerSize} bytes; readers refuse more than ${SAFETENSORS_MAX_HEADER_SIZE}`);

  const out = new Uint8Array(8 + headerSize + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerSize, true); // high word stays 0: headerSize < 2^32
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerSize);
  let at = 8 + headerSize;
  for (const p of payloads) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function checkTensor(name: string, t: SafetensorsTensor): void {
  const where = `safetensors tensor '${name}'`;
  if (name === '__metadata__') throw new TypeError("selfish-rnn: '__metadata__' is reserved in safetensors and cannot name a tensor");
  if (t === null || typeof t !== 'object') throw new TypeError(`selfish-rnn: ${where} must be {dtype, shape, data}`);
  if (!Object.hasOwn(WRITE_ARRAY, t.dtype)) throw new TypeError(`selfish-rnn: ${where} has dtype '${t.dtype}'; this writer supports F32, I32, U8 and BOOL`);
  const Ctor = WRITE_ARRAY[t.dtype];
  if (!(t.data instanceof Ctor)) throw new TypeError(`selfish-rnn: ${where} has dtype ${t.dtype} and needs a ${Ctor.name}`);
  const size = shapeProduct(t.shape);
  if (size === null) throw new RangeError(`selfish-rnn: ${where} has invalid shape ${JSON.stringify(t.shape)}`);
  if (size !== t.data.length) throw new RangeError(`selfish-rnn: ${where} has shape [${t.shape.join(', ')}] (${size} elements) but ${t.data.length} data elements`);
  if (t.dtype === 'BOOL') {
    const i = (t.data as Uint8Array).findIndex((b) => b > 1);
    if (i >= 0) throw new RangeError(`selfish-rnn: ${where} is BOOL but element ${i} is ${t.data[i]}; only 0 and 1 are valid`);
  }
}

export interface DecodedSafetensor {
  dtype: string;
  shape: number[];
  /** [begin, end) in the data buffer, as in the header. */
  dataOffsets: [number, number];
  /** A copy of the tensor's raw little-endian bytes. */
  bytes: Uint8Array;
  /** The values, for F32, I32, U8 and BOOL tensors (a fresh typed array). */
  data?: Float32Array | Int32Array | Uint8Array;
}

export interface DecodedSafetensors {
  /** N, the header's byte size (including trailing space padding). */
  headerSize: number;
  metadata: Record<string, string> | null;
  /** In data order (by offset), except that JS objects list integer-like names ("0", "12") first. */
  tensors: Record<string, DecodedSafetensor>;
}

export interface DecodeSafetensorsOptions {
  /** What to call the file in messages (e.g. its path). Default 'safetensors file'. */
  source?: string;
}

/**
 * Parses and strictly validates a .safetensors file (see the header comment), and verifies its
 * selfish-rnn checksum when it has one (see SAFETENSORS_CHECKSUM_KEY). Throws SafetensorsError.
 */
export function decodeSafetensors(bytes: Uint8Array, options: DecodeSafetensorsOptions = {}): DecodedSafetensors {
  const src = options.source ?? 'safetensors file';
  let decoded: DecodedSafetensors;
  try {
    decoded = decodeLayout(bytes);
  } catch (e) {
    if (!(e instanceof SafetensorsError) || options.source === undefined) throw e;
    throw new SafetensorsError(`${src}: ${e.message.replace(/^selfish-rnn: /, '')}`, e.tensor);
  }
  const meta = decoded.metadata;
  const stated = meta !== null && Object.hasOwn(meta, SAFETENSORS_CHECKSUM_KEY) ? meta[SAFETENSORS_CHECKSUM_KEY]! : null;
  const ours = meta !== null && Object.keys(meta).some((k) => k.startsWith('selfish-rnn.'));
  if (stated === null && ours) {
    throw new SafetensorsError(`${src} is corrupt: it was written by selfish-rnn but its metadata has no '${SAFETENSORS_CHECKSUM_KEY}' (damaged key?)`);
  }
  if (stated !== null) {
    const actual = canonicalChecksum(meta, Object.entries(decoded.tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, bytes: t.bytes })));
    if (stated !== actual) {
      throw new SafetensorsError(`${src} is corrupt: its tensor names, metadata or data changed after export (checksum ${JSON.stringify(stated)}, contents give "${actual}")`);
    }
  }
  return decoded;
}

function decodeLayout(bytes: Uint8Array): DecodedSafetensors {
  if (bytes.length < 8) throw new SafetensorsError(`safetensors file is ${bytes.length} bytes, too small for its 8-byte header size`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > SAFETENSORS_MAX_HEADER_SIZE) throw new SafetensorsError(`safetensors header size ${n} exceeds the limit of ${SAFETENSORS_MAX_HEADER_SIZE} bytes`);
  if (8 + n > bytes.length) throw new SafetensorsError(`safetensors header size ${n} runs past the end of the ${bytes.length}-byte file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError('safetensors header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError(`safetensors header must start with '{', got ${JSON.stringify(text.slice(0, 8))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) throw new SafetensorsError('safetensors header must be a JSON object');

  let metadata: Record<string, string> | null = null;
  const infos: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(info) || Object.values(info).some((v) => typeof v !== 'string')) throw new SafetensorsError('safetensors __metadata__ must map strings to strings');
      metadata = info as Record<string, string>;
      continue;
    }
    const bad = (what: string) => new SafetensorsError(`safetensors tensor ${quotedName(name)} ${what}`, name);
    if (!isPlainObject(info)) throw bad('has no {dtype, shape, data_offsets} entry');
    const extra = Object.keys(info).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
    if (extra.length > 0) throw bad(`has unknown field(s) ${nameList(extra)}`);
    if (typeof info.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, info.dtype)) throw bad(`has unknown dtype ${quoted(info.dtype)}`);
    const size = Array.isArray(info.shape) ? shapeProduct(info.shape) : null;
    if (size === null) throw bad(`has invalid shape ${quoted(info.shape)}`);
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) throw bad(`has invalid data_offsets ${quoted(off)}`);
    infos.push({ name, dtype: info.dtype, shape: info.shape, begin: off[0], end: off[1] });
  }

  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const bufferLength = bytes.length - 8 - n;
  const tensors: Record<string, DecodedSafetensor> = {};
  let expected = 0;
  let previous: (typeof infos)[number] | null = null;
  for (const t of infos) {
    const where = `safetensors tensor ${quotedName(t.name)} has data_offsets [${t.begin}, ${t.end}]`;
    // Either of two neighbours can be the damaged one: name both.
    const prev = previous === null ? 'the start of the data buffer' : `${quotedName(previous.name)}, data_offsets [${previous.begin}, ${previous.end}]`;
    if (t.end < t.begin) throw new SafetensorsError(`${where}: end before begin`, t.name);
    if (t.begin < expected) throw new SafetensorsError(`${where}, overlapping the previous tensor, which ends at ${expected} (${prev}): one of the two has wrong data_offsets`, t.name);
    if (t.begin > expected) throw new SafetensorsError(`${where}, leaving a gap after offset ${expected} (${prev}): one of the two has wrong data_offsets`, t.name);
    if (t.end > bufferLength) throw new SafetensorsError(`${where}, past the end of the ${bufferLength}-byte data buffer`, t.name);
    const nbytes = shapeProduct(t.shape)! * DTYPE_BYTES[t.dtype]!;
    if (t.end - t.begin !== nbytes) throw new SafetensorsError(`${where} (${t.end - t.begin} bytes), but shape [${t.shape.join(', ')}] of ${t.dtype} takes ${nbytes}`, t.name);
    expected = t.end;
    previous = t;
    const raw = bytes.slice(8 + n + t.begin, 8 + n + t.end);
    const entry: DecodedSafetensor = { dtype: t.dtype, shape: t.shape, dataOffsets: [t.begin, t.end], bytes: raw };
    if (Object.hasOwn(WRITE_ARRAY, t.dtype)) {
      const Ctor = WRITE_ARRAY[t.dtype as SafetensorsDType];
      entry.data = readLittleEndian(raw, new Ctor(raw.length / Ctor.BYTES_PER_ELEMENT));
    }
    Object.defineProperty(tensors, t.name, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  if (expected !== bufferLength) {
    throw new SafetensorsError(`safetensors data buffer is ${bufferLength} bytes but its tensors account for ${expected} (${bufferLength - expected} unexplained trailing bytes)`);
  }
  return { headerSize: n, metadata, tensors };
}

/** Rust strings are UTF-8: a lone UTF-16 surrogate would make the reader refuse the whole header. */
function checkText(s: string, what: string): void {
  if (new TextDecoder().decode(new TextEncoder().encode(s)) !== s) throw new TypeError(`selfish-rnn: safetensors ${what} ${JSON.stringify(s)} is not valid Unicode (lone surrogate)`);
}


function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A tensor name for a message ('name', cut when a damaged file makes it huge). */
function quotedName(name: string): string {
  return name.length <= 80 ? `'${name}'` : `'${name.slice(0, 80)}…' (a name of ${name.length} characters)`;
}

function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
