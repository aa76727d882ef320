// `selfish-rnn study`: the reproduction study (src/train/study/study.ts) with its report. Resumable:
// run it again with the same --dir to continue; --budget bounds one invocation. Defaults that make
// sense wherever the package is installed: the report goes into the study's --dir, and PTB is
// found through SELFISH_RNN_DATA (or the repository's ../shared/data/ptb), else --data is needed.
/// <reference types="node" />
import { MAX_VOCAB, modelFamily, modelPreset } from '../models/index.js';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Args, Argv } from 'yargs';
import { loadDefaultCorpus, loadWordCorpus } from '../data/load.js';
import { topologyOf, topologyDistance } from '../sparse/topology-distance.js';
import { modelFromCheckpoint } from '../train/checkpoint/checkpoint.js';
import { directoryStore, loadLMCheckpoint } from '../train/checkpoint/files.js';
import { configDifferences, runName, runStudy, studyRunConfig, STUDY_BASE, STUDY_RUNS } from '../train/study/study.js';
import { renderStudyReport, type PublishedFigure, type StudyReportOptions, type TopologyDistanceRow } from '../train/study/study-report.js';
import { resolveTrainConfig, type TrainConfig, type TrainOptions } from '../train/config.js';
import { int, num, str, UsageError } from './format.js';
import { applyThreads, describeThreads, RELAXED_SIMD_OPTION, THREADS_OPTION } from './threads-option.js';
import type { CliIO } from './train-command.js';

export function studyBuilder(y: Argv): Argv {
  return y.usage('selfish-rnn study [options]\n\nDense, static, SET, RigL, gradual pruning and Selfish-RNN on one small LSTM at one density (a second seed for dense and Selfish-RNN); writes a Markdown report with SVG plots. Resumable: run again with the same --dir.')
    .option('data', { type: 'string', defaultDescription: `$${DATA_ENV}/ptb, else ${REPO_PTB} if it exists; otherwise needed`, describe: 'PTB directory ("builtin" for the built-in corpus)' })
    .option('dir', { type: 'string', default: 'runs/study', describe: 'where the run directories go' })
    .option('out', { type: 'string', defaultDescription: '<dir>/STUDY.md', describe: 'the report (plots beside it); `npm run study` in the repository writes bench/STUDY.md' })
    .option('budget', { type: 'number', default: 120, describe: 'minutes for this invocation; runs stop resumably when it is spent' })
    .option('model', { type: 'string', default: STUDY_BASE.model, describe: 'the model of every run; a model other than the default brings its own recipe (epochs, lr schedule, clip, BPTT, batch)' })
    .option('epochs', { type: 'number', defaultDescription: `${STUDY_BASE.epochs} (lstm-small) or the model's recipe`, describe: 'epochs of every run' })
    .option('emsize', { type: 'number', defaultDescription: '200 (the model\'s)', describe: 'embedding size' })
    .option('nhid', { type: 'number', defaultDescription: '200 (the model\'s)', describe: 'hidden size' })
    .option('batch-size', { type: 'number', defaultDescription: '20 (the model\'s)', describe: 'training batch size' })
    .option('bptt', { type: 'number', defaultDescription: '35 (the model\'s)', describe: 'sequence length' })
    .option('max-vocab', { type: 'number', defaultDescription: '10000', describe: 'vocabulary cap of the built-in corpus' })
    .option('asgd-epoch', { type: 'number', defaultDescription: 'none: the non-monotone trigger only', describe: 'switch every run to (SNT-)ASGD at the end of this epoch at the latest' })
    .option('dense-asgd', { type: 'boolean', default: true, describe: 'dense runs switch at --asgd-epoch as the sparse ones do; --no-dense-asgd keeps the model\'s own recipe for them (its published number)' })
    .option('update-every', { type: 'number', defaultDescription: 'once per epoch', describe: 'topology update every N steps for every sparse method' })
    .option('runs', { type: 'string', defaultDescription: 'every run', describe: `train only these runs, comma-separated (of ${STUDY_RUNS.map(runName).join(', ')}); the report covers every run in --dir, so two processes can share a study` })
    .option('report', { type: 'boolean', defaultDescription: 'off', describe: 'train nothing: only write the report from what --dir holds' })
    .option('timing', { type: 'string', defaultDescription: 'none', describe: 'seconds per epoch for the time-to-perplexity curves (JSON written by `npm run bench -- time-to-ppl`)' })
    .option('note', { type: 'string', defaultDescription: 'none', describe: 'a paragraph for the report\'s notes (e.g. how the machine was shared)' })
    .option('threads', THREADS_OPTION)
    .option('relaxed-simd', RELAXED_SIMD_OPTION)
    .example('selfish-rnn study --data data/ptb --budget 110 --epochs 5', 'the whole study in one process; report runs/study/STUDY.md')
    .example('selfish-rnn study --threads 1 --runs dense-s1,dense-s2 & selfish-rnn study --threads 1 --runs selfish-s1,...', 'two processes on two cores, one directory');
}

