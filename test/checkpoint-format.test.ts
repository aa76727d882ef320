// Checkpoint file format, atomic file writing and the safetensors exporter: round trips, every
// refusal produced by really damaging bytes, crash behaviour of writeFileAtomic, and the
// safetensors layout checked byte by byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipped } from './helpers/skip.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import {
  CHECKPOINT_FORMAT_VERSION, CheckpointError, decodeCheckpoint, encodeCheckpoint, getCSR, putCSR, readCheckpointHeader,
  type CheckpointErrorCode, type CheckpointTensor, type CSRInfo,
} from '../src/io/checkpoint-format.js';
import { crc32 } from '../src/io/crc32.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsTensor } from '../src/io/safetensors.js';
import { readFileBytes, readFileBytesSync, writeFileAtomic, writeFileAtomicSync } from '../src/io/atomic-file.js';
import { readCheckpointFile, writeCheckpointFile } from '../src/io/checkpoint-file.js';
import { Random } from '../src/random.js';

const utf8 = new TextEncoder();
const rng = new Random(20240611);

function randomF32(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}
function randomI32(n: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.nextUint32() | 0);
}
function randomU8(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}
function bytesOf(a: Float32Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The error fn throws (sync or async); fails the test if it does not throw. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.unreachable('expected an error, none was thrown');
}
async function caughtAsync(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.unreachable('expected an error, none was thrown');
}

