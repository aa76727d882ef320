// What a language-model checkpoint must contain, checked after the file format's checksums and
// before anything is built from it. The checksums prove the bytes are what a writer wrote; these
// checks prove the writer (or a hand edit) wrote something consistent: the meta's schema, the
// configuration's values, the vocabulary, every weight against its layout (dense shape, or CSR
// with monotone row offsets, nnz, in-range and strictly ascending column indices), finite values,
// and the training state a resume restores. Every refusal is a CheckpointError naming the source
// and the field, so a damaged file never surfaces as an internal TypeError or RangeError, and
// nothing is built (no heap bytes, no global state touched) before the whole file has passed.
import { CheckpointError, getCSR, type CheckpointErrorCode, type CheckpointTensor } from '../../io/checkpoint-format.js';
import { Vocabulary } from '../../data/vocab.js';
import { MAX_VOCAB, modelFamily } from '../../models/index.js';
import { checkTrainConfig, type TrainConfig } from '../config.js';

type Obj = Record<string, unknown>;

class Checker {
  constructor(readonly source: string) {}

  fail(where: string, why: string, code: CheckpointErrorCode = 'invalid-meta', tensor?: string): never {
    throw new CheckpointError(code, `${this.source} is invalid: ${where} ${why}`, tensor);
  }

  object(v: unknown, where: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(where, `must be an object, got ${show(v)}`);
    return v as Obj;
  }

  int(v: unknown, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.fail(where, `must be an integer in [${min}, ${max}], got ${show(v)}`);
    return v;
  }

