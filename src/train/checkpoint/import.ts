// Import of a PyTorch state_dict saved as safetensors: the way in for models trained with the
// official code (or exported from here with `export`) to be evaluated, sampled and served here.
//
// Accepted files:
//   - our own export (names as in ./export.ts, `<name>.mask` BOOL tensors, config and vocabulary
//     in the metadata, so no corpus is needed);
//   - an official model's `model.state_dict()`, of any family whose ModelSpec reads sizes off a
//     state_dict (`sizesFromStateDict`: the stacked LSTM and AWD-LSTM-MoS); `.module.` of
//     WeightDrop and `_raw` of its raw weights are dropped, as is DataParallel's `module.` prefix. Masked weights are dense with zeros, as the
//     official code keeps them after applying its masks, or come with `<name>.mask` tensors
//     (weights where the mask is 0 are dropped, whatever their value).
// Every weight the official rule makes sparse (names without "bias") becomes CSR over its mask
// (or its nonzeros); a maskable weight with no zero at all stays dense. Dimensions come from the
// tensors' shapes; the rest of the configuration (dropouts, recipe) from the named model.
// Floats: F32, F64, F16 and BF16 (stored as float32). Platform-neutral (bytes in, bytes out).
import { UNK } from '../../data/tokenize.js';
import { Vocabulary } from '../../data/vocab.js';
import { putCSR, type CheckpointTensor } from '../../io/checkpoint-format.js';
import { nameList, quoted } from '../../io/quote.js';
import { decodeSafetensors, type DecodedSafetensor } from '../../io/safetensors.js';
import { createModel, modelConfig, modelFamilies, modelFamily, modelNames, modelPreset, type ModelFamily } from '../../models/index.js';
import { isSparse } from '../../nn/module.js';
import { Random } from '../../random.js';
import { LM_CHECKPOINT_KIND, LM_CHECKPOINT_VERSION, encodeLMCheckpoint, type LMCheckpointMeta, type WeightLayout } from './checkpoint.js';
import { resolveTrainConfig, type DataSpec, type TrainConfig } from '../config.js';
import { isMaskable } from '../weights.js';

export interface ImportOptions {
  /** Named model configuration (see modelNames()); default: the file's metadata, else by architecture. */
  model?: string;
  /** The corpus's vocabulary (for the official code: as its data.py builds it). Default: the file's metadata. */
  vocab?: Vocabulary;
  /** Called for the vocabulary when neither `vocab` nor the file's metadata gives one (e.g. the built-in corpus's). */
  fallbackVocab?: () => Vocabulary;
  /** Where the corpus comes from, kept in the checkpoint for `eval` (default: the file's metadata, else the built-in corpus). */
  data?: DataSpec;
  /** Names the file in messages. */
  source?: string;
}

export interface ImportedWeight {
  name: string;
  shape: number[];
  nnz: number;
  /** Where the topology came from: a `.mask` tensor, the zeros of the weight, or none (dense). */
  topology: 'mask' | 'zeros' | 'dense';
}

export interface ImportResult {
  /** The bytes of a 'selfish-rnn/lm' checkpoint (role 'model'). */
  checkpoint: Uint8Array;
  meta: LMCheckpointMeta;
  weights: ImportedWeight[];
  /** Density over the maskable weights. */
  density: number;
  /** File names rewritten to ours ([from, to]), and tensors read but not needed (a tied decoder). */
  renamed: [string, string][];
  ignored: string[];
}

