// The GRU family (src/families/gru.ts, written on the public API alone): torch.nn.GRU golden values
// in float64 (test/fixtures/golden-gru.json, made by make_golden.py), finite differences of the
// whole model with dense and CSR weights, every sparse method through the trainer with per-gate
// statistics from its layout, and `selfish-rnn train --model gru-small --sparse` from the command
// line, whose export PyTorch loads with strict=True (test/fixtures/check_export.py, when a python3
// with torch is found) and evaluates to our loss, and which imports back unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipped } from './helpers/skip.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createModel, disposeState, engineSparsity, evaluate, importSafetensors, isSparse, memoryStats, memoryStore, modelConfig,
  modelFromCheckpoint, modelGateStats, decodeLMCheckpoint, Random, resolveTrainConfig, SPARSE_METHODS, tensor, Trainer,
  type LanguageModel,
} from '../src/index.js';
import { defaultCorpusDocumentsSync, loadLMCheckpoint } from '../src/node.js';
import { checkGoldenStep, finiteDifferenceCheck, goldenFixture, sparsify } from './helpers/lm-checks.js';
import { tinyCorpus } from './helpers/lm-checkpoint.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const checkExport = fileURLToPath(new URL('../../test/fixtures/check_export.py', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-gru-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('gru: loss and every parameter gradient match torch.nn.GRU in float64 from a nonzero state (relative error ≤ 1e-4)', () => {
  const g = goldenFixture('gru');
  const c = g.config;
  const model = createModel(modelConfig('gru-small', { vocab: c.vocab!, emsize: c.emsize!, nhid: c.nhid!, nlayers: c.nlayers!, dropout: 0 }));
  const [L, B, H] = [c.nlayers!, g.shape[1], c.nhid!];
  const state = Array.from({ length: L }, (_, l) => ({ h: tensor(g.h0!.slice(l * B * H, (l + 1) * B * H), [B, H], { persistent: true }) }));
  checkGoldenStep('gru', model, g, state);
  disposeState(state);
  model.dispose();
});

for (const sparse of [false, true]) {
  test(`finite differences of the full GRU LM (dropout on, ${sparse ? 'CSR' : 'dense'} weights)`, () => {
    const model = createModel('gru-small', { vocab: 13, emsize: 5, nhid: 6, dropout: 0.3, initRange: 0 }, new Random(3)) as LanguageModel & { rng: Random };
    if (sparse) sparsify(model, new Random(4));
    assert.is(isSparse(model.namedWeights().find(([n]) => n === 'rnn.weight_hh_l1')![1]), sparse);
    finiteDifferenceCheck('gru', model, 4, 3, 13);
    model.dispose();
  });
}

for (const method of SPARSE_METHODS) {
  test(`the trainer trains a GRU with ${method}; gate statistics are r, z, n`, async () => {
    const corpus = tinyCorpus;
    const config = resolveTrainConfig({
      model: 'gru-small', lm: { emsize: 12, nhid: 12 }, method, ...(method === 'dense' ? {} : { density: 0.4 }), updateEvery: 3,
      batchSize: 8, bptt: 10, epochs: 2, lr: 5, evalBatchSize: 8, testBatchSize: 8,
    }, corpus.vocab.size);
    const topology: unknown[] = [];
    const trainer = await Trainer.create({ config, corpus, store: memoryStore(), sparsity: engineSparsity, maxSteps: 7, logInterval: 1, events: { onLog: (e) => { if (e.event === 'topology') topology.push(e); } } });
    try {
      const r = await trainer.run();
      assert.is(r.status, 'max-steps');
      assert.is(r.steps, 7);
      const hh = trainer.model.namedWeights().find(([n]) => n === 'rnn.weight_hh_l0')![1];
      assert.is(isSparse(hh), method !== 'dense', `${method}: W_hh is CSR`);
      if (!['dense', 'static'].includes(method)) assert.ok(topology.length >= 1, `${method}: the topology changed`);
      const gates = modelGateStats(trainer.model).filter((s) => s.name.startsWith('rnn.weight_'));
      assert.is(gates.length, 4);
      for (const s of gates) assert.equal(s.gates, ['r', 'z', 'n'], s.name);
    } finally {
      trainer.dispose();
    }
    assert.is(memoryStats().liveBytes, 0);
  });
}

