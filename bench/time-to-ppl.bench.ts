// Seconds per epoch of the study's Zaremba-small recipe on PTB, ours dense and Selfish-RNN at
// density 0.33, and PyTorch dense in its best set-up (bench/pytorch/best-setup.sh +
// zaremba_ptb.py --time-only), interleaved, best of ROUNDS rounds each, at THREADS threads (default
// 2). An epoch = its training steps (timed over STEPS steps of the real trainer after a warm-up,
// extrapolated to the epoch's step count) + one validation pass (timed whole). Our results do not
// depend on the thread count, so the study's validation curves (trained on one thread) and these
// times give validation perplexity against wall-clock seconds on this machine.
//
// Writes bench/study-timing.json for `selfish-rnn study --timing` (the PyTorch curve's perplexities
// come from bench/pytorch/zaremba-ptb.jsonl, a full run of zaremba_ptb.py, when it exists).
// Run on an idle machine: npm run bench -- time-to-ppl   (PTB in ../shared/data/ptb; DATA=dir)
// Last line: {"suite":"time-to-ppl","threads":n,"seconds_per_epoch":{"ours-dense":s,"ours-selfish-0.33":s,"pytorch-dense":s}}
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableCores, evaluate, memoryStore, resolveTrainConfig, setThreads, Trainer, type TrainOptions } from '../src/index.js';
import { loadWordCorpus } from '../src/node.js';
import { printJsonLine, runPytorch } from './common.js';

const DATA = resolve(process.env.DATA ?? '../shared/data/ptb');
if (!existsSync(join(DATA, 'train.txt'))) {
  console.error(`time-to-ppl: PTB not found in ${DATA} (train.txt, valid.txt, test.txt); set DATA=dir`);
  process.exit(2);
}
const THREADS = Number(process.env.THREADS ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const STEPS = Number(process.env.STEPS ?? 150);
const WARMUP = 10;
await setThreads(Math.min(THREADS, await availableCores()));
const corpus = loadWordCorpus(DATA);

/** The study's options for a run (bench/STUDY.md: --model zaremba-small, sparse runs switch at epoch 8). */
const RUNS: { key: string; label: string; run: string; opts: TrainOptions }[] = [
  { key: 'ours-dense', label: 'ours dense', run: 'dense-s1', opts: { model: 'zaremba-small', method: 'dense', seed: 1 } },
  { key: 'ours-selfish-0.33', label: 'ours Selfish-RNN, density 0.33', run: 'selfish-s1', opts: { model: 'zaremba-small', method: 'selfish', density: 0.33, deathRate: 0.5, asgdEpoch: 8, seed: 1 } },
];

/** Seconds per epoch of our trainer for `opts`: steps timed after a warm-up, plus a whole validation pass. */
async function ours(opts: TrainOptions): Promise<{ seconds: number; stepsPerEpoch: number; stepSeconds: number; validSeconds: number }> {
  // (Test batch 20: the trainer's closing test pass is not timed, so it need not take the recipe's batch-1 time.)
  const config = resolveTrainConfig({ ...opts, testBatchSize: 20, data: { source: 'word', path: DATA } }, corpus.vocab.size);
  let t0 = 0, t1 = 0, counted = 0;
  const trainer = await Trainer.create({
    config, corpus, store: memoryStore(), maxSteps: WARMUP + STEPS, logInterval: 1_000_000,
    events: {
      onStep: (s) => {
        if (s.step === WARMUP) t0 = performance.now();
        else if (s.step > WARMUP) { counted++; t1 = performance.now(); }
      },
    },
  });
  const stepsPerEpoch = Math.ceil((Math.floor(corpus.train.length / config.batchSize) - 1) / config.bptt);
  try {
    // The trainer ends a --max-steps run with a validation and test pass; only the steps are timed here.
    await trainer.run();
    const stepSeconds = (t1 - t0) / 1000 / Math.max(1, counted);
    const v0 = performance.now();
    await evaluate(trainer.model, corpus.valid, { batchSize: config.evalBatchSize, bptt: config.bptt });
    const validSeconds = (performance.now() - v0) / 1000;
    return { seconds: stepSeconds * stepsPerEpoch + validSeconds, stepsPerEpoch, stepSeconds, validSeconds };
  } finally {
    trainer.dispose();
  }
}

/** PyTorch's seconds per epoch in its best set-up (null when PyTorch or its set-up is missing). */
function pytorch(): number | null {
  return runPytorch<{ seconds_per_epoch: number }>('time-to-ppl', 'zaremba_ptb.py', ['--data', DATA, '--threads', String(THREADS), '--time-only', String(STEPS)])?.seconds_per_epoch ?? null;
}

const best: Record<string, number> = {};
for (let round = 1; round <= ROUNDS; round++) {
  for (const r of RUNS) {
    const t = await ours(r.opts);
    best[r.key] = Math.min(best[r.key] ?? Infinity, t.seconds);
    console.log(`round ${round}: ${r.label}: ${t.seconds.toFixed(0)} s/epoch (${(t.stepSeconds * 1000).toFixed(1)} ms/step × ${t.stepsPerEpoch} + validation ${t.validSeconds.toFixed(1)} s)`);
  }
  const p = pytorch();
  if (p !== null) {
    best['pytorch-dense'] = Math.min(best['pytorch-dense'] ?? Infinity, p);
    console.log(`round ${round}: PyTorch dense (best set-up): ${p.toFixed(0)} s/epoch`);
  }
}

console.table(Object.entries(best).map(([k, s]) => ({ curve: k, 's/epoch': s.toFixed(1), 'vs PyTorch': best['pytorch-dense'] ? `${(best['pytorch-dense'] / s).toFixed(2)}×` : '—' })));

// The timing file for the study's report.
const curves: { label: string; run?: string; valPpl?: number[]; testPpl?: number; secondsPerEpoch: number }[] = RUNS.map((r) => ({ label: r.label, run: r.run, secondsPerEpoch: best[r.key]! }));
const torchLog = 'bench/pytorch/zaremba-ptb.jsonl';
if (best['pytorch-dense'] !== undefined && existsSync(torchLog)) {
  const lines = readFileSync(torchLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { valid_ppl?: number; test_ppl?: number });
  curves.push({
    label: 'PyTorch dense (best set-up)', valPpl: lines.filter((l) => l.valid_ppl !== undefined).map((l) => l.valid_ppl!),
    testPpl: lines.find((l) => l.test_ppl !== undefined)?.test_ppl, secondsPerEpoch: best['pytorch-dense'],
  });
}
const setup = `Seconds per epoch measured by \`npm run bench -- time-to-ppl\` on this 2-core machine while idle: ${THREADS} threads, best of ${ROUNDS} interleaved rounds; ` +
  `an epoch = ${STEPS} timed training steps of the real trainer (after ${WARMUP} warm-up steps) extrapolated to the epoch, plus one whole validation pass. ` +
  `PyTorch: ${best['pytorch-dense'] !== undefined ? 'Debian python3-torch in its best set-up (bench/pytorch/best-setup.sh: OpenMP OpenBLAS, tcmalloc, OPENBLAS_CORETYPE unset), the same recipe (bench/pytorch/zaremba_ptb.py), its perplexities from a full run of that script' : 'not measured'}.`;
writeFileSync('bench/study-timing.json', JSON.stringify({ setup, curves }, null, 2) + '\n');
console.log('wrote bench/study-timing.json');
printJsonLine({ suite: 'time-to-ppl', threads: THREADS, seconds_per_epoch: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v * 10) / 10])) });
