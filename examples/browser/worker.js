// The training page's worker: every library call runs here, off the page's main thread, so the
// page stays responsive while a model trains. Messages in: train, stop, save, load, generate.
// Messages out: ready, start, step, epoch, sample, done, checkpoint, loaded, error (see app.js).
import * as lib from '../../dist/index.js';

const {
  buildTextCorpus, crc32, decodeLMCheckpoint, defaultCorpus, evaluate, formatSample, isSparse, memoryStore,
  modelFamily, modelFromCheckpoint, modelGateStats, pooledGateDensity, registerFamiliesFrom, resolveTrainConfig, sample, setThreads, simdSupported,
  threadsUnavailableReason, Trainer, weightSummaries,
} = lib;

/** Model families loaded from module URLs, by URL (a module is imported and registered once). */
const familiesByUrl = new Map();

/** The first model name of the family (or families) a module URL declares; imports and registers it once. */
async function modelFromUrl(url) {
  if (!familiesByUrl.has(url)) {
    const mod = await import(new URL(url, self.location.href).href);
    familiesByUrl.set(url, await registerFamiliesFrom(mod, lib));
  }
  return Object.keys(familiesByUrl.get(url)[0].presets)[0];
}

const post = (msg, transfer = []) => self.postMessage(msg, transfer);

/** What is loaded now: a trainer (training or trained), or a model read from a checkpoint. */
let current = null; // { trainer?, model, vocab, config, corpus }
let userText = null; // { name, text } of a dropped file
let loadedLast = null; // { ckpt, corpus } of a loaded 'last' checkpoint, for resume
const corpusCache = new Map();

async function corpusFor(spec) {
  const key = JSON.stringify(spec);
  if (!corpusCache.has(key)) {
    if (spec.source === 'builtin') corpusCache.set(key, await defaultCorpus({ maxVocab: spec.maxVocab }));
    else if (spec.source === 'text' && userText && spec.path === userText.name) corpusCache.set(key, buildTextCorpus(userText.text, { maxVocab: spec.maxVocab }));
    else return null;
  }
  return corpusCache.get(key);
}

/** CRC-32 of every weight's float32 values (and CSR structure): what "the same weights" means. */
function fingerprint(model) {
  const out = {};
  for (const [name, w] of model.namedWeights()) {
    const bytes = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    out[name] = isSparse(w)
      ? crc32(bytes(w.colIdx.data), crc32(bytes(w.rowPtr.data), crc32(bytes(w.values.toArray()))))
      : crc32(bytes(w.toArray()));
  }
  return out;
}

function drop() {
  if (current?.trainer) current.trainer.dispose();
  else current?.model.dispose();
  current = null;
}

/** Pooled density per gate name as the model reports them ({ i, f, g, o } for an LSTM), or null. */
function gates(model) {
  return pooledGateDensity(modelGateStats(model));
}

/** "stacked LSTM, 2 layers × 64, emsize 64", as the CLI describes a model. */
function describe(config) {
  return modelFamily(config.lm.kind).describe(config.lm);
}

function textSample(model, vocab, seed, words = 40) {
  return formatSample(sample(model, vocab, { words, seed }));
}

async function train(o) {
  drop();
  const data = o.corpus === 'builtin' ? { source: 'builtin', maxVocab: o.maxVocab } : { source: 'text', path: userText?.name ?? '', maxVocab: o.maxVocab };
  const corpus = await corpusFor(data);
  if (!corpus) throw new Error('drop a text file on the page first (or choose the built-in corpus)');
  // A family from a module URL trains its first named configuration as declared; otherwise the
  // page's LSTM of the chosen width.
  const model = o.familyUrl ? await modelFromUrl(o.familyUrl) : 'zaremba-small';
  const config = resolveTrainConfig({
    model, lm: o.familyUrl ? {} : { emsize: o.hidden, nhid: o.hidden, nlayers: 2, dropout: 0 }, data,
    method: o.method, density: o.method === 'dense' ? 1 : o.density, updateEvery: o.updateEvery,
    epochs: o.epochs, batchSize: o.batchSize, bptt: o.bptt, seed: o.seed,
  }, corpus.vocab.size);
  await runTrainer({ config, corpus, store: memoryStore(), maxSteps: o.maxSteps || undefined }, o);
}

