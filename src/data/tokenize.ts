// Tokenisers. Platform-neutral: they operate on strings.
//
// Two rules live here:
//  - `encodeWordLevel`: the word-level benchmark format (Penn Treebank, WikiText), bit-compatible with
//    `Corpus.tokenize` in pytorch/examples word_language_model and awd-lstm-lm: for every line,
//    Python's `line.split() + ['<eos>']`.
//  - `tokenizeText`: a simple tokenizer for arbitrary prose (see its doc comment for the rule).
import type { Vocabulary } from './vocab.js';

export const EOS = '<eos>';
export const UNK = '<unk>';

// Python's str.split() splits on str.isspace() characters, a superset of ASCII whitespace that
// differs from JavaScript's \s (it has \x1c-\x1f and \x85, and lacks \ufeff). Using this exact set
// keeps token counts identical to the reference code on any file.
const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
// One match is either a line end (→ <eos>) or one whitespace-free word.
const WORD_OR_NEWLINE = new RegExp(`\\n|[^${PY_WS}]+`);

/**
 * Python text-mode newlines: files opened in text mode turn '\r\n' and lone '\r' into '\n'
 * ("universal newlines"), so a '\r' never reaches `line.split()`.
 */
export function normalizeNewlines(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** Appends ids to a growable Int32Array without per-token allocation. */
export class IdBuffer {
  private buf: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.buf = new Int32Array(Math.max(16, capacity));
  }
  push(id: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Int32Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = id;
  }
  /** A right-sized copy. */
  toArray(): Int32Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * Word-level benchmark format: every line gives its whitespace-separated words followed by `<eos>`
 * (an empty line gives `<eos>` alone, as in the reference). A last line without a final newline
 * still counts as a line. Unseen words are added to `vocab` in first-seen order; returns the ids.
 */
export function encodeWordLevel(text: string, vocab: Vocabulary): Int32Array {
  text = normalizeNewlines(text);
  const out = new IdBuffer(text.length >>> 2);
  // One pass: a newline match is the <eos> of its line. This also reproduces the reference's id
  // order, where <eos> is added right after the first line's words.
  const re = new RegExp(WORD_OR_NEWLINE.source, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push(vocab.add(m[0] === '\n' ? EOS : m[0]));
  if (text.length > 0 && !text.endsWith('\n')) out.push(vocab.add(EOS));
  return out.toArray();
}

export interface TokenizeOptions {
  /** Lower-case the text first (locale-independent `toLowerCase`). Default true. */
  lowercase?: boolean;
  /**
   * What ends with one `<eos>`: every non-blank `'line'` (default), or every `'paragraph'`
   * (a run of non-blank lines; the newlines inside it are ordinary spaces).
   */
  eosPer?: 'line' | 'paragraph';
}

// A word is a run of letters, digits and combining marks, possibly joined by inner apostrophes
// ("don't", "whale's"); every other visible character is a token of its own ("—", ",", "-", "_").
export const TEXT_TOKEN = /[\p{L}\p{N}\p{M}]+(?:['\u2019][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]/gu;

/**
 * Tokenizer for plain prose. Rule:
 *  1. Unicode NFC normalisation, newlines normalised ('\r\n', '\r' → '\n'), optional lower-casing.
 *  2. The text is cut into units: lines (default) or paragraphs (blocks separated by blank lines).
 *  3. Inside a unit, a token is either a word — letters/digits/marks, with inner apostrophes kept
 *     ("don't") — or one single punctuation or symbol character (hyphens and dashes included, so
 *     "sea-captain" is `sea - captain`). Whitespace separates tokens and is dropped.
 *  4. Units with no token are dropped (blank lines give no `<eos>`); the caller appends one `<eos>`
 *     to each remaining unit.
 * Returns the units, each a list of tokens (without `<eos>`).
 */
export function tokenizeText(text: string, opts: TokenizeOptions = {}): string[][] {
  const eosPer = opts.eosPer ?? 'line';
  if (eosPer !== 'line' && eosPer !== 'paragraph') {
    throw new RangeError(`selfish-rnn: eosPer must be 'line' or 'paragraph', got ${JSON.stringify(eosPer)}`);
  }
  text = normalizeNewlines(text.normalize('NFC'));
  if (opts.lowercase ?? true) text = text.toLowerCase();
  const pieces = eosPer === 'line' ? text.split('\n') : text.split(/\n[^\S\n]*\n/);
  const units: string[][] = [];
  for (const piece of pieces) {
    const tokens = textTokens(piece);
    if (tokens.length > 0) units.push(tokens);
  }
  return units;
}

// The scanner below gives exactly `piece.match(TEXT_TOKEN)`, without its failure: a /u regex's
// `+` over a long run of letters in a two-byte string overflows V8's backtracking stack
// ("Maximum call stack size exceeded" for a 5 MB token). Runs are consumed in bounded pieces.
const WORD_RUN = /[\p{L}\p{N}\p{M}]{1,4096}/uy;
const SPACE_RUN = /\s{1,4096}/uy;
const OTHER_CHAR = /[^\s\p{L}\p{N}\p{M}]/uy;

/** Where the run of letters, digits and marks starting at `i` ends (`i` if there is none). */
function wordRunEnd(s: string, i: number): number {
  for (;;) {
    WORD_RUN.lastIndex = i;
    if (!WORD_RUN.test(s)) return i;
    i = WORD_RUN.lastIndex;
  }
}

/** The tokens of one unit, as TEXT_TOKEN defines them. */
export function textTokens(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    let j = wordRunEnd(s, i);
    if (j > i) {
      // Inner apostrophes join the next run: "don't", "whale's".
      for (;;) {
        const c = s.charCodeAt(j);
        if (c !== 0x27 && c !== 0x2019) break;
        const after = wordRunEnd(s, j + 1);
        if (after === j + 1) break;
        j = after;
      }
      out.push(s.slice(i, j));
      i = j;
      continue;
    }
    SPACE_RUN.lastIndex = i;
    if (SPACE_RUN.test(s)) {
      i = SPACE_RUN.lastIndex;
      continue;
    }
    OTHER_CHAR.lastIndex = i;
    if (!OTHER_CHAR.test(s)) throw new Error('selfish-rnn: internal: the text tokenizer met a character of no class'); // every character is a letter, a space or another
    out.push(s.slice(i, OTHER_CHAR.lastIndex));
    i = OTHER_CHAR.lastIndex;
  }
  return out;
}
