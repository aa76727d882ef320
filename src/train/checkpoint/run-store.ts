// Where a training run keeps its files: checkpoints, the JSON-lines log, the plot. The trainer
// only talks to this interface, so it runs anywhere; ./files.ts stores a run in a directory
// (Node.js, Deno), `memoryStore` keeps it in memory (browsers, tests, library use).

export interface RunStore {
  /** Replaces the file `name` with `bytes`; atomically where the platform allows. */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** The file's bytes, or null if it does not exist. */
  read(name: string): Promise<Uint8Array | null>;
  /** Appends text to the file `name` (created if needed). */
  append(name: string, text: string): Promise<void>;
  /** How to name the file in messages (a path, or 'memory:<name>'). */
  describe(name: string): string;
}

/** File names inside a run. */
export const RUN_FILES = {
  last: 'last.ckpt',
  best: 'best.ckpt',
  log: 'log.jsonl',
  plot: 'plot.svg',
} as const;

/** A run kept in memory. */
export function memoryStore(): RunStore & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  const utf8 = new TextEncoder();
  return {
    files,
    async write(name, bytes) { files.set(name, bytes.slice()); },
    async read(name) { return files.get(name)?.slice() ?? null; },
    async append(name, text) {
      const old = files.get(name) ?? new Uint8Array(0), add = utf8.encode(text);
      const out = new Uint8Array(old.length + add.length);
      out.set(old);
      out.set(add, old.length);
      files.set(name, out);
    },
    describe: (name) => `memory:${name}`,
  };
}

/**
 * Cuts the run's log back to `step`: drops every entry of a later step (written after the
 * checkpoint being resumed, so about to be written again) and any torn last line a kill left.
 * Entries without a step are kept. Returns how many lines were dropped; rewrites the file only
 * when there is something to drop.
 */
export async function truncateRunLog(store: RunStore, step: number): Promise<number> {
  const bytes = await store.read(RUN_FILES.log);
  if (bytes === null) return 0;
  const lines = new TextDecoder().decode(bytes).split('\n').filter((l) => l !== '');
  const kept = lines.filter((line) => {
    try {
      const e = JSON.parse(line) as { step?: unknown };
      return !(typeof e.step === 'number' && e.step > step);
    } catch {
      return false;
    }
  });
  if (kept.length === lines.length && (bytes.length === 0 || bytes[bytes.length - 1] === 10)) return 0;
  await store.write(RUN_FILES.log, new TextEncoder().encode(kept.map((l) => l + '\n').join('')));
  return lines.length - kept.length;
}

/**
 * A run resumed into another store (`train --resume OLD --save NEW`) takes its best model and its
 * log (up to the resumed step) along, so NEW holds the whole run: the final evaluation and the
 * sample use the best model so far even if no better one is found after the resume. Files NEW
 * already has are left alone. Returns the names copied.
 */
export async function carryOverRun(from: RunStore, to: RunStore, step: number): Promise<string[]> {
  const copied: string[] = [];
  for (const name of [RUN_FILES.best, RUN_FILES.log]) {
    if ((await to.read(name)) !== null) continue;
    const bytes = await from.read(name);
    if (bytes === null) continue;
    await to.write(name, bytes);
    copied.push(name);
  }
  if (copied.includes(RUN_FILES.log)) await truncateRunLog(to, step);
  return copied;
}
