// The reproduction study: the same model trained densely and with each sparse
// method at one density, the same epochs and schedule for all, several seeds where the spread
// matters; resumable (each run is an ordinary run directory: an interrupted one continues from
// its last.ckpt, a finished one is read back) and bounded by a time budget. The report is
// rendered by study-report.ts.
import type { Corpus } from '../../data/corpus.js';
import type { TrainOptions } from '../config.js';
import { resolveTrainConfig } from '../config.js';
import { decodeLMCheckpoint, type LMCheckpoint } from '../checkpoint/checkpoint.js';
import type { RunStore } from '../checkpoint/run-store.js';
import { RUN_FILES, truncateRunLog } from '../checkpoint/run-store.js';
import type { EpochRecord } from '../run/run-state.js';
import { engineSparsity } from '../run/sparsity-factory.js';
import { weightCounts } from '../run/memory-estimate.js';
import type { TrainConfig } from '../config.js';
import { Trainer, type TrainingState } from '../run/trainer.js';
import type { SparseMethod } from '../../sparse/methods.js';

export interface StudyRun { method: SparseMethod; seed: number }

/** Dense, static, SET, RigL, gradual pruning, Selfish-RNN; a second seed for dense and Selfish-RNN. */
export const STUDY_RUNS: StudyRun[] = [
  { method: 'dense', seed: 1 }, { method: 'selfish', seed: 1 }, { method: 'set', seed: 1 }, { method: 'static', seed: 1 },
  { method: 'rigl', seed: 1 }, { method: 'gmp', seed: 1 }, { method: 'dense', seed: 2 }, { method: 'selfish', seed: 2 },
];

/** The shared recipe: lstm-small (2×200) at density 0.33, SGD → (SNT-)ASGD, clip 0.25 (dense norm). */
export const STUDY_BASE: TrainOptions = { model: 'lstm-small', density: 0.33, deathRate: 0.5, epochs: 20, nonmono: 5 };

export interface StudyOptions {
  corpus: Corpus;
  /** The run directory (store) of a run name such as 'selfish-s1'. */
  storeFor(name: string): RunStore;
  /** The options every run shares (on top of STUDY_BASE for its model, else of the model's recipe); each run sets its method and seed. */
  base?: TrainOptions;
  /** Dense runs switch to ASGD as the sparse ones do (default); false keeps the model's recipe
   *  for them, so that they reproduce its published number. */
  denseAsgd?: boolean;
  runs?: StudyRun[];
  /** Stop (resumably) once this many seconds have passed in this invocation. */
  budgetSeconds?: number;
  /** Which runs this invocation may train (default all); the others are only read back, so two
   *  processes can share one study directory, each training its own runs. */
  train?(name: string): boolean;
  onRun?(name: string, status: 'start' | 'resume' | 'done' | 'stopped', detail?: string): void;
}

export interface StudyResult {
  name: string;
  method: SparseMethod;
  seed: number;
  finished: boolean;
  density: number;
  valPpl: number | null;
  testPpl: number | null;
  history: EpochRecord[];
  seconds: number;
  /** Training FLOPs (analytic: 6 × active weights that multiply per token × tokens, integrated over the steps as the density changes). */
  flops: number;
  /** Every topology update of the run, from its log.jsonl (empty for dense and static runs). */
  updates: TopologyUpdate[];
}

/** One topology update as the run log records it. */
export interface TopologyUpdate {
  step: number;
  /** Nonzeros removed (and as many regrown) over all sparse tensors / all their nonzeros. */
  replaced: number;
  /** The same, less the weights regrown where they were pruned (revived in place: nothing changed). */
  changed: number;
  /** Global density of the sparse tensors after the update. */
  density: number;
  /** Density of each gate over the recurrent matrices (nonzeros / entries), when the model has gates. */
  gates: Record<string, number>;
}

