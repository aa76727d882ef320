// The command line's defaults, each checked as a user meets it (a separate process, a tiny corpus,
// a few steps): `train` alone trains Selfish-RNN at density 0.33 and says so in --help; a
// --max-steps run ends without a test pass unless --test asks; `eval` scores the validation split;
// a run directory stopped before its first validation is read through its last.ckpt with a note;
// `export` writes next to the checkpoint; `study` asks for its data and writes its report into its
// own directory; `npx` inside the repository does not rebuild a built checkout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCorpusDocumentsSync } from '../src/node.js';
import { resolveTrainConfig } from '../src/index.js';
import { runCli, tinyArgs, workspace } from './helpers/cli.js';
import { ROOT } from './helpers/sources.js';

const { dir: tmp, corpus } = workspace('defaults');
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** The tiny run's flags, without --eval-batch-size's neighbours changed. */
const tiny = (over: Record<string, string> = {}) => tinyArgs(corpus, over);
const info = (path: string) => JSON.parse(runCli(['info', path, '--json']).out);
const logEvents = (dir: string) => readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('train without --method trains Selfish-RNN at density 0.33, --method dense densely; --help says so; the library agrees', () => {
  const sparse = join(tmp, 'plain');
  let r = runCli(['train', ...tiny({ 'max-steps': '3', save: sparse })]);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /training lstm-small \(.*\), selfish at density 0\.33 /);
  let c = info(join(sparse, 'last.ckpt')).config;
  assert.is(c.method, 'selfish');
  assert.is(c.density, 0.33);
  const dense = join(tmp, 'dense');
  r = runCli(['train', ...tiny({ 'max-steps': '3', method: 'dense', save: dense })]);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /training lstm-small \(.*\), dense;/);
  c = info(join(dense, 'last.ckpt')).config;
  assert.is(c.method, 'dense');
  assert.is(c.density, 1);
  // A recipe that reproduces a dense command stays dense; --sparse turns it sparse.
  r = runCli(['train', ...tiny({ 'max-steps': '1', model: 'zaremba-small', save: join(tmp, 'zaremba') })]);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /training zaremba-small \(.*\), dense;/);
  r = runCli(['train', ...tiny({ 'max-steps': '1', model: 'zaremba-small', sparse: '', save: join(tmp, 'zaremba-sparse') })]);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /training zaremba-small \(.*\), selfish at density 0\.33 /);
  // --density 0.5 alone is a sparse run now, and --method dense --density 0.5 is refused.
  r = runCli(['train', ...tiny({ 'max-steps': '1', density: '0.5', method: 'dense' })]);
  assert.is(r.status, 2);
  assert.match(r.err, /density 0\.5 needs a sparse method/);
  const help = runCli(['train', '--help']).out.replace(/\s+/g, ' ');
  assert.match(help, /--method .*\[default: the model's recipe, else selfish \(dense: --method dense\)\]/);
  assert.match(help, /--density .*\[default: the model's recipe, else 0\.33; 1 with --method dense\]/);
  assert.match(help, /selfish-rnn train Selfish-RNN at density 0\.33 \(lstm-small\) on the built-in corpus/);
  const lib = resolveTrainConfig({}, 100);
  assert.is(lib.method, 'selfish');
  assert.is(lib.density, 0.33);
  assert.is(resolveTrainConfig({ method: 'dense' }, 100).density, 1);
  assert.is(resolveTrainConfig({ model: 'awd-lstm-mos-ptb' }, 100).method, 'dense');
});

test('--max-steps ends with the validation and no test pass; --test adds it, also on --resume; a finished run has it', () => {
  const save = join(tmp, 'quick');
  let r = runCli(['train', ...tiny({ 'max-steps': '90', save })]); // past the first epoch (83 batches): a best.ckpt
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /stopped after 90 steps \(--max-steps\); best model \(epoch 1\): valid ppl [\d.]+, test split not evaluated \(the run stopped before its last epoch; --test evaluates it\)/);
  let end = logEvents(save).at(-1);
  assert.is(end.event, 'end');
  assert.is(end.testLoss, null);
  assert.ok(end.valLoss > 0);
  r = runCli(['train', '--resume', save, '--max-steps', '95', '--test', '--json']);
  assert.is(r.status, 0, r.err);
  const res = JSON.parse(r.out);
  assert.is(res.status, 'max-steps');
  assert.ok(res.testPpl > 1 && res.valPpl > 1, r.out);
  const done = join(tmp, 'finished');
  r = runCli(['train', ...tiny({ epochs: '1', save: done, json: '' })]);
  assert.is(r.status, 0, r.err);
  assert.ok(JSON.parse(r.out).testPpl > 1, 'a completed run ends with its test pass');
  r = runCli(['train', ...tiny({ epochs: '1', 'no-test': '', save: join(tmp, 'finished-no-test') })]);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /finished 1 epochs; best model \(epoch 1\): valid ppl [\d.]+, test split not evaluated \(--no-test\)/);
  end = logEvents(join(tmp, 'finished-no-test')).at(-1);
  assert.is(end.testLoss, null);
});

