// The command line attacked (issue #13): input errors are exit 2 with a plain message, never an
// internal one or a hang; a diverging run stops as a divergence; --resume into a new --save
// directory; leftovers of killed runs (stray temporary files, log lines after the checkpoint);
// SIGTERM and SIGHUP save like Ctrl-C. Every process runs a tiny model on a small text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCorpusDocumentsSync } from '../src/node.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'selfish-rnn-cli-robust-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const corpus = join(tmp, 'corpus.txt');
writeFileSync(corpus, defaultCorpusDocumentsSync().slice(1, 7).join('\n'));
// 83 batches of 20×10 per epoch, vocabulary 200.
const TINY = ['--data', corpus, '--max-vocab', '200', '--emsize', '16', '--nhid', '16', '--batch-size', '20', '--bptt', '10', '--eval-batch-size', '10'];
/** TINY with some flags replaced (a flag given twice is refused). */
function tiny(over: Record<string, string> = {}): string[] {
  const out: string[] = [];
  for (let i = 0; i < TINY.length; i += 2) if (!(TINY[i]!.slice(2) in over)) out.push(TINY[i]!, TINY[i + 1]!);
  for (const [k, v] of Object.entries(over)) out.push(`--${k}`, ...(v === '' ? [] : [v]));
  return out;
}

function run(args: string[], timeout = 60_000) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout });
  return { status: r.status, signal: r.signal, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

const INTERNAL = /TypeError|RangeError|ReferenceError|Cannot read propert|is not iterable|Invalid array length|Invalid typed array|out of wasm memory|EEXIST|ENOTDIR|EACCES|ENOENT|at .*\.js:\d+/;

test('input errors exit 2 with a plain message, at once', () => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'x');
  writeFileSync(join(tmp, 'binary.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0, 1, 2, 3]));
  writeFileSync(join(tmp, 'utf16.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hello world\n'.repeat(500), 'utf16le')]));
  writeFileSync(join(tmp, 'latin1.txt'), Buffer.from('caf\xe9 au lait\n'.repeat(500), 'latin1'));
  const cases: [string[], RegExp][] = [
    [['train', ...tiny({ save: file })], /--save .*a-file exists and is not a directory/],
    [['train', ...tiny({ save: join(file, 'run') })], /a-file is a file, so .* cannot be a directory/],
    [['train', ...tiny({ save: '/proc/selfish-rnn-test/run' })], /--save .*cannot create/],
    [['train', ...tiny({ nlayers: '1e308' })], /--nlayers must be an integer in \[1, 1024\], got 1e\+308/],
    [['train', ...tiny({ emsize: '1e20' })], /--emsize must be an integer in \[1, 16777216\]/],
    [['train', ...tiny({ emsize: '2000000' })], /this model cannot fit: training it needs at least .* GiB of WebAssembly memory/],
    [['train', ...tiny({ nlayers: '100000000' })], /--nlayers must be an integer in \[1, 1024\], got 100000000/],
    [['train', ...tiny({ nlayers: '1024', nhid: '4096' })], /this model cannot fit/],
    [['train', ...tiny(), '--lr', '1', '--lr', '2'], /--lr was given 2 times \(1, 2\); give it once/],
    [['train', ...tiny(), '--data', corpus], /--data was given 2 times/],
    [['train', ...tiny({ sparse: '', density: '1e-9' })], /--density 1e-9 leaves no weight in the smallest recurrent matrix/],
    [['train', ...tiny({ data: join(tmp, 'binary.bin') })], /is not a text file: it holds a NUL byte/],
    [['train', ...tiny({ data: join(tmp, 'utf16.txt') })], /is UTF-16 text/],
    [['train', ...tiny({ data: join(tmp, 'latin1.txt') })], /is not valid UTF-8 \(bad byte near offset 3\)/],
    [['train', ...tiny({ 'eval-batch-size': '5000' })], /validation split has \d+ tokens, too few for batch size 5000 \(--eval-batch-size\)/],
    [['train', ...tiny({ 'test-batch-size': '3000' })], /test split has \d+ tokens, too few for batch size 3000 \(--test-batch-size\)/],
    [['train', ...tiny({ 'batch-size': '100000' })], /training split has \d+ tokens, too few for batch size 100000/],
    [['generate', corpus, '--words', '1e308'], /--words is at most 1,000,000/],
    [['generate', corpus, '--words', '1', '--words', '2'], /--words was given 2 times/],
    // A flag without its value would quietly take its default; words after '--' would be ignored.
    [['train', ...tiny(), '--density'], /--density needs a value/],
    [['train', ...tiny({ 'max-vocab': '' }), '--', '--emsize', '8'], /--max-vocab needs a value/],
    [['train', ...tiny(), '--', '--emsize', '8'], /unexpected arguments "--emsize" "8" \(everything after '--' is taken as an argument, not a flag\)/],
    [['generate', corpus, '--words', '3', '--prompt'], /--prompt needs a value/],
  ];
  for (const [args, re] of cases) {
    const t0 = Date.now();
    const r = run(args, 30_000);
    const what = args.filter((a) => !TINY.includes(a)).join(' ');
    assert.is(r.status, 2, `${what}: exit ${r.status} ${r.signal ?? ''}\n${r.err}`);
    assert.match(r.err, re, what);
    assert.not.match(r.err, INTERNAL, `${what}: no internal message`);
    assert.ok(Date.now() - t0 < 20_000, `${what}: at once (${Date.now() - t0} ms)`);
  }
});