/** The topology updates in a run's log.jsonl text (lines that are not topology events are skipped). */
export function topologyUpdates(logText: string): TopologyUpdate[] {
  const out: TopologyUpdate[] = [];
  for (const line of logText.split('\n')) {
    if (!line.includes('"event":"topology"')) continue;
    let e: { step?: number; density?: number; tensors?: { removed: number; revived?: number; nnz: number }[]; gates?: { gates: string[]; nnz: number[]; density: number[] }[] };
    try { e = JSON.parse(line); } catch { continue; }
    if (typeof e.step !== 'number' || !Array.isArray(e.tensors)) continue;
    const removed = e.tensors.reduce((a, t) => a + t.removed, 0), nnz = e.tensors.reduce((a, t) => a + t.nnz, 0);
    const revived = e.tensors.reduce((a, t) => a + (t.revived ?? 0), 0);
    const kept = new Map<string, [number, number]>(); // gate → [nonzeros, entries]
    for (const m of e.gates ?? []) {
      m.gates.forEach((g, i) => {
        const k = kept.get(g) ?? [0, 0];
        k[0] += m.nnz[i]!;
        k[1] += m.density[i]! > 0 ? m.nnz[i]! / m.density[i]! : 0;
        kept.set(g, k);
      });
    }
    const gates: Record<string, number> = {};
    for (const [g, [n, size]] of kept) if (size > 0) gates[g] = n / size;
    out.push({ step: e.step, replaced: nnz > 0 ? removed / nnz : 0, changed: nnz > 0 ? (removed - revived) / nnz : 0, density: typeof e.density === 'number' ? e.density : NaN, gates });
  }
  return out;
}

export const runName = (r: StudyRun): string => `${r.method}-s${r.seed}`;

/** The configuration a study run trains with: the shared options, its method and seed. */
export function studyRunConfig(o: Pick<StudyOptions, 'base' | 'denseAsgd'>, run: StudyRun, vocab: number): TrainConfig {
  const dense = run.method === 'dense' ? { density: undefined, ...(o.denseAsgd === false ? { asgdEpoch: undefined } : {}) } : {};
  // The default model takes the study's own schedule (STUDY_BASE); another model brings its recipe.
  const model = o.base?.model ?? STUDY_BASE.model;
  const shared = model === STUDY_BASE.model ? { ...STUDY_BASE, ...o.base } : { density: STUDY_BASE.density, deathRate: STUDY_BASE.deathRate, ...o.base };
  return resolveTrainConfig({ ...shared, method: run.method, seed: run.seed, ...dense }, vocab);
}

/**
 * The options (training options and model fields, by their CLI flags) in which `ours` differs
 * from `paper`, as "--lr 1 (paper 40)"; data, method and seed are the study's own.
 */
export function configDifferences(ours: TrainConfig, paper: TrainConfig): string[] {
  const out: string[] = [];
  const skip = new Set(['data', 'model', 'lm', 'method', 'seed', 'finetune']);
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const show = (v: unknown) => (typeof v === 'number' ? String(+v.toPrecision(6)) : String(v));
  for (const k of Object.keys(paper.lm)) {
    if (k === 'kind' || k === 'vocab') continue;
    const a = (ours.lm as Record<string, unknown>)[k], b = (paper.lm as Record<string, unknown>)[k];
    if (a !== b) out.push(`${flag(k)} ${a === undefined ? '(none)' : show(a)} (paper ${show(b)})`);
  }
  for (const k of Object.keys(paper)) {
    if (skip.has(k)) continue;
    const a = (ours as unknown as Record<string, unknown>)[k], b = (paper as unknown as Record<string, unknown>)[k];
    if (a !== b) out.push(`${flag(k)} ${a === undefined ? '(none)' : show(a)} (paper ${b === undefined ? '(none)' : show(b)})`);
  }
  return out;
}