/** A python3 that imports torch: $PYTHON, python3 on the PATH, or Debian's /usr/bin/python3. */
function torchPython(): string | null {
  for (const py of [process.env.PYTHON, 'python3', '/usr/bin/python3']) {
    if (py && spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}

test('selfish-rnn train --model gru-small --sparse; info; export loads in PyTorch (strict) with our loss; import gives it back', async () => {
  const corpus = join(tmp, 'corpus.txt');
  writeFileSync(corpus, defaultCorpusDocumentsSync().slice(0, 6).join('\n'));
  const dir = join(tmp, 'run');
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
    assert.is(r.status, 0, `${args.join(' ')}\n${r.stderr}`);
    return r;
  };
  const train = run([
    'train', '--model', 'gru-small', '--sparse', '--density', '0.4', '--data', corpus, '--max-vocab', '500', '--emsize', '16', '--nhid', '16',
    '--batch-size', '10', '--bptt', '20', '--eval-batch-size', '5', '--test-batch-size', '5', '--epochs', '2', '--save', dir, '--json',
  ]);
  const res = JSON.parse(train.stdout);
  assert.is(res.status, 'completed');
  assert.ok(res.testPpl > 1 && res.testPpl < 500, train.stdout);
  assert.match(train.stderr, /training gru-small \(GRU, 2 layers × 16, emsize 16, vocab 500\), selfish at density 0\.4/);
  assert.match(train.stderr, /end of epoch 2 .*density 0\.400 \| gates r 0\.\d{3} z 0\.\d{3} n 0\.\d{3}/);
  assert.match(run(['info', join(dir, 'best.ckpt')]).stdout, /rnn\.weight_hh_l1 +48×16 .* r 0\.\d{3} \/ z 0\.\d{3} \/ n 0\.\d{3}/);
  const file = join(tmp, 'gru.safetensors');
  run(['export', join(dir, 'best.ckpt'), '--format', 'safetensors', '--out', file]);

  // Our loss on a token stream, from the checkpoint and from the export imported back.
  const ids = Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 500);
  const opts = { batchSize: 3, bptt: 7 };
  const lossOf = async (bytes: Uint8Array) => {
    const { model } = modelFromCheckpoint(decodeLMCheckpoint(bytes));
    try { return (await evaluate(model, ids, opts)).loss; } finally { model.dispose(); }
  };
  const { model } = modelFromCheckpoint(await loadLMCheckpoint(join(dir, 'best.ckpt')));
  const ours = (await evaluate(model, ids, opts)).loss;
  model.dispose();
  const imported = importSafetensors(new Uint8Array(readFileSync(file)), { source: file });
  assert.is(imported.meta.config.lm.kind, 'gru', 'the import recognises a GRU by its tensor shapes');
  assert.is(await lossOf(imported.checkpoint), ours, 'export → import is exact');

  const py = torchPython();
  if (py === null) {
    skipped('GRU export: the PyTorch half', 'no python3 with torch found ($PYTHON, python3, /usr/bin/python3; apt-get install python3-torch); nothing is installed by the tests');
    return;
  }
  const tokens = join(tmp, 'tokens.json');
  writeFileSync(tokens, JSON.stringify({ ids, batch: opts.batchSize, bptt: opts.bptt }));
  const r = spawnSync(py, [checkExport, file, tokens], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const torchLoss = JSON.parse(r.stdout).loss as number;
  assert.ok(Math.abs(torchLoss - ours) <= 1e-5 * ours, `PyTorch ${torchLoss} vs ours ${ours}`);
});

test('the GRU tests free everything they allocate', () => {
  assert.is(memoryStats().liveBytes, 0);
});

test.run();