/** fn must throw a CheckpointError with this code whose message matches every pattern. */
function refuses(fn: () => unknown, code: CheckpointErrorCode, ...patterns: RegExp[]): CheckpointError {
  const e = caught(fn);
  assert.instance(e, CheckpointError, `expected a CheckpointError, got ${e}`);
  const err = e as CheckpointError;
  assert.is(err.code, code, `wrong code for: ${err.message}`);
  assert.ok(err.message.startsWith('selfish-rnn: '), err.message);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

function throwsMatching(fn: () => unknown, type: Function, pattern: RegExp): void {
  const e = caught(fn);
  assert.instance(e, type, `expected ${type.name}, got ${e}`);
  assert.match((e as Error).message, pattern);
}

/** A checkpoint with every dtype, odd sizes, empty tensors, a scalar and awkward names. */
function sampleContents() {
  const tensors: Record<string, CheckpointTensor> = {
    'embedding.weight': { dtype: 'f32', shape: [5, 3], data: randomF32(15) },
    'specials': { dtype: 'f32', shape: [8], data: new Float32Array([NaN, -0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, -1.5, 0]) },
    'odd.u8': { dtype: 'u8', shape: [17], data: randomU8(17) },
    'ids': { dtype: 'i32', shape: [3], data: new Int32Array([-2147483648, 2147483647, -1]) },
    'one.u8': { dtype: 'u8', shape: [1], data: new Uint8Array([255]) },
    'empty': { dtype: 'f32', shape: [0], data: new Float32Array(0) },
    'empty.rows': { dtype: 'i32', shape: [3, 0], data: new Int32Array(0) },
    'scalar': { dtype: 'f32', shape: [], data: new Float32Array([0.25]) },
    'five.i32': { dtype: 'i32', shape: [5, 1], data: randomI32(5) },
    'üñï €': { dtype: 'u8', shape: [3], data: new Uint8Array([1, 2, 3]) },
    ['__proto__']: { dtype: 'f32', shape: [2], data: new Float32Array([7, 8]) }, // computed: an own entry
  };
  const vocab = Array.from({ length: 20000 }, (_, i) => `w${i}${i % 7 === 0 ? 'é' : ''}`);
  const meta = {
    kind: 'selfish-rnn/lm',
    config: { layers: 3, hidden: 1150, density: 0.33, tie: true, dropouts: [0.4, 0.25, 0.1], name: 'awd-lstm "quoted"\n' },
    vocab,
    rng: { s: [1, 2, 3, 4294967295], spareNormal: null },
    position: { epoch: 7, step: 123456, batchOffset: 0 },
    optional: undefined,
  };
  return { meta, tensors };
}

// ---------------------------------------------------------------------------------------------
// CRC-32

test('crc32: standard check values, incremental use, and agreement with zlib on awkward lengths', () => {
  assert.is(crc32(utf8.encode('123456789')), 0xcbf43926);
  assert.is(crc32(new Uint8Array(0)), 0);
  assert.is(crc32(utf8.encode('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  const data = randomU8(1000);
  assert.is(crc32(data.subarray(300), crc32(data.subarray(0, 300))), crc32(data));
  // Byte-at-a-time oracle (the textbook loop), independent of the slicing-by-8 tables.
  const oracle = (b: Uint8Array) => {
    let c = 0xffffffff;
    for (const x of b) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return ~c >>> 0;
  };
  const zlibCrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  for (const n of [0, 1, 3, 5, 7, 8, 9, 15, 16, 17, 33, 100, 999]) {
    const b = data.subarray(1, 1 + n); // odd byteOffset too
    assert.is(crc32(b), oracle(b), `length ${n}`);
    if (zlibCrc) assert.is(crc32(b), zlibCrc(b) >>> 0, `zlib, length ${n}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Round trips and layout

test('round trip: all dtypes, empty tensors, scalars, odd sizes, special values, big meta', () => {
  const c = sampleContents();
  const bytes = encodeCheckpoint(c);
  const back = decodeCheckpoint<typeof c.meta>(bytes, { expect: { kind: 'selfish-rnn/lm' } });
  const { optional: _dropped, ...metaWithoutUndefined } = c.meta;
  assert.equal(back.meta, metaWithoutUndefined);
  assert.equal(Object.keys(back.tensors), Object.keys(c.tensors), 'names and their order');
  for (const [name, t] of Object.entries(c.tensors)) {
    const u = back.tensors[name]!;
    assert.ok(Object.hasOwn(back.tensors, name), name);
    assert.is(u.dtype, t.dtype, name);
    assert.equal(u.shape, [...t.shape], name);
    assert.is(u.data.constructor, t.data.constructor, name);
    assert.ok(sameBytes(bytesOf(u.data), bytesOf(t.data)), `${name}: bit-exact (NaN, -0 included)`);
    assert.is.not(u.data.buffer, bytes.buffer, `${name}: decoded data is a copy`);
  }
  assert.ok(Object.hasOwn(c.tensors, '__proto__'));
  assert.is(Object.getPrototypeOf(back.tensors), Object.prototype, 'a "__proto__" tensor is an ordinary entry');
  assert.equal(Array.from(back.tensors['__proto__']!.data), [7, 8]);
  // Encoding is deterministic.
  assert.ok(sameBytes(encodeCheckpoint(c), bytes));
});

test('layout: preamble fields, 16-byte aligned entries, zero padding, exact total length', () => {
  const c = sampleContents();
  const bytes = encodeCheckpoint(c);
  const view = new DataView(bytes.buffer);
  assert.is(new TextDecoder().decode(bytes.subarray(0, 8)), 'SRNNCKPT');
  assert.is(view.getUint32(8, true), CHECKPOINT_FORMAT_VERSION);
  const headerLength = view.getUint32(12, true);
  assert.is(view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32, bytes.length);
  const headerBytes = bytes.subarray(32, 32 + headerLength);
  assert.is(view.getUint32(24, true), crc32(headerBytes));
  assert.is(view.getUint32(28, true), crc32(bytes.subarray(0, 28)));
  const header = JSON.parse(new TextDecoder().decode(headerBytes));
  assert.is(header.format, 'selfish-rnn-checkpoint');
  assert.is(header.version, CHECKPOINT_FORMAT_VERSION);
  const dataStart = Math.ceil((32 + headerLength) / 16) * 16;
  const info = readCheckpointHeader(bytes);
  assert.is(info.dataStart, dataStart);
  const covered = new Uint8Array(bytes.length);
  covered.fill(1, 0, 32 + headerLength);
  for (const [name, rec] of Object.entries(header.tensors) as [string, any][]) {
    assert.is(rec.offset % 16, 0, `${name} aligned`);
    assert.is((dataStart + rec.offset) % 16, 0);
    const raw = bytes.subarray(dataStart + rec.offset, dataStart + rec.offset + rec.byteLength);
    assert.ok(sameBytes(raw, bytesOf(c.tensors[name]!.data)), `${name} bytes stored little-endian as given`);
    assert.is(rec.crc32, crc32(raw));
    covered.fill(1, dataStart + rec.offset, dataStart + rec.offset + rec.byteLength);
  }
  for (let i = 0; i < bytes.length; i++) if (!covered[i]) assert.is(bytes[i], 0, `padding byte ${i} is zero`);
});

test('round trip: integer-like tensor names (which JS objects reorder) keep their data', () => {
  const tensors: Record<string, CheckpointTensor> = {
    b: { dtype: 'u8', shape: [1], data: new Uint8Array([1]) },
    '10': { dtype: 'u8', shape: [2], data: new Uint8Array([2, 3]) },
    '2': { dtype: 'f32', shape: [1], data: new Float32Array([4]) },
  };
  const back = decodeCheckpoint(encodeCheckpoint({ meta: null, tensors }));
  for (const name of ['b', '10', '2']) assert.equal(Array.from(back.tensors[name]!.data), Array.from(tensors[name]!.data), name);
});

test('round trip: no tensors, null meta, inputs that are views into larger buffers, decoding from an unaligned view', () => {
  const empty = decodeCheckpoint(encodeCheckpoint({ meta: null, tensors: {} }));
  assert.equal(empty, { meta: null, tensors: {} });
  const big = randomF32(40);
  const bytes = encodeCheckpoint({ meta: { a: 1 }, tensors: { v: { dtype: 'f32', shape: [2, 3], data: big.subarray(7, 13) } } });
  const host = new Uint8Array(bytes.length + 3);
  host.set(bytes, 3);
  const back = decodeCheckpoint(host.subarray(3));
  assert.equal(Array.from(back.tensors.v!.data), Array.from(big.subarray(7, 13)));
});

test('encode refuses tensors and meta that would not round-trip, naming them', () => {
  const enc = (tensors: Record<string, unknown>, meta: unknown = null) => () => encodeCheckpoint({ meta, tensors: tensors as Record<string, CheckpointTensor> });
  throwsMatching(enc({ w: { dtype: 'f32', shape: [2], data: new Int32Array(2) } }), TypeError, /'w'.*f32.*Float32Array/);
  throwsMatching(enc({ w: { dtype: 'f64', shape: [2], data: new Float64Array(2) } }), TypeError, /'w'.*f64/);
  throwsMatching(enc({ w: { dtype: 'f32', shape: [2, 2], data: new Float32Array(3) } }), RangeError, /'w'.*\[2, 2\].*4 elements.*3/);
  throwsMatching(enc({ w: { dtype: 'f32', shape: [-1], data: new Float32Array(0) } }), RangeError, /'w'.*invalid shape/);
  throwsMatching(enc({ '': { dtype: 'u8', shape: [0], data: new Uint8Array(0) } }), TypeError, /empty/);
  throwsMatching(enc({}, { best: { loss: Infinity } }), TypeError, /meta\.best\.loss is Infinity/);
  throwsMatching(enc({}, { x: [1, NaN] }), TypeError, /meta\.x\[1\] is NaN/);
  throwsMatching(enc({}, { x: [1, undefined] }), TypeError, /meta\.x\[1\] is undefined/);
  throwsMatching(enc({}, { w: new Float32Array(2) }), TypeError, /meta\.w is a Float32Array.*as tensors/);
  throwsMatching(enc({}, { m: new Map() }), TypeError, /meta\.m is a Map/);
  throwsMatching(enc({}, { f: () => 1 }), TypeError, /meta\.f is a function/);
  throwsMatching(enc({}, { n: 10n }), TypeError, /meta\.n is bigint/);
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  throwsMatching(enc({}, cyclic), TypeError, /meta\.self refers back to itself/);
  // Shared (non-cyclic) references are fine.
  const shared = { x: 1 };
  assert.equal(decodeCheckpoint(encodeCheckpoint({ meta: { a: shared, b: shared }, tensors: {} })).meta, { a: { x: 1 }, b: { x: 1 } });
});

// ---------------------------------------------------------------------------------------------
// Refusals from damaged bytes

/** Replaces the JSON header (text, or a function of the parsed header) and rewrites sizes and CRCs consistently. */
function withHeader(bytes: Uint8Array, change: string | ((h: any) => void)): Uint8Array {
  const info = readCheckpointHeader(bytes);
  const oldLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  let text = new TextDecoder().decode(bytes.subarray(32, 32 + oldLength));
  if (typeof change === 'string') text = change;
  else {
    const h = JSON.parse(text);
    change(h);
    text = JSON.stringify(h);
  }
  const header = utf8.encode(text);
  const dataStart = Math.ceil((32 + header.length) / 16) * 16;
  const data = bytes.subarray(info.dataStart);
  const out = new Uint8Array(dataStart + data.length);
  out.set(bytes.subarray(0, 12));
  const view = new DataView(out.buffer);
  view.setUint32(12, header.length, true);
  view.setUint32(16, out.length, true);
  view.setUint32(24, crc32(header), true);
  view.setUint32(28, crc32(out.subarray(0, 28)), true);
  out.set(header, 32);
  out.set(data, dataStart);
  return out;
}

test('refuses files that are not checkpoints (bad magic)', () => {
  const good = encodeCheckpoint(sampleContents());
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  refuses(() => decodeCheckpoint(png, { source: 'picture.png' }), 'not-a-checkpoint', /picture\.png is not a selfish-rnn checkpoint/, /89 50 4e 47/);
  const safetensors = encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
  refuses(() => decodeCheckpoint(safetensors), 'not-a-checkpoint', /not a selfish-rnn checkpoint/);
  const bad = good.slice();
  bad[3] ^= 0x20; // "SRNnCKPT"
  refuses(() => decodeCheckpoint(bad), 'not-a-checkpoint', /SRNNCKPT/);
  refuses(() => decodeCheckpoint(utf8.encode('hello')), 'not-a-checkpoint');
});

test('refuses other format versions, saying which version the file has and which this build reads', () => {
  const good = encodeCheckpoint(sampleContents());
  for (const v of [2, 0, 0x01000000]) {
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(8, v, true);
    const e = refuses(() => decodeCheckpoint(bad, { source: 'model.ckpt' }), 'unsupported-version',
      new RegExp(`model\\.ckpt has checkpoint format version ${v}, but this build of selfish-rnn reads version ${CHECKPOINT_FORMAT_VERSION}`));
    if (v > CHECKPOINT_FORMAT_VERSION) assert.match(e.message, /newer selfish-rnn/);
  }
});

test('refuses truncated files at every kind of cut, with expected and actual sizes', () => {
  const good = encodeCheckpoint(sampleContents());
  const n = good.length;
  refuses(() => decodeCheckpoint(new Uint8Array(0)), 'truncated', /0 bytes/);
  for (const cut of [5, 8, 11]) refuses(() => decodeCheckpoint(good.subarray(0, cut)), 'truncated', new RegExp(`${cut} bytes`));
  refuses(() => decodeCheckpoint(good.subarray(0, 20)), 'truncated', /20 bytes, a checkpoint has at least 32/);
  for (const cut of [32, 100, n - 1000, n - 1]) {
    refuses(() => decodeCheckpoint(good.subarray(0, cut)), 'truncated', new RegExp(`expected ${n} bytes, got ${cut} \\(${n - cut} missing\\)`));
  }
  const longer = new Uint8Array(n + 5);
  longer.set(good);
  refuses(() => decodeCheckpoint(longer), 'trailing-bytes', new RegExp(`5 unexpected bytes.*expected ${n} bytes, got ${n + 5}`));
});

test('a flipped byte in any tensor is refused, naming that tensor', () => {
  const c = sampleContents();
  const good = encodeCheckpoint(c);
  const info = readCheckpointHeader(good);
  let checked = 0;
  for (const [name, rec] of Object.entries(info.tensors)) {
    if (rec.byteLength === 0) continue;
    for (const at of [0, rec.byteLength >> 1, rec.byteLength - 1]) {
      const bad = good.slice();
      bad[info.dataStart + rec.offset + at] ^= 0x01;
      const e = refuses(() => decodeCheckpoint(bad), 'corrupt-tensor', new RegExp(`tensor '${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`), /CRC-32/);
      assert.is(e.tensor, name);
      checked++;
    }
    // The header alone is still readable: listing a damaged checkpoint works.
  }
  assert.is(checked, 27);
  const bad = good.slice();
  bad[bad.length - 1] ^= 0xff;
  assert.ok(readCheckpointHeader(bad).tensors['embedding.weight']);
});

test('damaged preamble, header or padding is refused as corrupt header; so is every single flipped byte anywhere', () => {
  const good = encodeCheckpoint({ meta: { kind: 'k', v: [1, 2] }, tensors: { a: { dtype: 'u8', shape: [3], data: new Uint8Array([1, 2, 3]) }, b: { dtype: 'f32', shape: [2], data: new Float32Array([1, 2]) } } });
  const info = readCheckpointHeader(good);
  const flip = (i: number) => {
    const bad = good.slice();
    bad[i] ^= 0x04;
    return bad;
  };
  refuses(() => decodeCheckpoint(flip(12)), 'corrupt-header', /preamble/); // header length
  refuses(() => decodeCheckpoint(flip(17)), 'corrupt-header', /preamble/); // total length
  refuses(() => decodeCheckpoint(flip(26)), 'corrupt-header', /preamble/); // header CRC
  refuses(() => decodeCheckpoint(flip(40), { source: 'x.ckpt' }), 'corrupt-header', /x\.ckpt is corrupt: its JSON header fails its CRC-32 check/);
  refuses(() => decodeCheckpoint(flip(info.dataStart + info.tensors.a!.offset + 3)), 'corrupt-header', /padding before tensor 'b'.*not zero/);
  if (info.dataStart > 32 + new DataView(good.buffer).getUint32(12, true)) refuses(() => decodeCheckpoint(flip(info.dataStart - 1)), 'corrupt-header', /padding after the header/);
  for (let i = 0; i < good.length; i++) {
    for (const mask of [0x01, 0x80]) {
      const bad = good.slice();
      bad[i] ^= mask;
      let e: unknown = null;
      try {
        decodeCheckpoint(bad);
      } catch (err) {
        e = err;
      }
      assert.instance(e, CheckpointError, `flipping bit ${mask} of byte ${i}: ${e}`);
    }
  }
});

test('header contents that pass their CRC but make no sense are refused (shape/byteLength, layout, JSON)', () => {
  const good = encodeCheckpoint({ meta: {}, tensors: { w: { dtype: 'f32', shape: [2, 2], data: new Float32Array(4) }, b: { dtype: 'i32', shape: [3], data: new Int32Array(3) } } });
  assert.ok(decodeCheckpoint(withHeader(good, () => {})), 'helper keeps a good file good');
  refuses(() => decodeCheckpoint(withHeader(good, (h) => { h.tensors.w.shape = [2, 3]; })), 'shape-mismatch', /tensor 'w' has shape \[2, 3\] of f32 \(24 bytes\) but byteLength 16/);
  refuses(() => decodeCheckpoint(withHeader(good, (h) => { h.tensors.b.byteLength = 8; })), 'shape-mismatch', /tensor 'b'.*12 bytes.*byteLength 8/);
  refuses(() => decodeCheckpoint(withHeader(good, (h) => { h.tensors.b.dtype = 'f16'; })), 'corrupt-header', /tensor 'b' has unknown dtype "f16"/);
  refuses(() => decodeCheckpoint(withHeader(good, (h) => { h.tensors.b.offset = 32; })), 'corrupt-header', /tensor 'b' starts at data offset 32, expected 16/);
  refuses(() => decodeCheckpoint(withHeader(good, (h) => { h.tensors.w.shape = [2, -2]; })), 'corrupt-header', /tensor 'w' has invalid shape/);
  refuses(() => decodeCheckpoint(withHeader(good, (h) => { delete h.tensors.b; })), 'corrupt-header', /accounts for 16 data bytes but the file has 28/);
  refuses(() => decodeCheckpoint(withHeader(good, (h) => { h.format = 'other'; })), 'corrupt-header', /format "other"/);
  refuses(() => decodeCheckpoint(withHeader(good, (h) => { h.version = 9; })), 'corrupt-header', /says version 9 but the preamble says 1/);
  refuses(() => decodeCheckpoint(withHeader(good, '{"format": ')), 'corrupt-header', /not valid UTF-8 JSON/);
  refuses(() => decodeCheckpoint(withHeader(good, '[1,2]')), 'corrupt-header', /not a JSON object/);
  // A wrong CRC in the table is the tensor's corruption, as far as anyone can tell.
  const e = refuses(() => decodeCheckpoint(withHeader(good, (h) => { h.tensors.w.crc32 = (h.tensors.w.crc32 ^ 1) >>> 0; })), 'corrupt-tensor', /tensor 'w'/);
  assert.is(e.tensor, 'w');
});

test('expect.kind: refuses checkpoints of another kind or of no stated kind', () => {
  const lm = encodeCheckpoint({ meta: { kind: 'selfish-rnn/charlm' }, tensors: {} });
  refuses(() => decodeCheckpoint(lm, { expect: { kind: 'selfish-rnn/lm' }, source: 'c.ckpt' }), 'kind-mismatch', /c\.ckpt is a 'selfish-rnn\/charlm' checkpoint, expected a 'selfish-rnn\/lm' checkpoint/);
  assert.equal(decodeCheckpoint(lm, { expect: { kind: 'selfish-rnn/charlm' } }).meta, { kind: 'selfish-rnn/charlm' });
  assert.ok(decodeCheckpoint(lm, { expect: {} }));
  for (const meta of [null, [1], { kind: 3 }, {}]) {
    refuses(() => decodeCheckpoint(encodeCheckpoint({ meta, tensors: {} }), { expect: { kind: 'selfish-rnn/lm' } }), 'kind-mismatch', /no meta\.kind/);
  }
});

// ---------------------------------------------------------------------------------------------
// CSR helpers

test('putCSR/getCSR round-trip through a checkpoint, including empty rows and an empty matrix', () => {
  const tensors: Record<string, CheckpointTensor> = {};
  // 4×6 with an empty row 1 and a full-ish row 3
  const a = { rows: 4, cols: 6, rowPtr: new Int32Array([0, 2, 2, 3, 6]), colIdx: new Int32Array([0, 5, 3, 1, 2, 4]), values: randomF32(6) };
  const z = { rows: 0, cols: 0, rowPtr: new Int32Array([0]), colIdx: new Int32Array(0), values: new Float32Array(0) };
  const meta: { sparse: Record<string, CSRInfo> } = { sparse: { 'rnn.w_hh': putCSR(tensors, 'rnn.w_hh', a), z: putCSR(tensors, 'z', z) } };
  assert.equal(meta.sparse['rnn.w_hh'], { layout: 'csr', rows: 4, cols: 6, nnz: 6 });
  assert.equal(Object.keys(tensors), ['rnn.w_hh.values', 'rnn.w_hh.col_idx', 'rnn.w_hh.row_ptr', 'z.values', 'z.col_idx', 'z.row_ptr']);
  const back = decodeCheckpoint<typeof meta>(encodeCheckpoint({ meta, tensors }));
  const a2 = getCSR(back.tensors, 'rnn.w_hh', back.meta.sparse['rnn.w_hh']!);
  assert.equal([a2.rows, a2.cols], [4, 6]);
  assert.equal(Array.from(a2.rowPtr), Array.from(a.rowPtr));
  assert.equal(Array.from(a2.colIdx), Array.from(a.colIdx));
  assert.equal(Array.from(a2.values), Array.from(a.values));
  const z2 = getCSR(back.tensors, 'z', back.meta.sparse.z!);
  assert.equal([z2.rows, z2.cols, z2.values.length, Array.from(z2.rowPtr)], [0, 0, 0, [0]]);
});

test('putCSR refuses malformed matrices; getCSR refuses missing parts and bad structure', () => {
  const ok = () => ({ rows: 2, cols: 3, rowPtr: new Int32Array([0, 1, 2]), colIdx: new Int32Array([0, 2]), values: new Float32Array([1, 2]) });
  throwsMatching(() => putCSR({}, 'm', { ...ok(), rowPtr: new Int32Array([0, 2]) }), RangeError, /'m' \(2×3\) needs 3 row pointers, got 2/);
  throwsMatching(() => putCSR({}, 'm', { ...ok(), colIdx: new Int32Array([0, 3]) }), RangeError, /column index 3 at entry 1 \(row \d+\), outside \[0, 3\)/);
  throwsMatching(() => putCSR({}, 'm', { ...ok(), rowPtr: new Int32Array([0, 2, 1]) }), RangeError, /decreasing row pointers at row 1/);
  throwsMatching(() => putCSR({}, 'm', { ...ok(), rowPtr: new Int32Array([1, 1, 2]) }), RangeError, /rowPtr\[0\] = 1/);
  throwsMatching(() => putCSR({}, 'm', { ...ok(), values: new Float32Array(3) }), RangeError, /has 3 values but rowPtr\[2\] = 2/);
  throwsMatching(() => putCSR({}, 'm', { ...ok(), values: new Float64Array(2) as unknown as Float32Array }), RangeError, /Float32Array/);

  const tensors: Record<string, CheckpointTensor> = {};
  const info = putCSR(tensors, 'm', ok());
  refuses(() => getCSR(tensors, 'n', info), 'missing-tensor', /no tensor 'n\.values'/);
  refuses(() => getCSR(tensors, 'm', { rows: 2, cols: 2 }), 'invalid-csr', /column index 2 at entry 1 \(row \d+\), outside \[0, 2\)/);
  refuses(() => getCSR(tensors, 'm', { rows: 3, cols: 3 }), 'invalid-csr', /needs 4 row pointers/);
  refuses(() => getCSR(tensors, 'm', { ...info, nnz: 5 }), 'invalid-csr', /meta says nnz = 5/);
  const t2 = { ...tensors, 'm.row_ptr': { dtype: 'f32', shape: [3], data: new Float32Array(3) } as CheckpointTensor };
  refuses(() => getCSR(t2, 'm', info), 'invalid-csr', /'m\.row_ptr' is f32 \[3\], expected a 1-D i32 array/);
  const t3 = { ...tensors };
  delete t3['m.col_idx'];
  const e = refuses(() => getCSR(t3, 'm', info), 'missing-tensor', /'m\.col_idx' \(part of CSR matrix 'm'\)/);
  assert.is(e.tensor, 'm.col_idx');
});

// ---------------------------------------------------------------------------------------------
// Atomic file writing

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'srnn-ckpt-test-'));
}

for (const mode of ['async', 'sync'] as const) {
  const write = async (path: string, bytes: Uint8Array, beforeRename?: (temp: string) => void) =>
    mode === 'async' ? writeFileAtomic(path, bytes, { beforeRename }) : writeFileAtomicSync(path, bytes, { beforeRename });

  test(`writeFileAtomic (${mode}): creates and replaces files, keeps permission bits, leaves no temporary files`, async () => {
    const dir = scratchDir();
    try {
      const path = join(dir, 'model.ckpt');
      await write(path, utf8.encode('first version'));
      assert.is(readFileSync(path, 'utf8'), 'first version');
      chmodSync(path, 0o600);
      const big = randomU8(3 << 20);
      await write(path, big);
      assert.ok(sameBytes(new Uint8Array(readFileSync(path)), big));
      assert.is(statSync(path).mode & 0o777, 0o600);
      await write(path, new Uint8Array(0));
      assert.is(readFileSync(path).length, 0);
      assert.equal(readdirSync(dir), ['model.ckpt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`writeFileAtomic (${mode}): a failure just before the rename leaves the old file intact and removes the temporary file`, async () => {
    const dir = scratchDir();
    try {
      const path = join(dir, 'model.ckpt');
      writeFileSync(path, 'old contents');
      const fresh = randomU8(1000);
      let seenTemp = '';
      const e = await caughtAsync(() => write(path, fresh, (temp) => {
          seenTemp = temp;
          // The moment of greatest danger: new bytes complete on disk, target not yet replaced.
          assert.ok(sameBytes(new Uint8Array(readFileSync(temp)), fresh), 'temporary file holds all new bytes');
          assert.is(readFileSync(path, 'utf8'), 'old contents');
          assert.equal(readdirSync(dir).sort(), ['model.ckpt', temp.slice(dir.length + 1)].sort());
          throw new Error('simulated failure');
      }));
      assert.match((e as Error).message, /could not write .*model\.ckpt: simulated failure; any previous file there is unchanged/);
      assert.match(seenTemp, /\/\.model\.ckpt\.\d+\.[0-9a-f]{12}\.tmp$/);
      assert.is(readFileSync(path, 'utf8'), 'old contents');
      assert.equal(readdirSync(dir), ['model.ckpt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`writeFileAtomic (${mode}): a real rename failure (a directory in the way) and a missing directory`, async () => {
    const dir = scratchDir();
    try {
      const path = join(dir, 'taken');
      mkdirSync(path);
      writeFileSync(join(path, 'inside'), 'x');
      const e1 = await caughtAsync(() => write(path, randomU8(100)));
      assert.match((e1 as Error).message, /could not write .*taken: .*unchanged/);
      assert.equal(readdirSync(dir), ['taken']);
      assert.is(readFileSync(join(path, 'inside'), 'utf8'), 'x');
      const e2 = await caughtAsync(() => write(join(dir, 'no', 'such', 'dir', 'f.bin'), randomU8(10)));
      assert.match((e2 as Error).message, /no\/such\/dir does not exist/);
      assert.is((e2 as NodeJS.ErrnoException).code, 'ENOENT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('writeFileAtomic: a process killed between write and rename leaves the original and only a complete temporary file', () => {
  const dir = scratchDir();
  try {
    const path = join(dir, 'model.ckpt');
    writeFileSync(path, 'old contents');
    const moduleUrl = new URL('../src/io/atomic-file.js', import.meta.url).href;
    const script = `import { writeFileAtomicSync } from ${JSON.stringify(moduleUrl)};
      const bytes = new Uint8Array(100000).map((_, i) => i % 251);
      writeFileAtomicSync(${JSON.stringify(path)}, bytes, { beforeRename: () => process.exit(7) });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.is(r.status, 7, r.stderr);
    assert.is(readFileSync(path, 'utf8'), 'old contents');
    const others = readdirSync(dir).filter((f) => f !== 'model.ckpt');
    assert.is(others.length, 1);
    assert.match(others[0]!, /^\.model\.ckpt\.\d+\.[0-9a-f]{12}\.tmp$/);
    const temp = readFileSync(join(dir, others[0]!));
    assert.is(temp.length, 100000);
    assert.is(temp[99999], 99999 % 251);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readFileBytes: contents as a Uint8Array; clear errors for a missing file and a directory', async () => {
  const dir = scratchDir();
  try {
    const path = join(dir, 'f.bin');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    for (const read of [readFileBytes, async (p: string) => readFileBytesSync(p)]) {
      const b = await read(path);
      assert.is(b.constructor, Uint8Array);
      assert.equal(Array.from(b), [1, 2, 3]);
      for (const [p, pattern, code] of [[join(dir, 'missing.ckpt'), /^selfish-rnn: no such file: .*missing\.ckpt$/, 'ENOENT'], [dir, /is a directory, not a file/, 'EISDIR']] as const) {
        const e = await caughtAsync(() => read(p));
        assert.match((e as Error).message, pattern);
        assert.is((e as NodeJS.ErrnoException).code, code);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saveCheckpoint/loadCheckpoint: round trip on disk; errors name the file', async () => {
  const dir = scratchDir();
  try {
    const path = join(dir, 'lm.ckpt');
    const c = sampleContents();
    await writeCheckpointFile(path, c);
    const back = await readCheckpointFile(path, { expect: { kind: 'selfish-rnn/lm' } });
    assert.ok(sameBytes(bytesOf(back.tensors['embedding.weight']!.data), bytesOf(c.tensors['embedding.weight']!.data)));
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 10));
    const e = await caughtAsync(() => readCheckpointFile(path));
    assert.instance(e, CheckpointError);
    assert.match((e as Error).message, /lm\.ckpt is truncated/);
    assert.equal(readdirSync(dir), ['lm.ckpt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// safetensors

function leBytes(...parts: (Float32Array | Int32Array | Uint8Array)[]): number[] {
  return parts.flatMap((p) => Array.from(bytesOf(p)));
}

test('safetensors: a small file matches the expected bytes exactly (prefix, JSON, padding, order, data)', () => {
  const file = encodeSafetensors({
    b: { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) },
    a: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
    m: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    c: { dtype: 'I32', shape: [1, 1], data: new Int32Array([-1]) },
  }, { format: 'pt' });
  // Written out by hand: reference order is F32, I32, U8, BOOL, then name.
  const json = '{"__metadata__":{"format":"pt"},'
    + '"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
    + '"c":{"dtype":"I32","shape":[1,1],"data_offsets":[8,12]},'
    + '"a":{"dtype":"U8","shape":[3],"data_offsets":[12,15]},'
    + '"m":{"dtype":"BOOL","shape":[2],"data_offsets":[15,17]}}';
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  assert.is(padded.length % 8, 0);
  const expected = [
    padded.length & 0xff, padded.length >> 8, 0, 0, 0, 0, 0, 0,
    ...Array.from(utf8.encode(padded)),
    0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, // 1.0f, -2.0f
    0xff, 0xff, 0xff, 0xff, // -1
    1, 2, 3,
    1, 0,
  ];
  assert.ok(padded.length < 65536);
  assert.equal(Array.from(file), expected);
});

test('safetensors: empty file, metadata only, scalars and zero-size tensors', () => {
  assert.equal(Array.from(encodeSafetensors({})), [8, 0, 0, 0, 0, 0, 0, 0, ...utf8.encode('{}      ')]);
  const meta = encodeSafetensors({}, {});
  assert.is(new TextDecoder().decode(meta.subarray(8)), '{"__metadata__":{}}     ');
  const f = encodeSafetensors({ s: { dtype: 'F32', shape: [], data: new Float32Array([3]) }, e: { dtype: 'I32', shape: [0, 4], data: new Int32Array(0) } });
  const d = decodeSafetensors(f);
  assert.equal(d.tensors.s!.shape, []);
  assert.equal(Array.from(d.tensors.s!.data!), [3]);
  assert.equal(d.tensors.s!.dataOffsets, [0, 4]); // F32 before I32, whatever the names
  assert.equal(d.tensors.e!.dataOffsets, [4, 4]);
  assert.equal(Object.keys(d.tensors), ['s', 'e']);
});

test('safetensors: random files satisfy the layout byte by byte and decode to the same values', () => {
  const dtypes = ['F32', 'I32', 'U8', 'BOOL'] as const;
  for (let trial = 0; trial < 20; trial++) {
    const tensors: Record<string, SafetensorsTensor> = {};
    const count = rng.int(7);
    for (let k = 0; k < count; k++) {
      const dtype = dtypes[rng.int(4)]!;
      const shape = Array.from({ length: rng.int(3) }, () => [0, 1, 3, 5, 17][rng.int(5)]!);
      const n = shape.reduce((p, d) => p * d, 1);
      const data = dtype === 'F32' ? randomF32(n) : dtype === 'I32' ? randomI32(n) : dtype === 'U8' ? randomU8(n) : Uint8Array.from({ length: n }, () => rng.int(2));
      tensors[`layer${rng.int(100)}.${['weight', 'bias', 'mask', 'ψ'][rng.int(4)]}`] = { dtype, shape, data };
    }
    const metadata = trial % 2 ? { format: 'pt', note: `trial ${trial} "q" é` } : undefined;
    const file = encodeSafetensors(tensors, metadata);
    const view = new DataView(file.buffer);
    const n = view.getUint32(0, true);
    assert.is(view.getUint32(4, true), 0, 'u64 high word');
    assert.is(n % 8, 0, 'header padded to a multiple of 8');
    const text = new TextDecoder().decode(file.subarray(8, 8 + n));
    const json = text.trimEnd();
    assert.ok(/^ *$/.test(text.slice(json.length)), 'padding is spaces');
    assert.ok(text.length - json.length < 8);
    const header = JSON.parse(json);
    const keys = Object.keys(header);
    if (metadata) {
      assert.is(keys[0], '__metadata__');
      assert.equal(header.__metadata__, metadata);
    } else assert.not.ok('__metadata__' in header);
    const names = keys.filter((k) => k !== '__metadata__');
    assert.equal(names.sort(), Object.keys(tensors).sort());
    // File order = header order: dtype size descending (F32 before I32, U8 before BOOL), then name bytes.
    const rank = { F32: 0, I32: 1, U8: 2, BOOL: 3 } as Record<string, number>;
    const inFileOrder = keys.filter((k) => k !== '__metadata__');
    let end = 0;
    for (let i = 0; i < inFileOrder.length; i++) {
      const name = inFileOrder[i]!;
      const info = header[name];
      assert.equal(Object.keys(info), ['dtype', 'shape', 'data_offsets']);
      assert.is(info.dtype, tensors[name]!.dtype);
      assert.equal(info.shape, tensors[name]!.shape);
      const [b, e] = info.data_offsets;
      assert.is(b, end, `${name} contiguous`);
      const size = info.dtype === 'F32' || info.dtype === 'I32' ? 4 : 1;
      assert.is(e - b, tensors[name]!.data.length * size);
      assert.is((8 + n + b) % size, 0, `${name} aligned to its element size in the file`);
      assert.ok(sameBytes(file.subarray(8 + n + b, 8 + n + e), bytesOf(tensors[name]!.data)), `${name} data bytes`);
      if (i > 0) {
        const prev = inFileOrder[i - 1]!;
        const r = rank[header[prev].dtype]! - rank[info.dtype]!;
        assert.ok(r < 0 || (r === 0 && Buffer.compare(Buffer.from(prev), Buffer.from(name)) < 0), `${prev} before ${name}`);
      }
      end = e;
    }
    assert.is(file.length, 8 + n + end);
    const decoded = decodeSafetensors(file);
    assert.is(decoded.headerSize, n);
    assert.equal(decoded.metadata, metadata ?? null);
    for (const [name, t] of Object.entries(tensors)) {
      assert.ok(sameBytes(bytesOf(decoded.tensors[name]!.data!), bytesOf(t.data)), name);
      assert.is(decoded.tensors[name]!.data!.constructor, t.data.constructor);
    }
  }
});

/** A safetensors file with the given header (object or raw text) and `dataLength` data bytes. */
function rawSafetensors(header: unknown, dataLength: number, pad = true): Uint8Array {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  if (pad) text += ' '.repeat((8 - (utf8.encode(text).length % 8)) % 8);
  const h = utf8.encode(text);
  const out = new Uint8Array(8 + h.length + dataLength);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  return out;
}

function safetensorsRefuses(bytes: Uint8Array, pattern: RegExp): void {
  throwsMatching(() => decodeSafetensors(bytes), SafetensorsError, pattern);
}

test('decodeSafetensors refuses overlapping, gapped, out-of-bounds and mis-sized offsets and malformed headers', () => {
  const t = (dtype: string, shape: number[], b: number, e: number) => ({ dtype, shape, data_offsets: [b, e] });
  assert.ok(decodeSafetensors(rawSafetensors({ a: t('F32', [2], 0, 8), b: t('U8', [3], 8, 11) }, 11)), 'the good baseline decodes');
  assert.ok(decodeSafetensors(rawSafetensors({ a: t('F32', [2], 0, 8) }, 8, false)), 'unpadded headers are legal');
  assert.ok(decodeSafetensors(rawSafetensors({ b: t('U8', [3], 8, 11), a: t('F32', [2], 0, 8) }, 11)), 'header order need not be file order');
  assert.ok(decodeSafetensors(rawSafetensors({ a: t('F64', [1], 0, 8), h: t('BF16', [2], 8, 12) }, 12)).tensors.h!.bytes.length === 4, 'other dtypes are validated too');
  safetensorsRefuses(rawSafetensors({ a: t('F32', [2], 0, 8), b: t('U8', [3], 4, 7) }, 8), /'b' has data_offsets \[4, 7\], overlapping the previous tensor, which ends at 8/);
  safetensorsRefuses(rawSafetensors({ a: t('F32', [2], 0, 8), b: t('F32', [2], 0, 8) }, 16), /overlapping/);
  safetensorsRefuses(rawSafetensors({ a: t('F32', [2], 0, 8), b: t('U8', [3], 9, 12) }, 12), /'b'.*leaving a gap after offset 8/);
  safetensorsRefuses(rawSafetensors({ a: t('F32', [2], 4, 12) }, 12), /'a'.*gap after offset 0/);
  safetensorsRefuses(rawSafetensors({ a: t('F32', [2], 0, 8), b: t('U8', [3], 8, 11) }, 10), /'b' has data_offsets \[8, 11\], past the end of the 10-byte data buffer/);
  safetensorsRefuses(rawSafetensors({ a: t('F32', [2, 2], 0, 8) }, 8), /'a' has data_offsets \[0, 8\] \(8 bytes\), but shape \[2, 2\] of F32 takes 16/);
  safetensorsRefuses(rawSafetensors({ a: t('F32', [2], 8, 0) }, 8), /end before begin/);
  safetensorsRefuses(rawSafetensors({ a: t('F32', [2], 0, 8) }, 12), /4 unexplained trailing bytes/);
  safetensorsRefuses(rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, 8), /invalid data_offsets/);
  safetensorsRefuses(rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8], extra: 1 } }, 8), /unknown field\(s\) extra/);
  safetensorsRefuses(rawSafetensors({ a: t('Q4', [2], 0, 1) }, 1), /unknown dtype "Q4"/);
  safetensorsRefuses(rawSafetensors({ a: t('F32', [-2], 0, 8) }, 8), /invalid shape/);
  safetensorsRefuses(rawSafetensors({ __metadata__: { n: 3 } }, 0), /__metadata__ must map strings to strings/);
  safetensorsRefuses(rawSafetensors(' {}', 0), /must start with '\{'/);
  safetensorsRefuses(rawSafetensors('{"a": ', 0), /not valid JSON/);
  safetensorsRefuses(rawSafetensors('[]', 0), /must start with '\{'/);
  safetensorsRefuses(new Uint8Array(5), /5 bytes, too small/);
  const tooLong = rawSafetensors({}, 0);
  new DataView(tooLong.buffer).setUint32(0, 64, true);
  safetensorsRefuses(tooLong, /header size 64 runs past the end of the 16-byte file/);
  const huge = rawSafetensors({}, 0);
  new DataView(huge.buffer).setUint32(4, 1, true);
  safetensorsRefuses(huge, /exceeds the limit of 100000000 bytes/);
  const badUtf8 = rawSafetensors('{"\u00e9":1}', 0);
  badUtf8[11] = 0xff;
  safetensorsRefuses(badUtf8, /not valid UTF-8/);
});

test('encodeSafetensors refuses what a reader would reject or misread', () => {
  const f32 = (n: number) => ({ dtype: 'F32' as const, shape: [n], data: new Float32Array(n) });
  throwsMatching(() => encodeSafetensors({ __metadata__: f32(1) }), TypeError, /'__metadata__' is reserved/);
  throwsMatching(() => encodeSafetensors({ m: { dtype: 'BOOL', shape: [3], data: new Uint8Array([0, 1, 2]) } }), RangeError, /'m' is BOOL but element 2 is 2/);
  throwsMatching(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Int32Array(2) } }), TypeError, /'w' has dtype F32 and needs a Float32Array/);
  throwsMatching(() => encodeSafetensors({ w: { dtype: 'F16' as 'F32', shape: [2], data: new Float32Array(2) } }), TypeError, /'w' has dtype 'F16'/);
  throwsMatching(() => encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }), RangeError, /'w' has shape \[3\] \(3 elements\) but 2/);
  throwsMatching(() => encodeSafetensors({ w: f32(1) }, { n: 3 as unknown as string }), TypeError, /'n' is number/);
  throwsMatching(() => encodeSafetensors({ ['bad\ud800']: f32(1) }), TypeError, /lone surrogate/);
});

test('safetensors: cross-check with the Python safetensors package, when it is importable', () => {
  const probe = spawnSync('python3', ['-c', 'import numpy, safetensors.numpy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    skipped('safetensors: cross-check with the Python safetensors package', 'python3 with numpy and safetensors is not importable here; nothing is installed by the tests');
    return;
  }
  const dir = scratchDir();
  try {
    const tensors: Record<string, SafetensorsTensor> = {
      'w.weight': { dtype: 'F32', shape: [3, 5], data: randomF32(15) },
      'ids': { dtype: 'I32', shape: [4], data: randomI32(4) },
      'bytes': { dtype: 'U8', shape: [5], data: randomU8(5) },
      'mask': { dtype: 'BOOL', shape: [2, 3], data: new Uint8Array([1, 0, 0, 1, 1, 0]) },
      'empty': { dtype: 'F32', shape: [0], data: new Float32Array(0) },
    };
    const ours = join(dir, 'ours.safetensors'), theirs = join(dir, 'theirs.safetensors');
    writeFileSync(ours, encodeSafetensors(tensors, { format: 'np' }));
    const script = `
import json, sys, numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open
loaded = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework="np") as f:
    meta = f.metadata()
save_file(loaded, sys.argv[2], metadata=meta)
out = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.astype(np.float64).ravel().tolist()} for k, v in loaded.items()}
print(json.dumps({"tensors": out, "metadata": meta}))`;
    const r = spawnSync('python3', ['-c', script, ours, theirs], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.equal(got.metadata, { format: 'np' });
    const npType = { F32: 'float32', I32: 'int32', U8: 'uint8', BOOL: 'bool' };
    for (const [name, t] of Object.entries(tensors)) {
      const g = got.tensors[name];
      assert.ok(g, `python sees ${name}`);
      assert.is(g.dtype, npType[t.dtype]);
      assert.equal(g.shape, [...t.shape]);
      assert.equal(g.values, Array.from(t.data as ArrayLike<number>), name);
    }
    // The reference writer, given the same tensors and metadata, produces the same bytes.
    assert.ok(sameBytes(new Uint8Array(readFileSync(theirs)), new Uint8Array(readFileSync(ours))), 'byte-identical to safetensors.numpy.save_file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoint: an independent reader (Python struct + zlib.crc32 + numpy) reads what we write, when python3 and numpy are importable', () => {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    skipped('checkpoint: an independent reader in Python', 'python3 with numpy is not importable here; nothing is installed by the tests');
    return;
  }
  const dir = scratchDir();
  try {
    const c = sampleContents();
    const path = join(dir, 'x.ckpt');
    writeFileSync(path, encodeCheckpoint(c));
    // The ~15-line reader src/io/README.md promises, checking every CRC with zlib's.
    const script = `
import json, struct, sys, zlib, numpy as np
b = open(sys.argv[1], 'rb').read()
magic, version, H, total, hcrc, pcrc = struct.unpack('<8sIIQII', b[:32])
assert magic == b'SRNNCKPT' and version == 1 and total == len(b)
assert zlib.crc32(b[:28]) == pcrc and zlib.crc32(b[32:32 + H]) == hcrc
h = json.loads(b[32:32 + H].decode('utf-8'))
start = (32 + H + 15) // 16 * 16
out = {}
for name, t in h['tensors'].items():
    lo = start + t['offset']
    assert lo % 16 == 0 and zlib.crc32(b[lo:lo + t['byteLength']]) == t['crc32'], name
    dt = {'f32': '<f4', 'i32': '<i4', 'u8': 'u1'}[t['dtype']]
    a = np.frombuffer(b, dt, t['byteLength'] // np.dtype(dt).itemsize, lo).reshape(t['shape'])
    out[name] = {'shape': list(a.shape), 'hex': a.tobytes().hex()}
print(json.dumps({'meta_kind': h['meta']['kind'], 'vocab': len(h['meta']['vocab']), 'tensors': out}))`;
    const r = spawnSync('python3', ['-c', script, path], { encoding: 'utf8', maxBuffer: 1 << 24 });
    assert.is(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.is(got.meta_kind, 'selfish-rnn/lm');
    assert.is(got.vocab, 20000);
    assert.equal(Object.keys(got.tensors).sort(), Object.keys(c.tensors).sort());
    for (const [name, t] of Object.entries(c.tensors)) {
      assert.equal(got.tensors[name].shape, [...t.shape], name);
      assert.is(got.tensors[name].hex, Buffer.from(bytesOf(t.data)).toString('hex'), name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the public entries export the format functions (main) and the file functions (node)', async () => {
  const main = await import('../src/index.js');
  for (const name of ['encodeCheckpoint', 'decodeCheckpoint', 'readCheckpointHeader', 'putCSR', 'getCSR', 'CheckpointError', 'encodeSafetensors', 'decodeSafetensors', 'crc32']) {
    assert.ok(name in main, `index exports ${name}`);
  }
  assert.not.ok('writeFileAtomic' in main, 'the main entry stays free of node:fs');
  const node = await import('../src/node.js');
  for (const name of ['writeFileAtomic', 'writeFileAtomicSync', 'readFileBytes', 'readFileBytesSync', 'saveCheckpoint', 'loadCheckpoint', 'encodeCheckpoint']) {
    assert.ok(name in node, `node entry exports ${name}`);
  }
  assert.ok(existsSync(new URL('../src/node.js', import.meta.url)));
});

test.run();
