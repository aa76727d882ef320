// One run per run directory: runs started in the same second (a sweep) get different default
// directories; a directory a live process trains in is refused to a second run and to a resume;
// the lock of a dead process is taken over; a directory with another run's files but no last.ckpt
// is not reused; `import` never replaces an existing file without --force.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { INTERNAL, runCli, startCli, tinyArgs, waitFor, workspace } from './helpers/cli.js';

const { dir: tmp, corpus } = workspace('run-dir');
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('a sweep started in one second: every run gets its own directory and its own log', async () => {
  const cwd = join(tmp, 'sweep');
  mkdirSync(cwd);
  const runs = ['5', '30', '7'].map((lr) => startCli(['train', ...tinyArgs(corpus, { lr, 'max-steps': '20', epochs: '2', json: '' })], { cwd }));
  const exits = await Promise.all(runs.map((r) => r.exit));
  exits.forEach((e, i) => assert.is(e.code, 0, runs[i]!.errors()));
  const dirs = runs.map((r) => JSON.parse(r.output()).files.last as string);
  assert.is(new Set(dirs).size, 3, `three run directories: ${dirs.join(', ')}`);
  for (const d of readdirSync(join(cwd, 'runs'))) {
    const starts = readFileSync(join(cwd, 'runs', d, 'log.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"event":"start"'));
    assert.is(starts.length, 1, `${d}: one run's log`);
    assert.not.ok(existsSync(join(cwd, 'runs', d, 'run.lock')), 'the lock is released at the end');
  }
});

test('a run directory in use by a live process is refused to a new run and to a resume; a dead holder\'s lock is taken over', async () => {
  const save = join(tmp, 'shared');
  const first = startCli(['train', ...tinyArgs(corpus, { epochs: '50', 'log-interval': '5', save })]);
  try {
    await waitFor(() => /\| step \d+/.test(first.output()), 60_000, 'the first run to train');
    const pid = first.child.pid!;
    for (const args of [['train', ...tinyArgs(corpus, { save, 'max-steps': '3' })], ['train', '--resume', save, '--max-steps', '3']]) {
      // A checkpoint may not exist yet for the resume: either way it must not train in there.
      const r = runCli(args);
      assert.is(r.status, 2, `${args.join(' ')}: ${r.err}`);
      if (args[1] !== '--resume' || existsSync(join(save, 'last.ckpt'))) assert.match(r.err, new RegExp(`in use by another selfish-rnn process \\(pid ${pid}`));
      assert.not.match(r.err, INTERNAL);
    }
  } finally {
    first.child.kill('SIGKILL'); // dies holding the lock
  }
  await first.exit;
  assert.ok(existsSync(join(save, 'run.lock')), 'a killed process leaves its lock');
  // Give it a checkpoint to resume from if the kill came before the first save.
  if (!existsSync(join(save, 'last.ckpt'))) {
    rmSync(save, { recursive: true, force: true });
    assert.is(runCli(['train', ...tinyArgs(corpus, { save, 'max-steps': '3' })]).status, 0);
    writeFileSync(join(save, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 99, host: hostname(), started: 'then' }));
  }
  const r = runCli(['train', '--resume', save, '--max-steps', '200']);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /took over the lock of process \d+, which no longer runs/);
  assert.not.ok(existsSync(join(save, 'run.lock')));
  // A lock held by a live process that is not this run (here: the test itself) is respected.
  writeFileSync(join(save, 'run.lock'), JSON.stringify({ pid: process.pid, host: hostname(), started: 'now' }));
  const held = runCli(['train', '--resume', save, '--max-steps', '300']);
  assert.is(held.status, 2, held.err);
  assert.match(held.err, new RegExp(`in use by another selfish-rnn process \\(pid ${process.pid}`));
});

test('a directory with a log or best.ckpt but no last.ckpt is not silently reused', () => {
  for (const file of ['log.jsonl', 'best.ckpt']) {
    const save = join(tmp, `leftover-${file}`);
    mkdirSync(save);
    writeFileSync(join(save, file), file === 'log.jsonl' ? '{"event":"start","step":0}\n' : 'x');
    const r = runCli(['train', ...tinyArgs(corpus, { save, 'max-steps': '3' })]);
    assert.is(r.status, 2, r.err);
    assert.match(r.err, new RegExp(`already holds files of another run \\(${file.replace('.', '\\.')}\\) but no last\\.ckpt`));
    assert.is(readFileSync(join(save, file), 'utf8'), file === 'log.jsonl' ? '{"event":"start","step":0}\n' : 'x', 'left as it was');
  }
});

test('import never replaces an existing file without --force (the default output next to a run\'s export is its last.ckpt)', () => {
  const save = join(tmp, 'imp');
  assert.is(runCli(['train', ...tinyArgs(corpus, { save, 'max-steps': '5' })]).status, 0);
  const last = readFileSync(join(save, 'last.ckpt'));
  let r = runCli(['export', join(save, 'last.ckpt'), '--out', join(save, 'last.safetensors')]);
  assert.is(r.status, 0, r.err);
  r = runCli(['import', join(save, 'last.safetensors')]);
  assert.is(r.status, 2, r.err);
  assert.match(r.err, /last\.ckpt already exists \(the default output: FILE with \.ckpt\); give another --out, or --force to replace it/);
  assert.equal(readFileSync(join(save, 'last.ckpt')), last, 'the run\'s training state is intact');
  r = runCli(['import', join(save, 'last.safetensors'), '--out', join(save, 'last.ckpt')]);
  assert.is(r.status, 2);
  r = runCli(['import', join(save, 'last.safetensors'), '--force']);
  assert.is(r.status, 0, r.err);
  assert.not.equal(readFileSync(join(save, 'last.ckpt')), last, 'replaced when asked to');
});

test.run();
