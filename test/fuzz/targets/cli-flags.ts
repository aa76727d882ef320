// Fuzz target: the command line's numeric flags. Each iteration runs `selfish-rnn` as users do (a
// separate process) with one to three flags set to hostile values (NaN, ±Infinity, 1e308, huge
// integers, negative, fractional, hex, empty, …) on top of a tiny, fast run, written as
// `--flag value` or `--flag=value`, sometimes with a flag given twice (the later value often 1),
// which must always be refused.
// Contract: the command works (exit 0; for training, a run that stops as a reported divergence also
// counts as working), or it refuses with exit 2 and a plain `selfish-rnn: …` message. A crash
// (signal, exit 1 or 134), a hang (no exit within the time limit) or internal error text
// (TypeError, RangeError, a stack trace, an errno code) is a failure.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCorpusDocumentsSync } from '../../../src/node.js';
import type { FuzzReport } from '../types.js';
import { modelFieldFlags, trainFieldFlags } from '../../../src/cli/config-flags.js';
import { modelFamily } from '../../../src/models/index.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
/** Time one process may take before it counts as a hang. */
const TIME_LIMIT_MS = 150_000; // a model just under the memory estimate may take a minute to run out of memory on a loaded machine

const HOSTILE = [
  '0', '-0', '-1', '1', '2', '3', '0.5', '1.5', '1e-9', '5e-324', '1e308', '-1e308', '1e20', 'NaN', 'Infinity', '-Infinity',
  '2147483647', '2147483648', '4294967296', '9007199254740993', '100000000', '2000000', '0x10', '1e3', 'abc', '', ' 7 ', '--',
  '-5', '-0.5', '-1e-3', '.5', '-.5', '+3', '1_000',
];

/**
 * Numeric flags per command, and the tiny run each starts from. Train's come from the declarations
 * (every numeric training option and field of the default model's family) plus the run's own.
 */
const TRAIN_FLAGS: string[] = [
  'max-vocab', 'max-steps', 'log-interval',
  ...trainFieldFlags().filter(([, spec]) => spec.type === 'number').map(([flag]) => flag),
  ...modelFieldFlags().filter(([, spec, key]) => spec.type === 'number' && Object.hasOwn(modelFamily('stacked').fields, key)).map(([flag]) => flag),
];
const GENERATE_FLAGS = ['words', 'temperature', 'seed'];
const EVAL_FLAGS = ['batch-size', 'bptt'];

/** A small seeded generator (mulberry32): the same seed gives the same campaign. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function runCli(args: string[]): Promise<{ code: number | null; signal: string | null; err: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let err = '';
    child.stderr.on('data', (d) => { if (err.length < 20_000) err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIME_LIMIT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, err, ms: Date.now() - t0 });
    });
  });
}

const INTERNAL = /TypeError|RangeError|ReferenceError|SyntaxError|Cannot read propert|is not (a function|iterable)|Invalid (array|typed array|string) length|out of wasm memory|unreachable|\bE[A-Z]{3,}\b|\n\s+at .*:\d+:\d+/;

export const target = {
  name: 'cli-flags',
  async run(iterations: number, seed: number): Promise<FuzzReport> {
    const report: FuzzReport = { name: 'cli-flags', iterations: 0, accepted: 0, refused: 0, failures: [] };
    const random = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const value = (): string => {
      const r = random();
      if (r < 0.7) return pick(HOSTILE);
      if (r < 0.85) return String(Math.floor(random() * 200));
      return (random() * 4 - 1).toPrecision(3);
    };
    const dir = mkdtempSync(join(tmpdir(), 'selfish-rnn-fuzz-cli-'));
    try {
      const corpus = join(dir, 'corpus.txt');
      writeFileSync(corpus, defaultCorpusDocumentsSync().slice(1, 4).join('\n'));
      const base: Record<string, string> = {
        data: corpus, 'max-vocab': '100', emsize: '8', nhid: '8', 'batch-size': '5', bptt: '10', 'eval-batch-size': '5', epochs: '1', 'max-steps': '3', 'log-interval': '1000',
      };
      // One checkpoint for generate and eval.
      const ckptDir = join(dir, 'ckpt');
      const setup = await runCli(['train', ...Object.entries({ ...base, save: ckptDir }).flatMap(([k, v]) => [`--${k}`, v])]);
      if (setup.code !== 0) throw new Error(`cli-flags fuzz: the set-up run failed (exit ${setup.code}): ${setup.err.slice(-500)}`);
      for (let i = 0; i < iterations; i++) {
        const r = random();
        const command = r < 0.75 ? 'train' : r < 0.9 ? 'generate' : 'eval';
        const flags = command === 'train' ? TRAIN_FLAGS : command === 'generate' ? GENERATE_FLAGS : EVAL_FLAGS;
        const opts: Record<string, string> = command === 'train' ? { ...base, save: join(dir, `run-${i}`) } : {};
        const given: string[] = [];
        const n = 1 + Math.floor(random() * 3);
        for (let k = 0; k < n; k++) {
          const flag = pick(flags);
          // --max-steps bounds the run; never lift it together with the epochs.
          if (command === 'train' && ((flag === 'epochs' && given.includes('max-steps')) || (flag === 'max-steps' && given.includes('epochs')))) continue;
          opts[flag] = value();
          given.push(flag);
        }
        if (command === 'train' && 'density' in opts && random() < 0.7) opts.sparse = '';
        const args = [command, ...(command === 'train' ? [] : [ckptDir])];
        // The argument forms: `--flag value`, `--flag=value` (a third of the given flags).
        for (const [k, v] of Object.entries(opts)) {
          if (v === '' && k === 'sparse') args.push('--sparse');
          else if (given.includes(k) && random() < 0.35) args.push(`--${k}=${v}`);
          else args.push(`--${k}`, v);
        }
        // A flag given twice (in either form; the later value often 1, which the parser once added to the first).
        let repeated = false;
        if (random() < 0.2 && given.length > 0) {
          const again = random() < 0.5 ? '1' : value();
          const at = args.length;
          if (random() < 0.5) args.push(`--${given[0]}=${again}`);
          else args.push(`--${given[0]}`, again);
          // After a `--` everything is a positional argument, not a flag.
          repeated = !args.slice(0, at).includes('--');
        }
        const res = await runCli(args);
        report.iterations++;
        const shown = args.map((a) => (a.startsWith(dir) ? a.replace(dir, '$TMP') : a)).map((a) => JSON.stringify(a)).join(' ');
        const diverged = command === 'train' && res.code === 1 && /^selfish-rnn: training diverged/m.test(res.err);
        if (repeated && (res.code === 0 || diverged)) {
          report.failures.push(`${shown}: a flag given twice was accepted (exit ${res.code})`);
        } else if (res.code === 0 || diverged) {
          if (INTERNAL.test(res.err)) report.failures.push(`${shown}: exit ${res.code} but internal text: ${res.err.slice(-400)}`);
          else report.accepted++;
        } else if (res.code === 2 && /^selfish-rnn: /.test(res.err) && !INTERNAL.test(res.err)) {
          report.refused++;
        } else {
          const how = res.signal ? `killed by ${res.signal}${res.ms >= TIME_LIMIT_MS ? ' (hang: no exit within the time limit)' : ''}` : `exit ${res.code}`;
          report.failures.push(`${shown}: ${how} after ${res.ms} ms: ${res.err.slice(-400).trim()}`);
        }
        rmSync(join(dir, `run-${i}`), { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return report;
  },
};
