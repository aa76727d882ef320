// The reproduction study on a tiny budget: every run trains (tiny model, built-in corpus), the
// report has its table, claims and plots, and a study stopped by its budget continues where it
// stopped, with the same results as one that was never stopped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  memoryStore, renderStudyReport, resolveTrainConfig, runStudy, STUDY_RUNS, topologyUpdates, trainingFlops, type Corpus, type RunStore, type StudyResult, type TrainOptions,
} from '../src/index.js';
import { loadDefaultCorpus } from '../src/node.js';

const full = loadDefaultCorpus({ maxVocab: 200 });
const corpus: Corpus = { vocab: full.vocab, train: full.train.slice(0, 3000), valid: full.valid.slice(0, 600), test: full.test.slice(0, 600) };
const base: TrainOptions = { lm: { emsize: 8, nhid: 8 }, epochs: 3, batchSize: 6, bptt: 10, nonmono: 1 };
const stores = () => {
  const m = new Map<string, RunStore>();
  return (name: string) => { if (!m.has(name)) m.set(name, memoryStore()); return m.get(name)!; };
};

test('the study trains every run and reports table, claims and plots', async () => {
  const results = await runStudy({ corpus, base, storeFor: stores() });
  assert.is(results.length, STUDY_RUNS.length);
  for (const r of results) {
    assert.ok(r.finished, `${r.name} finished`);
    assert.ok(r.testPpl! > 1 && r.history.length === 3, r.name);
    assert.ok(r.flops > 0);
  }
  const dense = results.find((r) => r.method === 'dense')!, selfish = results.find((r) => r.method === 'selfish')!;
  assert.ok(selfish.flops < dense.flops * 0.5, 'sparse runs cost fewer FLOPs');
  const report = renderStudyReport(results, [{ a: 'selfish-s1', b: 'selfish-s2', distance: 0.5 }], ['selfish-rnn study --budget 1']);
  assert.match(report.markdown, /\| selfish-s1 \| selfish \| 1 \| yes \| 3 \|/);
  assert.match(report.markdown, /Selfish-RNN ≤ SET: \*\*(holds|does not hold|not distinguished)\*\*/);
  assert.match(report.markdown, /selfish-rnn study --budget 1/);
  assert.ok(report.svgs['study-valid.svg']!.startsWith('<svg') && report.svgs['study-valid.svg']!.includes('polyline'));
  assert.ok(report.svgs['study-gates.svg']!.includes('gate f'));
  // Topology over time, from each run's log: dynamic runs have updates, dense and static none.
  assert.ok(selfish.updates.length >= 2, `${selfish.updates.length} selfish updates`);
  for (const u of selfish.updates) {
    assert.ok(u.replaced > 0 && u.replaced < 1, `replaced ${u.replaced}`);
    assert.equal(Object.keys(u.gates).sort(), ['f', 'g', 'i', 'o']);
  }
  assert.is(dense.updates.length, 0);
  assert.is(results.find((r) => r.method === 'static')!.updates.length, 0);
  assert.match(report.markdown, /## Topology over time/);
  assert.match(report.markdown, /\| selfish-s1 \| \d+ \| 0\.\d{3} \|/);
  assert.ok(report.svgs['study-topology.svg']!.includes('selfish-s1') && report.svgs['study-topology.svg']!.includes('polyline'));
});

/** A finished result with the given test perplexity (the report's inputs, made by hand). */
function result(method: string, seed: number, testPpl: number | null, extra: Partial<StudyResult> = {}): StudyResult {
  return {
    name: `${method}-s${seed}`, method: method as StudyResult['method'], seed, finished: testPpl !== null, density: method === 'dense' ? 1 : 0.33,
    valPpl: testPpl, testPpl, history: [], seconds: 100, flops: 1e12, updates: [], ...extra,
  };
}

test('claims hold only beyond the seeds\' spread; a single seed shows no spread ("—", not 0.00)', () => {
  const rs = [result('dense', 1, 120), result('dense', 2, 121), result('selfish', 1, 153.85), result('selfish', 2, 153.93, { valPpl: 160.5 }), result('set', 1, 154.15), result('static', 1, 170), result('rigl', 1, 149.1)];
  const md = renderStudyReport(rs, [], ['cmd']).markdown;
  assert.match(md, /\| set \| 1 \| 154\.15 \| — \| — \|/);
  // Test spread 0.08, validation spread 160.50 − 153.85 = 6.65: shown side by side.
  assert.match(md, /\| selfish \| 2 \| 153\.89 \| 0\.08 \| 6\.65 \|/);
  assert.match(md, /Each spread here is the difference of two seeds/);
  // Selfish 153.89 vs SET 154.15: 0.26 apart, within the study's largest spread (dense: 1.00).
  assert.match(md, /Selfish-RNN ≤ SET: \*\*not distinguished\*\* \(selfish 153\.89 vs set 154\.15: selfish 0\.26 lower; noise: the study's largest seed spread, 1\.00/);
  assert.match(md, /Selfish-RNN ≤ static sparse: \*\*holds\*\*/);
  assert.match(md, /Selfish-RNN ≤ RigL: \*\*does not hold\*\* \(selfish 153\.89 vs rigl 149\.10: selfish 4\.79 higher; /);
  assert.match(md, /Selfish-RNN ≤ gradual magnitude pruning: not measured/);
  assert.match(md, /Selfish-RNN at density 0\.33 ≤ dense.*\*\*does not hold\*\*/);
});

test('with no second seed anywhere, no claim is judged, whatever the difference', () => {
  const rs = [result('dense', 1, 112.76), result('selfish', 1, 121.15), result('set', 1, 121.03), result('static', 1, 132.75)];
  const md = renderStudyReport(rs, [], ['cmd']).markdown;
  assert.match(md, /Selfish-RNN ≤ SET: \*\*not judged yet \(single seeds\)\*\* \(selfish 121\.15 vs set 121\.03: selfish 0\.12 higher; noise: no seed spread measured\)/);
  assert.match(md, /Selfish-RNN ≤ static sparse: \*\*not judged yet \(single seeds\)\*\* \(selfish 121\.15 vs static 132\.75: selfish 11\.60 lower;/);
  assert.not.match(md, /\*\*(holds|does not hold)/);
  assert.not.match(md, /Each spread here/);
});

test('FLOPs of a gradual method are integrated over its steps (dense until pruning)', () => {
  const cfg = resolveTrainConfig({ model: 'zaremba-small', method: 'gmp', density: 0.33 }, 10_000);
  const steps = 6000;
  const dense = trainingFlops({ ...cfg, method: 'dense', density: 1 }, '', [], steps);
  const log = '{"event":"start","density":1}';
  // Pruned to 0.33 at step 400, nothing after: ≈ (400 · 1 + 5600 · 0.33) / 6000 of dense.
  const u = [{ step: 400, replaced: 0.67, changed: 0.67, density: 0.33, gates: {} }];
  const gmp = trainingFlops(cfg, log, u, steps);
  assert.ok(Math.abs(gmp / dense - (400 + 5600 * 0.33) / 6000) < 1e-9, `${gmp / dense}`);
  // A run that is sparse from the start is charged its density throughout.
  const set = trainingFlops({ ...cfg, method: 'set' }, '{"event":"start","density":0.33}', [], steps);
  assert.ok(Math.abs(set / dense - 0.33) < 1e-9);
});

test('topologyUpdates reads the topology events of a log and skips everything else', () => {
  const log = [
    '{"event":"step","step":1}',
    'not json',
    '{"event":"topology","step":400,"density":0.5,"tensors":[{"name":"a","removed":10,"revived":4,"nnz":100},{"name":"b","removed":30,"nnz":100}],"gates":[{"name":"a","gates":["i","f"],"nnz":[20,30],"density":[0.2,0.3]}]}',
    '{"event":"topology","step":"x"}',
  ].join('\n');
  const u = topologyUpdates(log);
  assert.is(u.length, 1);
  assert.is(u[0]!.step, 400);
  assert.is(u[0]!.replaced, 0.2);
  assert.is(u[0]!.changed, 0.18, 'revived-in-place weights are not changes');
  assert.is(u[0]!.density, 0.5);
  assert.equal(u[0]!.gates, { i: 0.2, f: 0.3 });
});

test('a study stopped by its budget resumes and ends with the same results', async () => {
  const runs = [{ method: 'selfish' as const, seed: 1 }, { method: 'set' as const, seed: 2 }];
  const once = await runStudy({ corpus, base, runs, storeFor: stores() });
  const storeFor = stores();
  const none = await runStudy({ corpus, base, runs, storeFor, budgetSeconds: 0 });
  assert.ok(none.every((r) => !r.finished && r.history.length === 0), 'a zero budget trains nothing');
  let calls = 0;
  for (let i = 0; i < 200 && !(await runStudy({ corpus, base, runs, storeFor, budgetSeconds: 0.05 })).every((r) => r.finished); i++) calls++;
  assert.ok(calls > 1, `the budget interrupted the study (${calls} invocations)`);
  const resumed = await runStudy({ corpus, base, runs, storeFor });
  assert.equal(resumed.map((r) => r.testPpl), once.map((r) => r.testPpl));
  assert.equal(resumed.map((r) => r.history.map((h) => h.valLoss)), once.map((r) => r.history.map((h) => h.valLoss)));
});

test('time to perplexity: each curve\'s time to the perplexity every curve reaches (the worst of their bests)', () => {
  const hist = (vals: number[]) => vals.map((valPpl) => ({ valPpl } as StudyResult['history'][number]));
  const rs = [result('dense', 1, 110, { history: hist([200, 130, 118, 117]) }), result('selfish', 1, 120, { history: hist([210, 150, 126, 125, 125.5]) })];
  const md = renderStudyReport(rs, [], ['cmd'], {
    timings: {
      setup: 'set-up', curves: [
        { label: 'dense', run: 'dense-s1', secondsPerEpoch: 100 },
        { label: 'sparse', run: 'selfish-s1', secondsPerEpoch: 60 },
        { label: 'peer', valPpl: [190, 124.9], testPpl: 119, secondsPerEpoch: 50 },
      ],
    },
  }).markdown;
  // The target is 125 (sparse's best, the worst of the three): dense first gets there at epoch 3 (118).
  assert.match(md, /time to valid ppl ≤ 125\.00 \(reached by every curve\)/);
  assert.match(md, /\| dense \| 100 \| 117\.00 \| 110\.00 \| 6 min 40 s \| 5 min 00 s \(epoch 3\) \|/);
  assert.match(md, /\| sparse \| 60 \| 125\.00 \| 120\.00 \| 4 min 00 s \| 4 min 00 s \(epoch 4\) \|/);
  assert.match(md, /\| peer \| 50 \| 124\.90 \| 119\.00 \| 1 min 40 s \| 1 min 40 s \(epoch 2\) \|/);
});

test.run();
