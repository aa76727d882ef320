// What must survive any value and any leftover (issue #13): the plot and summaries with NaN,
// ±Infinity and 1e308; the divergence rule; the corpus-size and memory checks made before the
// first step; the run log cut back on resume and carried to a new run directory; stale temporary
// files; corpus files that are not UTF-8 text; streamed word-level corpora.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkCorpusFits, checkTrainingMemory, divergedLoss, estimateTrainingMemory, memoryStats, memoryStore, renderTrainingPlot, resolveTrainConfig,
  RUN_FILES, carryOverRun, truncateRunLog, Trainer, WASM_MEMORY_LIMIT_BYTES, type Corpus, type PlotEpoch,
} from '../src/index.js';
import { loadDefaultCorpus, loadTextCorpus, loadWordCorpus } from '../src/node.js';
import { firstInvalidUtf8, readText, readTextChunks } from '../src/data/fs.js';
import { removeStaleTempFiles } from '../src/train/checkpoint/files.js';
import { ppl } from '../src/cli/format.js';

const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-robust-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const NASTY = [NaN, Infinity, -Infinity, 1e308, Number.MAX_VALUE, -1e308, 0, -1, 5e-324, 1, 1 + 2 ** -52];

test('the plot renders, in bounded size, for any values (no endless tick loop, no NaN in the SVG)', () => {
  for (const a of NASTY) {
    for (const b of NASTY) {
      const epochs: PlotEpoch[] = [{ epoch: 1, trainPpl: a, valPpl: b }, { epoch: 2, trainPpl: b, valPpl: a, switched: true }];
      const svg = renderTrainingPlot(epochs, [{ epoch: 0, density: a, gates: { i: a, f: b, g: a, o: b } }, { epoch: a, density: b, gates: null }]);
      assert.ok(svg.length < 20_000, `size ${svg.length} for ${a}, ${b}`);
      assert.not.match(svg, /NaN|Infinity/, `no NaN/Infinity drawn for ${a}, ${b}`);
      assert.match(svg, /<\/svg>\n$/);
    }
  }
  // The reported case: perplexity overflowing to the largest double in the first epoch.
  const svg = renderTrainingPlot([{ epoch: 1, trainPpl: 3.2e10, valPpl: Number.MAX_VALUE }], []);
  assert.match(svg, /<path/);
  // Widely spread values are thinned to a readable number of ticks.
  const wide = renderTrainingPlot([{ epoch: 1, trainPpl: 1e-300, valPpl: 1e300 }], []);
  assert.ok((wide.match(/stroke="#e5e5e5"/g) ?? []).length <= 30);
});

test('summaries print any perplexity', () => {
  assert.is(ppl(123.456), '123.46');
  assert.is(ppl(12345.6), '12346');
  assert.is(ppl(Number.MAX_VALUE), '1.80e+308');
  assert.is(ppl(Infinity), 'Infinity');
  assert.is(ppl(null), 'null');
});

test('divergence: non-finite, overflowing and absurd perplexities; ordinary ones are not', () => {
  assert.is(divergedLoss(Math.log(150), 10_000), null);
  assert.is(divergedLoss(Math.log(10_000 * 999), 10_000), null);
  assert.match(divergedLoss(Math.log(10_000 * 1001), 10_000)!, /over 1000×/);
  assert.match(divergedLoss(868.2, 200)!, /perplexity overflows/);
  assert.match(divergedLoss(270, 200)!, /perplexity 1\.\d+e\+117/);
  assert.match(divergedLoss(NaN, 200)!, /is NaN/);
  assert.match(divergedLoss(Infinity, 200)!, /is Infinity/);
});

test('every split is checked against its batch size before training', async () => {
  const ids = (n: number) => new Int32Array(n);
  const corpus = { vocab: null as never, train: ids(100), valid: ids(30), test: ids(9) };
  checkCorpusFits(corpus, { batchSize: 50, evalBatchSize: 15, testBatchSize: 4 });
  assert.throws(() => checkCorpusFits(corpus, { batchSize: 51, evalBatchSize: 1, testBatchSize: 1 }), /training split has 100 tokens, too few for batch size 51 \(--batch-size\).*--batch-size 50 or less/);
  assert.throws(() => checkCorpusFits(corpus, { batchSize: 1, evalBatchSize: 16, testBatchSize: 1 }), /validation split has 30 tokens.*--eval-batch-size 15 or less/);
  assert.throws(() => checkCorpusFits(corpus, { batchSize: 1, evalBatchSize: 1, testBatchSize: 5 }), /test split has 9 tokens.*--test-batch-size 4 or less/);
  // The trainer refuses at create time, not after an epoch.
  const full = loadDefaultCorpus({ maxVocab: 100 });
  const small: Corpus = { vocab: full.vocab, train: full.train.slice(0, 2000), valid: full.valid.slice(0, 40), test: full.test.slice(0, 2000) };
  const config = resolveTrainConfig({ model: 'zaremba-small', lm: { emsize: 8, nhid: 8 }, batchSize: 10, bptt: 10, evalBatchSize: 30, epochs: 1 }, full.vocab.size);
  const before = memoryStats().liveBytes;
  await Trainer.create({ config, corpus: small }).then(() => assert.unreachable('accepted'), (e) => assert.match((e as Error).message, /validation split has 40 tokens/));
  assert.is(memoryStats().liveBytes, before, 'nothing allocated');
});

