// buildTextCorpus for text too large to hold as tokens (or even as one string): the same corpus,
// built from the text given as pieces that each end at a line break, read three times (unit
// lengths → split points; training word counts → vocabulary; ids), holding one piece at a time.
import { SPLITS, splitPoints, textCorpusSettings, vocabularyFromCounts, type Split, type TextCorpus, type TextCorpusOptions } from './corpus.js';
import { EOS, IdBuffer, UNK, tokenizeText } from './tokenize.js';

/**
 * Exactly `buildTextCorpus(documents)` where `pieces()` yields the documents cut at line breaks
 * (each call starts over). Lines are the units (`eosPer: 'line'`): a paragraph could straddle two
 * pieces.
 */
export function buildTextCorpusFromPieces(pieces: () => Iterable<string>, opts: TextCorpusOptions = {}): TextCorpus {
  if ((opts.eosPer ?? 'line') !== 'line') throw new RangeError("selfish-rnn: a text corpus read in pieces has one <eos> per line (eosPer 'line')");
  const { maxVocab, fractions } = textCorpusSettings(opts);
  const lengths = new IdBuffer();
  for (const piece of pieces()) for (const u of tokenizeText(piece, opts)) lengths.push(u.length);
  const unitLengths = lengths.toArray();
  if (unitLengths.length === 0) throw new RangeError('selfish-rnn: the text has no tokens (empty or whitespace only)');
  const [cut1, cut2] = splitPoints(unitLengths, fractions);

  const counts = new Map<string, number>();
  let unit = 0;
  counting: for (const piece of pieces()) {
    for (const u of tokenizeText(piece, opts)) {
      if (unit++ >= cut1) break counting;
      for (const w of u) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  const trainWords = counts.size;
  const vocab = vocabularyFromCounts(counts, maxVocab);

  const bounds: Record<Split, [number, number]> = { train: [0, cut1], valid: [cut1, cut2], test: [cut2, unitLengths.length] };
  const ids = {} as Record<Split, Int32Array>;
  const fill = { train: 0, valid: 0, test: 0 };
  const unkTokens = { train: 0, valid: 0, test: 0 };
  for (const split of SPLITS) {
    let n = 0;
    for (let k = bounds[split][0]; k < bounds[split][1]; k++) n += unitLengths[k]! + 1;
    ids[split] = new Int32Array(n);
  }
  const unkId = vocab.id(UNK), eosId = vocab.id(EOS);
  unit = 0;
  for (const piece of pieces()) {
    for (const u of tokenizeText(piece, opts)) {
      const split: Split = unit < cut1 ? 'train' : unit < cut2 ? 'valid' : 'test';
      const out = ids[split];
      for (const w of u) {
        const id = vocab.id(w);
        if (id === unkId) unkTokens[split]++;
        out[fill[split]++] = id;
      }
      out[fill[split]++] = eosId;
      unit++;
    }
  }
  return {
    vocab, ...ids,
    stats: { units: { train: cut1, valid: cut2 - cut1, test: unitLengths.length - cut2 }, unkTokens, trainWords },
  };
}
