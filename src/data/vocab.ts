// Vocabulary: word ↔ id. Platform-neutral (no file access).
//
// Ids are given in the order words are first added, exactly like `Dictionary.add_word` in
// pytorch/examples word_language_model and salesforce/awd-lstm-lm `data.py`, so a model trained
// here and one trained there on the same files number their words identically.

/** Tag written into serialised vocabularies, so a checkpoint says what it holds. */
export const VOCABULARY_FORMAT = 'selfish-rnn/vocabulary';
const VOCABULARY_VERSION = 1;

export interface VocabularyJSON {
  format: typeof VOCABULARY_FORMAT;
  version: number;
  /** words[id] is the word with that id. */
  words: string[];
  /** The word unknown words map to, if any (it is also in `words`). */
  unk: string | null;
}

export class Vocabulary {
  private readonly idOf = new Map<string, number>();
  private readonly words: string[] = [];
  private unkWord: string | null = null;

  /** A vocabulary holding `words` in that order (duplicates keep their first id). */
  constructor(words: Iterable<string> = []) {
    for (const w of words) this.add(w);
  }

  /** Number of distinct words. */
  get size(): number {
    return this.words.length;
  }

  /** Adds a word if unseen; returns its id either way. */
  add(word: string): number {
    let id = this.idOf.get(word);
    if (id === undefined) {
      if (typeof word !== 'string') throw new TypeError(`selfish-rnn: vocabulary words must be strings, got ${typeof word}`);
      id = this.words.length;
      this.idOf.set(word, id);
      this.words.push(word);
    }
    return id;
  }

  has(word: string): boolean {
    return this.idOf.has(word);
  }

  /** The id of a word; unknown words give the `<unk>` id if one is set, else an error. */
  id(word: string): number {
    const id = this.idOf.get(word);
    if (id !== undefined) return id;
    if (this.unkWord !== null) return this.idOf.get(this.unkWord)!;
    throw new RangeError(`selfish-rnn: word ${JSON.stringify(word)} is not in the vocabulary (${this.size} words, no unknown-word token set)`);
  }

  /** The word with a given id. */
  word(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.words.length) {
      throw new RangeError(`selfish-rnn: id ${id} is outside the vocabulary [0, ${this.words.length})`);
    }
    return this.words[id]!;
  }

  /** The word unknown words map to (null: unknown words are an error). */
  get unk(): string | null {
    return this.unkWord;
  }

  /** Makes `word` (added if needed) the target of every unknown word. */
  setUnk(word: string): number {
    const id = this.add(word);
    this.unkWord = word;
    return id;
  }

  /** Ids of a list of words. */
  encode(words: readonly string[]): Int32Array {
    const ids = new Int32Array(words.length);
    for (let k = 0; k < words.length; k++) ids[k] = this.id(words[k]!);
    return ids;
  }

  /** Words of a list of ids. */
  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.word(id));
  }

  /** A copy of the word list (index = id). */
  list(): string[] {
    return this.words.slice();
  }

  toJSON(): VocabularyJSON {
    return { format: VOCABULARY_FORMAT, version: VOCABULARY_VERSION, words: this.words.slice(), unk: this.unkWord };
  }

  static fromJSON(json: unknown): Vocabulary {
    const j = json as Partial<VocabularyJSON> | null;
    if (j === null || typeof j !== 'object' || j.format !== VOCABULARY_FORMAT) {
      throw new TypeError(`selfish-rnn: not a serialised vocabulary (expected format '${VOCABULARY_FORMAT}')`);
    }
    if (j.version !== VOCABULARY_VERSION) {
      throw new TypeError(`selfish-rnn: vocabulary format version ${j.version} is not supported (this library reads version ${VOCABULARY_VERSION})`);
    }
    if (!Array.isArray(j.words) || j.words.some((w) => typeof w !== 'string')) {
      throw new TypeError('selfish-rnn: serialised vocabulary needs `words`, an array of strings');
    }
    const v = new Vocabulary(j.words);
    if (v.size !== j.words.length) throw new TypeError('selfish-rnn: serialised vocabulary has duplicate words');
    if (j.unk != null) {
      if (!v.has(j.unk)) throw new TypeError(`selfish-rnn: serialised vocabulary's unk word ${JSON.stringify(j.unk)} is not in its word list`);
      v.setUnk(j.unk);
    }
    return v;
  }
}