test('the memory estimate refuses what cannot fit, at once, and is a lower bound of what a step uses', async () => {
  const base = resolveTrainConfig({ model: 'zaremba-small', lm: { emsize: 16, nhid: 16 }, batchSize: 10, bptt: 10, evalBatchSize: 10, epochs: 1 }, 200);
  for (const lm of [{ nlayers: 100_000_000 }, { emsize: 2_000_000 }, { nhid: 2 ** 31 - 1 }, { emsize: 1e20 }]) {
    const c = { ...base, lm: { ...base.lm, ...lm } } as unknown as typeof base; // beyond the fields' ranges on purpose: the estimate itself must cope
    const t0 = Date.now();
    assert.throws(() => checkTrainingMemory(c, 200), /cannot fit: training it needs at least .* GiB of WebAssembly memory, which holds at most 4\.00 GiB/);
    assert.ok(Date.now() - t0 < 1000, 'at once');
  }
  assert.is(WASM_MEMORY_LIMIT_BYTES, 2 ** 32);
  // Lower bound: a real step of a small model uses at least the estimate.
  const full = loadDefaultCorpus({ maxVocab: 500 });
  const corpus: Corpus = { vocab: full.vocab, train: full.train.slice(0, 3000), valid: full.valid.slice(0, 500), test: full.test.slice(0, 500) };
  for (const opts of [
    { model: 'zaremba-small', lm: { emsize: 32, nhid: 48 } }, { model: 'awd-lstm-mos-ptb', lm: { emsize: 12, nhid: 16, nhidlast: 12, nExperts: 3 } },
    { model: 'selfish-rhn', lm: { emsize: 16, nhid: 16, depth: 3 } }, { model: 'selfish-onlstm', lm: { emsize: 16, nhid: 20, chunkSize: 4 } },
  ]) {
    const config = resolveTrainConfig({ ...opts, batchSize: 10, bptt: 12, evalBatchSize: 10, testBatchSize: 10, epochs: 1 }, corpus.vocab.size);
    const live0 = memoryStats().liveBytes;
    const trainer = await Trainer.create({ config, corpus, maxSteps: 2 });
    const peak = { value: 0 };
    const poll = setInterval(() => { peak.value = Math.max(peak.value, memoryStats().liveBytes - live0); }, 0);
    await trainer.run();
    clearInterval(poll);
    const used = Math.max(peak.value, memoryStats().peakBytes - live0);
    trainer.dispose();
    const est = estimateTrainingMemory(config, corpus.vocab.size)!.bytes;
    assert.ok(est <= used, `${opts.model}: estimate ${est} ≤ bytes used ${used}`);
    assert.ok(est >= used / 20, `${opts.model}: estimate ${est} within 20× of ${used}`);
  }
});

test('the run log is cut back to the resumed step; a resume into a new store carries the best model and the log', async () => {
  const s = memoryStore();
  const lines = [
    { event: 'start', step: 0 }, { event: 'step', step: 10 }, { event: 'epoch', step: 20 }, { event: 'finetune-start' },
    { event: 'step', step: 30 }, { event: 'step', step: 40 },
  ].map((e) => JSON.stringify(e) + '\n').join('');
  await s.append(RUN_FILES.log, lines + '{"event":"step","st'); // a torn last line (kill mid-append)
  assert.is(await truncateRunLog(s, 20), 3);
  const kept = new TextDecoder().decode((await s.read(RUN_FILES.log))!).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(kept.map((e) => e.event), ['start', 'step', 'epoch', 'finetune-start']);
  assert.is(await truncateRunLog(s, 20), 0, 'nothing more to drop');

  const from = memoryStore(), to = memoryStore();
  await from.write(RUN_FILES.best, new Uint8Array([1, 2, 3]));
  await from.append(RUN_FILES.log, lines);
  assert.equal(await carryOverRun(from, to, 30), [RUN_FILES.best, RUN_FILES.log]);
  assert.equal([...(await to.read(RUN_FILES.best))!], [1, 2, 3]);
  assert.is(new TextDecoder().decode((await to.read(RUN_FILES.log))!).trim().split('\n').length, 5);
  assert.equal(await carryOverRun(from, to, 30), [], 'files already there are kept');
});

