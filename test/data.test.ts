// Data layer: vocabulary, word-level and text corpora, the Moby-Dick default corpus, batching,
// random BPTT, and the loaders' error messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Vocabulary, Random, batchify, getBatch, BpttIterator, buildTextCorpus, buildWordCorpus, tokenizeText, tidy,
  type BpttSpan,
} from '../src/index.js';
import { loadWordCorpus, loadTextCorpus, loadDefaultCorpus, defaultCorpusDocumentsSync, defaultCorpus, defaultCorpusDocuments } from '../src/node.js';
import { parseCorpusDocuments } from '../src/data/builtin.js';
import { corpusDir } from './helpers/data.js';

const here = dirname(fileURLToPath(import.meta.url)); // build/test
const projectRoot = join(here, '..', '..');

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'selfish-rnn-data-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function throwsWith(fn: () => unknown, ...parts: string[]): void {
  try {
    fn();
  } catch (e) {
    const msg = (e as Error).message;
    for (const p of parts) assert.ok(msg.includes(p), `error message ${JSON.stringify(msg)} should contain ${JSON.stringify(p)}`);
    assert.ok(msg.startsWith('selfish-rnn: '), `error message should start with 'selfish-rnn: ': ${msg}`);
    return;
  }
  assert.unreachable(`expected an error containing ${parts.join(' / ')}`);
}

// ---- vocabulary -----------------------------------------------------------------------------

test('Vocabulary: first-seen ids, unk fallback, JSON round trip', () => {
  const v = new Vocabulary(['b', 'a', 'b', 'c']);
  assert.is(v.size, 3);
  assert.equal(v.list(), ['b', 'a', 'c']);
  assert.is(v.add('a'), 1);
  assert.is(v.add('d'), 3);
  assert.equal(Array.from(v.encode(['c', 'b'])), [2, 0]);
  assert.equal(v.decode([3, 1]), ['d', 'a']);
  throwsWith(() => v.id('zzz'), '"zzz"', 'not in the vocabulary');
  throwsWith(() => v.word(4), 'id 4', '[0, 4)');
  v.setUnk('<unk>');
  assert.is(v.id('zzz'), 4);
  const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v)));
  assert.equal(back.list(), v.list());
  assert.is(back.unk, '<unk>');
  assert.is(back.id('never seen'), 4);
  throwsWith(() => Vocabulary.fromJSON({ words: ['a'] }), 'not a serialised vocabulary');
  throwsWith(() => Vocabulary.fromJSON({ format: 'selfish-rnn/vocabulary', version: 1, words: ['a', 'a'], unk: null }), 'duplicate');
  throwsWith(() => Vocabulary.fromJSON({ format: 'selfish-rnn/vocabulary', version: 9, words: [], unk: null }), 'version 9');
});

// ---- word-level format ----------------------------------------------------------------------

test('word-level format: line.split() + <eos>, ids in first-seen order over train, valid, test', () => {
  // Python's str.split() splits on \x1c and \x85 but not on \ufeff; '\r\n' and '\r' are newlines;
  // an empty line is a lone <eos>; a last line without '\n' still ends with <eos>.
  const c = buildWordCorpus({
    train: ' the cat\tsat \n\nthe\x1cdog\r\nran\rx\ufeffy',
    valid: 'a\x85cat\n',
    test: 'new word',
  });
  assert.equal(c.vocab.list(), ['the', 'cat', 'sat', '<eos>', 'dog', 'ran', 'x\ufeffy', 'a', 'new', 'word']);
  assert.equal(c.vocab.decode(c.train), ['the', 'cat', 'sat', '<eos>', '<eos>', 'the', 'dog', '<eos>', 'ran', '<eos>', 'x\ufeffy', '<eos>']);
  assert.equal(c.vocab.decode(c.valid), ['a', 'cat', '<eos>']);
  assert.equal(c.vocab.decode(c.test), ['new', 'word', '<eos>']);
  assert.is(c.vocab.unk, null); // no <unk> in this text
  throwsWith(() => buildWordCorpus({ train: 'a', valid: '', test: 'b' }, { valid: 'v.txt' }), 'v.txt is empty');
});