/** Trains (or resumes, or reads back) every run within the budget; returns what each run has. */
export async function runStudy(o: StudyOptions): Promise<StudyResult[]> {
  const deadline = Date.now() + (o.budgetSeconds ?? Infinity) * 1000;
  const out: StudyResult[] = [];
  for (const run of o.runs ?? STUDY_RUNS) {
    const name = runName(run), store = o.storeFor(name);
    const done = await store.read('result.json');
    if (done === null && Date.now() < deadline && (o.train?.(name) ?? true)) {
      const lastBytes = await store.read(RUN_FILES.last);
      const resume = lastBytes ? decodeLMCheckpoint<TrainingState>(lastBytes, store.describe(RUN_FILES.last)) : undefined;
      const config = resume ? undefined : studyRunConfig(o, run, o.corpus.vocab.size);
      // A run killed after its last checkpoint logged steps the resume repeats: drop them, as train --resume does.
      if (resume) await truncateRunLog(store, resume.meta.training!.globalStep);
      o.onRun?.(name, resume ? 'resume' : 'start');
      const trainer = await Trainer.create({ config, resume, corpus: o.corpus, store, sparsity: engineSparsity });
      // (setTimeout treats delays beyond 2³¹ − 1 ms as 1 ms: no timer for an unbounded budget.)
      const left = deadline - Date.now();
      const timer = left < 2 ** 31 - 1 ? setTimeout(() => trainer.requestStop('study budget'), Math.max(0, left)) : undefined;
      try {
        const r = await trainer.run();
        if (r.status === 'completed') {
          await store.write('result.json', new TextEncoder().encode(JSON.stringify({ valPpl: r.valPpl, testPpl: r.testPpl })));
          o.onRun?.(name, 'done', `test ppl ${r.testPpl?.toFixed(2)}`);
        } else {
          o.onRun?.(name, 'stopped', r.status);
        }
      } finally {
        clearTimeout(timer);
        trainer.dispose();
      }
    }
    out.push(await readResult(run, store));
  }
  return out;
}

async function readResult(run: StudyRun, store: RunStore): Promise<StudyResult> {
  const name = runName(run);
  const bytes = await store.read(RUN_FILES.last);
  const base: StudyResult = { name, method: run.method, seed: run.seed, finished: false, density: NaN, valPpl: null, testPpl: null, history: [], seconds: 0, flops: NaN, updates: [] };
  if (bytes === null) return base;
  const ckpt: LMCheckpoint<TrainingState> = decodeLMCheckpoint<TrainingState>(bytes, store.describe(RUN_FILES.last));
  const t = ckpt.meta.training!;
  const res = await store.read('result.json');
  const log = await store.read(RUN_FILES.log);
  const updates = log ? topologyUpdates(new TextDecoder().decode(log)) : [];
  const r = res ? (JSON.parse(new TextDecoder().decode(res)) as { valPpl: number; testPpl: number }) : null;
  const cfg = ckpt.meta.config;
  const logText = log ? new TextDecoder().decode(log) : '';
  const flops = trainingFlops(cfg, logText, updates, t.globalStep);
  return {
    ...base, finished: r !== null, density: ckpt.meta.summary.density, valPpl: r?.valPpl ?? null, testPpl: r?.testPpl ?? null,
    history: t.history, seconds: t.history.reduce((s, h) => s + h.seconds, 0), flops, updates,
  };
}

/**
 * Training FLOPs of a run: 6 × (active weights that multiply per token) × tokens, integrated over
 * its steps: the density is the run's initial one (the log's start event: 1 for gradual pruning)
 * until the first topology update, then each update's, so a run that trains dense for a while is
 * charged for it. Weights: the family's recurrent and output matrices (a tied decoder counted as
 * compute); embeddings are lookups. Sparse runs apply the density to every sparse matrix.
 */
export function trainingFlops(cfg: TrainConfig, logText: string, updates: readonly TopologyUpdate[], steps: number): number {
  const w = weightCounts(cfg.lm, cfg.lm.vocab);
  if (w === null) return NaN;
  const perToken = 6 * (w.recurrent + w.outputCompute);
  let density = cfg.method === 'dense' ? 1 : cfg.density;
  const start = logText.split('\n', 1)[0] ?? '';
  try {
    const e = JSON.parse(start) as { event?: string; density?: number };
    if (e.event === 'start' && typeof e.density === 'number') density = e.density;
  } catch { /* no start line: the configured density */ }
  let last = 0, densitySteps = 0;
  for (const u of [...updates].sort((a, b) => a.step - b.step)) {
    if (u.step > steps || !Number.isFinite(u.density)) continue;
    densitySteps += density * (u.step - last);
    last = u.step;
    density = u.density;
  }
  densitySteps += density * Math.max(0, steps - last);
  return perToken * cfg.batchSize * cfg.bptt * densitySteps;
}
