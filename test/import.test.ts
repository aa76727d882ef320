// Import of PyTorch state_dicts (safetensors): a small official-architecture stacked LSTM made and
// evaluated by test/fixtures/make_golden.py (masked weights stored as zeros, as the official code
// leaves them) imports through the CLI and evaluates to PyTorch's test perplexity; `.mask`
// tensors, DataParallel/WeightDrop names and our own export are read too; bad files get errors
// that say what is wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeLMCheckpoint, decodeSafetensors, encodeSafetensors, exportCheckpoint, getCSR, importSafetensors,
  type SafetensorsTensor,
} from '../src/index.js';
import { loadWordCorpus } from '../src/node.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/import/', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const golden = JSON.parse(readFileSync(join(fixtures, 'stacked-lstm.json'), 'utf8'));
const fileBytes = new Uint8Array(readFileSync(join(fixtures, 'stacked-lstm.safetensors')));
const corpus = loadWordCorpus(fixtures);
const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-import-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { status: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** The file's tensors, re-encodable. */
function tensorsOf(bytes: Uint8Array): Record<string, SafetensorsTensor> {
  const out: Record<string, SafetensorsTensor> = {};
  for (const [n, t] of Object.entries(decodeSafetensors(bytes).tensors)) out[n] = { dtype: t.dtype as 'F32', shape: t.shape, data: t.data! };
  return out;
}

test('the vocabulary of the fixture corpus is the reference data.py one', () => {
  assert.is(corpus.vocab.size, golden.config.vocab);
  assert.equal(corpus.vocab.list().slice(0, 10), golden.vocabHead);
});

test('selfish-rnn import + eval: the official-architecture model has PyTorch\'s test perplexity', () => {
  const out = join(tmp, 'official.ckpt');
  const imp = run(['import', join(fixtures, 'stacked-lstm.safetensors'), '--model', 'zaremba-small', '--data', fixtures, '--out', out]);
  assert.is(imp.status, 0, imp.err);
  assert.match(imp.out, /model zaremba-small \(stacked LSTM, 2 layers × 24, emsize 16\), vocabulary 357/);
  assert.match(imp.out, /6 of 11 weights stored as CSR \(topology from their zeros\)/);
  const ev = run(['eval', out, '--split', 'test', '--batch-size', '10', '--bptt', '20', '--json']);
  assert.is(ev.status, 0, ev.err);
  const r = JSON.parse(ev.out);
  console.log(`  test loss: PyTorch ${golden.loss}, selfish-rnn ${r.loss} (ppl ${golden.ppl.toFixed(4)} vs ${r.ppl.toFixed(4)})`);
  assert.ok(Math.abs(r.loss - golden.loss) < 1e-5 * golden.loss, `loss ${r.loss} vs PyTorch ${golden.loss}`);
  const gen = run(['generate', out, '--words', '12']);
  assert.is(gen.status, 0, gen.err);
  const info = run(['info', out]);
  assert.is(info.status, 0, info.err);

  // Stored as CSR with exactly the official masks' nonzeros.
  const ckpt = decodeLMCheckpoint(new Uint8Array(readFileSync(out)));
  assert.is(ckpt.meta.role, 'model');
  assert.is(ckpt.meta.config.method, 'static');
  for (const [name, nnz] of Object.entries(golden.nnz as Record<string, number>)) {
    const layout = ckpt.meta.weights[name]!;
    assert.is(layout.layout, 'csr', name);
    if (layout.layout === 'csr') assert.is(getCSR(ckpt.tensors, `model/${name}`, layout).values.length, nnz, name);
  }
});

test('.mask tensors decide the topology; DataParallel prefixes are removed', () => {
  const plain = importSafetensors(fileBytes, { vocab: corpus.vocab });
  const tensors = tensorsOf(fileBytes);
  const withMasks: Record<string, SafetensorsTensor> = {};
  for (const [n, t] of Object.entries(tensors)) {
    if (n.includes('bias')) { withMasks[`module.${n}`] = t; continue; }
    const mask = Uint8Array.from(t.data as Float32Array, (x) => (x !== 0 ? 1 : 0));
    // Garbage where the mask is 0: the official code multiplies it away, so must the import.
    withMasks[`module.${n}`] = { ...t, data: Float32Array.from(t.data as Float32Array, (x) => (x !== 0 ? x : 0.5)) };
    withMasks[`module.${n}.mask`] = { dtype: 'BOOL', shape: t.shape, data: mask };
  }
  const masked = importSafetensors(encodeSafetensors(withMasks), { vocab: corpus.vocab });
  assert.is(masked.renamed.length, Object.keys(withMasks).length);
  assert.ok(masked.weights.filter((w) => w.topology === 'mask').length === 6);
  const a = decodeLMCheckpoint(plain.checkpoint), b = decodeLMCheckpoint(masked.checkpoint);
  assert.equal(Object.keys(a.tensors).sort(), Object.keys(b.tensors).sort());
  for (const k of Object.keys(a.tensors)) assert.equal(Array.from(b.tensors[k]!.data), Array.from(a.tensors[k]!.data), k);
});

test('our own export imports back without a corpus (vocabulary and config from the metadata)', () => {
  const first = decodeLMCheckpoint(importSafetensors(fileBytes, { vocab: corpus.vocab, data: { source: 'word', path: fixtures } }).checkpoint);
  const again = importSafetensors(exportCheckpoint(first));
  const second = decodeLMCheckpoint(again.checkpoint);
  assert.equal(second.meta.vocab.words, first.meta.vocab.words);
  assert.equal(second.meta.config, first.meta.config);
  for (const k of Object.keys(first.tensors)) assert.equal(Array.from(second.tensors[k]!.data), Array.from(first.tensors[k]!.data), k);
});

test('AWD-LSTM-MoS names of the official WeightDrop (rnns.L.module.weight_hh_l0_raw) and a tied decoder', () => {
  // Our export of a tiny AWD model, renamed to the official module's state_dict names.
  const ours = importSafetensors(fileBytes, { vocab: corpus.vocab }); // any vocabulary of the right size works here
  const V = corpus.vocab.size, E = 6, H = 8, HL = 6, K = 3;
  const t: Record<string, SafetensorsTensor> = {};
  const f = (shape: number[], seed: number) => ({ dtype: 'F32' as const, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (((i * 7919 + seed * 104729) % 1000) / 1000 - 0.5) * ((i + seed) % 3 === 0 ? 0 : 0.2)) });
  t['encoder.weight'] = f([V, E], 1);
  t['decoder.weight'] = { ...t['encoder.weight']! };
  const dims = [[E, H], [H, H], [H, HL]] as const;
  dims.forEach(([i, h], l) => {
    t[`rnns.${l}.module.weight_ih_l0`] = f([4 * h, i], 10 + l);
    t[`rnns.${l}.module.weight_hh_l0_raw`] = f([4 * h, h], 20 + l);
    t[`rnns.${l}.module.bias_ih_l0`] = f([4 * h], 30 + l);
    t[`rnns.${l}.module.bias_hh_l0`] = f([4 * h], 40 + l);
  });
  t['prior.weight'] = f([K, HL], 50);
  t['latent.0.weight'] = f([K * E, HL], 51);
  t['latent.0.bias'] = f([K * E], 52);
  t['decoder.bias'] = f([V], 53);
  const r = importSafetensors(encodeSafetensors(t), { vocab: corpus.vocab, model: 'awd-lstm-mos-ptb' });
  assert.is(r.meta.config.lm.kind, 'awd-mos');
  assert.equal([r.meta.config.lm.emsize, r.meta.config.lm.nhid, r.meta.config.lm.nhidlast, r.meta.config.lm.nlayers, r.meta.config.lm.nExperts], [E, H, HL, 3, K]);
  assert.ok(r.renamed.some(([from, to]) => from === 'rnns.0.module.weight_hh_l0_raw' && to === 'rnns.0.weight_hh_l0'));
  assert.equal(r.ignored, ['decoder.weight (tied to encoder.weight)']);
  assert.ok(ours.density < 1);
  const untied = { ...t, 'decoder.weight': f([V, E], 99) };
  assert.throws(() => importSafetensors(encodeSafetensors(untied), { vocab: corpus.vocab }), /ties decoder.weight to encoder.weight, but .*decoder\.weight differs from its encoder\.weight/);
});