test('loadWordCorpus: both file layouts are detected and read', () => {
  const ptb = tempDir({ 'train.txt': ' a <unk> b \n', 'valid.txt': ' b a \n', 'test.txt': ' c \n' });
  const wiki = tempDir({ 'wiki.train.tokens': ' \n = A = \n', 'wiki.valid.tokens': 'A\n', 'wiki.test.tokens': 'B\n' });
  try {
    const p = loadWordCorpus(ptb);
    assert.equal(p.vocab.list(), ['a', '<unk>', 'b', '<eos>', 'c']);
    assert.equal(Array.from(p.train), [0, 1, 2, 3]);
    assert.is(p.vocab.unk, '<unk>');
    assert.is(p.vocab.id('never seen'), 1);
    const w = loadWordCorpus(wiki);
    assert.equal(w.vocab.list(), ['<eos>', '=', 'A', 'B']);
    assert.equal(w.vocab.decode(w.train), ['<eos>', '=', 'A', '=', '<eos>']);
    assert.ok(w.files.train.endsWith('wiki.train.tokens'));
  } finally {
    rmSync(ptb, { recursive: true });
    rmSync(wiki, { recursive: true });
  }
});

test('loadWordCorpus: clear errors for a missing directory, missing files, an empty file', () => {
  const missing = join(tmpdir(), 'selfish-rnn-no-such-dir-' + process.pid);
  throwsWith(() => loadWordCorpus(missing), 'corpus directory not found', missing);
  const empty = tempDir({ 'notes.md': 'x' });
  const partial = tempDir({ 'train.txt': 'a\n', 'test.txt': 'b\n' });
  const partialWiki = tempDir({ 'wiki.train.tokens': 'a\n' });
  const emptyFile = tempDir({ 'train.txt': 'a\n', 'valid.txt': '', 'test.txt': 'b\n' });
  try {
    throwsWith(() => loadWordCorpus(empty), 'no corpus files', 'train.txt, valid.txt, test.txt', 'wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens');
    throwsWith(() => loadWordCorpus(partial), 'has no valid.txt', 'train.txt, valid.txt, test.txt');
    throwsWith(() => loadWordCorpus(partialWiki), 'has no wiki.valid.tokens');
    throwsWith(() => loadWordCorpus(emptyFile), 'corpus file is empty', 'valid.txt');
    throwsWith(() => loadWordCorpus(join(partial, 'train.txt')), 'not a directory');
  } finally {
    for (const d of [empty, partial, partialWiki, emptyFile]) rmSync(d, { recursive: true });
  }
});

const BENCHMARKS = [
  { dir: 'ptb', train: 929_589, valid: 73_760, test: 82_430, vocab: 10_000 },
  { dir: 'wikitext-2', train: 2_088_628, valid: 217_646, test: 245_569, vocab: 33_278 },
];

// The benchmark files, where test/helpers/data.ts finds them (SELFISH_RNN_DATA, or the shared folder).
for (const b of BENCHMARKS) {
  const name = `${b.dir}: the published token and vocabulary counts`;
  test(name, () => {
    const dir = corpusDir(b.dir, name);
    if (dir === null) return;
    const t0 = performance.now();
    const c = loadWordCorpus(dir);
    const ms = performance.now() - t0;
    console.log(`  ${b.dir}: ${c.train.length} / ${c.valid.length} / ${c.test.length} tokens, vocabulary ${c.vocab.size}, loaded in ${ms.toFixed(0)} ms`);
    assert.is(c.train.length, b.train);
    assert.is(c.valid.length, b.valid);
    assert.is(c.test.length, b.test);
    assert.is(c.vocab.size, b.vocab);
    // Reference id order: the first line's words, then <eos>.
    const firstLine = readFileSync(c.files.train, 'utf8').split('\n')[0]!.split(/\s+/).filter((w) => w !== '');
    const eos = c.vocab.id('<eos>');
    assert.is(eos, firstLine.length);
    assert.equal(c.vocab.list().slice(0, eos), firstLine);
    assert.is(c.train[eos], eos);
  });
}

// ---- text corpora ---------------------------------------------------------------------------

