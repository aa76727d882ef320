// What the command line says when the input is wrong, and what it no longer does silently: a flag
// repeated with a later 1 (was added: --epochs 3 --epochs 1 trained 4 epochs); inputs whose size
// overflowed the call stack (a 5 MB token, --nlayers / --depth 100000); and the list of messages
// that were raw errors, wrong or exit 1: each is now exit 2 with one plain sentence that names the
// file or flag and the fix. Also: a run whose corpus moved resumes with --data; stale temporary
// files of killed exports are removed; --threads far above the cores is capped; bench refuses a
// density that leaves no weight, like train.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors } from '../src/index.js';
import { CLI, INTERNAL, runCli, tinyArgs, workspace } from './helpers/cli.js';

const { dir: tmp, corpus } = workspace('messages');
chmodSync(tmp, 0o755);
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const fixtures = fileURLToPath(new URL('../../test/fixtures/import/', import.meta.url));

/** Exit 2, the message, at most one `selfish-rnn:` sentence (plus the --help hint), nothing internal. */
function refused(args: string[], message: RegExp, opts: { asUser?: boolean; maxMs?: number } = {}) {
  const t0 = Date.now();
  const asNobody = opts.asUser && process.getuid?.() === 0;
  const r = asNobody
    ? (() => { const s = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', uid: 65534, gid: 65534, cwd: tmp, timeout: 120_000 }); return { status: s.status, out: s.stdout ?? '', err: s.stderr ?? '' }; })()
    : runCli(args, { cwd: tmp });
  const what = args.map((a) => a.replace(tmp, '$TMP')).join(' ');
  assert.is(r.status, 2, `${what}: exit ${r.status}\n${r.err}`);
  assert.match(r.err, message, `${what}\n${r.err}`);
  assert.not.match(r.err, INTERNAL, `${what}: internal text\n${r.err}`);
  assert.is(r.err.split('\n').filter((l) => l.startsWith('selfish-rnn: ')).length, 1, `${what}: one sentence\n${r.err}`);
  assert.ok(r.err.length < 2000, `${what}: a short message (${r.err.length} characters)`);
  if (opts.maxMs !== undefined) assert.ok(Date.now() - t0 < opts.maxMs, `${what}: at once (${Date.now() - t0} ms)`);
  return r;
}

test('a repeated flag is refused whatever its form, including a later value of 1 (the parser added it)', () => {
  for (const args of [
    ['--epochs', '3', '--epochs', '1'], ['--epochs=3', '--epochs', '1'], ['--epochs=3', '--epochs=1'], ['--threads', '2', '--threads', '1'],
    ['--max-steps', '5', '--max-steps=1'], ['--json', '--no-json'], ['--seed', '-1', '--seed', '1'],
  ]) {
    const name = args[0]!.split('=')[0]!.replace(/^--/, '');
    refused(['train', ...tinyArgs(corpus, name === 'max-steps' ? {} : { 'max-steps': '2' }), ...args], new RegExp(`--${name} was given 2 times`), { maxMs: 30_000 });
  }
  // Negative numbers are values, not flags (a negative learning rate, read as a value, is refused by its range).
  refused(['train', ...tinyArgs(corpus, { lr: '-1' })], /--lr must be a number in \(0, 1\.7976931348623157e\+308\], got -1/);
});

test('no "Maximum call stack size exceeded": a 5 MB token trains; --nlayers and --depth 100000 are refused at once (their declared ranges), and sizes within the ranges that cannot fit by the memory estimate', () => {
  const text = readFileSync(corpus, 'utf8');
  const long = join(tmp, 'long-token.txt');
  // Two-byte text (a dash), so the tokenizer's regular expression works on a UTF-16 string.
  writeFileSync(long, `${text.slice(0, 40_000)} — ${'x'.repeat(5_000_000)} ${text.slice(40_000)}`);
  const r = runCli(['train', ...tinyArgs(long, { 'max-steps': '2', save: join(tmp, 'long-run') })]);
  assert.is(r.status, 0, r.err);
  refused(['train', ...tinyArgs(corpus, { nlayers: '100000', 'max-steps': '1' })], /--nlayers must be an integer in \[1, 1024\], got 100000/, { maxMs: 20_000 });
  refused(['train', ...tinyArgs(corpus, { model: 'selfish-rhn', depth: '100000', 'max-steps': '1' })], /--depth must be an integer in \[1, 1024\], got 100000/, { maxMs: 20_000 });
  refused(['train', ...tinyArgs(corpus, { model: 'selfish-rhn', emsize: '4096', nhid: '4096', depth: '1024', 'max-steps': '1' })], /this model cannot fit: training it needs at least .* GiB .*recurrence depth 1024/, { maxMs: 20_000 });
});

test('messages: unreadable corpus, symbolic-link loop, a directory named valid.txt, ON-LSTM chunk size, Adam finetune', () => {
  // Unreadable (run as an unprivileged user when we are root: root reads anything).
  const secret = join(tmp, 'secret.txt');
  copyFileSync(corpus, secret);
  chmodSync(secret, 0o000);
  if (process.getuid?.() !== 0 || spawnSync('true', { uid: 65534 }).status === 0) {
    refused(['train', ...tinyArgs(secret, { 'max-steps': '1' })], /cannot read \S+secret\.txt: permission denied/, { asUser: true });
  }
  const loop = join(tmp, 'loop');
  symlinkSync('loop', loop);
  refused(['train', ...tinyArgs(loop, { 'max-steps': '1' })], /\S+loop is a symbolic link loop: following it never reaches a file/);
  symlinkSync(join(tmp, 'nowhere'), join(tmp, 'dangling'));
  refused(['train', ...tinyArgs(join(tmp, 'dangling'), { 'max-steps': '1' })], /data not found: \S+dangling is a symbolic link to \S+nowhere, which does not exist/);
  const ptb = join(tmp, 'ptb-like');
  mkdirSync(join(ptb, 'valid.txt'), { recursive: true });
  writeFileSync(join(ptb, 'train.txt'), 'a b c\n'.repeat(100));
  writeFileSync(join(ptb, 'test.txt'), 'a b c\n'.repeat(100));
  refused(['train', '--data', ptb, '--max-steps', '1'], /\S+ptb-like has a directory named valid\.txt, not a text file/);
  refused(['train', ...tinyArgs(corpus, { model: 'selfish-onlstm', 'chunk-size': '7', 'max-steps': '1' })], /the ON-LSTM chunk size 7 does not divide its layer sizes \(emsize 16, nhid 16\): give --chunk-size a divisor of both, e\.g\. 16/);
  const adam = join(tmp, 'adam-run');
  const r = runCli(['train', ...tinyArgs(corpus, { optimizer: 'adam', epochs: '1', save: adam })]);
  assert.is(r.status, 0, r.err);
  refused(['train', '--finetune', adam], /--finetune \S+: that run trained with Adam, and finetuning runs averaged SGD; add --optimizer sgd/);
  assert.is(runCli(['train', '--finetune', adam, '--optimizer', 'sgd', '--lr', '5', '--epochs', '1']).status, 0, 'and that works');
});

/** A safetensors file from raw parts (any dtype, any name). */
function rawSafetensors(entries: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let off = 0;
  for (const e of entries) { header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] }; off += e.bytes.length; }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const e of entries) { out.set(e.bytes, at); at += e.bytes.length; }
  return out;
}

