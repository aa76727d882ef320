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
