// Fuzz target: corpus readers (loadTextCorpus on a file, loadWordCorpus on a PTB-layout
// directory). Inputs: damaged text (bytes flipped, cut, spliced), binary garbage, invalid UTF-8,
// UTF-16, NULs, empty and one-word splits. Contract: a corpus whose ids all lie in its
// vocabulary, or a refusal whose message starts with "selfish-rnn:" (no internal TypeError or
// RangeError); no hang, leak or later effect (../harness.ts); the same verdict from a twin thread
// with a fresh, poisoned heap.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, type Corpus } from '../../../src/index.js';
import { defaultCorpusDocumentsSync, loadTextCorpus, loadWordCorpus } from '../../../src/node.js';
import { Campaign, mutateBytes, Twin } from '../harness.js';
import type { FuzzTarget } from '../types.js';

function corpusProblem(c: Corpus): string | null {
  const n = c.vocab.size;
  for (const split of ['train', 'valid', 'test'] as const) {
    const ids = c[split];
    if (!(ids instanceof Int32Array)) return `${split} is not an Int32Array`;
    for (let i = 0; i < ids.length; i++) if (!(ids[i]! >= 0 && ids[i]! < n)) return `${split}[${i}] = ${ids[i]} outside the ${n}-word vocabulary`;
  }
  return null;
}

/** Refusals must be the library's own messages (internal errors have no prefix) and name the path. */
function refusalProblem(e: unknown, path: string): string | null {
  if (e instanceof WebAssembly.RuntimeError) return `wasm trap: ${e.message}`;
  if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
  if (!e.message.startsWith('selfish-rnn: ')) return `${e.name} without the selfish-rnn prefix (internal?): ${e.message.split('\n')[0]}`;
  if (!e.message.includes(path)) return `message does not name the corpus: ${e.message.split('\n')[0]}`;
  return null;
}

export type CorpusInput = { kind: 'text'; path: string; maxVocab: number } | { kind: 'word'; path: string };

/** Loads the corpus; an inconsistent one is an error. Returns a fingerprint: vocabulary and ids. */
export function judge(input: CorpusInput): string {
  const c = input.kind === 'text' ? loadTextCorpus(input.path, { maxVocab: input.maxVocab }) : loadWordCorpus(input.path);
  const p = corpusProblem(c);
  if (p !== null) throw new Error(`accepted an inconsistent corpus: ${p}`);
  let h = 0x811c9dc5;
  for (const split of ['train', 'valid', 'test'] as const) for (const id of c[split]) h = Math.imul(h ^ id, 0x01000193) >>> 0;
  return `${c.vocab.size} words; ${c.train.length}/${c.valid.length}/${c.test.length} tokens; ids ${h.toString(16)}; ${c.vocab.list().slice(0, 50).join(' ')}`;
}

export const target: FuzzTarget = {
  name: 'corpus',
  async run(iterations, seed) {
    const rng = new Random(seed);
    const campaign = new Campaign('corpus', rng);
    const twin = new Twin(import.meta.url);
    const dir = mkdtempSync(join(tmpdir(), 'selfish-rnn-fuzz-corpus-'));
    const sample = new TextEncoder().encode(defaultCorpusDocumentsSync()[0]!.slice(0, 6000));
    const utf16 = (s: Uint8Array) => { const t = new TextDecoder().decode(s); const b = new Uint8Array(2 + 2 * t.length); b[0] = 0xff; b[1] = 0xfe; for (let i = 0; i < t.length; i++) { b[2 + 2 * i] = t.charCodeAt(i) & 0xff; b[3 + 2 * i] = t.charCodeAt(i) >> 8; } return b; };
    const make = (): { bytes: Uint8Array; what: string } => {
      const r = rng.int(10);
      if (r === 0) return { bytes: utf16(sample.subarray(0, 1 + rng.int(sample.length))), what: 'UTF-16' };
      if (r === 1) return { bytes: new Uint8Array(rng.int(4)), what: 'a few NULs' };
      if (r === 2) return { bytes: new TextEncoder().encode(['x', '\n', ' ', 'a b', '<eos>', '<unk>', '\n\n\n'][rng.int(7)]!), what: 'tiny text' };
      if (r === 3) return { bytes: Uint8Array.from({ length: rng.int(3000) }, () => rng.int(256)), what: 'binary' };
      const m = mutateBytes(sample, rng);
      return { bytes: m.bytes, what: `text, ${m.what}` };
    };
    try {
      for (let i = 0; i < iterations; i++) {
        if (rng.uniform() < 0.5) {
          const { bytes, what } = make();
          const file = join(dir, `${i}.txt`);
          writeFileSync(file, bytes);
          const input: CorpusInput = { kind: 'text', path: file, maxVocab: 1 + rng.int(500) };
          await campaign.check(`#${i} text file: ${what}`, () => judge(input), (e) => refusalProblem(e, file), twin.judge(input));
          rmSync(file, { force: true });
        } else {
          const sub = join(dir, `ptb-${i}`);
          mkdirSync(sub);
          const whats: string[] = [];
          for (const split of ['train', 'valid', 'test']) {
            if (rng.uniform() < 0.05) { whats.push(`${split} missing`); continue; }
            const { bytes, what } = make();
            writeFileSync(join(sub, `${split}.txt`), bytes);
            whats.push(`${split}: ${what}`);
          }
          const input: CorpusInput = { kind: 'word', path: sub };
          await campaign.check(`#${i} PTB directory: ${whats.join('; ')}`, () => judge(input), (e) => refusalProblem(e, sub), twin.judge(input));
          rmSync(sub, { recursive: true, force: true });
        }
      }
    } finally {
      await twin.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return campaign.report;
  },
};
