// The examples run under Node and under Deno (installed from npm as a dev dependency) and print
// identical results: same kernels, same seeded generator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipped } from './helpers/skip.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { defaultCorpusDocumentsSync } from '../src/node.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const denoBin = join(root, 'node_modules', '.bin', 'deno');

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }, timeout: 120_000 });
  return { status: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** The example's output without its timing, which differs between runs. */
const stable = (s: string) => s.replace(/ in \d+ ms/g, '');

test('examples/fit-function.mjs runs under Node and converges', () => {
  const r = run(process.execPath, ['examples/fit-function.mjs']);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /final mse/);
});

test('examples/fit-function.mjs runs under Deno with the same results', () => {
  if (!denoAvailable('examples/fit-function.mjs under Deno')) return;
  const node = run(process.execPath, ['examples/fit-function.mjs']);
  const deno = run(denoBin, ['run', '--no-prompt', 'examples/fit-function.mjs']);
  assert.is(deno.status, 0, deno.err);
  assert.is(stable(deno.out), stable(node.out));
});

function denoAvailable(what: string): boolean {
  const probe = existsSync(denoBin) ? run(denoBin, ['--version']) : null;
  if (probe === null || probe.status !== 0) {
    skipped(what, `Deno is not available (${existsSync(denoBin) ? probe?.err.trim() : `${denoBin} not found`}); install the 'deno' dev dependency`);
    return false;
  }
  return true;
}

test('examples/quickstart.mjs trains a sparse LSTM for a few steps and samples, under Node and Deno with the same output', () => {
  const node = run(process.execPath, ['examples/quickstart.mjs', '--steps', '4']);
  assert.is(node.status, 0, node.err);
  assert.match(node.out, /6 sparse weight matrices, e\.g\. rnn\.weight_ih_l0 256×64 keeps \d+ weights \(3\d\.\d%\)/);
  assert.match(node.out, /step 4: loss [\d.]+, ppl [\d.]+/);
  // A run stopped by maxSteps ends with its validation pass; the test split is for completed runs.
  assert.match(node.out, /after 4 steps: validation ppl [\d.]+\n/);
  assert.match(node.out, /sample: \S+( \S+){10,}/);
  if (!denoAvailable('examples/quickstart.mjs under Deno')) return;
  const deno = run(denoBin, ['run', '--no-prompt', '--allow-read', '--allow-env', 'examples/quickstart.mjs', '--steps', '4']);
  assert.is(deno.status, 0, deno.err);
  assert.is(deno.out, node.out);
});

test('examples/ptb-stacked-lstm.mjs and wt2-awd-lstm-mos.mjs run their --small recipes (on tiny stand-in data)', () => {
  // Stand-in corpora in the PTB and WikiText layouts, made of Moby-Dick lines (the real data sets
  // are not part of the repository; see README.md).
  const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-examples-'));
  try {
    const lines = defaultCorpusDocumentsSync().slice(2, 5).join('\n').split('\n').filter((l) => l.trim() !== '');
    const cut = (a: number, b: number) => lines.slice(Math.floor(a * lines.length), Math.floor(b * lines.length)).join('\n') + '\n';
    for (const [dir, names] of [['ptb', ['train.txt', 'valid.txt', 'test.txt']], ['wt2', ['wiki.train.tokens', 'wiki.valid.tokens', 'wiki.test.tokens']]] as const) {
      mkdirSync(join(tmp, dir));
      writeFileSync(join(tmp, dir, names[0]), cut(0, 0.8));
      writeFileSync(join(tmp, dir, names[1]), cut(0.8, 0.9));
      writeFileSync(join(tmp, dir, names[2]), cut(0.9, 1));
    }
    const ptb = run(process.execPath, ['examples/ptb-stacked-lstm.mjs', '--small', '--data', join(tmp, 'ptb'), '--max-steps', '2', '--save', join(tmp, 'run-ptb')]);
    assert.is(ptb.status, 0, ptb.err);
    assert.match(ptb.out, /small recipe: 2×200 LSTM at density 0\.33, 8 epochs/);
    assert.match(ptb.out, /done \(max-steps\): valid ppl [\d.]+, test split not evaluated \(--test evaluates it\)/);
    assert.ok(existsSync(join(tmp, 'run-ptb', 'last.ckpt')));
    const wt2 = run(process.execPath, ['examples/wt2-awd-lstm-mos.mjs', '--small', '--data', join(tmp, 'wt2'), '--max-steps', '2', '--test', '--save', join(tmp, 'run-wt2')]);
    assert.is(wt2.status, 0, wt2.err);
    assert.match(wt2.out, /small recipe: AWD-LSTM-MoS 64→128→64, 4 experts, density 0\.45/);
    assert.match(wt2.out, /done \(max-steps\): valid ppl [\d.]+, test ppl [\d.]+/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