test('tokenizeText: words, single punctuation characters, one unit per non-blank line', () => {
  const units = tokenizeText('Call me Ishmael. Some years ago—never mind\r\n\n  \n"Don\'t," said the sea-captain’s mate: 1,000 $!\n');
  assert.equal(units, [
    ['call', 'me', 'ishmael', '.', 'some', 'years', 'ago', '—', 'never', 'mind'],
    ['"', "don't", ',', '"', 'said', 'the', 'sea', '-', 'captain’s', 'mate', ':', '1', ',', '000', '$', '!'],
  ]);
  assert.equal(tokenizeText('Ab CD', { lowercase: false }), [['Ab', 'CD']]);
  assert.equal(tokenizeText('one\ntwo\n\nthree\n \n\n\nfour', { eosPer: 'paragraph' }), [['one', 'two'], ['three'], ['four']]);
  assert.equal(tokenizeText('e\u0301'), [['\u00e9']]); // NFC
  throwsWith(() => tokenizeText('x', { eosPer: 'sentence' as 'line' }), 'eosPer');
});

test('buildTextCorpus: vocabulary cap by training frequency, ties by first occurrence, <unk> for the rest', () => {
  // 20 lines of 1 token + <eos> = 40 tokens; split 50/25/25 → 10 / 5 / 5 lines.
  const lines = ['b', 'a', 'c', 'a', 'b', 'd', 'd', 'c', 'e', 'x', 'v1', 'v2', 'a', 'v1', 'b', 't1', 'a', 'zz', 'b', 'q'];
  const c = buildTextCorpus(lines.join('\n'), { maxVocab: 5, split: [0.5, 0.25, 0.25] });
  assert.equal(c.stats.units, { train: 10, valid: 5, test: 5 });
  // train counts: b2 a2 c2 d2 e1 x1 → keep 3: b, a, c (ties by first occurrence; d loses to c).
  assert.equal(c.vocab.list(), ['<unk>', '<eos>', 'b', 'a', 'c']);
  assert.equal(c.vocab.decode(c.train).filter((w) => w !== '<eos>'), ['b', 'a', 'c', 'a', 'b', '<unk>', '<unk>', 'c', '<unk>', '<unk>']);
  assert.equal(c.vocab.decode(c.valid).filter((w) => w !== '<eos>'), ['<unk>', '<unk>', 'a', '<unk>', 'b']);
  assert.equal(c.vocab.decode(c.test).filter((w) => w !== '<eos>'), ['<unk>', 'a', '<unk>', 'b', '<unk>']);
  assert.equal(c.stats.unkTokens, { train: 4, valid: 3, test: 3 });
  assert.is(c.stats.trainWords, 6);
  const uncapped = buildTextCorpus(lines.join('\n'), { split: [0.5, 0.25, 0.25] });
  assert.is(uncapped.vocab.size, 8);
  throwsWith(() => buildTextCorpus('a b', { maxVocab: 2 }), 'maxVocab');
  throwsWith(() => buildTextCorpus('a\nb\nc', { split: [0.5, 0.5, 0.5] }), 'split');
  throwsWith(() => buildTextCorpus(' \n\n'), 'no tokens');
  throwsWith(() => buildTextCorpus('one line'), '1 line(s)/paragraph(s)', 'too few');
  // Tiny texts still give every split a line.
  const tiny = buildTextCorpus('a\nb\nc');
  assert.equal([tiny.train.length, tiny.valid.length, tiny.test.length], [2, 2, 2]);
});

