// Shared machinery of the fuzz targets: byte mutations, the per-input contract check (accepted,
// or refused with a clear error naming the file; no internal error, trap, hang, leak, or effect
// on later work), a canary that proves the process is still sound, and the twin: a second judge
// in a fresh thread with a poisoned heap, whose verdict on every input must equal the campaign's.
import { Worker } from 'node:worker_threads';
import { globalRandom, memoryStats, Random, tensor } from '../../src/index.js';
import type { FuzzReport } from './types.js';

/** An input that took longer than this to accept or refuse counts as a hang. */
export const HANG_SECONDS = 10;

export type Outcome = { accepted: true; result: string } | { accepted: false; error: unknown };

/** What a judge says of one input: accepted with a fingerprint of the result, or refused with the error's class and message. */
export type Verdict = { accepted: true; result: string } | { accepted: false; error: string };

/** A thrown value as a verdict reads it (the same refusal gives the same text). */
export function refusalText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : `non-Error: ${String(e)}`;
}

/** How two verdicts on the same bytes differ, or null when they agree. */
export function verdictDifference(here: Verdict, there: Verdict): string | null {
  if (here.accepted && there.accepted) return here.result === there.result ? null : `accepted both times with different results (${here.result.slice(0, 200)} / ${there.result.slice(0, 200)})`;
  if (!here.accepted && !there.accepted) return here.error === there.error ? null : `refused both times with different errors (${here.error.slice(0, 200)} / ${there.error.slice(0, 200)})`;
  return here.accepted ? `accepted here, refused by the fresh twin (${(there as { error: string }).error.slice(0, 300)})` : `refused here (${here.error.slice(0, 300)}), accepted by the fresh twin`;
}

/** How long the twin may take on one input before it counts as hung. */
const TWIN_SECONDS = 120;

/**
 * The second judge of every input: a worker thread (its own WebAssembly instance, heap and
 * history, none of the campaign's) that imports the target module and calls its `judge(input)`
 * with every allocation poisoned (setHeapPoison(0xff): memory read before it is written holds NaN
 * / -1 there, whatever it held in the campaign's process). Restarted every `freshEvery` inputs, so
 * inputs also meet a fresh state. A verdict that differs from the campaign's depends on more than
 * the bytes: uninitialised memory, heap state left by earlier inputs, time or scheduling.
 */
export class Twin {
  private worker: Worker | null = null;
  private judged = 0;
  private seq = 0;

  constructor(private readonly moduleUrl: string, private readonly freshEvery = 100) {}

  judge(input: unknown): Promise<Verdict> {
    if (this.worker === null || this.judged >= this.freshEvery) {
      void this.worker?.terminate();
      this.worker = new Worker(new URL('./twin-worker.js', import.meta.url), { workerData: { moduleUrl: this.moduleUrl } });
      this.judged = 0;
    }
    this.judged++;
    const id = ++this.seq, w = this.worker;
    return new Promise<Verdict>((resolve) => {
      const done = (v: Verdict, broken = false) => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        if (broken && this.worker === w) { void w.terminate(); this.worker = null; }
        resolve(v);
      };
      const onMessage = (m: { id: number; verdict: Verdict }) => { if (m.id === id) done(m.verdict); };
      const onError = (e: Error) => done({ accepted: false, error: `the twin thread failed: ${e.message}` }, true);
      const onExit = (code: number) => done({ accepted: false, error: `the twin thread exited (${code})` }, true);
      const timer = setTimeout(() => done({ accepted: false, error: `the twin gave no verdict within ${TWIN_SECONDS} s` }, true), TWIN_SECONDS * 1000);
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage({ id, input, global: globalRandom.getState() });
    });
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }
}

export class Campaign {
  readonly report: FuzzReport;
  private readonly maxFailures = 50;

  constructor(name: string, readonly rng: Random) {
    this.report = { name, iterations: 0, accepted: 0, refused: 0, failures: [] };
  }

  fail(what: string, why: string): void {
    if (this.report.failures.length < this.maxFailures) this.report.failures.push(`${what}: ${why}`);
  }

  /**
   * Runs one input. `attempt` loads (and, when it loads, uses) the input; `isClearRefusal` says
   * whether a thrown error is an acceptable refusal. Checks time, leaked heap bytes and (for a
   * refused input) that the global generator is as it was.
   */
  async check(what: string, attempt: () => Promise<string | void> | string | void, isClearRefusal: (e: unknown) => string | null, twin?: Promise<Verdict>): Promise<void> {
    this.report.iterations++;
    const live = memoryStats().liveBytes;
    const rngBefore = JSON.stringify(globalRandom.getState());
    const t0 = Date.now();
    let outcome: Outcome;
    try {
      outcome = { accepted: true, result: String((await attempt()) ?? '') };
    } catch (e) {
      outcome = { accepted: false, error: e };
    }
    const seconds = (Date.now() - t0) / 1000;
    if (seconds > HANG_SECONDS) this.fail(what, `took ${seconds.toFixed(1)} s (a hang)`);
    if (outcome.accepted) this.report.accepted++;
    else {
      const problem = isClearRefusal(outcome.error);
      if (problem === null) this.report.refused++;
      else this.fail(what, problem);
    }
    const leaked = memoryStats().liveBytes - live;
    if (leaked !== 0) this.fail(what, `${leaked} live heap bytes left behind (${outcome.accepted ? 'accepted' : 'refused'})`);
    if (!outcome.accepted && JSON.stringify(globalRandom.getState()) !== rngBefore) this.fail(what, 'changed the global random generator although it was refused');
    // An accepted resume sets the global generator on purpose (bit-identical resume); put it back
    // so every input is tried from the same state.
    globalRandom.setState(JSON.parse(rngBefore));
    if (twin !== undefined) {
      const here: Verdict = outcome.accepted ? outcome : { accepted: false, error: refusalText(outcome.error) };
      const diff = verdictDifference(here, await twin);
      if (diff !== null) this.fail(what, `the verdict depends on more than the bytes: ${diff}`);
    }
  }
}