const FLOATS = new Set(['F32', 'F64', 'F16', 'BF16']);
/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** float32 values of a floating-point safetensors tensor. */
function floats(t: DecodedSafetensor, name: string, source: string): Float32Array {
  if (t.dtype === 'F32') return t.data as Float32Array;
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  if (t.dtype === 'F64') {
    const out = new Float32Array(t.bytes.length / 8);
    for (let i = 0; i < out.length; i++) {
      const x = view.getFloat64(8 * i, true);
      if (Number.isFinite(x) && Math.abs(x) > FLOAT32_MAX) {
        throw new Error(`selfish-rnn: ${source}: tensor ${quoted(name)} holds ${x} at flat index ${i}, beyond the float32 range (±3.4e38) the model computes in; rescale or clip it before exporting`);
      }
      out[i] = x;
    }
    return out;
  }
  if (t.dtype === 'BF16') return Float32Array.from({ length: t.bytes.length / 2 }, (_, i) => new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0]!);
  if (t.dtype === 'F16') return Float32Array.from({ length: t.bytes.length / 2 }, (_, i) => half(view.getUint16(2 * i, true)));
  throw new Error(`selfish-rnn: ${source}: tensor ${quoted(name)} is ${t.dtype}; weights must be floating point (F32, F64, F16 or BF16)`);
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The file's name → ours: DataParallel's `module.`, WeightDrop's `.module.` and `_raw`. */
function ourName(name: string): string {
  return name.replace(/^module\./, '').replace(/\.module\./g, '.').replace(/(weight_hh_l\d+)_raw$/, '$1');
}

/** The family whose names the tensors carry (its sizesFromStateDict), and its sizes. */
function inferFamily(shapes: Map<string, number[]>, source: string): { spec: ModelFamily; sizes: Record<string, unknown> } {
  for (const spec of modelFamilies()) {
    const sizes = spec.sizesFromStateDict?.(shapes);
    if (sizes) return { spec, sizes: sizes as Record<string, unknown> };
  }
  const known = modelFamilies().filter((s) => s.sizesFromStateDict).map((s) => s.title).join(', ');
  throw new Error(`selfish-rnn: ${source} is not a state_dict of a family the import reads (${known}); its tensors: ${shapes.size === 0 ? 'none' : nameList([...shapes.keys()])}`);
}

/**
 * A PyTorch state_dict in safetensors form → a selfish-rnn checkpoint (see the header). Checks
 * everything before building anything: names, shapes, dtypes, masks and the vocabulary size.
 */