test('loadTextCorpus: a file, a directory of .txt files in natural order, in-memory text, errors', () => {
  const dir = tempDir({ 'part_10.txt': 'ten\n', 'part_2.txt': 'two\n', 'part_1.txt': 'one\n', 'skip.md': 'no\n' });
  mkdirSync(join(dir, 'sub.txt'));
  try {
    const opts = { split: [1 / 3, 1 / 3, 1 / 3] as [number, number, number] };
    const c = loadTextCorpus(dir, opts);
    assert.equal([c.train, c.valid, c.test].map((s) => c.vocab.decode(s).join(' ')), ['one <eos>', '<unk> <eos>', '<unk> <eos>']);
    const f = loadTextCorpus(join(dir, 'part_2.txt'), { split: [1, 0, 0] });
    assert.equal(f.vocab.decode(f.train), ['two', '<eos>']);
    assert.is(f.valid.length + f.test.length, 0);
    const m = loadTextCorpus({ text: ['x y', 'y z', 'z'] }, opts);
    assert.equal(m.vocab.decode(m.train), ['x', 'y', '<eos>']);
    throwsWith(() => loadTextCorpus(join(dir, 'nope.txt')), 'text corpus not found', 'nope.txt');
    const emptyDir = tempDir({});
    try {
      throwsWith(() => loadTextCorpus(emptyDir), 'no .txt files');
    } finally {
      rmSync(emptyDir, { recursive: true });
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

// ---- the default corpus ---------------------------------------------------------------------

test('Moby-Dick default corpus: size, vocabulary cap, contiguous disjoint splits, deterministic', () => {
  const t0 = performance.now();
  const c = loadDefaultCorpus();
  const ms = performance.now() - t0;
  const total = c.train.length + c.valid.length + c.test.length;
  console.log(`  Moby-Dick: ${c.train.length} / ${c.valid.length} / ${c.test.length} tokens (${total} total), ` +
    `vocabulary ${c.vocab.size} of ${c.stats.trainWords} training words, <unk> ${c.stats.unkTokens.train} / ${c.stats.unkTokens.valid} / ${c.stats.unkTokens.test}, loaded in ${ms.toFixed(0)} ms`);
  const docs = defaultCorpusDocumentsSync();
  assert.is(docs.length, 138); // etymology, extracts, 135 chapters, epilogue
  assert.match(docs[0]!, /^ETYMOLOGY/);
  assert.match(docs[2]!, /^CHAPTER 1\. Loomings/);
  assert.match(docs[136]!, /^CHAPTER 135\. The Chase\.—Third Day/);
  assert.match(docs[137]!, /^Epilogue/);
  assert.ok(total > 200_000 && total < 400_000, `Moby-Dick has about a quarter million words, got ${total} tokens`);
  assert.is(c.vocab.size, 10_000);
  assert.ok(c.stats.trainWords > 10_000);
  assert.ok(Math.abs(c.train.length / total - 0.9) < 0.01, `train share ${c.train.length / total}`);
  assert.ok(c.valid.length > 0 && c.test.length > 0);
  for (const s of [c.train, c.valid, c.test]) assert.is(c.vocab.word(s[s.length - 1]!), '<eos>');

  // The three splits are consecutive pieces of the whole token sequence, in order.
  const whole: string[] = [];
  for (const d of docs) for (const u of tokenizeText(d)) whole.push(...u, '<eos>');
  assert.is(whole.length, total);
  let k = 0;
  for (const s of [c.train, c.valid, c.test]) {
    for (let j = 0; j < s.length; j++, k++) {
      const w = c.vocab.word(s[j]!);
      if (w === '<unk>') assert.ok(!c.vocab.has(whole[k]!), `position ${k}: ${whole[k]} is in the vocabulary but became <unk>`);
      else if (w !== whole[k]) assert.unreachable(`position ${k}: ${w} ≠ ${whole[k]}`);
    }
  }

  const again = loadDefaultCorpus();
  assert.equal(again.vocab.list(), c.vocab.list());
  for (const s of ['train', 'valid', 'test'] as const) assert.ok(again[s].every((id, j) => id === c[s][j]), `${s} differs between loads`);

  const small = loadDefaultCorpus({ maxVocab: 500 });
  assert.is(small.vocab.size, 500);
  assert.equal(small.vocab.list(), c.vocab.list().slice(0, 500)); // same ranking, shorter
});

test('defaultCorpus (DecompressionStream, any platform) is the same corpus as loadDefaultCorpus (node:zlib)', async () => {
  const docs = await defaultCorpusDocuments();
  assert.equal(docs, defaultCorpusDocumentsSync());
  assert.is(await defaultCorpusDocuments(), docs); // decompressed once, cached
  const a = await defaultCorpus({ maxVocab: 700 }), b = loadDefaultCorpus({ maxVocab: 700 });
  assert.equal(a.vocab.list(), b.vocab.list());
  for (const s of ['train', 'valid', 'test'] as const) assert.equal(Array.from(a[s]), Array.from(b[s]));
});

test('the corpus check rejects damaged embedded text', () => {
  throwsWith(() => parseCorpusDocuments('["a", 1]', 2), 'embedded corpus is damaged');
  throwsWith(() => parseCorpusDocuments('["a"]', 2), 'expected 2 documents');
  assert.equal(parseCorpusDocuments('["a","b"]', 2), ['a', 'b']);
});

// ---- batching -------------------------------------------------------------------------------

test('batchify: trims to a multiple and lays columns out time-major', () => {
  const ids = Int32Array.from({ length: 11 }, (_, k) => k);
  const b = batchify(ids, 3); // columns [0 1 2] [3 4 5] [6 7 8]; 9, 10 dropped
  assert.is(b.rows, 3);
  assert.is(b.batchSize, 3);
  assert.equal(Array.from(b.data), [0, 3, 6, 1, 4, 7, 2, 5, 8]);
  assert.equal(Array.from(batchify(ids, 1).data), Array.from(ids));
  throwsWith(() => batchify(ids, 6), '11 tokens are too few for batch size 6');
  throwsWith(() => batchify(ids, 0), 'batchSize');
});

test('getBatch: input rows and next-token targets, clipped at the end', () => {
  const b = batchify(Int32Array.from({ length: 12 }, (_, k) => k), 2); // rows 6: [0 6] [1 7] … [5 11]
  tidy(() => {
    const { input, target } = getBatch(b, 1, 3);
    assert.equal(input.shape, [3, 2]);
    assert.equal(Array.from(input.data), [1, 7, 2, 8, 3, 9]);
    assert.equal(Array.from(target.data), [2, 8, 3, 9, 4, 10]);
    const end = getBatch(b, 3, 10); // only rows 3, 4 have targets
    assert.equal(end.input.shape, [2, 2]);
    assert.equal(Array.from(end.input.data), [3, 9, 4, 10]);
    assert.equal(Array.from(end.target.data), [4, 10, 5, 11]);
  });
  throwsWith(() => getBatch(b, 5, 1), 'batch start row 5', '[0, 5)');
  throwsWith(() => getBatch(b, 0, 0), 'seqLen');
});

function spans(it: BpttIterator, n: number): BpttSpan[] {
  const out: BpttSpan[] = [];
  while (out.length < n) {
    const s = it.nextSpan();
    if (s) out.push(s);
  }
  return out;
}

test('fixed BPTT: windows of bptt rows, the last one clipped, then the next epoch', () => {
  const b = batchify(Int32Array.from({ length: 10 }, (_, k) => k), 1);
  const it = new BpttIterator(b, { bptt: 4 });
  assert.is(it.batchesPerEpoch, 3);
  const got: (BpttSpan | null)[] = [];
  for (let k = 0; k < 5; k++) got.push(it.nextSpan());
  assert.equal(got, [
    { epoch: 0, i: 0, seqLen: 4, lrScale: 1 },
    { epoch: 0, i: 4, seqLen: 4, lrScale: 1 },
    { epoch: 0, i: 8, seqLen: 1, lrScale: 1 },
    null,
    { epoch: 1, i: 0, seqLen: 4, lrScale: 1 },
  ]);
  tidy(() => {
    const batches = [...it.batches()];
    assert.equal(batches.map((x) => [x.i, Array.from(x.target.data)]), [[4, [5, 6, 7, 8]], [8, [9]]]);
  });
  assert.equal(it.position, { epoch: 2, i: 0 });
});

test('random BPTT: 5% half-length draws, minimum 5, cap at bptt + maxSeqLenDelta, lr scale', () => {
  const b = batchify(new Int32Array(400_000), 1);
  const it = new BpttIterator(b, { bptt: 70, variableLength: true, maxSeqLenDelta: 40, rng: new Random(1) });
  const draws = spans(it, 100_000);
  const lengths = draws.map((s) => Math.round(s.lrScale * 70));
  for (const s of draws) assert.ok(s.seqLen <= Math.round(s.lrScale * 70));
  const half = lengths.filter((l) => l < 52).length / lengths.length; // N(35, 5) vs N(70, 5)
  console.log(`  random BPTT: ${(100 * half).toFixed(2)}% half-length draws over ${lengths.length}`);
  assert.ok(Math.abs(half - 0.05) < 0.005, `half-length fraction ${half}`);
  const full = lengths.filter((l) => l >= 52);
  const mean = full.reduce((a, l) => a + l, 0) / full.length;
  assert.ok(Math.abs(mean - 69.5) < 0.1, `mean full length ${mean} (trunc of N(70, 5) has mean ≈ 69.5)`);

  // Minimum: with bptt 6, N(6, 5) is often below 5.
  const small = spans(new BpttIterator(b, { bptt: 6, variableLength: true, rng: new Random(2) }), 20_000).map((s) => s.lrScale * 6);
  assert.is(Math.min(...small), 5);
  assert.ok(small.filter((l) => l === 5).length > 2000);
  // Cap: bptt + 2.
  const capped = spans(new BpttIterator(b, { bptt: 70, variableLength: true, maxSeqLenDelta: 2, rng: new Random(3) }), 20_000).map((s) => Math.round(s.lrScale * 70));
  assert.is(Math.max(...capped), 72);
  assert.ok(capped.filter((l) => l === 72).length > 1000);
  // No cap (awd-lstm-lm).
  const free = spans(new BpttIterator(b, { bptt: 70, variableLength: true, maxSeqLenDelta: Infinity, rng: new Random(3) }), 20_000).map((s) => Math.round(s.lrScale * 70));
  assert.ok(Math.max(...free) > 80);
  throwsWith(() => new BpttIterator(b, { bptt: 0 }), 'bptt');
});

test('random BPTT: the same seed gives the same batches; a saved position resumes exactly', () => {
  const ids = Int32Array.from({ length: 5000 }, (_, k) => (k * 7919) % 1000);
  const b = batchify(ids, 4); // 1250 rows: ~18 batches per epoch
  const make = (seed: number) => new BpttIterator(b, { bptt: 70, variableLength: true, rng: new Random(seed) });
  const seqA = spans(make(11), 60), seqB = spans(make(11), 60), seqC = spans(make(12), 60);
  assert.equal(seqA, seqB);
  assert.not.equal(seqA, seqC);
  assert.ok(seqA.some((s) => s.epoch >= 2), 'the run crosses epoch boundaries');

  const asArrays = (x: { input: { data: Int32Array }; target: { data: Int32Array } }) => [Array.from(x.input.data), Array.from(x.target.data)];
  tidy(() => {
    const a = make(11);
    for (let k = 0; k < 25; k++) a.next();
    const saved = { position: a.position, rng: a.rng.getState() };
    const rest: unknown[] = [];
    for (let k = 0; k < 30; k++) {
      const x = a.next();
      rest.push(x && { i: x.i, epoch: x.epoch, seqLen: x.seqLen, lrScale: x.lrScale, data: asArrays(x) });
    }
    const resumed = make(999);
    resumed.rng.setState(JSON.parse(JSON.stringify(saved.rng)));
    resumed.position = JSON.parse(JSON.stringify(saved.position));
    const again: unknown[] = [];
    for (let k = 0; k < 30; k++) {
      const x = resumed.next();
      again.push(x && { i: x.i, epoch: x.epoch, seqLen: x.seqLen, lrScale: x.lrScale, data: asArrays(x) });
    }
    assert.equal(again, rest);
  });
});

// ---- platform boundary ----------------------------------------------------------------------

test('the main entry imports no node: module (it must load in browsers); the node entry does', () => {
  const seen = new Set<string>();
  const nodeImports: string[] = [];
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) walk(join(dirname(file), spec));
      else nodeImports.push(`${file}: ${spec}`);
    }
  };
  walk(join(projectRoot, 'build', 'src', 'index.js'));
  assert.ok(seen.size > 10, `walked ${seen.size} modules`);
  assert.equal(nodeImports, []);
  walk(join(projectRoot, 'build', 'src', 'node.js'));
  assert.ok(nodeImports.some((s) => s.includes('node:fs')));
});

test.run();