/** The variable naming the folder that holds ptb/ (and wikitext-2/): the tests read it too. */
const DATA_ENV = 'SELFISH_RNN_DATA';
/** Where PTB sits next to a checkout of this repository (the study's default there). */
const REPO_PTB = '../shared/data/ptb';

/** The PTB directory of a study without --data: $SELFISH_RNN_DATA/ptb, else the repository's, else a usage error saying what to give. */
function defaultStudyData(): string {
  const env = process.env[DATA_ENV];
  if (env !== undefined && env !== '') return join(env, 'ptb');
  if (existsSync(REPO_PTB)) return REPO_PTB;
  throw new UsageError(`the study trains on Penn Treebank: give --data DIR (a directory with train.txt, valid.txt, test.txt; or --data builtin for the built-in corpus), or set ${DATA_ENV} to the folder that holds ptb/`);
}

export async function studyCommand(a: Args, io: CliIO): Promise<number> {
  const budget = num(a, 'budget') ?? 120;
  if (!(budget > 0)) throw new UsageError(`--budget must be a positive number of minutes, got ${budget}`);
  const dataArg = str(a, 'data') ?? defaultStudyData();
  const builtin = dataArg === 'builtin';
  if (!builtin && !existsSync(dataArg)) throw new UsageError(`${str(a, 'data') === undefined ? `the default data (from ${DATA_ENV})` : '--data'} ${dataArg} does not exist (PTB: train.txt, valid.txt, test.txt; or --data builtin)`);
  const corpus = builtin ? loadDefaultCorpus({ maxVocab: int(a, 'max-vocab', 3, MAX_VOCAB) ?? 10_000 }) : loadWordCorpus(dataArg);
  const lm: TrainOptions['lm'] = {};
  const e = int(a, 'emsize', 1), h = int(a, 'nhid', 1);
  if (e !== undefined) lm.emsize = e;
  if (h !== undefined) lm.nhid = h;
  const model = str(a, 'model') ?? String(STUDY_BASE.model);
  const base: TrainOptions = { model, lm, data: builtin ? { source: 'builtin', maxVocab: corpus.vocab.size } : { source: 'word', path: resolve(dataArg) } };
  for (const [k, flag] of [['epochs', 'epochs'], ['batchSize', 'batch-size'], ['bptt', 'bptt']] as const) {
    const v = int(a, flag, 1);
    if (v !== undefined) base[k] = v;
  }
  const asgdEpoch = int(a, 'asgd-epoch', 1), updateEvery = int(a, 'update-every', 1);
  if (asgdEpoch !== undefined) base.asgdEpoch = asgdEpoch;
  if (updateEvery !== undefined) base.updateEvery = updateEvery;
  const known = STUDY_RUNS.map(runName);
  const only = str(a, 'runs')?.split(',').map((r) => r.trim()).filter((r) => r !== '');
  for (const r of only ?? []) if (!known.includes(r)) throw new UsageError(`--runs: unknown run '${r}'; the study's runs are ${known.join(', ')}`);
  const reportOnly = a.report === true;
  const threads = await applyThreads(a);
  const dir = str(a, 'dir') ?? 'runs/study', out = str(a, 'out') ?? join(dir, 'STUDY.md');
  // Every invocation that trains records its command line in the study directory, so the report
  // lists exactly the commands that produced it (two processes sharing a study give two lines).
  const cmd = `selfish-rnn study --data ${dataArg} --dir ${dir} --out ${out} --budget ${budget} --threads ${threads}` +
    ['model', 'epochs', 'emsize', 'nhid', 'batch-size', 'bptt', 'asgd-epoch', 'update-every', 'runs'].filter((k) => a[k] !== undefined && !(k === 'model' && a[k] === STUDY_BASE.model)).map((k) => ` --${k} ${a[k]}`).join('') +
    (a['dense-asgd'] === false ? ' --no-dense-asgd' : '');
  const commandsFile = join(dir, 'commands.txt');
  if (!reportOnly) {
    mkdirSync(dir, { recursive: true });
    const seen = existsSync(commandsFile) ? readFileSync(commandsFile, 'utf8').split('\n') : [];
    if (!seen.includes(cmd)) appendFileSync(commandsFile, cmd + '\n');
    io.stderr.write(`study: ${describeThreads()}; training ${only ? only.join(', ') : 'every run'}\n`);
  }
  const results = await runStudy({
    corpus, base, denseAsgd: a['dense-asgd'] !== false, budgetSeconds: budget * 60, storeFor: (name) => directoryStore(join(dir, name)),
    train: (name) => !reportOnly && (only === undefined || only.includes(name)),
    onRun: (name, status, detail) => io.stderr.write(`study: ${name} ${status}${detail ? ` (${detail})` : ''}\n`),
  });
  // Topology distances: between the seeds of a method, and between methods, on the last weights.
  const distances: TopologyDistanceRow[] = [];
  const topo = async (name: string) => {
    const path = join(dir, name, 'last.ckpt');
    if (!existsSync(path)) return null;
    const { model } = modelFromCheckpoint(await loadLMCheckpoint(path));
    try { return topologyOf(model); } finally { model.dispose(); }
  };
  for (const [x, y] of [['selfish-s1', 'selfish-s2'], ['selfish-s1', 'set-s1'], ['selfish-s1', 'rigl-s1'], ['selfish-s1', 'static-s1']]) {
    const [tx, ty] = [await topo(x!), await topo(y!)];
    if (tx && ty && tx.size > 0) distances.push({ a: x!, b: y!, distance: topologyDistance(tx, ty) });
  }
  const trained = existsSync(commandsFile) ? readFileSync(commandsFile, 'utf8').split('\n').filter((l) => l !== '') : [];
  // The training commands, then (when this one only renders) the command that wrote this report.
  const commands = reportOnly ? [...trained, `${cmd} --report${str(a, 'note') !== undefined ? ' --note "…"' : ''}`] : trained.length > 0 ? trained : [cmd];
  const studyOpts = { base, denseAsgd: a['dense-asgd'] !== false };
  const report = renderStudyReport(results, distances, commands, {
    notes: [...studyNotes(studyOpts, corpus.vocab.size), ...(str(a, 'note') !== undefined ? [str(a, 'note')!] : [])],
    published: publishedFigures(model),
    timings: readTimings(str(a, 'timing')),
  });
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, report.markdown + '\n');
  for (const [f, svg] of Object.entries(report.svgs)) writeFileSync(join(dirname(out), f), svg + '\n');
  io.stdout.write(`study: ${results.filter((r) => r.finished).length}/${results.length} runs finished; report ${out}\n`);
  return 0;
}