test('eval scores the validation split by default; --split test asks for the test split', () => {
  const run = join(tmp, 'finished');
  let r = runCli(['eval', run, '--json']);
  assert.is(r.status, 0, r.err);
  const valid = JSON.parse(r.out);
  assert.is(valid.split, 'valid');
  const end = logEvents(run).at(-1);
  assert.is(valid.loss, end.valLoss, "the run's own validation loss");
  r = runCli(['eval', run, '--split', 'test', '--json']);
  assert.is(r.status, 0, r.err);
  const t = JSON.parse(r.out);
  assert.is(t.split, 'test');
  assert.is(t.loss, end.testLoss, "the run's own test loss");
  assert.match(runCli(['eval', '--help']).out.replace(/\s+/g, ' '), /--split .*\[default: "valid"\]/);
});

test('a run stopped before its first validation: eval, generate, info and export read its last.ckpt, with a note', () => {
  const save = join(tmp, 'early');
  assert.is(runCli(['train', ...tiny({ 'max-steps': '5', save })]).status, 0);
  assert.not.ok(existsSync(join(save, 'best.ckpt')));
  const note = /^selfish-rnn: note: \S+early has no best\.ckpt yet \(no validation has finished in this run, e\.g\. it stopped at --max-steps\): using its last\.ckpt, the weights where it stopped\n/;
  for (const cmd of [['eval', save, '--json'], ['generate', save, '--words', '5'], ['info', save, '--json'], ['export', save]]) {
    const r = runCli(cmd);
    assert.is(r.status, 0, `${cmd.join(' ')}: ${r.err}`);
    assert.match(r.err, note, cmd[0]);
    assert.is(r.err.split('\n').filter((l) => l !== '').length, 1, `${cmd[0]}: one line on stderr: ${r.err}`);
  }
  assert.ok(existsSync(join(save, 'last.safetensors')), 'export wrote next to the checkpoint it used');
  // --finetune still needs a best model.
  const r = runCli(['train', '--finetune', save]);
  assert.is(r.status, 2);
  assert.match(r.err, /has no best\.ckpt yet .*give its last\.ckpt instead/);
});

test('export writes next to the checkpoint by default; an existing file is replaced only with --force', () => {
  const run = join(tmp, 'finished');
  let r = runCli(['export', run]);
  assert.is(r.status, 0, r.err);
  const out = join(run, 'best.safetensors');
  assert.ok(r.out.startsWith(`wrote ${out} (`), r.out);
  assert.ok(existsSync(out));
  const before = readFileSync(out);
  r = runCli(['export', join(run, 'best.ckpt')]);
  assert.is(r.status, 2);
  assert.match(r.err, /best\.safetensors already exists \(the default output: the checkpoint with \.safetensors\); give another --out, or --force to replace it/);
  r = runCli(['export', join(run, 'best.ckpt'), '--no-masks', '--force']);
  assert.is(r.status, 0, r.err);
  assert.ok(readFileSync(out).length < before.length, 'replaced (without the masks)');
  const other = join(tmp, 'other.safetensors');
  writeFileSync(other, 'x');
  r = runCli(['export', run, '--out', other]);
  assert.is(r.status, 2);
  assert.match(r.err, /other\.safetensors already exists; give another --out, or --force/);
});

