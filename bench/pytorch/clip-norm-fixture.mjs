// Writes test/fixtures/clip-norm-pytorch.json: the pre-clip gradient norm of the first training
// step of a small sparse run, as PyTorch computes it (bench/pytorch/clip_norm.py) from our
// exported weights and batch. test/semantics.test.ts replays the same run and compares the
// `gradNorm` of its log.jsonl step line with it (within 1%), without needing PyTorch.
//
// Run (after npm run build): LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp node bench/pytorch/clip-norm-fixture.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchify, decodeLMCheckpoint, engineSparsity, exportCheckpoint, memoryStore, resolveTrainConfig, Trainer } from '../../dist/index.js';
import { loadDefaultCorpus } from '../../dist/node.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The run (shared with the test: keep them equal).
export const FIXTURE_RUN = {
  corpus: { maxVocab: 500, trainTokens: 20000 },
  options: { model: 'lstm-small', lm: { emsize: 32, nhid: 32, dropout: 0 }, method: 'selfish', density: 0.33, batchSize: 8, bptt: 12, epochs: 1, seed: 7, clipNorm: 'dense-exact' },
};

const full = loadDefaultCorpus({ maxVocab: FIXTURE_RUN.corpus.maxVocab });
const corpus = { vocab: full.vocab, train: full.train.slice(0, FIXTURE_RUN.corpus.trainTokens), valid: full.valid.slice(0, 2000), test: full.test.slice(0, 2000) };
const config = resolveTrainConfig(FIXTURE_RUN.options, corpus.vocab.size);
const store = memoryStore();
const t0 = await Trainer.create({ config, corpus, store, sparsity: engineSparsity, maxSteps: 0 });
await t0.run();
t0.dispose();
const ckpt = decodeLMCheckpoint((await store.read('last.ckpt')), 'last.ckpt');
const dir = mkdtempSync(join(tmpdir(), 'clip-norm-'));
try {
  writeFileSync(join(dir, 'weights.safetensors'), exportCheckpoint(ckpt));
  const b = batchify(corpus.train, config.batchSize);
  const rows = (i) => Array.from({ length: config.bptt }, (_, t) => Array.from(b.data.subarray((i + t) * b.batchSize, (i + t + 1) * b.batchSize)));
  writeFileSync(join(dir, 'batch.json'), JSON.stringify({ input: rows(0), target: rows(1) }));
  const py = spawnSync('/usr/bin/python3', [join(root, 'bench', 'pytorch', 'clip_norm.py'), dir], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`clip_norm.py failed: ${py.stderr}`);
  const torch = JSON.parse(py.stdout);
  // Our logged norm for the same step, for the record (the test recomputes it).
  const logs = [];
  const t1 = await Trainer.create({ config, corpus, store: memoryStore(), sparsity: engineSparsity, maxSteps: 1, logInterval: 1, events: { onLog: (e) => logs.push(e) } });
  await t1.run();
  t1.dispose();
  const ours = logs.find((e) => e.event === 'step');
  const out = { run: FIXTURE_RUN, pytorch: torch, ours: { loss: ours.loss, gradNorm: ours.gradNorm } };
  writeFileSync(join(root, 'test', 'fixtures', 'clip-norm-pytorch.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
