// Sampling text from a language model (pytorch/examples generate.py): feed one token at a time,
// carry the hidden state, draw the next word from softmax(log p / temperature).
import { noGrad } from '../autograd/engine.js';
import type { Vocabulary } from '../data/vocab.js';
import { EOS } from '../data/tokenize.js';
import { keepState, type LanguageModel, type LMState } from '../models/index.js';
import { Random } from '../random.js';
import { IntTensor, tidy } from '../tensor.js';
import { disposeState } from './evaluate.js';

export interface GenerateOptions {
  /** Number of words to draw. */
  words: number;
  /** Softmax temperature (> 0): lower is more conservative. Default 1. */
  temperature?: number;
  /** Generator of the draws (default: a Random seeded with `seed`, default 0). */
  rng?: Random;
  seed?: number;
  /** Text to condition on (words split on whitespace; unknown words map to <unk>). Default: <eos>. */
  prompt?: string;
}

/** Draws `words` words; returns them as a list (`<eos>` included as a word). */
export function sample(model: LanguageModel, vocab: Vocabulary, opts: GenerateOptions): string[] {
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`selfish-rnn: temperature must be a finite number > 0, got ${temperature}`);
  if (!(Number.isInteger(opts.words) && opts.words >= 0)) throw new RangeError(`selfish-rnn: words must be an integer ≥ 0, got ${opts.words}`);
  const rng = opts.rng ?? new Random(opts.seed ?? 0);
  const promptWords = (opts.prompt ?? '').split(/\s+/).filter((w) => w !== '');
  const start = promptWords.length > 0 ? Array.from(vocab.encode(promptWords)) : [vocab.has(EOS) ? vocab.id(EOS) : rng.int(vocab.size)];
  const wasTraining = model.training;
  model.eval();
  let state: LMState = model.initState(1);
  const out: string[] = [];
  try {
    let next: number;
    const feed = (id: number): Float32Array => {
      const r = tidy(() => noGrad(() => {
        const lp = model.logProbs(new IntTensor([id], [1, 1]), state);
        return { probs: lp.logProbs.toArray(), state: lp.state };
      }));
      disposeState(state);
      state = keepState(r.state);
      return r.probs;
    };
    let logp: Float32Array = new Float32Array(0);
    for (const id of start) logp = feed(id);
    for (let k = 0; k < opts.words; k++) {
      next = draw(logp, temperature, rng);
      out.push(vocab.word(next));
      if (k + 1 < opts.words) logp = feed(next);
    }
  } finally {
    disposeState(state);
    model.train(wasTraining);
  }
  return out;
}

/** Words joined by spaces, with a line break for every <eos>. */
export function formatSample(words: readonly string[]): string {
  return words.map((w) => (w === EOS ? '\n' : w)).join(' ').replace(/ ?\n ?/g, '\n').trim();
}

/** One index drawn from softmax(logp / T), by inverse CDF with one uniform. */
function draw(logp: Float32Array, T: number, rng: Random): number {
  let m = -Infinity;
  for (let i = 0; i < logp.length; i++) if (logp[i]! > m) m = logp[i]!;
  const w = new Float64Array(logp.length);
  let sum = 0;
  for (let i = 0; i < logp.length; i++) sum += w[i] = Math.exp((logp[i]! - m) / T);
  let u = rng.uniform() * sum;
  for (let i = 0; i < w.length; i++) {
    u -= w[i]!;
    if (u < 0) return i;
  }
  return w.length - 1;
}