/** Why `e` is not a clear refusal of `source` of the given class, or null when it is one. */
export function refusalProblem(e: unknown, source: string, expected: Function[]): string | null {
  if (e instanceof WebAssembly.RuntimeError) return `wasm trap: ${e.message}`;
  if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
  const first = e.message.split('\n')[0];
  if (!expected.some((c) => e instanceof c)) return `${e.name} instead of ${expected.map((c) => c.name).join('/')}: ${first}`;
  if (!e.message.startsWith('selfish-rnn: ')) return `message without the selfish-rnn prefix: ${first}`;
  if (!e.message.includes(source)) return `message does not name the file: ${first}`;
  return null;
}

/** The heap still hands out distinct blocks that keep their values (the [200, 1e308] failure). */
export function canaryProblem(): string | null {
  const a = tensor([1, 2, 3]), b = tensor([4, 5, 6]);
  try {
    const ok = a.ptr !== b.ptr && a.data.join() === '1,2,3' && b.data.join() === '4,5,6';
    return ok ? null : `heap damaged: a = [${a.data.join()}], b = [${b.data.join()}]`;
  } finally {
    a.dispose();
    b.dispose();
  }
}

// ---- byte mutations ---------------------------------------------------------------------------

const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 16, 32];

/** One random damage of `src` (a copy), and a short description of it. */
export function mutateBytes(src: Uint8Array, rng: Random): { bytes: Uint8Array; what: string } {
  const n = src.length;
  const at = () => rng.int(Math.max(1, n));
  switch (rng.int(10)) {
    case 0: {
      const b = src.slice(), k = 1 + rng.int(8), where: number[] = [];
      for (let j = 0; j < k; j++) { const i = at(); b[i] ^= 1 << rng.int(8); where.push(i); }
      return { bytes: b, what: `${k} bit flip(s) at ${where.slice(0, 3).join(',')}` };
    }
    case 1: {
      const b = src.slice(), i = at();
      b[i] = [0, 0xff, 0x7f, 0x80, 0x20, 0x22, 0x7b, 0x5b][rng.int(8)]!;
      return { bytes: b, what: `byte ${i} set to ${b[i]}` };
    }
    case 2: {
      const cut = rng.int(n + 1);
      return { bytes: src.slice(0, cut), what: `truncated to ${cut} bytes` };
    }
    case 3: {
      const extra = Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256));
      const b = new Uint8Array(n + extra.length);
      b.set(src);
      b.set(extra, n);
      return { bytes: b, what: `${extra.length} garbage bytes appended` };
    }
    case 4: {
      const b = src.slice(), i = Math.min(at(), Math.max(0, n - 4)) & ~3;
      const v = INTERESTING_U32[rng.int(INTERESTING_U32.length)]!;
      if (n >= 4) new DataView(b.buffer).setUint32(i, v, true);
      return { bytes: b, what: `u32 at ${i} set to ${v}` };
    }
    case 5: {
      const i = at(), len = 1 + rng.int(Math.min(256, Math.max(1, n - i)));
      const b = new Uint8Array(n - Math.min(len, n - i));
      b.set(src.subarray(0, i));
      b.set(src.subarray(i + len), i);
      return { bytes: b, what: `${len} bytes removed at ${i}` };
    }
    case 6: {
      const i = at(), len = 1 + rng.int(64), chunk = src.slice(i, i + len);
      const b = new Uint8Array(n + chunk.length);
      b.set(src.subarray(0, i));
      b.set(chunk, i);
      b.set(src.subarray(i), i + chunk.length);
      return { bytes: b, what: `${chunk.length} bytes duplicated at ${i}` };
    }
    case 7: {
      const b = src.slice(), i = at(), len = 1 + rng.int(32);
      for (let j = i; j < Math.min(n, i + len); j++) b[j] = rng.int(256);
      return { bytes: b, what: `${len} random bytes at ${i}` };
    }
    case 8: {
      const len = rng.int(300);
      return { bytes: Uint8Array.from({ length: len }, () => rng.int(256)), what: `${len} random bytes` };
    }
    default: {
      const b = src.slice(), i = Math.min(at(), Math.max(0, n - 8));
      if (n >= 8) new DataView(b.buffer).setBigUint64(i, BigInt(rng.int(2 ** 31)) * BigInt(rng.int(2 ** 31) + 1), true);
      return { bytes: b, what: `u64 at ${i} set to a large value` };
    }
  }
}

/** A random JSON value, biased towards values that break naive code. */
export function nastyValue(rng: Random): unknown {
  const pick = [
    0, -1, 1, 1e308, -1e308, 2 ** 31, 2 ** 32, 2 ** 53, 429496729600, 0.5, 1e-300, 3, 7,
    '', 'x', '1', '__proto__', null, true, false, [], [1, 2], {}, { a: 1 }, [null], ['a'], -0,
  ];
  return pick[rng.int(pick.length)];
}