test('a read-only --save directory is a usage error', () => {
  if (process.getuid?.() === 0) return; // root writes anywhere: the /proc case above covers the refusal
  const ro = join(tmp, 'read-only');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  const r = run(['train', ...tiny({ save: ro, 'max-steps': '1' })]);
  assert.is(r.status, 2, r.err);
  assert.match(r.err, /cannot write into .*read-only/);
});

test('a huge learning rate stops as a divergence with a clear message (no hang, no native crash)', () => {
  for (const extra of [{ lr: '3000', epochs: '2' }, { clip: '0', lr: '100', epochs: '3' }] as Record<string, string>[]) {
    const save = join(tmp, `div-${extra.lr}`);
    const r = run(['train', ...tiny({ ...extra, save })]);
    assert.is(r.status, 1, `exit ${r.status} ${r.signal}\n${r.err}`);
    assert.match(r.err, /training diverged: the (validation|training) loss after epoch 1 (is .* \(perplexity overflows\)|gives perplexity .* over 1000×)/);
    assert.not.match(r.err, INTERNAL);
    const log = readFileSync(join(save, 'log.jsonl'), 'utf8');
    assert.match(log, /"event":"diverged"/);
    assert.not.ok(existsSync(join(save, 'best.ckpt')), 'a diverged model is not saved as the best');
  }
});

function logSteps(dir: string): number[] {
  return readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'step').map((e) => e.step as number);
}

test('--resume RUN --save NEWDIR without a new best model: the best model is carried over', () => {
  const runDir = join(tmp, 'orig'), newDir = join(tmp, 'continued');
  let r = run(['train', ...tiny({ epochs: '3', 'max-steps': '100', 'log-interval': '20', save: runDir })]);
  assert.is(r.status, 0, r.err);
  assert.ok(existsSync(join(runDir, 'best.ckpt')));
  r = run(['train', '--resume', runDir, '--save', newDir, '--max-steps', '120', '--log-interval', '20', '--json']);
  assert.is(r.status, 0, r.err);
  const res = JSON.parse(r.out);
  assert.is(res.files.best, join(newDir, 'best.ckpt'));
  assert.equal(readFileSync(join(newDir, 'best.ckpt')), readFileSync(join(runDir, 'best.ckpt')), 'the best model so far is the old one');
  assert.is(res.bestEpoch, 1);
  assert.ok(res.sample.length > 0, 'sample from the carried best model');
  assert.equal(logSteps(newDir), [20, 40, 60, 80, 100, 120], 'the log continues the old one');
  // eval with a batch size the split cannot fill: a usage error.
  r = run(['eval', runDir, '--batch-size', '1000000']);
  assert.is(r.status, 2, r.err);
  assert.match(r.err, /the valid split has \d+ tokens, too few for batch size 1000000: give --batch-size \d+ or less/);
  // A --save that holds another run is refused.
  r = run(['train', '--resume', runDir, '--save', newDir]);
  assert.is(r.status, 2);
  assert.match(r.err, /already holds another run/);
});

test('a run directory used again: stray temporary files are removed and the log has no duplicate steps', () => {
  const dir = join(tmp, 'killed');
  let r = run(['train', ...tiny({ epochs: '2', 'max-steps': '30', 'log-interval': '10', save: dir })]);
  assert.is(r.status, 0, r.err);
  // What a kill after step 50 leaves: log lines beyond the checkpoint (step 30), a torn line, temp files.
  appendFileSync(join(dir, 'log.jsonl'), '{"event":"step","step":40}\n{"event":"step","step":50}\n{"event":"st');
  const dead = 2 ** 22 + 777;
  const stale = [`.last.ckpt.${dead}.0123456789ab.tmp`, `.plot.svg.${dead}.ba9876543210.tmp`];
  for (const f of stale) writeFileSync(join(dir, f), 'partial');
  writeFileSync(join(dir, 'my-notes.tmp'), 'mine');
  r = run(['train', '--resume', dir, '--max-steps', '60', '--log-interval', '10']);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /removed 2 temporary file\(s\)/);
  for (const f of stale) assert.not.ok(existsSync(join(dir, f)), f);
  assert.ok(existsSync(join(dir, 'my-notes.tmp')), 'other files are left alone');
  assert.equal(logSteps(dir), [10, 20, 30, 40, 50, 60]);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), ['my-notes.tmp']);
});

for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  test(`${signal} saves a checkpoint and exits with ${code}, like Ctrl-C`, async () => {
    const dir = join(tmp, signal);
    const child = spawn(process.execPath, [cli, 'train', ...tiny({ epochs: '50', 'log-interval': '5', save: dir })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    await new Promise<void>((res) => {
      const poll = setInterval(() => { if (/\| step \d+/.test(out)) { clearInterval(poll); res(); } }, 50);
    });
    child.kill(signal);
    const exit = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    assert.is(exit, code, out);
    assert.match(out, new RegExp(`${signal}: stopping after this step`));
    assert.match(out, /checkpoint saved: .*last\.ckpt/);
    const r = run(['train', '--resume', dir, '--max-steps', '1']);
    assert.is(r.status, 0, r.err); // resumable (already past step 1: stops at once)
  });
}

test.run();