/** What every run shares, what differs between them, and every option that differs from the paper's command. */
function studyNotes(o: { base: TrainOptions; denseAsgd: boolean }, vocab: number): string[] {
  const sparse = studyRunConfig(o, { method: 'selfish', seed: 1 }, vocab);
  const dense = studyRunConfig(o, { method: 'dense', seed: 1 }, vocab);
  const family = modelFamily(sparse.lm.kind);
  const lr = sparse.lrDecay < 1 ? `lr ${sparse.lr}, ×${sparse.lrDecay} per epoch after epoch ${sparse.lrDecayAfter}` : `lr ${sparse.lr}`;
  const sw = (c: TrainConfig) => (c.asgdEpoch > 0 ? `SGD → (SNT-)ASGD at the end of epoch ${c.asgdEpoch}${c.lrDecay < 1 ? ' (the decay goes on while averaging)' : ' or earlier on the non-monotone trigger'}` : c.lrDecay < 1 ? 'plain SGD (no ASGD switch)' : `SGD → (SNT-)ASGD on the non-monotone trigger (nonmono ${c.nonmono})`);
  const paper = resolveTrainConfig({ model: 'selfish-lstm' }, vocab);
  return [
    `Model: ${sparse.model} (${family.describe(sparse.lm as never)}), vocabulary ${vocab}; sparse runs keep density ${sparse.density} in every weight matrix (embedding and softmax included), gradual pruning (gmp) reaches it over the run. ` +
    `Every run: ${sparse.epochs} epochs, batch ${sparse.batchSize} × BPTT ${sparse.bptt}, ${lr}, clip ${sparse.clip} on the ${sparse.clipNorm} gradient norm, weight decay ${sparse.wdecay}, validation batch ${sparse.evalBatchSize}, test batch ${sparse.testBatchSize}. ` +
    `Sparse runs: ${sw(sparse)}; topology update ${sparse.updateEvery ? `every ${sparse.updateEvery} steps` : 'once per epoch'}, initial death rate ${sparse.deathRate} (cosine to 0.005). Dense runs: ${sw(dense)}.`,
    `Differences from the paper's stacked-LSTM command (\`--model selfish-lstm\`, ${modelFamily(paper.lm.kind).describe(paper.lm as never)}): ${configDifferences(sparse, paper).join('; ')}.`,
    'Runs that are not finished show what they have; run the same command again to continue them. Our results do not depend on the thread count (same seed, same bits), so a run may be trained on one thread and timed on two.',
  ];
}

/** The model's published figure (its preset's `published`), held against every dense run (each seed) at 3%. */
function publishedFigures(model: string): PublishedFigure[] {
  const p = modelPreset(model).preset.published;
  if (!p) return [];
  return STUDY_RUNS.filter((r) => r.method === 'dense').map((r) => ({ run: runName(r), what: p.what, valid: p.valid, test: p.test, tolerance: 0.03 }));
}

/** Seconds per epoch for the time-to-perplexity curves (bench/study-timing.json, written by `npm run bench -- time-to-ppl`). */
function readTimings(path: string | undefined): StudyReportOptions['timings'] {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new UsageError(`--timing ${path} does not exist (write it with: npm run bench -- time-to-ppl)`);
  try {
    const t = JSON.parse(readFileSync(path, 'utf8')) as StudyReportOptions['timings'];
    if (!t || typeof t.setup !== 'string' || !Array.isArray(t.curves)) throw new Error('needs {setup, curves: [...]}');
    return t;
  } catch (e) {
    throw new UsageError(`--timing ${path}: ${(e as Error).message}`);
  }
}
