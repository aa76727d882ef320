// A model family written in user code (examples/custom-family.mjs, an MGU language model) gets
// what the built-in ones get, through the public surface only: from the CLI with --plugin it
// trains sparse, stops, resumes bit-identically, evaluates, generates, exports (PyTorch loads the
// export with strict=True and computes the same loss, where PyTorch is installed) and shows in
// `info` and `models`; a checkpoint read without the plugin names the family and the flag; and
// the same file runs as a library example under Node and Deno with the same output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipped } from './helpers/skip.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCorpus } from '../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const plugin = join(root, 'examples', 'custom-family.mjs');
const denoBin = join(root, 'node_modules', '.bin', 'deno');
const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-plugin-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}
const selfish = (args: string[]) => run(process.execPath, [cli, ...args]);

const TRAIN = ['--plugin', plugin, '--model', 'mgu-two', '--max-vocab', '500', '--sparse', '--density', '0.4', '--update-every', '7', '--epochs', '2', '--log-interval', '1', '--seed', '5'];

function losses(dir: string): number[] {
  return readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'step').map((e) => e.loss);
}

test('CLI --plugin: train, stop, resume bit-identically; eval, generate, info and models see the family', () => {
  const straight = join(tmp, 'straight'), split = join(tmp, 'split');
  let r = selfish(['train', ...TRAIN, '--max-steps', '40', '--save', straight]);
  assert.is(r.status, 0, r.err);
  r = selfish(['train', ...TRAIN, '--max-steps', '17', '--save', split]);
  assert.is(r.status, 0, r.err);
  r = selfish(['train', '--plugin', plugin, '--resume', split, '--max-steps', '40', '--log-interval', '1']);
  assert.is(r.status, 0, r.err);
  assert.equal(losses(split), losses(straight), 'the resumed run repeats the uninterrupted one step for step');
  assert.is(losses(straight).length, 40);
  // A topology update happened in both halves (every 7 steps), so the resume restored the engine.
  const topo = readFileSync(join(split, 'log.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"event":"topology"')).length;
  assert.ok(topo >= 5, `${topo} topology updates`);

  const ev = selfish(['eval', '--plugin', plugin, join(straight, 'last.ckpt'), '--json']);
  assert.is(ev.status, 0, ev.err);
  assert.ok(Number.isFinite(JSON.parse(ev.out).ppl));
  const gen = selfish(['generate', '--plugin', plugin, join(straight, 'last.ckpt'), '--words', '8']);
  assert.is(gen.status, 0, gen.err);
  assert.ok(gen.out.trim().split(/\s+/).length >= 8, gen.out);
  const info = selfish(['info', '--plugin', plugin, join(straight, 'last.ckpt')]);
  assert.is(info.status, 0, info.err);
  assert.match(info.out, /mgu-two: MGU, 2 layers × 64/);
  assert.match(info.out, /options\s+emsize 64, nhid 64, nlayers 2, dropout 0\.2/);
  assert.match(info.out, /layers\.0\.Wf\.weight .* f 0\.\d+/, 'per-gate densities from the family\'s declared gate layout');
  const models = selfish(['models', '--plugin', plugin]);
  assert.match(models.out, /MGU \(family 'mgu'\)[\s\S]*mgu-small[\s\S]*--nhid: hidden units per MGU layer/);
  const help = selfish(['train', '--plugin', plugin, '--help']);
  assert.match(help.out, /"mgu-small"/);

  // Without the plugin, the checkpoint names its family and the flag that loads it.
  const bare = selfish(['info', join(straight, 'last.ckpt')]);
  assert.is(bare.status, 1);
  assert.match(bare.err, /names a model family that is not registered: unknown model family 'mgu'.*--plugin FILE/);
  const resume = selfish(['train', '--resume', straight]);
  assert.match(resume.err, /unknown model family 'mgu'.*--plugin/);
  // A plugin that declares nothing, and one that does not exist, are usage errors.
  const empty = join(tmp, 'empty.mjs');
  writeFileSync(empty, 'export const x = 1;\n');
  const e1 = selfish(['models', '--plugin', empty]);
  assert.is(e1.status, 2);
  assert.match(e1.err, /declares no model family/);
});

test('export of a plugin family: PyTorch loads it with strict=True and computes the same loss', async () => {
  const dir = join(tmp, 'straight');
  const out = join(tmp, 'mgu.safetensors');
  const ex = selfish(['export', '--plugin', plugin, join(dir, 'last.ckpt'), '--out', out]);
  assert.is(ex.status, 0, ex.err);
  const ours = selfish(['eval', '--plugin', plugin, join(dir, 'last.ckpt'), '--split', 'test', '--batch-size', '10', '--bptt', '20', '--json']);
  assert.is(ours.status, 0, ours.err);
  const torch = run('/usr/bin/python3', ['-c', 'import torch']);
  if (torch.status !== 0) {
    skipped('export of a plugin family: the PyTorch half', '/usr/bin/python3 has no torch (apt-get install python3-torch)');
    return;
  }
  const corpus = await defaultCorpus({ maxVocab: 500 });
  const tokens = join(tmp, 'tokens.json');
  writeFileSync(tokens, JSON.stringify({ ids: Array.from(corpus.test), batch: 10, bptt: 20 }));
  const py = run('/usr/bin/python3', [join(root, 'test', 'fixtures', 'check_mgu_export.py'), out, tokens]);
  assert.is(py.status, 0, py.err);
  const theirs = JSON.parse(py.out.trim().split('\n').pop()!).loss as number;
  const mine = JSON.parse(ours.out).loss as number;
  assert.ok(Math.abs(theirs - mine) < 1e-4 * Math.max(1, mine), `PyTorch loss ${theirs} vs ours ${mine}`);
});

test('examples/custom-family.mjs as a library example: the same output under Node and Deno', () => {
  const node = run(process.execPath, ['examples/custom-family.mjs', '--steps', '20']);
  assert.is(node.status, 0, node.err);
  assert.match(node.out, /max-steps after 20 steps; per-gate densities: layers\.0\.Wf\.weight f=0\.\d+/);
  const probe = existsSync(denoBin) ? run(denoBin, ['--version']) : null;
  if (probe === null || probe.status !== 0) {
    skipped('examples/custom-family.mjs: the Deno half', `${denoBin} is not available; install the 'deno' dev dependency`);
    return;
  }
  const deno = run(denoBin, ['run', '--no-prompt', '--allow-read', '--allow-env', 'examples/custom-family.mjs', '--steps', '20']);
  assert.is(deno.status, 0, deno.err);
  assert.is(deno.out, node.out);
});

test.run();