test('stale temporary files of killed writers are removed; nothing else is', async () => {
  const dir = join(tmp, 'run');
  mkdirSync(dir);
  const dead = 2 ** 22 + 12345; // above Linux's pid_max: no such process
  const keep = ['notes.tmp', `.last.ckpt.${process.pid}.0123456789ab.tmp`, `.other.${dead}.0123456789ab.tmp`, `.last.ckpt.${dead}.xyz.tmp`, 'last.ckpt'];
  const stale = [`.last.ckpt.${dead}.0123456789ab.tmp`, `.best.ckpt.${dead}.abcdefabcdef.tmp`, `.log.jsonl.${dead}.000000000000.tmp`];
  for (const f of [...keep, ...stale]) writeFileSync(join(dir, f), 'x');
  assert.equal((await removeStaleTempFiles(dir)).sort(), stale.slice().sort());
  assert.equal(readdirSync(dir).sort(), keep.slice().sort());
});

test('corpus files: UTF-16, binary and invalid UTF-8 are refused with the path and the reason; chunked reading is exact', () => {
  const text = 'the cat sat on the mat .\nthe dog — a ünïcödé dog — ran\n\nend\r\nlast line without newline';
  const files = {
    utf16: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    utf16be: Buffer.from([0xfe, 0xff, 0, 0x61]),
    binary: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]),
    latin1: Buffer.from('caf\xe9 au lait\n', 'latin1'),
  };
  const res: Record<string, RegExp> = { utf16: /is UTF-16 text/, utf16be: /is UTF-16 text/, binary: /is not a text file: it holds a NUL byte at offset 7/, latin1: /is not valid UTF-8 \(bad byte near offset 3\)/ };
  for (const [name, bytes] of Object.entries(files)) {
    const p = join(tmp, `${name}.txt`);
    writeFileSync(p, bytes);
    assert.throws(() => loadTextCorpus(p), (e: Error) => res[name]!.test(e.message) && e.message.includes(p), name);
  }
  assert.is(firstInvalidUtf8(new Uint8Array([0x61, 0xe2, 0x82])), -1, 'a sequence cut at the end is not an error');
  assert.is(firstInvalidUtf8(new Uint8Array([0x61, 0xc0, 0x80])), 1);
  // Chunked reading gives the same text at every chunk size (multi-byte characters cut across pieces); the BOM is dropped.
  const p = join(tmp, 'ok.txt');
  writeFileSync(p, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
  for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
    const pieces = [...readTextChunks(p, size)];
    assert.is(pieces.join(''), text, `chunk ${size}`);
    for (const piece of pieces.slice(0, -1)) assert.ok(piece.endsWith('\n'), 'pieces end at line breaks');
  }
  assert.is(readText(p), text);
});

test('a word-level corpus read as a stream has exactly the ids of the in-memory reading', () => {
  const dir = join(tmp, 'words');
  mkdirSync(dir);
  const full = loadDefaultCorpus({ maxVocab: 300 });
  const words = (ids: Int32Array) => Array.from(ids.slice(0, 3000), (i) => full.vocab.word(i)).join(' ').replace(/ ?<eos> ?/g, '\n');
  writeFileSync(join(dir, 'train.txt'), words(full.train) + '\r\nlast line');
  writeFileSync(join(dir, 'valid.txt'), 'new wörds here\n' + words(full.valid));
  writeFileSync(join(dir, 'test.txt'), words(full.test));
  const a = loadWordCorpus(dir);
  const b = loadWordCorpus(dir, { streamAboveBytes: 0, chunkBytes: 100 });
  assert.equal(b.vocab.list(), a.vocab.list());
  for (const split of ['train', 'valid', 'test'] as const) assert.equal([...b[split]], [...a[split]], split);
  assert.is(b.vocab.unk, a.vocab.unk);
});

test('a text corpus read in pieces is exactly the in-memory one (ids, vocabulary, splits, stats)', () => {
  const dir = join(tmp, 'texts');
  mkdirSync(dir);
  const base = readText(join(tmp, 'ok.txt'));
  writeFileSync(join(dir, 'a_1.txt'), ('Call me Ishmael. Some years ago—never mind how long precisely—\r\n\n  having little money; ' + base + '\n').repeat(20));
  writeFileSync(join(dir, 'a_2.txt'), 'ΣΊΣΥΦΟΣ café naïve don\'t sea-captain\nno newline at the end');
  writeFileSync(join(dir, 'a_10.txt'), '\n\n' + 'the whale, the whale! '.repeat(50) + '\n');
  for (const opts of [{ maxVocab: 40 }, { maxVocab: 1000, split: [0.5, 0.25, 0.25] as [number, number, number] }, { lowercase: false }]) {
    const a = loadTextCorpus(dir, opts);
    for (const chunkBytes of [5, 64, 1 << 20]) {
      const b = loadTextCorpus(dir, { ...opts, streamAboveBytes: 0, chunkBytes });
      assert.equal(b.vocab.list(), a.vocab.list(), `vocabulary, chunk ${chunkBytes}`);
      for (const split of ['train', 'valid', 'test'] as const) assert.equal([...b[split]], [...a[split]], `${split}, chunk ${chunkBytes}`);
      assert.equal(b.stats, a.stats);
    }
  }
});

test.run();
