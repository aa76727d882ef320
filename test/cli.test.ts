// The `selfish-rnn` command line, run as a separate process (as users run it): argument errors,
// --help, a small end-to-end run with its files, bit-identical --resume across processes,
// Ctrl-C, JSON outputs, refusal of bad checkpoint files, export, generate and bench.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors, encodeCheckpoint, type TrainingState } from '../src/index.js';
import { defaultCorpusDocumentsSync, loadLMCheckpoint } from '../src/node.js';
import { runFlags } from '../src/cli/train-command.js';
import { fieldFlagNames } from '../src/cli/config-flags.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

// A small text corpus: the first chapters of the built-in Moby-Dick (about 9,000 tokens).
const corpus = join(tmp, 'corpus.txt');
writeFileSync(corpus, defaultCorpusDocumentsSync().slice(0, 6).join('\n'));
// 10 × 20 batches: 80 per epoch.
const TINY = ['--data', corpus, '--max-vocab', '1000', '--emsize', '16', '--nhid', '16', '--batch-size', '10', '--bptt', '20', '--eval-batch-size', '5'];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { status: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function stepLosses(dir: string): number[] {
  return readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'step').map((e) => e.loss);
}

test('argument errors exit with code 2 and say what is wrong', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--density', '0', '--sparse'], /--density must be a number in \(0, 1\], got 0/],
    [['train', '--density', '1.5', '--method', 'set'], /--density must be a number in \(0, 1\], got 1\.5/],
    [['train', '--method', 'dense', '--density', '0.5'], /density 0\.5 needs a sparse method/],
    [['train', '--method', 'magic'], /Invalid values:[\s\S]*method[\s\S]*magic/],
    [['train', '--model', 'gpt-5'], /Invalid values:[\s\S]*model[\s\S]*gpt-5/],
    [['train', '--data', join(tmp, 'no-such-dir')], /data not found: .*no-such-dir/],
    [['train', '--bogus-flag', '3'], /Unknown argument: bogus-flag/],
    [['train', '--sparse', '--method', 'dense'], /--sparse contradicts --method dense/],
    [['train', '--epochs', '0'], /--epochs must be an integer in \[1, 2147483647\], got 0/],
    [['train', '--alpha', '-1'], /--alpha is not an option of model 'lstm-small' \(stacked LSTM\); its model options: --emsize/],
    [['train', '--model', 'awd-lstm-mos-ptb', '--alpha', '-1'], /--alpha must be a number in \[0, 1000000\], got -1/],
    [['train', '--plugin', join(tmp, 'no-plugin.mjs')], /--plugin .*no-plugin\.mjs: no such file/],
    [['train', '--lr', 'fast'], /--lr needs a number/],
    [['train', '--resume', join(tmp, 'nothing-here')], /no such checkpoint or run directory/],
    [['eval'], /Not enough non-option arguments/],
    [[], /give a command/],
    [['evaluate', 'x'], /Unknown argument|Did you mean/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    assert.is(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.err}`);
    assert.match(r.err, re, `${args.join(' ')}`);
    assert.is(r.out, '', `${args.join(' ')}: nothing on stdout`);
  }
});

test('--help documents every flag with its default', () => {
  // The official repository's flags (main.py), plus ours.
  const official = ['sparse', 'density', 'sparse-init', 'death', 'growth', 'redistribution', 'death-rate', 'optimizer', 'nonmono', 'lr', 'clip', 'epochs',
    'batch-size', 'bptt', 'emsize', 'nhid', 'nhidlast', 'nlayers', 'n-experts', 'dropout', 'dropouth', 'dropouti', 'dropoute', 'dropoutl', 'wdrop',
    'alpha', 'beta', 'wdecay', 'seed', 'model', 'method', 'data', 'save', 'resume', 'max-steps', 'update-every', 'eval-batch-size', 'log-interval'];
  const ours = [...runFlags().map(([n]) => n), ...fieldFlagNames()];
  for (const f of official) assert.ok(ours.includes(f), `--${f} is a train flag`);
  for (const cmd of ['train', 'eval', 'generate', 'info', 'export', 'bench', 'study']) {
    const r = run([cmd, '--help']);
    assert.is(r.status, 0, r.err);
    // One block per option: from its "--name" to the next option (examples left out).
    const blocks = r.out.split('\nExamples:')[0]!.split(/\n(?=\s+(?:-\w, )?--[a-z])/).filter((b) => /^\s+(?:-\w, )?--[a-z]/.test(b));
    const names = blocks.map((b) => /--([a-z-]+)/.exec(b)![1]!);
    if (cmd === 'train') for (const f of ours) assert.ok(names.includes(f), `train --help lists --${f}`);
    for (const b of blocks) {
      const name = /--([a-z-]+)/.exec(b)![1]!;
      if (name === 'help' || name === 'version') continue;
      assert.match(b.replace(/\s+/g, ' '), /\[default: [^\]]+\]|\[required\]/, `${cmd} --${name} shows its default`);
    }
  }
  const top = run(['--help']);
  for (const cmd of ['train', 'eval', 'generate', 'info', 'export', 'bench']) assert.match(top.out, new RegExp(`selfish-rnn ${cmd}`));
});

const runA = join(tmp, 'A');

test('train: a small sparse run writes checkpoints, a JSON-lines log and an SVG plot; --json prints one object', () => {
  const r = run(['train', ...TINY, '--sparse', '--density', '0.4', '--epochs', '3', '--nonmono', '1', '--max-steps', '150', '--log-interval', '1', '--save', runA, '--json']);
  assert.is(r.status, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.is(lines.length, 1, `stdout is one JSON object: ${r.out}`);
  const res = JSON.parse(lines[0]!);
  assert.is(res.status, 'max-steps');
  assert.is(res.steps, 150);
  assert.ok(res.valPpl > 1, JSON.stringify(res));
  assert.is(res.testPpl, null, 'a run stopped by --max-steps ends without a test pass (test/cli-defaults.test.ts: --test)');
  assert.ok(res.bestEpoch >= 1);
  assert.match(r.err, /end of epoch 1 .*valid ppl [\d.]+ \(best\) .*density 0\.\d{3} \| gates i 0\.\d{3} f /);
  for (const f of ['last.ckpt', 'best.ckpt', 'log.jsonl', 'plot.svg']) assert.ok(existsSync(join(runA, f)), f);
  const log = readFileSync(join(runA, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const events = log.map((e) => e.event);
  assert.is(events[0], 'start');
  assert.ok(events.filter((e) => e === 'epoch').length >= 1 && events.includes('topology') && events.at(-1) === 'end', events.join(','));
  assert.is(events.filter((e) => e === 'step').length, 150);
  const svg = readFileSync(join(runA, 'plot.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /Perplexity[\s\S]*Density of the recurrent gates[\s\S]*gate i[\s\S]*gate o/);
  assert.match(svg, /<path d="M[\d.]+,[\d.]+ L/);
});

test('--resume in a fresh process continues bit-identically (same per-step losses)', () => {
  const B = join(tmp, 'B');
  const common = ['train', ...TINY, '--sparse', '--density', '0.4', '--epochs', '3', '--nonmono', '1', '--log-interval', '1'];
  let r = run([...common, '--max-steps', '47', '--save', B]);
  assert.is(r.status, 0, r.err);
  // Stopped before its first validation: eval on the run directory reads last.ckpt, saying so; info says so plainly.
  assert.not.ok(existsSync(join(B, 'best.ckpt')), 'no validation has finished after 47 steps');
  r = run(['eval', B]);
  assert.is(r.status, 0, r.err);
  assert.match(r.err, /has no best\.ckpt yet .*using its last\.ckpt/);
  r = run(['info', join(B, 'last.ckpt')]);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /best valid ppl none yet/);
  assert.not.match(r.out, /null/);
  r = run(['train', '--resume', B, '--lr', '3']);
  assert.is(r.status, 2);
  assert.match(r.err, /--lr cannot be given with --resume/);
  r = run(['train', ...TINY, '--save', B]);
  assert.is(r.status, 2);
  assert.match(r.err, /already holds a run/);
  r = run(['train', '--resume', B, '--max-steps', '150', '--log-interval', '1']);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /continuing at epoch 1, step 47/);
  const a = stepLosses(runA), b = stepLosses(B);
  assert.is(b.length, 150);
  assert.equal(b, a);
});

test('eval and info --json print exactly one JSON object; eval reproduces the run\'s validation loss', () => {
  const res = JSON.parse(readFileSync(join(runA, 'log.jsonl'), 'utf8').trim().split('\n').at(-1)!);
  let r = run(['eval', runA, '--split', 'valid', '--json']);
  assert.is(r.status, 0, r.err);
  assert.is(r.out.trim().split('\n').length, 1);
  const ev = JSON.parse(r.out);
  assert.is(ev.loss, res.valLoss, 'same loss, bit for bit, in another process');
  assert.is(ev.split, 'valid');
  // --stream: token by token through the stepper, the loss of batch size 1 up to float rounding.
  const b1 = JSON.parse(run(['eval', runA, '--split', 'valid', '--json', '--batch-size', '1']).out);
  r = run(['eval', runA, '--split', 'valid', '--json', '--stream']);
  assert.is(r.status, 0, r.err);
  const st = JSON.parse(r.out);
  assert.is(st.stream, true);
  assert.is(st.tokens, b1.tokens);
  assert.ok(Math.abs(st.loss - b1.loss) < 1e-5 * b1.loss, `${st.loss} vs ${b1.loss}`);
  assert.match(run(['eval', runA, '--stream', '--batch-size', '4']).err, /--stream scores batch 1/);
  r = run(['info', join(runA, 'last.ckpt'), '--json']);
  assert.is(r.status, 0, r.err);
  assert.is(r.out.trim().split('\n').length, 1);
  const info = JSON.parse(r.out);
  assert.is(info.role, 'last');
  assert.is(info.training.step, 150);
  assert.ok(info.parameters.nonzero < info.parameters.total);
  assert.is(info.gates.length, 4);
  for (const g of info.gates) assert.is(g.density.length, 4);
  // The memory figure, recomputed from the layer list: a sparse weight's values, u16 column indices
  // (every matrix here has ≤ 65,536 columns) and row pointers; (SNT-)ASGD adds an average per
  // entry and, for sparse values, a step counter; plain SGD nothing.
  const m = info.memory, asgd = m.phase === 'asgd';
  assert.ok(m.phase === 'sgd' || asgd, m.phase);
  let want = 0, wantDense = 0;
  for (const w of info.layers as { shape: number[]; nnz: number; size: number; sparse: boolean }[]) {
    want += w.sparse ? w.nnz * (4 + 2 + (asgd ? 8 : 0)) + 4 * (w.shape[0]! + 1) : w.size * (4 + (asgd ? 4 : 0));
    wantDense += w.size * (4 + (asgd ? 4 : 0));
  }
  assert.equal([m.total, m.dense.total, m.ratio], [want, wantDense, want / wantDense]);
  assert.ok(m.ratio < 1, `sparse training state smaller than dense: ${m.ratio}`);
  r = run(['info', runA]);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /best model/);
  assert.match(r.out, /memory\s+weights \+ optimizer state: [\d.]+ (kB|MB|bytes) \(0\.\d\d× dense, [\d.]+ (kB|MB|bytes); weights /);
  assert.match(r.out, /rnn\.weight_hh_l1\s+64×16\s+[\d,]+\s+0\.\d+\s+i 0\.\d+ \/ f 0\.\d+ \/ g 0\.\d+ \/ o 0\.\d+/);
});

test('info and eval refuse truncated, corrupt and wrong-kind files with the path and the reason (exit 1)', () => {
  const good = readFileSync(join(runA, 'best.ckpt'));
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated.ckpt', good.subarray(0, good.length - 1000), /is truncated: expected \d+ bytes, got \d+/],
    ['corrupt.ckpt', (() => { const b = Uint8Array.from(good); b[b.length - 3] ^= 1; return b; })(), /is corrupt: the data of tensor/],
    ['other.ckpt', encodeCheckpoint({ meta: { kind: 'optimizer-state' }, tensors: {} }), /is a 'optimizer-state' checkpoint, expected a 'selfish-rnn\/lm' checkpoint/],
    ['text.ckpt', new TextEncoder().encode('not a checkpoint at all'), /is not a selfish-rnn checkpoint/],
  ];
  for (const [name, bytes, re] of cases) {
    const path = join(tmp, name);
    writeFileSync(path, bytes);
    for (const cmd of name === 'corrupt.ckpt' ? [['info', path], ['eval', path, '--json']] : [['info', path, '--json']]) {
      const r = run(cmd);
      assert.is(r.status, 1, `${cmd.join(' ')}: ${r.err}`);
      assert.match(r.err, re);
      assert.ok(r.err.includes(path), r.err);
      assert.is(r.out, '');
    }
  }
});

test('export writes a safetensors file; generate is deterministic for a seed; bench reports tokens/s', () => {
  const out = join(tmp, 'model.safetensors');
  let r = run(['export', runA, '--format', 'safetensors', '--out', out]);
  assert.is(r.status, 0, r.err);
  const st = decodeSafetensors(readFileSync(out));
  assert.ok(st.tensors['rnn.weight_hh_l0'] && st.tensors['rnn.weight_hh_l0.mask'] && st.tensors['decoder.bias']);
  r = run(['export', runA]);
  assert.is(r.status, 0, r.err);
  assert.ok(existsSync(join(runA, 'best.safetensors')), 'the default output is next to the checkpoint');
  const g1 = run(['generate', runA, '--words', '12', '--seed', '7']), g2 = run(['generate', runA, '--words', '12', '--seed', '7']);
  assert.is(g1.status, 0, g1.err);
  assert.ok(g1.out.trim().split(/\s+/).length >= 6, g1.out);
  assert.is(g1.out, g2.out);
  r = run(['bench', '--emsize', '16', '--nhid', '16', '--vocab', '500', '--batch-size', '4', '--bptt', '8', '--steps', '2', '--json']);
  assert.is(r.status, 0, r.err);
  const b = JSON.parse(r.out);
  assert.ok(b.tokensPerSecond > 0 && b.density > 0.3 && b.density < 0.37, r.out);
});

test('Ctrl-C saves a checkpoint at the current step and exits with 130; --resume continues from there', async () => {
  const C = join(tmp, 'C');
  const child = spawn(process.execPath, [cli, 'train', ...TINY, '--sparse', '--epochs', '50', '--log-interval', '1', '--save', C], { env: { ...process.env, NO_COLOR: '1' } });
  let out = '', err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no progress: ${out}${err}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      if ((out.match(/\| step /g) ?? []).length >= 8) { clearTimeout(timer); resolve(); }
    });
  });
  child.kill('SIGINT');
  const code = await exited;
  assert.is(code, 130, err);
  assert.match(out, /interrupt: stopping after this step/);
  assert.match(out, /interrupted at epoch 1, step \d+; checkpoint saved: .*last\.ckpt/);
  const ckpt = await loadLMCheckpoint<TrainingState>(join(C, 'last.ckpt'));
  const t = ckpt.meta.training!;
  assert.ok(t.globalStep >= 8 && t.position.i > 0 && t.position.epoch === 0, `saved mid-epoch at step ${t.globalStep}`);
  assert.ok(t.hiddenLayers === 2 && ckpt.tensors['state/1.c'] !== undefined, 'the carried hidden state is saved');
  const r = run(['train', '--resume', C, '--max-steps', String(t.globalStep + 3), '--log-interval', '1']);
  assert.is(r.status, 0, r.err);
  const steps = readFileSync(join(C, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'step').map((e) => e.step);
  assert.equal(steps.slice(-3), [t.globalStep + 1, t.globalStep + 2, t.globalStep + 3]);
});

test.run();