export function importSafetensors(bytes: Uint8Array, opts: ImportOptions = {}): ImportResult {
  const source = opts.source ?? 'safetensors file';
  const file = decodeSafetensors(bytes, { source });
  const metaConfig = metadataJSON(file.metadata, 'selfish-rnn.config', source) as TrainConfig | null;
  const metaVocab = metadataJSON(file.metadata, 'selfish-rnn.vocab', source);

  const renamed: [string, string][] = [];
  const tensors = new Map<string, DecodedSafetensor>();
  const masks = new Map<string, DecodedSafetensor>();
  for (const [raw, t] of Object.entries(file.tensors)) {
    const name = ourName(raw);
    if (name !== raw) renamed.push([raw, name]);
    const target = name.endsWith('.mask') ? masks : tensors;
    const key = name.endsWith('.mask') ? name.slice(0, -5) : name;
    if (target.has(key)) throw new Error(`selfish-rnn: ${source} has two tensors named ${quoted(name)} once prefixes are removed`);
    target.set(key, t);
  }
  const { spec, sizes: dims } = inferFamily(new Map([...tensors].map(([n, t]) => [n, t.shape])), source);

  const modelName = opts.model ?? metaConfig?.model ?? Object.keys(spec.presets)[0]!;
  let family: ModelFamily;
  try {
    family = modelPreset(modelName).family;
  } catch {
    throw new RangeError(`selfish-rnn: ${opts.model === undefined ? `${source}: its metadata names ` : ''}unknown model ${quoted(modelName)}; known models: ${modelNames().join(', ')}`);
  }
  if (family !== spec) throw new Error(`selfish-rnn: ${source} holds a ${spec.title}, but model '${modelName}' is a ${family.title}`);

  const vocab = opts.vocab ?? (metaVocab !== null ? vocabularyOf(metaVocab, source) : opts.fallbackVocab?.() ?? null);
  if (!vocab) throw new Error(`selfish-rnn: ${source} has no vocabulary in its metadata; give the corpus the model was trained on (--data), whose vocabulary numbers the embedding's rows`);
  if (vocab.size !== dims.vocab) {
    throw new Error(`selfish-rnn: ${source}'s embedding has ${dims.vocab} rows but the corpus vocabulary has ${vocab.size} words; give the corpus the model was trained on (its vocabulary is built as the reference data.py does: words in first-seen order over train, valid and test)`);
  }

  // The model tells which weights exist and their shapes (a tied decoder has no weight of its own).
  const lmOverrides: Record<string, unknown> = { ...dims };
  const lmConfig = modelConfig(modelName, lmOverrides);
  const probe = createModel(lmConfig, {}, new Random(0));
  const expected = probe.namedWeights().map(([name, w]) => ({ name, shape: isSparse(w) ? [w.rows, w.cols] : [...w.shape] }));
  probe.dispose();
  // A tied weight's second name (the family's exportAliases) must hold the same values; it is dropped.
  const ignored: string[] = [];
  for (const [alias, own] of modelFamily(lmConfig.kind).exportAliases?.(lmConfig as never) ?? []) {
    if (!tensors.has(alias) || expected.some((e) => e.name === alias) || !tensors.has(own)) continue;
    const a = floats(tensors.get(alias)!, alias, source), b = floats(tensors.get(own)!, own, source);
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) throw new Error(`selfish-rnn: model '${modelName}' ties ${alias} to ${own}, but ${source}'s ${alias} differs from its ${own}`);
    tensors.delete(alias);
    masks.delete(alias);
    ignored.push(`${alias} (tied to ${own})`);
  }
  const missing = expected.filter((e) => !tensors.has(e.name)).map((e) => e.name);
  const extra = [...tensors.keys()].filter((n) => !expected.some((e) => e.name === n));
  const strayMasks = [...masks.keys()].filter((n) => !tensors.has(n));
  if (missing.length > 0 || extra.length > 0 || strayMasks.length > 0) {
    throw new Error(`selfish-rnn: ${source} does not fit model '${modelName}' (${spec.describe(lmConfig as never)}): missing [${nameList(missing)}], unexpected [${nameList([...extra, ...strayMasks.map((n) => `${n}.mask`)])}]`);
  }

  // Every shape that disagrees, at once: the sizes are read off some of the tensors, so when one of
  // those is the damaged one, the tensors that disagree with it are the healthy ones.
  const wrong = expected.filter(({ name, shape }) => tensors.get(name)!.shape.join() !== shape.join());
  if (wrong.length > 0) {
    const sizes = `vocabulary ${dims.vocab}, emsize ${dims.emsize}, nhid ${dims.nhid}, ${dims.nlayers} layers`;
    const list = wrong.slice(0, 6).map(({ name, shape }) => `'${name}' is [${tensors.get(name)!.shape.join(', ')}] but the model needs [${shape.join(', ')}]`).join('; ');
    throw new Error(`selfish-rnn: ${source}: ${wrong.length} of its ${expected.length} weights do not have the shapes of a ${spec.title} of the sizes read from its tensors (${sizes}): ${list}${wrong.length > 6 ? '; …' : ''}${wrong.length > 1 ? '. If only one of them is odd, it is the damaged one; if most are, the tensor the sizes were read from is' : ''}`);
  }
  const out: Record<string, CheckpointTensor> = {};
  const layouts: Record<string, WeightLayout> = {};
  const weights: ImportedWeight[] = [];
  let nnzMasked = 0, sizeMasked = 0;
  for (const { name, shape } of expected) {
    const t = tensors.get(name)!;
    if (!FLOATS.has(t.dtype)) throw new Error(`selfish-rnn: ${source}: tensor '${name}' is ${t.dtype}; weights must be floating point (F32, F64, F16 or BF16)`);
    if (t.shape.join() !== shape.join()) throw new Error(`selfish-rnn: ${source}: '${name}' is [${t.shape.join(', ')}] but the model needs [${shape.join(', ')}]`);
    const values = floats(t, name, source);
    const bad = values.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new Error(`selfish-rnn: ${source}: '${name}' holds a non-finite value (${values[bad]}) at flat index ${bad}`);
    const m = masks.get(name);
    if (m !== undefined && !isMaskable(name)) throw new Error(`selfish-rnn: ${source} has a mask for '${name}', but biases are dense (the official rule masks weights whose names lack "bias")`);
    if (m !== undefined && m.shape.join() !== shape.join()) throw new Error(`selfish-rnn: ${source}: '${name}.mask' is [${m.shape.join(', ')}] but '${name}' is [${shape.join(', ')}]`);
    const keep: Uint8Array = m !== undefined ? maskValues(m, name, source) : Uint8Array.from(values, (x) => (x !== 0 ? 1 : 0));
    let nnz = 0;
    for (const k of keep) nnz += k ? 1 : 0;
    const sparse = isMaskable(name) && shape.length === 2 && nnz < values.length;
    if (isMaskable(name)) { nnzMasked += nnz; sizeMasked += values.length; }
    if (sparse) {
      const [rows, cols] = shape as [number, number];
      const rowPtr = new Int32Array(rows + 1), colIdx = new Int32Array(nnz), vals = new Float32Array(nnz);
      let s = 0;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) if (keep[i * cols + j]) { colIdx[s] = j; vals[s++] = values[i * cols + j]!; }
        rowPtr[i + 1] = s;
      }
      layouts[name] = putCSR(out, `model/${name}`, { rows, cols, rowPtr, colIdx, values: vals });
    } else {
      out[`model/${name}`] = { dtype: 'f32', shape: [...shape], data: values.slice() };
      layouts[name] = { layout: 'dense', shape: [...shape] };
    }
    weights.push({ name, shape: [...shape], nnz: sparse ? nnz : values.length, topology: !sparse ? 'dense' : m !== undefined ? 'mask' : 'zeros' });
  }
  if (sizeMasked > 0 && nnzMasked === 0) {
    throw new Error(`selfish-rnn: ${source}: every maskable weight is all zeros${masks.size > 0 ? ' under its mask' : ''}, so the model would have no weights; is it the right file (or were its masks saved inverted)?`);
  }
  const density = sizeMasked === 0 ? 1 : nnzMasked / sizeMasked;
  const anySparse = weights.some((w) => w.topology !== 'dense');
  const config: TrainConfig = metaConfig ?? resolveTrainConfig({
    model: modelName, lm: lmOverrides, data: opts.data ?? { source: 'builtin', maxVocab: vocab.size },
    method: anySparse ? 'static' : 'dense', density: anySparse ? density : 1,
  }, vocab.size);
  if (metaConfig && opts.data) config.data = opts.data;
  const meta: LMCheckpointMeta = {
    kind: LM_CHECKPOINT_KIND, version: LM_CHECKPOINT_VERSION, role: 'model', weights_kind: 'raw', config,
    vocab: vocab.toJSON(), weights: layouts,
    summary: { epoch: 0, step: 0, valLoss: null, density, phase: 'imported', engine: 'none' }, training: null,
  };
  return { checkpoint: encodeLMCheckpoint(meta, out), meta, weights, density, renamed, ignored };
}