/** Creates the trainer (new or resumed), streams its progress to the page and runs it. */
async function runTrainer(opts, o) {
  const { corpus } = opts;
  let lastPost = 0;
  const trainer = await Trainer.create({
    ...opts,
    events: {
      onStep: (s) => {
        const t = performance.now();
        if (t - lastPost < 50 && s.batch !== s.batches && s.step !== o.maxSteps) return; // at most ~20 updates a second
        lastPost = t;
        post({ type: 'step', step: s, gates: gates(trainer.model) });
        if (o.sampleEvery > 0 && s.step % o.sampleEvery === 0) post({ type: 'sample', step: s.step, text: textSample(trainer.model, corpus.vocab, s.step) });
      },
      onEpoch: (r) => post({ type: 'epoch', record: r }),
      onEval: (split, done, total) => post({ type: 'eval', split, done, total }),
    },
  });
  current = { trainer, model: trainer.model, vocab: corpus.vocab, config: trainer.config, corpus };
  post({
    type: 'start', gates: gates(trainer.model),
    info: {
      parameters: weightSummaries(trainer.model).reduce((a, w) => a + w.nnz, 0), vocab: corpus.vocab.size, trainTokens: corpus.train.length,
      resumed: opts.resume !== undefined, step: trainer.progress.step, kind: trainer.config.lm.kind, model: describe(trainer.config),
    },
  });
  const result = await trainer.run();
  post({ type: 'sample', step: result.steps, text: textSample(trainer.model, corpus.vocab, result.steps) });
  post({ type: 'done', result: { ...result, history: undefined }, gates: gates(trainer.model) });
}

/** Continues the 'last' checkpoint loaded last (same corpus needed), to its epochs or `maxSteps`. */
async function resume(o) {
  if (!loadedLast) throw new Error('load a last.ckpt (a run saved mid-training) to resume it');
  const { ckpt, corpus } = loadedLast;
  if (!corpus) throw new Error(`the checkpoint was trained on ${ckpt.meta.config.data.path ?? 'another corpus'}: drop that text file on the page first, then load the checkpoint again`);
  drop();
  await runTrainer({ corpus, store: memoryStore(), resume: ckpt, maxSteps: o.maxSteps || undefined }, o);
}

async function load(bytes, name) {
  const ckpt = decodeLMCheckpoint(new Uint8Array(bytes), name);
  const { model, vocab, config } = modelFromCheckpoint(ckpt, name);
  drop();
  current = { model, vocab, config, corpus: null };
  const corpus = await corpusFor(config.data).catch(() => null);
  loadedLast = ckpt.meta.role === 'last' ? { ckpt, corpus: corpus && corpus.vocab.size === vocab.size ? corpus : null } : null;
  let valid = null;
  if (corpus && corpus.vocab.size === vocab.size) {
    current.corpus = corpus;
    const r = await evaluate(model, corpus.valid.subarray(0, 20_000), { batchSize: 10, bptt: config.bptt });
    valid = { loss: r.loss, ppl: r.ppl, tokens: Math.min(20_000, corpus.valid.length) };
  }
  post({
    type: 'loaded', name, role: ckpt.meta.role, summary: ckpt.meta.summary, config, model: describe(config), vocab: vocab.size, valid,
    weights: weightSummaries(model), gates: gates(model), fingerprint: fingerprint(model), sample: textSample(model, vocab, 1),
  });
}

async function save(withEval) {
  if (!current) throw new Error('nothing to save yet: train a model or load a checkpoint');
  const { trainer, model, vocab, config, corpus } = current;
  let bytes;
  if (trainer) bytes = trainer.checkpointBytes();
  else throw new Error('this model was loaded from a file; it is already saved');
  let valid = null;
  if (withEval && corpus) {
    const r = await evaluate(model, corpus.valid.subarray(0, 20_000), { batchSize: 10, bptt: config.bptt });
    valid = { loss: r.loss, ppl: r.ppl, tokens: Math.min(20_000, corpus.valid.length) };
  }
  post({ type: 'checkpoint', bytes: bytes.buffer, fingerprint: fingerprint(model), valid, vocab: vocab.size }, [bytes.buffer]);
}

self.onmessage = async ({ data: m }) => {
  try {
    if (m.type === 'train') await train(m.options);
    else if (m.type === 'resume') await resume(m.options);
    else if (m.type === 'stop') current?.trainer?.requestStop('stopped from the page');
    else if (m.type === 'save') await save(m.evaluate === true);
    else if (m.type === 'load') await load(m.bytes, m.name);
    else if (m.type === 'text') { userText = { name: m.name, text: m.text }; post({ type: 'text', name: m.name, chars: m.text.length }); }
    else if (m.type === 'generate') {
      if (!current) throw new Error('nothing to sample from yet: train a model or load a checkpoint');
      post({ type: 'sample', step: null, text: textSample(current.model, current.vocab, m.seed ?? 1, m.words ?? 40) });
    } else throw new Error(`unknown message ${JSON.stringify(m.type)}`);
  } catch (e) {
    post({ type: 'error', request: m.type, message: String(e?.message ?? e) });
  }
};

// Every core where the page is cross-origin isolated (a worker may block, so the kernel pool can
// run here); one thread otherwise, or when the workers cannot start (the reason says which).
// Results are the same bits for any thread count.
const threads = await setThreads();
const whyNoThreads = threadsUnavailableReason();
post({
  type: 'ready', simd: simdSupported, crossOriginIsolated: self.crossOriginIsolated === true, threads, whyNoThreads,
  hardwareConcurrency: navigator.hardwareConcurrency,
});