test('study: --data or SELFISH_RNN_DATA is needed where no ../shared/data/ptb exists; the report goes into --dir', () => {
  const cwd = join(tmp, 'elsewhere', 'project');
  mkdirSync(cwd, { recursive: true });
  const env = { SELFISH_RNN_DATA: '' };
  let r = runCli(['study', '--report'], { cwd, env });
  assert.is(r.status, 2);
  assert.match(r.err, /the study trains on Penn Treebank: give --data DIR .* or set SELFISH_RNN_DATA to the folder that holds ptb\//);
  r = runCli(['study', '--report'], { cwd, env: { SELFISH_RNN_DATA: join(tmp, 'no-data') } });
  assert.is(r.status, 2);
  assert.match(r.err, /the default data \(from SELFISH_RNN_DATA\) \S+no-data\/ptb does not exist/);
  // A PTB-like folder through the variable; the report lands in the study's directory, not in bench/.
  const data = join(tmp, 'data');
  mkdirSync(join(data, 'ptb'), { recursive: true });
  const lines = defaultCorpusDocumentsSync().slice(1, 4).join('\n').split('\n').filter((l) => l.trim() !== '');
  const part = (a: number, b: number) => lines.slice(Math.floor(a * lines.length), Math.floor(b * lines.length)).join('\n') + '\n';
  writeFileSync(join(data, 'ptb', 'train.txt'), part(0, 0.8));
  writeFileSync(join(data, 'ptb', 'valid.txt'), part(0.8, 0.9));
  writeFileSync(join(data, 'ptb', 'test.txt'), part(0.9, 1));
  r = runCli(['study', '--report', '--dir', 'my-study'], { cwd, env: { SELFISH_RNN_DATA: data } });
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /report my-study\/STUDY\.md/);
  assert.ok(existsSync(join(cwd, 'my-study', 'STUDY.md')));
  assert.not.ok(existsSync(join(cwd, 'bench')), 'nothing written into the project');
  assert.ok(readFileSync(join(cwd, 'my-study', 'STUDY.md'), 'utf8').includes(`selfish-rnn study --data ${join(data, 'ptb')} --dir my-study --out my-study/STUDY.md `), 'the report names the data and the report path');
  // A model with a published figure: every dense seed is held against it (none trained here).
  r = runCli(['study', '--report', '--dir', 'zaremba-study', '--model', 'zaremba-small'], { cwd, env: { SELFISH_RNN_DATA: data } });
  assert.is(r.status, 0, r.err);
  const zmd = readFileSync(join(cwd, 'zaremba-study', 'STUDY.md'), 'utf8');
  for (const run of ['dense-s1', 'dense-s2']) assert.match(zmd, new RegExp(`\\| ${run} \\| Zaremba et al\\. 2014[^|]*\\| — / 120\\.70 \\| — / 114\\.50 \\| — \\| not finished \\|`));
  const help = runCli(['study', '--help']).out.replace(/\s+/g, ' ');
  assert.match(help, /--out .*\[default: <dir>\/STUDY\.md\]/);
  assert.match(help, /--data .*\[default: \$SELFISH_RNN_DATA\/ptb, else \.\.\/shared\/data\/ptb if it exists; otherwise needed\]/);
  // In the repository, `npm run study` keeps writing bench/STUDY.md.
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.is(pkg.scripts.study, 'node dist/cli/main.js study --out bench/STUDY.md');
});

// npx links this checkout and runs only a `prepare` script for it (npm's arborist rebuild), and the
// package has none: the build runs from `postprepare`, which npm runs for this repository's own
// install only. Should an npm run it under npx anyway, a built checkout returns at once.
test('npx inside a built checkout does not rebuild it: no prepare script, and the build script under npm exec returns at once', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'prepare.mjs')], { encoding: 'utf8', env: { ...process.env, npm_command: 'exec' }, timeout: 20_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout + r.stderr, '', 'no build ran');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.is(pkg.scripts.prepare, undefined);
  assert.is(pkg.scripts.postprepare, 'node scripts/prepare.mjs');
});

test.run();