  num(v: unknown, where: string, min = -Infinity, max = Infinity): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.fail(where, `must be a finite number${min > -Infinity || max < Infinity ? ` in [${min}, ${max}]` : ''}, got ${show(v)}`);
    return v;
  }

  numOrNull(v: unknown, where: string): number | null {
    return v === null ? null : this.num(v, where);
  }

  oneOf<T extends string>(v: unknown, where: string, allowed: readonly T[]): T {
    if (!allowed.includes(v as T)) this.fail(where, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${show(v)}`);
    return v as T;
  }

  str(v: unknown, where: string): string {
    if (typeof v !== 'string') this.fail(where, `must be a string, got ${show(v)}`);
    return v;
  }

  bool(v: unknown, where: string): boolean {
    if (typeof v !== 'boolean') this.fail(where, `must be true or false, got ${show(v)}`);
    return v;
  }

  array(v: unknown, where: string): unknown[] {
    if (!Array.isArray(v)) this.fail(where, `must be an array, got ${show(v)}`);
    return v;
  }
}

/** Checks meta and tensors of a decoded 'selfish-rnn/lm' checkpoint (see the file header). */
export function checkLMCheckpointContents(meta: unknown, tensors: Record<string, CheckpointTensor>, source: string): void {
  const c = new Checker(source);
  const m = c.object(meta, 'meta');
  c.oneOf(m.role, 'meta.role', ['last', 'best', 'model'] as const);
  c.oneOf(m.weights_kind, 'meta.weights_kind', ['raw', 'averaged'] as const);
  const config = checkConfig(c, m.config);
  checkVocab(c, m.vocab, config);
  checkSummary(c, m.summary);
  checkWeights(c, m.weights, tensors);
  if (m.role === 'last') checkTraining(c, m.training, tensors, config);
  else if (m.training !== null && m.training !== undefined) c.object(m.training, 'meta.training');
}

/** The configuration check of the checkpoint reader alone (for tests and tools): throws a CheckpointError. */
export function checkCheckpointConfig(v: unknown, source = 'checkpoint'): TrainConfig {
  return checkConfig(new Checker(source), v);
}

function checkConfig(c: Checker, v: unknown): TrainConfig {
  const cfg = c.object(v, 'meta.config');
  c.str(cfg.model, 'meta.config.model');
  const lm = c.object(cfg.lm, 'meta.config.lm');
  const kind = c.str(lm.kind, 'meta.config.lm.kind');
  try {
    modelFamily(kind);
  } catch (e) {
    c.fail('meta.config.lm.kind', `names a model family that is not registered: ${(e as Error).message.replace(/^selfish-rnn: /, '')}`, 'unknown-family');
  }
  c.int(lm.vocab, 'meta.config.lm.vocab', 1, MAX_VOCAB);
  c.object(cfg.data, 'meta.config.data');
  // The same check a new run passes (one validator: what trains, reloads).
  try {
    checkTrainConfig(cfg as unknown as TrainConfig, (k) => `meta.config.${k}`);
  } catch (e) {
    c.fail('meta.config', `is not a valid run configuration: ${(e as Error).message.replace(/^selfish-rnn: /, '')}`);
  }
  return cfg as unknown as TrainConfig;
}

function checkVocab(c: Checker, v: unknown, config: TrainConfig): void {
  let vocab: Vocabulary;
  try {
    vocab = Vocabulary.fromJSON(v);
  } catch (e) {
    c.fail('meta.vocab', `is not a vocabulary: ${(e as Error).message.replace(/^selfish-rnn: /, '')}`);
  }
  if (vocab.size !== config.lm.vocab) c.fail('meta.vocab', `has ${vocab.size} words but meta.config.lm.vocab says ${config.lm.vocab}`);
}

function checkSummary(c: Checker, v: unknown): void {
  const s = c.object(v, 'meta.summary');
  c.int(s.epoch, 'meta.summary.epoch');
  c.int(s.step, 'meta.summary.step');
  c.numOrNull(s.valLoss, 'meta.summary.valLoss');
  c.num(s.density, 'meta.summary.density', 0, 1);
  c.str(s.phase, 'meta.summary.phase');
  c.str(s.engine, 'meta.summary.engine');
}

/** The weights part alone (meta.weights and their tensors): for checkpoints of any module. Throws a CheckpointError. */
export function checkWeightEntries(weights: unknown, tensors: Record<string, CheckpointTensor>, source: string): void {
  checkWeights(new Checker(source), weights, tensors);
}

function checkWeights(c: Checker, v: unknown, tensors: Record<string, CheckpointTensor>): void {
  const weights = c.object(v, 'meta.weights');
  if (Object.keys(weights).length === 0) c.fail('meta.weights', 'lists no weights');
  for (const [name, lv] of Object.entries(weights)) {
    const where = `meta.weights['${name}']`;
    const layout = c.object(lv, where);
    const kind = c.oneOf(layout.layout, `${where}.layout`, ['dense', 'csr'] as const);
    if (kind === 'dense') {
      const shape = c.array(layout.shape, `${where}.shape`);
      shape.forEach((d, i) => c.int(d, `${where}.shape[${i}]`, 0, MAX_VOCAB));
      const key = `model/${name}`;
      const t = Object.hasOwn(tensors, key) ? tensors[key] : undefined;
      if (t === undefined) c.fail(`tensor '${key}'`, 'is missing', 'missing-tensor', key);
      if (t.dtype !== 'f32' || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        c.fail(`tensor '${key}'`, `is ${t.dtype} [${t.shape.join(', ')}] but ${where} says f32 [${shape.join(', ')}]`, 'shape-mismatch', key);
      }
      checkFinite(c, t.data as Float32Array, key);
    } else {
      const rows = c.int(layout.rows, `${where}.rows`, 0, MAX_VOCAB), cols = c.int(layout.cols, `${where}.cols`, 0, MAX_VOCAB);
      const nnz = c.int(layout.nnz, `${where}.nnz`);
      let csr;
      try {
        csr = getCSR(tensors, `model/${name}`, { rows, cols, nnz });
      } catch (e) {
        if (!(e instanceof CheckpointError)) throw e;
        c.fail(`sparse weight '${name}'`, e.message.replace(/^selfish-rnn: checkpoint (CSR matrix '[^']*' )?/, ''), e.code, e.tensor);
      }
      checkFinite(c, csr.values, `model/${name}.values`);
    }
  }
}

function checkFinite(c: Checker, data: Float32Array, key: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) c.fail(`tensor '${key}'`, `holds ${data[i]} at element ${i}; weights must be finite`, 'invalid-values', key);
  }
}

function checkTraining(c: Checker, v: unknown, tensors: Record<string, CheckpointTensor>, config: TrainConfig): void {
  const t = c.object(v, 'meta.training');
  const pos = c.object(t.position, 'meta.training.position');
  c.int(pos.epoch, 'meta.training.position.epoch', 0, config.epochs);
  c.int(pos.i, 'meta.training.position.i');
  c.int(t.globalStep, 'meta.training.globalStep');
  c.oneOf(t.phase, 'meta.training.phase', ['sgd', 'asgd', 'adam'] as const);
  c.object(t.optimizer, 'meta.training.optimizer');
  c.object(t.trigger, 'meta.training.trigger');
  if (t.plateau !== null) c.object(t.plateau, 'meta.training.plateau');
  c.numOrNull(t.bestValLoss, 'meta.training.bestValLoss');
  if (t.bestEpoch !== null) c.int(t.bestEpoch, 'meta.training.bestEpoch');
  c.numOrNull(t.lastValLoss, 'meta.training.lastValLoss');
  for (const k of ['epochAcc', 'intervalAcc'] as const) {
    const acc = c.object(t[k], `meta.training.${k}`);
    c.num(acc.nllSum, `meta.training.${k}.nllSum`);
    c.int(acc.tokens, `meta.training.${k}.tokens`);
    c.int(acc.steps, `meta.training.${k}.steps`);
    if (k === 'epochAcc') c.num(acc.seconds, 'meta.training.epochAcc.seconds', 0);
  }
  if (t.lastSpan !== null) {
    const span = c.object(t.lastSpan, 'meta.training.lastSpan');
    c.int(span.i, 'meta.training.lastSpan.i');
    c.int(span.seqLen, 'meta.training.lastSpan.seqLen', 1);
  }
  c.array(t.history, 'meta.training.history').forEach((h, i) => {
    const r = c.object(h, `meta.training.history[${i}]`);
    c.int(r.epoch, `meta.training.history[${i}].epoch`, 1);
    c.int(r.step, `meta.training.history[${i}].step`);
  });
  c.array(t.densityTrack, 'meta.training.densityTrack').forEach((d, i) => {
    const r = c.object(d, `meta.training.densityTrack[${i}]`);
    c.num(r.epoch, `meta.training.densityTrack[${i}].epoch`, 0);
    c.num(r.density, `meta.training.densityTrack[${i}].density`, 0, 1);
  });
  const rng = c.object(t.rng, 'meta.training.rng');
  for (const k of ['model', 'data', 'global'] as const) {
    const r = c.object(rng[k], `meta.training.rng.${k}`);
    const s = c.array(r.s, `meta.training.rng.${k}.s`);
    if (s.length !== 4) c.fail(`meta.training.rng.${k}.s`, `must hold 4 numbers, got ${s.length}`);
    s.forEach((x, i) => c.int(x, `meta.training.rng.${k}.s[${i}]`, 0, 2 ** 32 - 1));
    if (s.every((x) => x === 0)) c.fail(`meta.training.rng.${k}.s`, 'is all zeros, which the generator cannot leave');
    c.numOrNull(r.spareNormal, `meta.training.rng.${k}.spareNormal`);
  }
  if (t.engine !== null) {
    const e = c.object(t.engine, 'meta.training.engine');
    c.str(e.name, 'meta.training.engine.name');
  }
  c.int(t.hiddenLayers, 'meta.training.hiddenLayers', 0, 4096);
  // The carried hidden state: its names and sizes depend on the model family (restore() checks
  // them against the model); here every entry must be finite f32.
  for (const [key, tensor] of Object.entries(tensors)) {
    if (!key.startsWith('state/')) continue;
    if (tensor.dtype !== 'f32') c.fail(`tensor '${key}'`, `is ${tensor.dtype}, expected f32`, 'shape-mismatch', key);
    checkFinite(c, tensor.data as Float32Array, key);
  }
  c.bool(t.finished, 'meta.training.finished');
  c.num(t.elapsedSeconds, 'meta.training.elapsedSeconds', 0);
  for (const [key, tensor] of Object.entries(tensors)) {
    if (key.startsWith('optim/') && tensor.dtype === 'f32') checkFinite(c, tensor.data as Float32Array, key);
  }
}

function show(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  const s = JSON.stringify(v);
  return s === undefined ? typeof v : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