test('import messages name the file and the right tensor, stay short, and exit 2', () => {
  const fixture = decodeSafetensors(new Uint8Array(readFileSync(join(fixtures, 'stacked-lstm.safetensors'))));
  const entries = () => Object.entries(fixture.tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape], bytes: t.bytes.slice() }));
  const write = (name: string, bytes: Uint8Array) => { const p = join(tmp, name); writeFileSync(p, bytes); return p; };
  const imp = (file: string) => ['import', file, '--data', fixtures, '--out', join(tmp, 'imported.ckpt')];
  // A header the decoder refuses: the message names the file.
  const bad = entries();
  bad[1]!.shape = [bad[1]!.shape[0]! + 1, ...bad[1]!.shape.slice(1)];
  refused(imp(write('bad-shape.safetensors', rawSafetensors(bad))), /\S+bad-shape\.safetensors: safetensors tensor '[^']+' has data_offsets/);
  // A 789 kB tensor name: a short message.
  const huge = entries();
  huge.push({ name: 'x'.repeat(789_000), dtype: 'Q9', shape: [1], bytes: new Uint8Array(1) });
  refused(imp(write('huge-name.safetensors', rawSafetensors(huge))), /huge-name\.safetensors: safetensors tensor 'x+…' \(a name of 789000 characters\) has unknown dtype "Q9"/);
  // The damaged one of two neighbours is named along with the other.
  const overlap = rawSafetensors(entries());
  const text = new TextDecoder().decode(overlap.subarray(8, 8 + new DataView(overlap.buffer).getUint32(0, true)));
  const header = JSON.parse(text);
  // The second tensor (by offset) moved 4 bytes back: it overlaps the first.
  const [first, second] = Object.keys(header).filter((k) => k !== '__metadata__').sort((a, b) => header[a].data_offsets[0] - header[b].data_offsets[0]);
  header[second!].data_offsets = header[second!].data_offsets.map((x: number) => x - 4);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const redone = new Uint8Array(8 + json.length + overlap.length - 8 - text.length);
  new DataView(redone.buffer).setUint32(0, json.length, true);
  redone.set(json, 8);
  redone.set(overlap.subarray(8 + text.length), 8 + json.length);
  refused(imp(write('overlap.safetensors', redone)), new RegExp(`'${second!.replace(/\./g, '\\.')}' has data_offsets \\[\\d+, \\d+\\], overlapping the previous tensor, which ends at \\d+ \\('${first!.replace(/\./g, '\\.')}', data_offsets \\[\\d+, \\d+\\]\\): one of the two has wrong data_offsets`));
  // A shape that disagrees: the odd tensor is the one named.
  const odd = entries();
  const dec = odd.find((e) => e.name === 'decoder.bias')!;
  dec.shape = [1, dec.shape[0]!];
  refused(imp(write('odd.safetensors', rawSafetensors(odd))), /odd\.safetensors: 1 of its \d+ weights do not have the shapes .*'decoder\.bias' is \[1, \d+\] but the model needs \[\d+\]/);
  // float64 beyond float32.
  const f64 = entries().map((e) => {
    if (e.name !== 'decoder.bias') return e;
    const v = new Float64Array(new Float32Array(e.bytes.buffer.slice(0)));
    v[3] = 1e300;
    return { ...e, dtype: 'F64', bytes: new Uint8Array(v.buffer) };
  });
  refused(imp(write('f64.safetensors', rawSafetensors(f64))), /f64\.safetensors: tensor "decoder\.bias" holds 1e\+300 at flat index 3, beyond the float32 range/);
  // Every mask all zeros.
  const masked = entries();
  for (const e of entries()) if (!e.name.includes('bias')) masked.push({ name: `${e.name}.mask`, dtype: 'BOOL', shape: e.shape, bytes: new Uint8Array(e.bytes.length / 4) });
  refused(imp(write('zero-masks.safetensors', rawSafetensors(masked))), /zero-masks\.safetensors: every maskable weight is all zeros under its mask, so the model would have no weights/);
});

