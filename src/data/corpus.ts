// Corpora from strings. Platform-neutral: reading files is the job of `./load.ts` (Node/Deno only);
// in a browser, fetch the text yourself and pass it here.
import { Vocabulary } from './vocab.js';
import { EOS, UNK, encodeWordLevel, tokenizeText, type TokenizeOptions } from './tokenize.js';

export type Split = 'train' | 'valid' | 'test';
export const SPLITS: readonly Split[] = ['train', 'valid', 'test'];

/** A language-modelling corpus: one id stream per split, all numbered by one vocabulary. */
export interface Corpus {
  vocab: Vocabulary;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

/**
 * The word-level benchmark format (Penn Treebank, WikiText) from the three files' texts. Tokens and
 * ids are exactly those of pytorch/examples word_language_model and awd-lstm-lm `data.py`: the
 * vocabulary grows in first-seen order over train, then valid, then test; every line is
 * `line.split() + ['<eos>']`. `sources` names the texts in error messages (e.g. file paths).
 */
export function buildWordCorpus(texts: Record<Split, string>, sources: Partial<Record<Split, string>> = {}): Corpus {
  const vocab = new Vocabulary();
  const ids = {} as Record<Split, Int32Array>;
  for (const split of SPLITS) {
    const text = texts[split];
    const name = sources[split] ?? `the ${split} text`;
    if (typeof text !== 'string') throw new TypeError(`selfish-rnn: ${split} text must be a string, got ${typeof text}`);
    if (text.length === 0) throw new RangeError(`selfish-rnn: ${name} is empty; a corpus split needs at least one line`);
    ids[split] = encodeWordLevel(text, vocab);
  }
  // Benchmark files already contain <unk>; make it the fallback for words typed by a user later.
  if (vocab.has(UNK)) vocab.setUnk(UNK);
  return { vocab, ...ids };
}

export interface TextCorpusOptions extends TokenizeOptions {
  /**
   * Vocabulary cap, `<unk>` and `<eos>` included: the `maxVocab − 2` most frequent training words
   * are kept (ties: the word seen first in the training text wins); every other word is `<unk>`.
   * Default: no cap (all training words).
   */
  maxVocab?: number;
  /** Fractions of the tokens for train, valid and test. Default [0.9, 0.05, 0.05]. */
  split?: readonly [number, number, number];
}

/** A text corpus, plus what was done to it. */
export interface TextCorpus extends Corpus {
  stats: {
    /** Units (lines or paragraphs, each ending with one `<eos>`) per split. */
    units: Record<Split, number>;
    /** Tokens mapped to `<unk>` per split. */
    unkTokens: Record<Split, number>;
    /** Distinct words in the training split, before the cap. */
    trainWords: number;
  };
}

/**
 * A corpus from plain prose (one or more documents, concatenated in the given order).
 *
 * - Tokens: `tokenizeText` (see there), one `<eos>` after each line or paragraph.
 * - Splits: contiguous. The units (lines/paragraphs) stay in order and are cut twice, at the first
 *   unit boundaries where the running token count reaches train and train+valid of the total, so
 *   no line is shared between splits and no split sees text from between the others'.
 * - Vocabulary: built from the training split only (so validation and test words unseen in
 *   training are honest `<unk>`s): id 0 is `<unk>`, id 1 is `<eos>`, then words by decreasing
 *   training frequency, ties broken by first occurrence in the training text.
 */
export function buildTextCorpus(documents: string | readonly string[], opts: TextCorpusOptions = {}): TextCorpus {
  const docs = typeof documents === 'string' ? [documents] : documents;
  if (!Array.isArray(docs) || docs.some((d) => typeof d !== 'string')) {
    throw new TypeError('selfish-rnn: buildTextCorpus needs a string or an array of strings');
  }
  const { maxVocab, fractions } = textCorpusSettings(opts);

  const units: string[][] = [];
  for (const doc of docs) for (const u of tokenizeText(doc, opts)) units.push(u);
  if (units.length === 0) throw new RangeError('selfish-rnn: the text has no tokens (empty or whitespace only)');

  const [cut1, cut2] = splitPoints(units.map((u) => u.length), fractions);
  const parts: Record<Split, string[][]> = {
    train: units.slice(0, cut1),
    valid: units.slice(cut1, cut2),
    test: units.slice(cut2),
  };

  const vocab = trainVocabulary(parts.train, maxVocab);
  const unkId = vocab.id(UNK);
  const eosId = vocab.id(EOS);
  const ids = {} as Record<Split, Int32Array>;
  const unkTokens = { train: 0, valid: 0, test: 0 };
  for (const split of SPLITS) {
    let n = 0;
    for (const u of parts[split]) n += u.length + 1;
    const out = new Int32Array(n);
    let k = 0;
    for (const u of parts[split]) {
      for (const w of u) {
        const id = vocab.id(w);
        if (id === unkId) unkTokens[split]++;
        out[k++] = id;
      }
      out[k++] = eosId;
    }
    ids[split] = out;
  }
  const trainWords = new Set(parts.train.flat()).size;
  return {
    vocab,
    ...ids,
    stats: { units: { train: parts.train.length, valid: parts.valid.length, test: parts.test.length }, unkTokens, trainWords },
  };
}

/** maxVocab and split fractions of TextCorpusOptions, checked (shared with the streaming builder). */
export function textCorpusSettings(opts: TextCorpusOptions): { maxVocab: number; fractions: readonly [number, number, number] } {
  const maxVocab = opts.maxVocab ?? Infinity;
  if (!(maxVocab >= 3) || (maxVocab !== Infinity && !Number.isInteger(maxVocab))) {
    throw new RangeError(`selfish-rnn: maxVocab must be an integer ≥ 3 (<unk>, <eos> and one word) or Infinity, got ${maxVocab}`);
  }
  const fractions = opts.split ?? [0.9, 0.05, 0.05];
  if (fractions.length !== 3 || fractions.some((f) => !(f >= 0)) || Math.abs(fractions[0] + fractions[1] + fractions[2] - 1) > 1e-9) {
    throw new RangeError(`selfish-rnn: split must be three non-negative fractions summing to 1, got [${fractions.join(', ')}]`);
  }
  return { maxVocab, fractions };
}

/** Unit indices [cut1, cut2) from the units' token counts: train = [0, cut1), valid = [cut1, cut2), test = [cut2, n). */
export function splitPoints(unitLengths: ArrayLike<number>, fractions: readonly [number, number, number]): [number, number] {
  const n = unitLengths.length;
  let total = 0;
  for (let k = 0; k < n; k++) total += unitLengths[k]! + 1;
  const target1 = fractions[0] * total;
  const target2 = (fractions[0] + fractions[1]) * total;
  let cut1 = n, cut2 = n;
  let seen = 0;
  for (let k = 0; k < n; k++) {
    if (cut1 === n && seen >= target1) cut1 = k;
    if (seen >= target2) {
      cut2 = k;
      break;
    }
    seen += unitLengths[k]! + 1;
  }
  // A split with a non-zero share gets at least one unit, if there are enough units.
  const [a, b, c] = fractions.map((f) => (f > 0 ? 1 : 0)) as [number, number, number];
  if (n < a + b + c) {
    throw new RangeError(`selfish-rnn: the text has ${n} line(s)/paragraph(s) with tokens, too few for ${a + b + c} non-empty splits`);
  }
  cut1 = Math.min(Math.max(cut1, a), n - c - b);
  cut2 = Math.min(Math.max(cut2, cut1 + b), n - c);
  return [cut1, cut2];
}

function trainVocabulary(train: string[][], maxVocab: number): Vocabulary {
  const counts = new Map<string, number>();
  for (const u of train) for (const w of u) counts.set(w, (counts.get(w) ?? 0) + 1);
  return vocabularyFromCounts(counts, maxVocab);
}

/**
 * The text-corpus vocabulary from training word counts in first-occurrence order (Map iteration
 * order is insertion order, so a stable sort by count breaks ties by first occurrence).
 */
export function vocabularyFromCounts(counts: Map<string, number>, maxVocab: number): Vocabulary {
  counts.delete(UNK);
  counts.delete(EOS);
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const keep = Math.min(ranked.length, maxVocab - 2);
  const vocab = new Vocabulary();
  vocab.setUnk(UNK);
  vocab.add(EOS);
  for (let k = 0; k < keep; k++) vocab.add(ranked[k]![0]);
  return vocab;
}