function maskValues(m: DecodedSafetensor, name: string, source: string): Uint8Array {
  if (m.dtype === 'BOOL' || m.dtype === 'U8') return m.data as Uint8Array;
  if (FLOATS.has(m.dtype)) return Uint8Array.from(floats(m, `${name}.mask`, source), (x) => (x !== 0 ? 1 : 0));
  throw new Error(`selfish-rnn: ${source}: '${name}.mask' is ${m.dtype}; masks must be BOOL, U8 or floating point`);
}

/** The vocabulary our export stores in the metadata (its word list, ids in order). */
function vocabularyOf(words: unknown, source: string): Vocabulary {
  if (!Array.isArray(words) || words.some((w) => typeof w !== 'string')) throw new Error(`selfish-rnn: ${source}: the metadata's vocabulary is not a list of words`);
  const vocab = new Vocabulary();
  for (const w of words as string[]) vocab.add(w);
  if (vocab.size !== words.length) throw new Error(`selfish-rnn: ${source}: the metadata's vocabulary repeats words`);
  if (vocab.has(UNK)) vocab.setUnk(UNK);
  return vocab;
}

function metadataJSON(metadata: Record<string, string> | null, key: string, source: string): unknown {
  const text = metadata?.[key];
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`selfish-rnn: ${source}: metadata '${key}' is not valid JSON`);
  }
}