test('a run whose corpus moved resumes with --data (the vocabulary check guards it); without it, the message says so', () => {
  const data = join(tmp, 'moving.txt');
  copyFileSync(corpus, data);
  const save = join(tmp, 'moved-run');
  assert.is(runCli(['train', ...tinyArgs(data, { 'max-steps': '3', save })]).status, 0);
  const moved = join(tmp, 'moved.txt');
  renameSync(data, moved);
  refused(['train', '--resume', save, '--max-steps', '6'], /not found: \S+moving\.txt; if the run's corpus moved, give its new place with --data/);
  refused(['train', '--resume', save, '--data', fixtures, '--max-steps', '6'], /the corpus does not have the checkpoint's vocabulary .*: --data must give the corpus the run was trained on/);
  const r = runCli(['train', '--resume', save, '--data', moved, '--max-steps', '6', '--json']);
  assert.is(r.status, 0, r.err);
  assert.is(JSON.parse(r.out).steps, 6);
  assert.is(runCli(['train', '--resume', save, '--max-steps', '9']).status, 0, 'the new place is remembered');
});

test('stale temporary files of a killed export are removed; --threads is capped far above the cores; bench refuses an empty density', () => {
  const save = join(tmp, 'export-run');
  assert.is(runCli(['train', ...tinyArgs(corpus, { 'max-steps': '3', save })]).status, 0);
  const out = join(tmp, 'exports', 'model.safetensors');
  mkdirSync(join(tmp, 'exports'));
  const stale = `.model.safetensors.${2 ** 22 + 5}.0123456789ab.tmp`;
  writeFileSync(join(tmp, 'exports', stale), 'partial');
  writeFileSync(join(tmp, 'exports', '.model.safetensors.notes.tmp'), 'not ours');
  let r = runCli(['export', join(save, 'last.ckpt'), '--out', out]);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /removed 1 temporary file\(s\) an interrupted export left/);
  assert.equal(readdirSync(join(tmp, 'exports')).sort(), ['.model.safetensors.notes.tmp', 'model.safetensors']);
  const bench = ['bench', '--model', 'zaremba-small', '--emsize', '16', '--nhid', '16', '--vocab', '50', '--batch-size', '4', '--bptt', '5', '--steps', '1', '--warmup', '0', '--json'];
  r = runCli([...bench, '--threads', '256']);
  assert.is(r.status, 0, r.err);
  assert.match(r.err, /--threads 256 is far above the \d+ cores? of this machine; using \d+/);
  assert.ok(JSON.parse(r.out).threads < 256);
  refused([...bench, '--density', '1e-9'], /--density 1e-9 leaves no weight in the smallest recurrent matrix/);
  refused(['bench', '--nlayers', '100000', '--steps', '1'], /--nlayers must be an integer in \[1, 1024\], got 100000/, { maxMs: 20_000 });
  refused(['bench', '--nlayers', '1024', '--nhid', '8192', '--steps', '1'], /this model cannot fit: .*1024 layers × 8192/, { maxMs: 20_000 });
  assert.ok(existsSync(out));
});

test.run();