test('bad files: clear errors before anything is written', () => {
  const tensors = tensorsOf(fileBytes);
  const expectError = (bytes: Uint8Array, re: RegExp, vocab = corpus.vocab) => {
    try {
      importSafetensors(bytes, { vocab, source: 'x.safetensors' });
    } catch (e) {
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable(`no error (expected ${re})`);
  };
  const without = (name: string) => Object.fromEntries(Object.entries(tensors).filter(([n]) => n !== name));
  expectError(encodeSafetensors(without('rnn.weight_hh_l1')), /does not fit model 'zaremba-small'.*missing \[rnn\.weight_hh_l1\]/);
  expectError(encodeSafetensors({ ...tensors, 'rnn.extra': tensors['decoder.bias']! }), /unexpected \[rnn\.extra\]/);
  expectError(encodeSafetensors({ ...tensors, 'decoder.bias.mask': { dtype: 'BOOL', shape: tensors['decoder.bias']!.shape, data: new Uint8Array(corpus.vocab.size).fill(1) } }), /biases are dense/);
  expectError(encodeSafetensors({ ...tensors, 'rnn.bias_ih_l0': { dtype: 'F32', shape: [5], data: new Float32Array(5) } }), /'rnn\.bias_ih_l0' is \[5\] but the model needs \[96\]/);
  expectError(encodeSafetensors({ 'fc.weight': tensors['decoder.weight']! }), /is not a state_dict of a family the import reads \(stacked LSTM, AWD-LSTM-MoS, GRU\); its tensors: fc\.weight/);
  // word_language_model's names with neither 4H (LSTM) nor 3H (GRU) gate rows.
  const hh = tensors['rnn.weight_hh_l0']!, H = hh.shape[1]!;
  expectError(encodeSafetensors({ ...tensors, 'rnn.weight_hh_l0': { dtype: 'F32', shape: [5 * H, H], data: new Float32Array(5 * H * H) } }), /is not a state_dict of a family the import reads/);
  const nan = new Float32Array(tensors['decoder.bias']!.data as Float32Array);
  nan[3] = NaN;
  expectError(encodeSafetensors({ ...tensors, 'decoder.bias': { ...tensors['decoder.bias']!, data: nan } }), /non-finite value \(NaN\) at flat index 3/);
  const other = loadWordCorpus(fixtures).vocab;
  other.add('an-extra-word');
  expectError(fileBytes, /embedding has 357 rows but the corpus vocabulary has 358 words/, other);
  expectError(fileBytes.subarray(0, 100), /safetensors/);
  const r = run(['import', join(tmp, 'missing.safetensors')]);
  assert.is(r.status, 2);
  assert.match(r.err, /no such file/);
  writeFileSync(join(tmp, 'v.safetensors'), fileBytes);
  const wrongVocab = run(['import', join(tmp, 'v.safetensors')]); // no --data: the built-in corpus (10,000 words)
  assert.is(wrongVocab.status, 2); // the corpus given for the file is the user's to fix
  assert.match(wrongVocab.err, /embedding has 357 rows but the corpus vocabulary has 10000 words/);
});

test('fuzz: damaged files fail with a selfish-rnn error, never a crash or a silent import', () => {
  // Deterministic byte damage (xorshift), in the header and in the data.
  let x = 0x9e3779b9;
  const rand = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
  const headerSize = new DataView(fileBytes.buffer, fileBytes.byteOffset).getUint32(0, true);
  let failed = 0, imported = 0;
  for (let k = 0; k < 300; k++) {
    const bytes = fileBytes.slice();
    const inHeader = k % 2 === 0;
    for (let f = 0; f < 1 + Math.floor(rand() * 3); f++) {
      const at = inHeader ? Math.floor(rand() * (8 + headerSize)) : 8 + headerSize + Math.floor(rand() * (bytes.length - 8 - headerSize));
      bytes[at] = Math.floor(rand() * 256);
    }
    const cut = k % 7 === 0 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : bytes;
    try {
      const r = importSafetensors(cut, { vocab: corpus.vocab, source: 'fuzz' });
      decodeLMCheckpoint(r.checkpoint); // what it wrote is a valid checkpoint
      imported++;
    } catch (e) {
      assert.instance(e, Error);
      assert.match((e as Error).message, /^selfish-rnn: /, `unexpected error: ${(e as Error).stack}`);
      failed++;
    }
  }
  console.log(`  300 damaged files: ${failed} refused with a message, ${imported} still valid (damage in float values or padding)`);
  assert.ok(failed > 100);
});

test.run();
